// nskit/net/loopback.hpp — bring up `lo` (Linux::Clone's configure_loopback).
#pragma once

#include <system_error>
#include <nskit/export.hpp>

NSKIT_API_BEGIN
namespace nskit::net {

// Set `lo` (always ifindex 1) up in the calling thread's current network
// namespace; the kernel then adds 127.0.0.1/8 and ::1 itself.  Idempotent:
// already up is success.  One RTM_NEWLINK request, acked, on a netlink
// socket opened for the call.
// The error_code form is async-signal-safe: raw system calls (no errno, no
// lazy binding, no libc lock), stack buffers, no allocation, so a child may
// call it between fork() or clone() and exec(), also one sharing the
// caller's memory (CLONE_VM); ns's children bring lo up with the same code.
// It does not set last_error_detail().
void configure_loopback(std::error_code& ec) noexcept;
void configure_loopback();

// The same in the network namespace `ns_fd` refers to: this thread setns()es
// there and straight back (async-signal-safe as well).
void configure_loopback_in(int ns_fd, std::error_code& ec) noexcept;
void configure_loopback_in(int ns_fd);

} // namespace nskit::net
NSKIT_API_END
