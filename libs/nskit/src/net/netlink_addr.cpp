// nskit::net::netlink: addresses and routes.
#include "netlink_impl.hpp"

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

namespace nskit::net {
using namespace nl;

// ---------------------------------------------------------------- addresses

namespace {
std::error_code address_request(netlink::impl& im, std::uint16_t type, std::uint16_t flags, int index, const cidr& a,
                                const address_options& o) noexcept
{
    auto* h = im.start(type, flags);
    auto* ifa = im.header<ifaddrmsg>(h);
    ifa->ifa_family = static_cast<std::uint8_t>(a.address.family);
    ifa->ifa_prefixlen = static_cast<std::uint8_t>(a.prefix_len);
    ifa->ifa_index = static_cast<unsigned>(index);
    const auto len = a.address.size();
    mnl_attr_put(h, IFA_LOCAL, len, a.address.bytes.data());
    if (!o.peer.empty())
        mnl_attr_put(h, IFA_ADDRESS, len, o.peer.bytes.data());
    else
        mnl_attr_put(h, IFA_ADDRESS, len, a.address.bytes.data());
    if (o.nodad)
        mnl_attr_put_u32(h, IFA_FLAGS, IFA_F_NODAD);
    return im.transact(h, {});
}

std::error_code check_cidr(const cidr& a) noexcept
{
    if (!a.address.is_v4() && !a.address.is_v6())
        return error::bad_address;
    if (a.prefix_len > a.address.size() * 8)
        return error::bad_prefix_length;
    return {};
}
} // namespace

void netlink::add_address(int index, const cidr& a, std::error_code& ec, const address_options& o) noexcept
{
    ec = check_cidr(a);
    if (!ec && !o.peer.empty() && o.peer.family != a.address.family)
        ec = error::bad_address;
    if (!ec && index <= 0)
        ec = sys_error(ENODEV);
    if (!ec && !valid())
        ec = not_open();
    if (!ec)
        ec = address_request(*impl_, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, index, a, o);
    if (ec)
        note_failure(ec, [&] { return "address add(" + a.to_string() + ", dev " + idx(index) + ")"; }, extack_of(impl_.get()));
}
void netlink::add_address(int index, const cidr& a, const address_options& o)
{
    std::error_code ec;
    add_address(index, a, ec, o);
    throw_if(ec, error_kind, last_error_detail());
}

void netlink::delete_address(int index, const cidr& a, std::error_code& ec) noexcept
{
    ec = check_cidr(a);
    if (!ec && index <= 0)
        ec = sys_error(ENODEV);
    if (!ec && !valid())
        ec = not_open();
    if (!ec)
        ec = address_request(*impl_, RTM_DELADDR, 0, index, a, {});
    if (ec)
        note_failure(ec, [&] { return "address delete(" + a.to_string() + ", dev " + idx(index) + ")"; }, extack_of(impl_.get()));
}
void netlink::delete_address(int index, const cidr& a)
{
    or_throw([&](std::error_code& ec) { delete_address(index, a, ec); });
}

std::vector<address_info> netlink::addresses(int family, int index, std::error_code& ec) noexcept
{
    std::vector<address_info> out;
    ec.clear();
    if (family != 0 && family != AF_INET && family != AF_INET6)
        ec = sys_error(EAFNOSUPPORT);
    else if (!valid())
        ec = not_open();
    if (!ec) {
        auto* h = impl_->start(RTM_GETADDR, NLM_F_DUMP);
        auto* ifa = impl_->header<ifaddrmsg>(h);
        ifa->ifa_family = static_cast<std::uint8_t>(family);
        ifa->ifa_index = static_cast<unsigned>(index); // strict checking: the kernel filters
        ec = impl_->dump(h, [&] { out.clear(); }, [&](const nlmsghdr& m) {
            address_info a;
            if (auto e = detail::decode_address(m, a))
                return e;
            if ((family == 0 || a.family == family) && (index == 0 || a.index == index))
                out.push_back(std::move(a));
            return std::error_code{};
        });
    }
    if (ec) {
        note_failure(ec, "address list", extack_of(impl_.get()));
        out.clear();
    }
    return out;
}
std::vector<address_info> netlink::addresses(int family, int index)
{
    return or_throw([&](std::error_code& ec) { return addresses(family, index, ec); });
}

// ---------------------------------------------------------------- routes

namespace {
std::error_code route_request(netlink::impl& im, std::uint16_t type, std::uint16_t flags, const route_spec& r) noexcept
{
    const int family = r.destination.address.family;
    auto* h = im.start(type, flags);
    auto* rt = im.header<rtmsg>(h);
    rt->rtm_family = static_cast<std::uint8_t>(family);
    rt->rtm_dst_len = static_cast<std::uint8_t>(r.destination.prefix_len);
    rt->rtm_table = static_cast<std::uint8_t>(r.table < 256 ? r.table : unsigned{RT_TABLE_UNSPEC});
    if (type == RTM_NEWROUTE) {
        rt->rtm_protocol = RTPROT_BOOT;
        rt->rtm_type = RTN_UNICAST;
        rt->rtm_scope = r.gateway.empty() ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
    } else {
        rt->rtm_scope = RT_SCOPE_NOWHERE;
    }
    if (r.table >= 256)
        mnl_attr_put_u32(h, RTA_TABLE, r.table);
    if (r.destination.prefix_len > 0) {
        // The kernel wants the network address: clear the host bits.
        ip_address net = r.destination.address;
        for (unsigned bit = r.destination.prefix_len; bit < net.size() * 8; ++bit)
            net.bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
        mnl_attr_put(h, RTA_DST, net.size(), net.bytes.data());
    }
    if (!r.gateway.empty())
        mnl_attr_put(h, RTA_GATEWAY, r.gateway.size(), r.gateway.bytes.data());
    if (r.oif > 0)
        mnl_attr_put_u32(h, RTA_OIF, static_cast<std::uint32_t>(r.oif));
    if (r.metric)
        mnl_attr_put_u32(h, RTA_PRIORITY, r.metric);
    return im.transact(h, {});
}

std::error_code check_route(const route_spec& r) noexcept
{
    if (auto ec = check_cidr(r.destination))
        return ec;
    if (!r.gateway.empty() && r.gateway.family != r.destination.address.family)
        return error::bad_address;
    if (r.oif < 0)
        return std::error_code(ENODEV, std::system_category());
    return {};
}

std::string describe_route(const route_spec& r)
{
    std::string s = r.destination.prefix_len ? r.destination.to_string() : "default";
    if (!r.gateway.empty())
        s += " via " + r.gateway.to_string();
    if (r.oif)
        s += " dev " + std::to_string(r.oif);
    if (r.metric)
        s += " metric " + std::to_string(r.metric);
    return s;
}
} // namespace

void netlink::add_route(const route_spec& r, std::error_code& ec) noexcept
{
    ec = check_route(r);
    if (!ec && !valid())
        ec = not_open();
    if (!ec)
        ec = route_request(*impl_, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, r);
    if (ec)
        note_failure(ec, [&] { return "route add(" + describe_route(r) + ")"; }, extack_of(impl_.get()));
}
void netlink::add_route(const route_spec& r) { or_throw([&](std::error_code& ec) { add_route(r, ec); }); }

void netlink::delete_route(const route_spec& r, std::error_code& ec) noexcept
{
    ec = check_route(r);
    if (!ec && !valid())
        ec = not_open();
    if (!ec)
        ec = route_request(*impl_, RTM_DELROUTE, 0, r);
    if (ec)
        note_failure(ec, [&] { return "route delete(" + describe_route(r) + ")"; }, extack_of(impl_.get()));
}
void netlink::delete_route(const route_spec& r) { or_throw([&](std::error_code& ec) { delete_route(r, ec); }); }

std::vector<route_info> netlink::routes(int family, std::error_code& ec, unsigned table) noexcept
{
    std::vector<route_info> out;
    ec.clear();
    if (family != 0 && family != AF_INET && family != AF_INET6)
        ec = sys_error(EAFNOSUPPORT);
    else if (!valid())
        ec = not_open();
    if (!ec) {
        auto* h = impl_->start(RTM_GETROUTE, NLM_F_DUMP);
        auto* rt = impl_->header<rtmsg>(h);
        rt->rtm_family = static_cast<std::uint8_t>(family);
        ec = impl_->dump(h, [&] { out.clear(); }, [&](const nlmsghdr& m) {
            route_info r;
            if (auto e = detail::decode_route(m, r))
                return e;
            if ((r.family == AF_INET || r.family == AF_INET6) && (family == 0 || r.family == family) &&
                (table == 0 || r.table == table))
                out.push_back(std::move(r));
            return std::error_code{};
        });
    }
    if (ec) {
        note_failure(ec, "route list", extack_of(impl_.get()));
        out.clear();
    }
    return out;
}
std::vector<route_info> netlink::routes(int family, unsigned table)
{
    std::error_code ec;
    auto r = routes(family, ec, table);
    throw_if(ec, error_kind, last_error_detail());
    return r;
}

} // namespace nskit::net
