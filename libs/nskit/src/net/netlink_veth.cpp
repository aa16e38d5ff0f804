// nskit::net::netlink: creating a veth pair.
#include "netlink_impl.hpp"
#include <nskit/sys/nsfs.hpp>

#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>

#include <array>

namespace nskit::net {
using namespace nl;

namespace {

// What a veth request needs, checked before anything is sent.
struct veth_plan {
    std::array<std::uint8_t, 6> mac{}, peer_mac{};
    resolved_target target;
};

veth_plan check_veth(const veth_options& o, std::error_code& ec) noexcept
{
    veth_plan p;
    check_interface_name(o.name, ec);
    if (!ec)
        check_interface_name(o.peer_name, ec);
    if (!ec && !o.mac.empty())
        p.mac = parse_mac(o.mac, ec);
    if (!ec && !o.peer_mac.empty())
        p.peer_mac = parse_mac(o.peer_mac, ec);
    if (!ec)
        p.target = resolve(o.peer_netns, ec);
    return p;
}

// RTM_NEWLINK kind veth, the peer in VETH_INFO_PEER.  NLM_F_ECHO: the kernel
// (6.3+) sends the new link back, with the peer's index in IFLA_LINK, which
// saves two look-ups.
nlmsghdr* put_veth_request(netlink::impl& im, const veth_options& o, const veth_plan& p) noexcept
{
    auto* h = im.start(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO);
    auto* ifi = im.header<ifinfomsg>(h);
    ifi->ifi_family = AF_UNSPEC;
    if (o.up) {
        // Only this end: the peer cannot go up before this end exists (ENOTCONN).
        ifi->ifi_flags = IFF_UP;
        ifi->ifi_change = IFF_UP;
    }
    mnl_attr_put_strz(h, IFLA_IFNAME, o.name.c_str());
    if (!o.mac.empty())
        mnl_attr_put(h, IFLA_ADDRESS, p.mac.size(), p.mac.data());
    if (o.mtu)
        mnl_attr_put_u32(h, IFLA_MTU, o.mtu);
    auto* info = mnl_attr_nest_start(h, IFLA_LINKINFO);
    mnl_attr_put_strz(h, IFLA_INFO_KIND, "veth");
    auto* data = mnl_attr_nest_start(h, IFLA_INFO_DATA);
    auto* peer = mnl_attr_nest_start(h, VETH_INFO_PEER);
    auto* pifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(h, sizeof(ifinfomsg)));
    pifi->ifi_family = AF_UNSPEC;
    mnl_attr_put_strz(h, IFLA_IFNAME, o.peer_name.c_str());
    if (!o.peer_mac.empty())
        mnl_attr_put(h, IFLA_ADDRESS, p.peer_mac.size(), p.peer_mac.data());
    if (o.mtu)
        mnl_attr_put_u32(h, IFLA_MTU, o.mtu);
    if (p.target.fd >= 0)
        mnl_attr_put_u32(h, IFLA_NET_NS_FD, static_cast<std::uint32_t>(p.target.fd));
    else if (p.target.pid > 0)
        mnl_attr_put_u32(h, IFLA_NET_NS_PID, static_cast<std::uint32_t>(p.target.pid));
    mnl_attr_nest_end(h, peer);
    mnl_attr_nest_end(h, data);
    mnl_attr_nest_end(h, info);
    return h;
}

// The kernel refuses IFLA_AF_SPEC in a create request (EAFNOSUPPORT, 6.18),
// so address generation is switched off on both ends before either is up:
// no link-local address is ever generated.  `end` names the end that failed.
std::error_code addr_gen_off(netlink::impl& im, const veth_options& o, const veth_plan& p, const veth_pair& l,
                             const std::string*& end) noexcept
{
    end = &o.name;
    auto ec = set_addr_gen(im, l.index, false);
    if (ec)
        return ec;
    end = &o.peer_name;
    if (o.peer_netns.how == netns_target::kind::current)
        return set_addr_gen(im, l.peer_index, false);
    unique_fd byproc;
    int fd = p.target.fd;
    if (fd < 0) {
        byproc = sys::open_ns(p.target.pid, sys::ns_type::net, ec);
        fd = byproc.get();
    }
    if (!ec) {
        auto there = netlink::open_in(fd, ec);
        if (!ec)
            ec = set_addr_gen(*detail_access::impl_of(there), l.peer_index, false);
    }
    return ec;
}

} // namespace

veth_pair netlink::create_veth_pair(const veth_options& o, std::error_code& ec) noexcept
{
    const auto op = [&] { return "veth create(" + o.name + ", " + o.peer_name + ")"; };
    ec.clear();
    const auto plan = check_veth(o, ec);
    if (!ec && !valid())
        ec = not_open();
    if (ec) {
        note_failure(ec, op, {});
        return {};
    }
    link_info l;
    ec = impl_->transact(put_veth_request(*impl_, o, plan), [&](const nlmsghdr& m) {
        link_info echoed;
        if (auto e = detail::decode_link(m, echoed))
            return e;
        if (echoed.name == o.name && l.index == 0)
            l = std::move(echoed);
        return std::error_code{};
    });
    if (ec) {
        note_failure(ec, op, impl_->extack);
        return {};
    }
    if (l.index <= 0 || l.peer_index <= 0) { // a kernel without the echo
        ec = get_link(*impl_, 0, o.name, l);
        if (ec) {
            note_failure(ec, [&] { return op() + ": look up the new link"; }, impl_->extack);
            return {};
        }
    }
    const veth_pair pair{l.index, l.peer_index};
    const std::string* end = nullptr; // the end being switched, for the message
    if (!o.ipv6_addr_gen)
        ec = addr_gen_off(*impl_, o, plan, pair, end);
    if (ec) {
        const std::string why = std::move(impl_->extack); // a move: no allocation
        std::error_code ignored;
        delete_link(l.index, ignored); // takes the peer with it
        note_failure(ec, [&] { return op() + ": switch IPv6 address generation off on " + *end; }, why);
        return {};
    }
    return pair;
}
veth_pair netlink::create_veth_pair(const veth_options& o)
{
    return or_throw([&](std::error_code& ec) { return create_veth_pair(o, ec); });
}

int netlink::create_veth(const veth_options& o, std::error_code& ec) noexcept { return create_veth_pair(o, ec).index; }
int netlink::create_veth(const veth_options& o)
{
    return or_throw([&](std::error_code& ec) { return create_veth(o, ec); });
}

} // namespace nskit::net
