// The network namespace: loopback up, the veth pair (through the net layer,
// the only thing ns depends on for it), and the feature's sides (features.hpp).
#include "../net/loopback_up.hpp"
#include "features.hpp"
#include "net.hpp"

#include <nskit/sys/clone.hpp>
#include <nskit/sys/error.hpp>
#include <nskit/sys/nsfs.hpp>

#include <nskit/net/loopback.hpp>
#include <nskit/net/netlink.hpp>
#include <nskit/net/recipes.hpp>

#include <cerrno>

namespace nskit::ns::detail {

std::string last_net_detail()
{
    return nskit::net::last_error_detail();
}

} // namespace nskit::ns::detail

namespace nskit::ns {

std::error_code detail::veth_problem(const net::veth_recipe& v, std::string* why)
{
    const auto say = [&](std::string text) { *why = std::move(text); }; // only when why is given
    std::error_code ec;
    using nskit::net::check_interface_name;
    using nskit::net::interface_address_problem;
    using nskit::net::parse_interface_address;
    for (const auto* name : {&v.local_name, &v.peer_name}) {
        if (name == &v.peer_name && v.peer_name.empty())
            continue; // "eth0"
        if (check_interface_name(*name, ec); ec) {
            if (why)
                say(std::string(name == &v.local_name ? "veth name '" : "veth peer name '") + *name +
                    "': " + nskit::net::interface_name_problem(*name));
            return ec;
        }
    }
    if (v.peer_netns_fd != -1) {
        if (why)
            say("veth peer_netns_fd " + std::to_string(v.peer_netns_fd) +
                ": the peer end is in the new network namespace, which nskit fills in; leave it -1");
        return std::make_error_code(std::errc::invalid_argument);
    }
    nskit::net::cidr local, peer;
    if (!v.local_address.empty() && (local = parse_interface_address(v.local_address, ec), ec)) {
        if (why)
            say("veth address '" + v.local_address + "': " + interface_address_problem(v.local_address));
        return ec;
    }
    if (!v.peer_address.empty() && (peer = parse_interface_address(v.peer_address, ec), ec)) {
        if (why)
            say("veth peer address '" + v.peer_address + "': " + interface_address_problem(v.peer_address));
        return ec;
    }
    if (local.address.empty() || peer.address.empty())
        return {};
    const auto both = [&] { return "veth addresses '" + v.local_address + "' and '" + v.peer_address + "': "; };
    if (local.address.family != peer.address.family) {
        if (why)
            say(both() + "one is IPv4, the other IPv6");
        return make_error_code(error::bad_address);
    }
    if (local.address == peer.address) {
        if (why)
            say(both() + "both ends would have " + local.address.to_string());
        return make_error_code(error::bad_address);
    }
    return ec;
}

void check_veth(const net::veth_recipe& v, std::error_code& ec) noexcept
{
    try {
        ec = detail::veth_problem(v, nullptr);
    } catch (...) { // the names' and addresses' checks allocate nothing; to_string may
        ec = std::make_error_code(std::errc::not_enough_memory);
    }
}

void check_veth(const net::veth_recipe& v)
{
    std::string why;
    const auto ec = detail::veth_problem(v, &why);
    throw_if(ec, op_kind::input, why);
}

} // namespace nskit::ns

namespace nskit::ns::detail {

struct outer_veth {
    nskit::net::netlink nl;
    std::string name;
    nskit::net::veth_pair pair;
};

std::shared_ptr<outer_veth> prepare_outer_veth(const net::veth_recipe& v, std::error_code& ec) noexcept
{
    ec.clear();
    try {
        auto made = std::make_shared<outer_veth>();
        made->name = v.local_name;
        made->nl = v.local_netns_fd >= 0 ? nskit::net::netlink::open_in(v.local_netns_fd, ec)
                                         : nskit::net::netlink::open(ec);
        if (ec)
            return {};
        return made;
    } catch (...) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return {};
    }
}

void make_veth(net::veth_recipe r, std::error_code& ec, outer_veth* made) noexcept
{
    ec.clear();
    try {
        if (r.peer_name.empty())
            r.peer_name = "eth0";
        const auto pair = nskit::net::connect_veth(r, ec);
        if (!ec && made)
            made->pair = pair;
    } catch (...) {
        ec = std::make_error_code(std::errc::not_enough_memory);
    }
}

