// Private to libnskit: lo up with raw system calls, for net's
// configure_loopback and for ns's child between clone and exec.
#pragma once

namespace nskit::net::detail {

// Sets lo (ifindex 1) up in the calling thread's network namespace: one
// RTM_NEWLINK, acked.  Raw system calls only (nskit/sys/detail/raw.hpp):
// no errno, no allocation, no libc lock, so a child sharing the caller's
// memory (CLONE_VM) may call it.  Returns 0, an errno, or malformed_ack.
constexpr int malformed_ack = -1; // the kernel's answer was no ack we can read
int loopback_up() noexcept;

} // namespace nskit::net::detail
