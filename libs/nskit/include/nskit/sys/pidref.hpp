// nskit/sys/pidref.hpp — the one way nskit holds a process: its pid and a
// pidfd to it (pidfd_open 5.3; thread pidfds PIDFD_THREAD 6.9).
//
// A pid alone can be reused the moment the process is reaped; the pidfd
// cannot.  Whatever is read by pid (/proc/PID/...) is trusted only after
// verify() confirms that the pidfd still names a live process: then the pid
// was not reused in between.
#pragma once

#include <nskit/sys/ns_type.hpp>
#include <nskit/sys/unique_fd.hpp>

#include <sys/types.h>

#include <system_error>
#include <nskit/export.hpp>

NSKIT_API_BEGIN
namespace nskit::sys {

struct pidref_options {
    // A thread id (not a thread-group leader) opens that thread
    // (PIDFD_THREAD, 6.9) instead of being refused with error::thread_id.
    bool allow_thread = false;
    // PIDFD_NONBLOCK (5.10): waiting on the pidfd never blocks.
    bool nonblocking = false;
};

class pidref {
public:
    pidref() noexcept = default;
    // Takes a pid and its pidfd as they come from clone(CLONE_PIDFD).
    pidref(pid_t pid, unique_fd pidfd) noexcept : pid_(pid), pidfd_(std::move(pidfd)) {}
    pidref(pidref&& o) noexcept : pid_(std::exchange(o.pid_, 0)), pidfd_(std::move(o.pidfd_)) {}
    pidref& operator=(pidref&& o) noexcept
    {
        pid_ = std::exchange(o.pid_, 0);
        pidfd_ = std::move(o.pidfd_);
        return *this;
    }

    // pidfd_open(pid).  ESRCH: no such process; a zombie opens, but is not
    // alive().  A thread id is nskit::error::thread_id unless allowed.
    static pidref open(pid_t pid, std::error_code& ec, pidref_options options = {}) noexcept;
    static pidref open(pid_t pid, pidref_options options = {});
    // Takes an existing pidfd; the pid comes from its fdinfo.  ESRCH when
    // the process is reaped or its pid is not visible in our PID namespace;
    // EBADF when the fd is not a pidfd.
    static pidref adopt(unique_fd pidfd, std::error_code& ec) noexcept;
    static pidref adopt(unique_fd pidfd);

    pid_t pid() const noexcept { return pid_; }
    int pidfd() const noexcept { return pidfd_.get(); }
    bool valid() const noexcept { return pidfd_.valid(); }

    // Not exited: a zombie has exited.  An empty pidref is never alive.
    bool alive() const noexcept;
    // After reading /proc/PID: ESRCH when the process has exited (the pid
    // may name another process by now), EBADF for an empty pidref.
    void verify(std::error_code& ec) const noexcept;
    void verify() const;

    // An fd of the process's namespace of that type: from the pidfd
    // (PIDFD_GET_<TYPE>_NAMESPACE, 6.11), so it is this process's by
    // construction and needs no /proc.  Where the kernel lacks the ioctl
    // (ENOTTY/EINVAL): /proc/PID/ns/<type>, confirmed against the pidfd
    // afterwards (ESRCH when the process exited meanwhile).
    // for_children: pid_for_children / time_for_children.
    unique_fd open_namespace(ns_type type, std::error_code& ec, bool for_children = false) const noexcept;
    unique_fd open_namespace(ns_type type, bool for_children = false) const;

    // pidfd_send_signal (5.1); signal 0 checks only that it can be signalled.
    void send_signal(int sig, std::error_code& ec) const noexcept;
    void send_signal(int sig) const;

    // Give up the pidfd without closing it; pid() stays for messages, but
    // the pidref is no longer valid() or alive().
    [[nodiscard]] unique_fd release() noexcept { return std::move(pidfd_); }

private:
    pid_t pid_ = 0;
    unique_fd pidfd_;
};

} // namespace nskit::sys
NSKIT_API_END