std::string remove_veth(outer_veth& made) noexcept
{
    if (made.pair.index <= 0)
        return {}; // never made
    std::error_code ec;
    made.nl.delete_veth(made.pair, made.name, ec);
    if (!ec || ec == std::errc::no_such_device)
        return {};
    try {
        return nskit::net::last_error_detail() + ": " + ec.message();
    } catch (...) {
        return "veth left in place (out of memory for the reason)";
    }
}

} // namespace nskit::ns::detail

namespace nskit::ns::detail::run_impl::net_ns {

int child(const plan& p, setup_step& step) noexcept
{
    if (!p.ns.contains(sys::clone_flag::newnet))
        return 0;
    step = setup_step::loopback;
    const int e = nskit::net::detail::loopback_up(); // the same as configure_loopback, raw
    return e == nskit::net::detail::malformed_ack ? EPROTO : e;
}

// The outer veth end would outlive the child until the kernel's
// asynchronous namespace cleanup: the process deletes it when it reaps
// the child, so the same name can be used again at once, by the index
// connect_veth records in `made` (a name may be someone else's by then).
// The socket it deletes with is opened now, in the outer namespace.
std::function<std::string()> before_clone(const options& o, outer_veth*& made, std::error_code& ec) noexcept
{
    std::function<std::string()> delete_veth;
    made = nullptr;
    if (!o.veth)
        return delete_veth;
    auto outer = prepare_outer_veth(*o.veth, ec);
    if (ec) {
        ec = as_setup_error(setup_step::veth, ec);
        return delete_veth;
    }
    try {
        delete_veth = [outer] { return remove_veth(*outer); };
        made = outer.get();
    } catch (...) {
        ec = std::make_error_code(std::errc::not_enough_memory);
    }
    return delete_veth;
}

std::error_code parent(pid_t child, const plan& p, outer_veth* made) noexcept
{
    const auto& o = *p.o;
    if (!o.veth)
        return {};
    std::error_code ec;
    auto inner = sys::open_ns(child, sys::ns_type::net, ec);
    if (ec == std::errc::no_such_file_or_directory && !proc_missing())
        ec = std::make_error_code(std::errc::no_such_process); // the child is gone
    if (!ec) {
        try {
            auto r = *o.veth;
            r.peer_netns_fd = inner.get();
            make_veth(std::move(r), ec, made);
        } catch (...) {
            ec = std::make_error_code(std::errc::not_enough_memory);
        }
    }
    return ec ? as_setup_error(setup_step::veth, ec) : ec;
}

std::error_code here_before_unshare(const plan& p, unique_fd& outer) noexcept
{
    if (!p.o->veth)
        return {};
    std::error_code ec;
    outer = sys::open_ns(0, sys::ns_type::net, ec);
    return ec ? as_setup_error(setup_step::veth, ec) : ec;
}

std::error_code here(const plan& p, int outer) noexcept
{
    std::error_code ec;
    if (p.ns.contains(sys::clone_flag::newnet)) {
        nskit::net::configure_loopback(ec);
        if (ec)
            return as_setup_error(setup_step::loopback, ec);
    }
    if (!p.o->veth)
        return {};
    // We moved in: our end is the inner one, the peer goes back out.
    try {
        const net::veth_recipe& v = *p.o->veth;
        net::veth_recipe swapped = v;
        swapped.local_name = v.peer_name.empty() ? "eth0" : v.peer_name;
        swapped.peer_name = v.local_name;
        swapped.local_address = v.peer_address;
        swapped.peer_address = v.local_address;
        swapped.local_netns_fd = -1;
        swapped.peer_netns_fd = v.local_netns_fd >= 0 ? v.local_netns_fd : outer;
        make_veth(std::move(swapped), ec);
    } catch (...) {
        ec = std::make_error_code(std::errc::not_enough_memory);
    }
    return ec ? as_setup_error(setup_step::veth, ec) : ec;
}

} // namespace nskit::ns::detail::run_impl::net_ns
