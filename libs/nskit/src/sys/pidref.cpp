#include <nskit/sys/detail/syscall.hpp>
#include <nskit/sys/error.hpp>
#include <nskit/sys/nsfs.hpp>
#include <nskit/sys/pidfd.hpp>
#include <nskit/sys/pidref.hpp>

#include <poll.h>

#include <cerrno>
#include <string>

namespace nskit::sys {
namespace {

long open_raw(pid_t pid, unsigned flags) noexcept { return ::syscall(SYS_pidfd_open, pid, flags); }

} // namespace

pidref pidref::open(pid_t pid, std::error_code& ec, pidref_options o) noexcept
{
    ec.clear();
    if (pid <= 0) {
        ec = make_error_code(error::bad_pid);
        return {};
    }
    const unsigned flags = o.nonblocking ? PIDFD_NONBLOCK : 0;
    long fd = open_raw(pid, flags);
    if (fd < 0) {
        ec = nskit::detail::last_error();
        // A thread id that is not a thread-group leader: ENOENT (6.9+) or
        // EINVAL.  Only a thread pidfd tells it apart from other refusals.
        if (ec != std::errc::no_such_file_or_directory && ec != std::errc::invalid_argument)
            return {};
        fd = open_raw(pid, flags | PIDFD_THREAD);
        if (fd < 0)
            return {}; // keep the first answer
        if (!o.allow_thread) {
            ::close(static_cast<int>(fd));
            ec = make_error_code(error::thread_id);
            return {};
        }
        ec.clear();
    }
    return pidref(pid, unique_fd(static_cast<int>(fd)));
}

pidref pidref::open(pid_t pid, pidref_options o)
{
    std::error_code ec;
    auto p = open(pid, ec, o);
    throw_if(ec, op_kind::pidfd, "pidfd_open(" + std::to_string(pid) + ")");
    return p;
}

pidref pidref::adopt(unique_fd pidfd, std::error_code& ec) noexcept
{
    const pid_t pid = pidfd_get_pid(pidfd.get(), ec);
    if (ec)
        return {};
    if (pid <= 0) { // reaped (-1) or in a PID namespace we cannot see (0)
        ec = std::make_error_code(std::errc::no_such_process);
        return {};
    }
    return pidref(pid, std::move(pidfd));
}

pidref pidref::adopt(unique_fd pidfd)
{
    std::error_code ec;
    const int raw = pidfd.get();
    auto p = adopt(std::move(pidfd), ec);
    throw_if(ec, op_kind::pidfd, "pidfd_get_pid(fd " + std::to_string(raw) + ")");
    return p;
}

bool pidref::alive() const noexcept
{
    if (!pidfd_)
        return false;
    // A pidfd polls readable once the process (thread, for a thread pidfd) has exited.
    pollfd p{pidfd_.get(), POLLIN, 0};
    int r;
    while ((r = ::poll(&p, 1, 0)) < 0 && errno == EINTR) {
    }
    return r == 0;
}

void pidref::verify(std::error_code& ec) const noexcept
{
    ec.clear();
    if (!pidfd_)
        ec = std::make_error_code(std::errc::bad_file_descriptor);
    else if (!alive())
        ec = std::make_error_code(std::errc::no_such_process);
}

void pidref::verify() const
{
    std::error_code ec;
    verify(ec);
    throw_if(ec, op_kind::pidfd, "pidref verify(" + std::to_string(pid_) + ")");
}

unique_fd pidref::open_namespace(ns_type type, std::error_code& ec, bool for_children) const noexcept
{
    if (!pidfd_) {
        ec = std::make_error_code(std::errc::bad_file_descriptor);
        return {};
    }
    auto fd = pidfd_get_namespace(pidfd_.get(), type, ec, for_children);
    if (ec != std::errc::inappropriate_io_control_operation && ec != std::errc::invalid_argument)
        return fd; // the namespace, or the kernel's refusal (ESRCH, EACCES ...)
    fd = for_children ? open_ns_for_children(pid_, type, ec) : open_ns(pid_, type, ec);
    if (ec) {
        std::error_code now;
        verify(now); // a pid that names no process now: say it exited
        if (now)
            ec = now;
        return {};
    }
    verify(ec); // the file was this process's only if it is still alive now
    if (ec)
        return {};
    return fd;
}

unique_fd pidref::open_namespace(ns_type type, bool for_children) const
{
    std::error_code ec;
    auto fd = open_namespace(type, ec, for_children);
    throw_if(ec, op_kind::namespace_open,
             "open namespace " + std::string(to_string(type)) + (for_children ? "_for_children" : "") + " of pid " +
                 std::to_string(pid_));
    return fd;
}

void pidref::send_signal(int sig, std::error_code& ec) const noexcept
{
    if (!pidfd_) {
        ec = std::make_error_code(std::errc::bad_file_descriptor);
        return;
    }
    pidfd_send_signal(pidfd_.get(), sig, ec);
}

void pidref::send_signal(int sig) const
{
    std::error_code ec;
    send_signal(sig, ec);
    throw_if(ec, op_kind::pidfd, "pidfd_send_signal(" + std::to_string(pid_) + ", signal " + std::to_string(sig) + ")");
}

} // namespace nskit::sys
