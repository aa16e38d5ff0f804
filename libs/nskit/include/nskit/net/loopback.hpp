// nskit/net/loopback.hpp — bring up `lo` (Linux::Clone's configure_loopback).
#pragma once

#include <system_error>

namespace nskit::net {

// Set `lo` up in the calling thread's current network namespace; the kernel
// then adds 127.0.0.1/8 and ::1 itself.  Idempotent: already up is success.
// One netlink request on a socket opened for the call.
void configure_loopback(std::error_code& ec) noexcept;
void configure_loopback();

// The same, in the network namespace `ns_fd` refers to (netlink::open_in).
void configure_loopback_in(int ns_fd, std::error_code& ec) noexcept;
void configure_loopback_in(int ns_fd);

} // namespace nskit::net
