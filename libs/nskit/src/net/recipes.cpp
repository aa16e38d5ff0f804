#include <nskit/net/recipes.hpp>
#include <nskit/net/netlink.hpp>
#include <nskit/sys/error.hpp>
#include "internal.hpp"

#include <sys/socket.h>

namespace nskit::net {
namespace {

// Make last_error_detail() name the recipe step that failed.
void fail_at(std::string_view step) noexcept
{
    try {
        std::string text = "connect_veth: ";
        text += step;
        if (const auto& inner = last_error_detail(); !inner.empty())
            text += " (" + inner + ")";
        detail::set_error_detail(text);
    } catch (...) {
    }
}

route_spec host_route(const ip_address& to, int oif)
{
    route_spec r;
    r.destination = {to, static_cast<unsigned>(to.size() * 8)};
    r.oif = oif;
    return r;
}

} // namespace

namespace {

// Everything is checked before the first request.
void check_recipe(const veth_recipe& r, cidr& local, cidr& peer, std::error_code& ec)
{
    check_interface_name(r.local_name, ec);
    if (ec)
        return fail_at("local name '" + r.local_name + "'");
    check_interface_name(r.peer_name, ec);
    if (ec)
        return fail_at("peer name '" + r.peer_name + "'");
    if (!r.local_address.empty()) {
        local = parse_interface_address(r.local_address, ec);
        if (ec)
            return fail_at("local address '" + r.local_address + "': " + interface_address_problem(r.local_address));
    }
    if (!r.peer_address.empty()) {
        peer = parse_interface_address(r.peer_address, ec);
        if (ec)
            return fail_at("peer address '" + r.peer_address + "': " + interface_address_problem(r.peer_address));
    }
    if (!local.address.empty() && !peer.address.empty() && local.address.family != peer.address.family) {
        ec = error::bad_address;
        return fail_at("addresses '" + r.local_address + "' and '" + r.peer_address + "' are of different families");
    }
    if (r.peer_netns_fd < 0) {
        ec = {EBADF, std::system_category()};
        return fail_at("target netns fd " + std::to_string(r.peer_netns_fd));
    }
}

// The steps after the pair exists; `step` names the one that failed.
void configure_pair(const veth_recipe& r, const cidr& local, const cidr& peer, netlink& here, netlink& there,
                    int local_index, int peer_index, std::string& step, std::error_code& ec)
{
    if (!r.ipv6_addr_gen) {
        // Before the peer goes up: the carrier is still off, so no
        // link-local address has been generated on either end yet.
        step = "switch IPv6 address generation off on " + r.local_name;
        if (here.set_ipv6_addr_gen(local_index, false, ec); ec)
            return;
        step = "switch IPv6 address generation off on " + r.peer_name;
        if (there.set_ipv6_addr_gen(peer_index, false, ec); ec)
            return;
    }
    step = "set " + r.peer_name + " up";
    if (there.set_up(peer_index, ec); ec)
        return;
    address_options nodad;
    nodad.nodad = true; // IPv6: no 1-2 s wait for duplicate detection
    if (!local.address.empty()) {
        step = "add local address " + local.to_string();
        if (here.add_address(local_index, local, ec, nodad); ec)
            return;
    }
    if (!peer.address.empty()) {
        step = "add peer address " + peer.to_string();
        if (there.add_address(peer_index, peer, ec, nodad); ec)
            return;
    }
    if (!r.routes || local.address.empty() || peer.address.empty())
        return;
    if (!local.contains(peer.address)) {
        step = "add route to " + peer.address.to_string() + " via " + r.local_name;
        if (here.add_route(host_route(peer.address, local_index), ec); ec)
            return;
    }
    if (!peer.contains(local.address)) {
        step = "add route to " + local.address.to_string() + " via " + r.peer_name;
        there.add_route(host_route(local.address, peer_index), ec);
    }
}

// connect_veth's work; may throw only std::bad_alloc.  *made is the pair
// once it exists, so the caller can delete it.
void wire(const veth_recipe& r, netlink& here, veth_pair* made, std::error_code& ec)
{
    cidr local, peer;
    check_recipe(r, local, peer, ec);
    if (ec)
        return;
    here = r.local_netns_fd >= 0 ? netlink::open_in(r.local_netns_fd, ec) : netlink::open(ec);
    if (ec)
        return fail_at(r.local_netns_fd >= 0 ? "open netlink in the local netns" : "open netlink");
    // Back from the peer's netns: to ours, which `here` is in unless local_netns_fd moved it.
    auto there = r.local_netns_fd >= 0 ? netlink::open_in(r.peer_netns_fd, ec)
                                       : detail_access::open_in(here, r.peer_netns_fd, ec);
    if (ec)
        return fail_at("open netlink in the target netns");
    veth_options o;
    o.name = r.local_name;
    o.peer_name = r.peer_name;
    o.peer_netns = netns_target::from_fd(r.peer_netns_fd);
    o.up = true; // the local end, in the create request (no carrier until the peer is up)
    const auto pair = here.create_veth_pair(o, ec);
    if (ec)
        return fail_at("create veth " + r.local_name + " / " + r.peer_name); // the kernel left nothing
    *made = pair;
    std::string step;
    configure_pair(r, local, peer, here, there, pair.index, pair.peer_index, step, ec);
    if (ec)
        fail_at(step);
}

} // namespace

veth_pair connect_veth(const veth_recipe& r, std::error_code& ec) noexcept
{
    ec.clear();
    detail::set_error_detail({});
    netlink here;
    veth_pair made;
    try {
        wire(r, here, &made, ec);
    } catch (...) { // std::bad_alloc while building a request or a message
        ec = std::make_error_code(std::errc::not_enough_memory);
        detail::set_error_detail("connect_veth: out of memory");
    }
    if (!ec)
        return made;
    if (made.index > 0) {
        std::string saved = detail::take_error_detail();
        std::error_code undo;
        here.delete_link(made.index, undo); // removes the peer, addresses and routes with it
        if (undo) // said, not swallowed: the pair outlives the failure
            try {
                saved += "; the pair made (link " + std::to_string(made.index) + ") is left in place: " +
                         detail::take_error_detail() + ": " + undo.message();
            } catch (...) {
            }
        detail::set_error_detail(saved);
    }
    return {};
}

veth_pair connect_veth(const veth_recipe& r)
{
    std::error_code ec;
    auto made = connect_veth(r, ec);
    throw_if(ec, detail::last_error_kind(), last_error_detail());
    return made;
}

} // namespace nskit::net
