// nskit/sys/detail/clone_args.hpp — clone3_args as the kernel's struct
// clone_args, for callers that start a child with clone3_run/clone3_start.
#pragma once

#include <nskit/sys/clone.hpp>
#include <nskit/sys/detail/syscall.hpp>

namespace nskit::sys::detail {

// Every field of `a`; the child's pidfd (with clone_flag::pidfd) goes to *pidfd_out.
kernel_clone_args to_kernel(const clone3_args& a, int* pidfd_out) noexcept;

} // namespace nskit::sys::detail
