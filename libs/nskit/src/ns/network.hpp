// Private to the ns layer: network setup, kept in one place so the net layer
// is the only thing it depends on.
#pragma once

#include <nskit/ns/options.hpp>

#include <system_error>

namespace nskit::ns::detail {

// True when nskit was built with the net layer (always, once it is merged).
bool have_net_layer() noexcept;

// Loopback up in the caller's network namespace, through the net layer.
void configure_loopback(std::error_code& ec) noexcept;

// Loopback up with one ioctl (SIOCSIFFLAGS): async-signal-safe, for a child
// between clone and exec where netlink's allocations are not allowed.
// Returns 0 or an errno.
int loopback_up_async_signal_safe() noexcept;

// A veth pair between the namespace `outer_netns_fd` (-1: the caller's) and
// `inner_netns_fd`: v.name/v.address outside, v.peer/v.peer_address inside.
void connect_veth(const veth_options& v, int outer_netns_fd, int inner_netns_fd, std::error_code& ec) noexcept;

// Deletes the outer end (v.name) if it is still there: the kernel removes
// the pair when the inner namespace dies, but asynchronously.  No error:
// already gone is the expected case.
void remove_veth(const veth_options& v, int outer_netns_fd) noexcept;

} // namespace nskit::ns::detail
