// nskit/sys/pidfd.hpp — pidfd_open (5.3), pidfd_send_signal (5.1),
// pidfd_getfd (5.6), waitid(P_PIDFD) (5.4), with decoded exit status.
#pragma once

#include <nskit/sys/ns_type.hpp>
#include <nskit/sys/unique_fd.hpp>

#include <sys/types.h>

#include <string>
#include <system_error>
#include <nskit/export.hpp>

NSKIT_API_BEGIN
namespace nskit::sys {

// O_CLOEXEC is implied by the kernel for pidfds.  nonblocking: PIDFD_NONBLOCK (5.10).
unique_fd pidfd_open(pid_t pid, std::error_code& ec, bool nonblocking = false) noexcept;
unique_fd pidfd_open(pid_t pid, bool nonblocking = false);

// glibc 2.36's <sys/pidfd.h> declares pidfd_open(pid_t, unsigned) and
// pidfd_getfd(int, int, unsigned): with `using namespace nskit::sys;` a call
// with those arguments is ambiguous (a compile error), never a silent raw fd.
unique_fd pidfd_open(pid_t, unsigned) = delete;
unique_fd pidfd_getfd(int, int, unsigned) = delete;

void pidfd_send_signal(int pidfd, int sig, std::error_code& ec) noexcept;
void pidfd_send_signal(int pidfd, int sig);

// Duplicate fd `target_fd` of the process into the caller, O_CLOEXEC.
// Needs ptrace-attach rights over it.
unique_fd pidfd_getfd(int pidfd, int target_fd, std::error_code& ec) noexcept;
unique_fd pidfd_getfd(int pidfd, int target_fd);

// How a child ended.
struct exit_status {
    enum class kind { exited, killed, dumped, running };
    kind how = kind::running;
    int code = 0;     // exit code, or signal number
    bool exited() const noexcept { return how == kind::exited; }
    bool signaled() const noexcept { return how == kind::killed || how == kind::dumped; }
    // Shell convention: exit code, or 128 + signal.
    int shell_status() const noexcept { return exited() ? code : 128 + code; }
    friend bool operator==(const exit_status&, const exit_status&) = default;
};
std::string to_string(const exit_status& s);
exit_status decode_wait_status(int wstatus) noexcept;

struct wait_options {
    bool nohang = false;       // WNOHANG: a child still running gives exit_status{running}
    bool all_children = false; // __WALL: also children started with no exit signal ("clone children")
    bool leave_waitable = false; // WNOWAIT: report, but do not reap
};
// waitid(P_PIDFD, WEXITED), restarting on EINTR.
exit_status pidfd_wait(int pidfd, std::error_code& ec, wait_options options = {}) noexcept;
exit_status pidfd_wait(int pidfd, wait_options options = {});

// PIDFD_GET_<TYPE>_NAMESPACE (6.11): an O_CLOEXEC fd of the namespace the
// process holds, taken from the process itself (no /proc, no pid reuse).
// for_children: PIDFD_GET_{PID,TIME}_FOR_CHILDREN_NAMESPACE (other types: EINVAL).
// ENOTTY/EINVAL: the kernel lacks the ioctl (pidfds before pidfs, 6.9) or it
// is filtered; ESRCH: the process has exited (a zombie has no namespaces).
unique_fd pidfd_get_namespace(int pidfd, ns_type type, std::error_code& ec, bool for_children = false) noexcept;
unique_fd pidfd_get_namespace(int pidfd, ns_type type, bool for_children = false);

// The pid a pidfd refers to, from /proc/self/fdinfo ("Pid:"); -1 when the
// process has been reaped, 0 when it is in another PID namespace.
pid_t pidfd_get_pid(int pidfd, std::error_code& ec) noexcept;
pid_t pidfd_get_pid(int pidfd);

} // namespace nskit::sys
NSKIT_API_END
