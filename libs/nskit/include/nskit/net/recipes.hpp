// nskit/net/recipes.hpp — one call for the common wiring jobs, with rollback.
#pragma once

#include <nskit/net/netlink.hpp>

#include <string>
#include <system_error>
#include <nskit/export.hpp>

NSKIT_API_BEGIN
namespace nskit::net {

// A veth pair between two network namespaces, each given by an fd (of
// /proc/PID/ns/net or a bind mount).  The one veth description: ns's
// options::veth is one too (the peer in the new namespace).
struct veth_recipe {
    std::string local_name{};               // end in local_netns_fd's netns
    std::string peer_name{};                // end created directly in peer_netns_fd's netns
    int peer_netns_fd = -1;                 // the peer's netns
    std::string local_address{};            // CIDR, e.g. "10.200.0.1/24"; empty = none
    std::string peer_address{};             // CIDR; empty = none
    bool routes = true;                     // host routes to each other's address when prefixes don't already cover it
    bool ipv6_addr_gen = true;              // false: IN6_ADDR_GEN_MODE_NONE on both ends
    int local_netns_fd = -1;                // the local end's netns; -1: the caller's current one
};

// Create the pair (peer placed in the target netns by the create request
// itself), switch IPv6 address generation off if asked, bring both ends up,
// add the addresses (IPv6 ones with IFA_F_NODAD, usable at once) and the
// host routes.  Everything is checked before the first request.  When a
// step fails, the pair is deleted (which removes both ends and their
// addresses and routes) and last_error_detail() / the exception text names
// the step, e.g. "connect_veth: add peer address 10.0.0.1/24: ...".
// Each netns other than the caller's is reached through a netlink socket
// opened there (netlink::open_in: this thread setns()es in and straight back).
// Returns the two ends' indexes (local one in the caller's netns, the peer
// in the target's; {0, 0} on failure): what netlink::delete_veth needs to
// delete this pair and no other link that takes its name later.
veth_pair connect_veth(const veth_recipe& r, std::error_code& ec) noexcept;
veth_pair connect_veth(const veth_recipe& r);

} // namespace nskit::net
NSKIT_API_END
