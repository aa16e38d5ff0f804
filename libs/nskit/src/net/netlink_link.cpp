// nskit::net::netlink: links (list, look up, change, delete, move).
#include "netlink_impl.hpp"

#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

namespace nskit::net {
using namespace nl;

// ---------------------------------------------------------------- links

std::vector<link_info> netlink::links(std::error_code& ec) noexcept
{
    std::vector<link_info> out;
    ec.clear();
    if (!valid()) {
        ec = not_open();
        note_failure(ec, "link list", {});
        return out;
    }
    auto* h = impl_->start(RTM_GETLINK, NLM_F_DUMP);
    auto* ifi = impl_->header<ifinfomsg>(h);
    ifi->ifi_family = AF_UNSPEC;
    ec = impl_->dump(h, [&] { out.clear(); }, [&](const nlmsghdr& m) {
        link_info l;
        if (auto e = detail::decode_link(m, l))
            return e;
        out.push_back(std::move(l));
        return std::error_code{};
    });
    note_failure(ec, "link list", impl_->extack);
    if (ec)
        out.clear();
    return out;
}
std::vector<link_info> netlink::links() { return or_throw([&](std::error_code& ec) { return links(ec); }); }

std::error_code nl::get_link(netlink::impl& im, int index, std::string_view name, link_info& out) noexcept
{
    auto* h = im.start(RTM_GETLINK, 0);
    auto* ifi = im.header<ifinfomsg>(h);
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = index;
    if (!name.empty())
        mnl_attr_put_strz(h, IFLA_IFNAME, ifname_buf(name).text);
    bool found = false;
    auto ec = im.transact(h, [&](const nlmsghdr& m) {
        if (auto e = detail::decode_link(m, out))
            return e;
        found = true;
        return std::error_code{};
    });
    if (!ec && !found)
        ec = error::malformed_reply;
    return ec;
}

link_info netlink::link(std::string_view name, std::error_code& ec) noexcept
{
    link_info l;
    check_interface_name(name, ec);
    if (!ec && !valid())
        ec = not_open();
    if (!ec)
        ec = get_link(*impl_, 0, name, l);
    if (ec) {
        note_failure(ec, [&] { return "link get(" + std::string(name) + ")"; }, extack_of(impl_.get()));
        return {};
    }
    return l;
}
link_info netlink::link(std::string_view name) { return or_throw([&](std::error_code& ec) { return link(name, ec); }); }

link_info netlink::link(int index, std::error_code& ec) noexcept
{
    link_info l;
    ec.clear();
    if (index <= 0)
        ec = sys_error(ENODEV);
    else if (!valid())
        ec = not_open();
    if (!ec)
        ec = get_link(*impl_, index, {}, l);
    if (ec) {
        note_failure(ec, [&] { return "link get(" + idx(index) + ")"; }, extack_of(impl_.get()));
        return {};
    }
    return l;
}
link_info netlink::link(int index) { return or_throw([&](std::error_code& ec) { return link(index, ec); }); }

int netlink::index_of(std::string_view name, std::error_code& ec) noexcept { return link(name, ec).index; }
int netlink::index_of(std::string_view name)
{
    return or_throw([&](std::error_code& ec) { return index_of(name, ec); });
}


void netlink::set_up(int index, std::error_code& ec) noexcept
{
    modify_link(
        impl_.get(), index, ec,
        [](nlmsghdr*, ifinfomsg* ifi) {
            ifi->ifi_flags = IFF_UP;
            ifi->ifi_change = IFF_UP;
        },
        [&] { return "link set up(" + idx(index) + ")"; });
}
void netlink::set_up(int index) { or_throw([&](std::error_code& ec) { set_up(index, ec); }); }

void netlink::set_down(int index, std::error_code& ec) noexcept
{
    modify_link(
        impl_.get(), index, ec, [](nlmsghdr*, ifinfomsg* ifi) { ifi->ifi_change = IFF_UP; },
        [&] { return "link set down(" + idx(index) + ")"; });
}
void netlink::set_down(int index) { or_throw([&](std::error_code& ec) { set_down(index, ec); }); }

void netlink::set_mtu(int index, unsigned mtu, std::error_code& ec) noexcept
{
    modify_link(
        impl_.get(), index, ec, [&](nlmsghdr* h, ifinfomsg*) { mnl_attr_put_u32(h, IFLA_MTU, mtu); },
        [&] { return "link set mtu(" + idx(index) + ", " + std::to_string(mtu) + ")"; });
}
void netlink::set_mtu(int index, unsigned mtu) { or_throw([&](std::error_code& ec) { set_mtu(index, mtu, ec); }); }

void netlink::set_mac(int index, std::string_view mac, std::error_code& ec) noexcept
{
    auto bytes = parse_mac(mac, ec);
    if (ec) {
        note_failure(ec, [&] { return "link set mac(" + idx(index) + ", " + std::string(mac) + ")"; }, {});
        return;
    }
    modify_link(
        impl_.get(), index, ec,
        [&](nlmsghdr* h, ifinfomsg*) { mnl_attr_put(h, IFLA_ADDRESS, bytes.size(), bytes.data()); },
        [&] { return "link set mac(" + idx(index) + ", " + std::string(mac) + ")"; });
}
void netlink::set_mac(int index, std::string_view mac)
{
    or_throw([&](std::error_code& ec) { set_mac(index, mac, ec); });
}

void netlink::rename(int index, std::string_view new_name, std::error_code& ec) noexcept
{
    check_interface_name(new_name, ec);
    if (ec) {
        note_failure(ec, [&] { return "link rename(" + idx(index) + ", " + std::string(new_name) + ")"; }, {});
        return;
    }
    const ifname_buf n(new_name);
    modify_link(
        impl_.get(), index, ec, [&](nlmsghdr* h, ifinfomsg*) { mnl_attr_put_strz(h, IFLA_IFNAME, n.text); },
        [&] { return "link rename(" + idx(index) + ", " + std::string(new_name) + ")"; });
}
void netlink::rename(int index, std::string_view new_name)
{
    or_throw([&](std::error_code& ec) { rename(index, new_name, ec); });
}

// IFLA_AF_SPEC { AF_INET6 { IFLA_INET6_ADDR_GEN_MODE } }
void nl::put_addr_gen(nlmsghdr* h, bool on)
{
    auto* spec = mnl_attr_nest_start(h, IFLA_AF_SPEC);
    auto* v6 = mnl_attr_nest_start(h, AF_INET6);
    mnl_attr_put_u8(h, IFLA_INET6_ADDR_GEN_MODE, on ? IN6_ADDR_GEN_MODE_EUI64 : IN6_ADDR_GEN_MODE_NONE);
    mnl_attr_nest_end(h, v6);
    mnl_attr_nest_end(h, spec);
}

std::error_code nl::set_addr_gen(netlink::impl& im, int index, bool on) noexcept
{
    auto* h = im.start(RTM_NEWLINK, 0);
    auto* ifi = im.header<ifinfomsg>(h);
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = index;
    put_addr_gen(h, on);
    return im.transact(h, {});
}

void netlink::set_ipv6_addr_gen(int index, bool on, std::error_code& ec) noexcept
{
    modify_link(
        impl_.get(), index, ec, [&](nlmsghdr* h, ifinfomsg*) { put_addr_gen(h, on); },
        [&] { return "link set addrgenmode(" + idx(index) + ")"; });
}
void netlink::set_ipv6_addr_gen(int index, bool on)
{
    or_throw([&](std::error_code& ec) { set_ipv6_addr_gen(index, on, ec); });
}

void netlink::delete_link(int index, std::error_code& ec) noexcept
{
    link_request(
        impl_.get(), RTM_DELLINK, index, ec, [](nlmsghdr*, ifinfomsg*) {},
        [&] { return "link delete(" + idx(index) + ")"; });
}
void netlink::delete_link(int index) { or_throw([&](std::error_code& ec) { delete_link(index, ec); }); }

void netlink::delete_veth(const veth_pair& made, std::string_view name, std::error_code& ec) noexcept
{
    const auto op = [&] { return "veth delete(" + idx(made.index) + ", " + std::string(name) + ")"; };
    ec.clear();
    link_info now;
    if (made.index <= 0)
        ec = sys_error(ENODEV);
    else if (!valid())
        ec = not_open();
    if (!ec)
        ec = get_link(*impl_, made.index, {}, now);
    if (ec) {
        note_failure(ec, op, extack_of(impl_.get()));
        return;
    }
    // The kernel has no "delete if still named": look, then delete by
    // index.  Indexes are not reused while the namespace numbers onward.
    if (now.name != name || now.kind != "veth" || (made.peer_index > 0 && now.peer_index != made.peer_index)) {
        ec = error::link_changed;
        note_failure(ec, [&] {
            return op() + ": link " + idx(made.index) + " is now '" + now.name + "' (kind " +
                   (now.kind.empty() ? std::string("none") : now.kind) + ", peer " + idx(now.peer_index) + ")";
        }, {});
        return;
    }
    delete_link(made.index, ec);
}
void netlink::delete_veth(const veth_pair& made, std::string_view name)
{
    or_throw([&](std::error_code& ec) { delete_veth(made, name, ec); });
}

void netlink::move_link(int index, const netns_target& to, std::error_code& ec) noexcept
{
    ec.clear();
    auto target = resolve(to, ec);
    if (!ec && to.how == netns_target::kind::current)
        ec = sys_error(EINVAL);
    if (ec) {
        note_failure(ec, [&] { return "link move(" + idx(index) + ")"; }, {});
        return;
    }
    modify_link(
        impl_.get(), index, ec,
        [&](nlmsghdr* h, ifinfomsg*) {
            if (target.fd >= 0)
                mnl_attr_put_u32(h, IFLA_NET_NS_FD, static_cast<std::uint32_t>(target.fd));
            else
                mnl_attr_put_u32(h, IFLA_NET_NS_PID, static_cast<std::uint32_t>(target.pid));
        },
        [&] { return "link move(" + idx(index) + ")"; });
}
void netlink::move_link(int index, const netns_target& to)
{
    or_throw([&](std::error_code& ec) { move_link(index, to, ec); });
}

} // namespace nskit::net
