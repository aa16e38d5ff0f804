// Private to the ns layer: one namespace feature per file, each with the
// same sides (nsjail's containProc shape):
//   prepare  fills the plan from the options (already validated); no side effect
//   child    in the cloned child: raw system calls only (async-signal-safe);
//            returns 0 or an errno and names the step in `step`
//   parent   in the caller while the child waits on the handshake
//   here     setup(): the feature applied to the calling process
// A feature has only the sides it needs.  The order the sides run in is in
// plan.cpp (prepare), child.cpp (child), launch.cpp (parent), setup.cpp (here).
#pragma once

#include "run_internal.hpp"

#include <functional>
#include <memory>
#include <string>

namespace nskit::ns::detail {
struct outer_veth;
}

namespace nskit::ns::detail::run_impl {

// user.cpp: the user namespace, its id maps, becoming uid/gid 0 inside.
namespace user_ns {
void prepare(const options& o, plan& p);
int child(const plan& p, setup_step& step) noexcept;
std::error_code parent(pid_t child, const plan& p); // the maps, while the child waits
std::error_code here(const plan& p);               // unshare, maps by a helper, become 0
} // namespace user_ns

// mount.cpp: mounts made private, /tmp, /proc, the working directory
// looked up again in the new view.
namespace mount_ns {
std::error_code prepare(const options& o, plan& p);   // getcwd(): step chdir on failure
int child(const plan& p, setup_step& step) noexcept; // also setup()'s: no allocation
std::error_code here(const plan& p) noexcept;
std::string tmp_data(const tmp_options& t); // the tmpfs mount data: "mode=1777,size=64m,..."
} // namespace mount_ns

// view_steps.cpp: options::view, from mount_ns::child after /tmp and
// /proc and before the working directory; options::rlimits, right before
// the payload (an init is not bound by them).  Both name what failed in
// p.detail (the view's step and phase; the limit).
namespace view {
std::error_code prepare(const options& o, plan& p);
int child(const plan& p, setup_step& step) noexcept;
} // namespace view
namespace limits {
int child(const plan& p, setup_step& step) noexcept;
std::error_code here(const plan& p) noexcept;
} // namespace limits

// uts.cpp: host and domain name.
namespace uts_ns {
int child(const plan& p, setup_step& step) noexcept;
std::error_code here(const plan& p) noexcept;
} // namespace uts_ns

// ipc.cpp: a fresh System V semaphore undo list (a cloned child has one
// already: CLONE_SYSVSEM is never passed).
namespace ipc_ns {
std::error_code here(const plan& p) noexcept;
} // namespace ipc_ns

// net.cpp: loopback up, the veth pair.
namespace net_ns {
int child(const plan& p, setup_step& step) noexcept;
// Before the clone, in the outer namespace: the socket the outer end is
// deleted with when the child is reaped (empty without a veth).
std::function<std::string()> before_clone(const options& o, outer_veth*& made, std::error_code& ec) noexcept;
std::error_code parent(pid_t child, const plan& p, outer_veth* made) noexcept;
// setup(): the caller's network namespace, opened before it leaves it.
std::error_code here_before_unshare(const plan& p, unique_fd& outer) noexcept;
std::error_code here(const plan& p, int outer) noexcept;
} // namespace net_ns

// time.cpp: CLOCK_MONOTONIC / CLOCK_BOOTTIME offsets.
namespace time_ns {
void prepare(const options& o, plan& p);
int child(const plan& p, setup_step& step) noexcept; // unshare, then the offsets
std::error_code here(const plan& p) noexcept;        // the offsets (unshared with the rest)
} // namespace time_ns

// cgroup.cpp: CLONE_INTO_CGROUP.
namespace cgroup_ns {
void clone_args(const plan& p, sys::clone3_args& a) noexcept;
} // namespace cgroup_ns

} // namespace nskit::ns::detail::run_impl
