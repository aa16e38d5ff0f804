// nskit/ns/enter.hpp — join another process's namespaces, like nsenter(1).
#pragma once

#include <nskit/sys/clone_flags.hpp>
#include <nskit/sys/ns_type.hpp>

#include <sys/types.h>

#include <system_error>
#include <nskit/export.hpp>

NSKIT_API_BEGIN
namespace nskit::ns {

struct enter_options {
    // Which namespaces; empty: all the target has that differ from the caller's.
    sys::clone_flags types{};
    // With the mount namespace: chroot to the target's root and chdir to its cwd.
    bool follow_root_and_cwd = true;
};

// setns(pidfd, flags) in one atomic call where the kernel allows (5.8);
// otherwise (or when told: force_per_namespace) each namespace fd is opened
// first, then entered: the user namespace first for an unprivileged caller
// (to gain capabilities there), last for a privileged one (so its
// capabilities over the others are not lost), mount before pid-independent
// ones.  Needs a single-threaded caller for user and mount namespaces.
void enter(int pidfd, const enter_options& opts, std::error_code& ec) noexcept;
void enter(int pidfd, const enter_options& opts = {});
// A thread id that is not a process (thread-group leader): nskit::error::thread_id.
void enter_pid(pid_t pid, const enter_options& opts, std::error_code& ec) noexcept;
void enter_pid(pid_t pid, const enter_options& opts = {});
// The per-namespace path, always.
void enter_each(int pidfd, const enter_options& opts, std::error_code& ec) noexcept;

// The namespaces of the target that differ from the caller's.
sys::clone_flags differing_namespaces(int pidfd, std::error_code& ec) noexcept;

} // namespace nskit::ns
NSKIT_API_END
