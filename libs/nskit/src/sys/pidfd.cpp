#include <nskit/sys/detail/syscall.hpp>
#include <nskit/sys/error.hpp>
#include <nskit/sys/pidfd.hpp>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <signal.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace nskit::sys {

using nskit::detail::last_error;

unique_fd pidfd_open(pid_t pid, std::error_code& ec, bool nonblocking) noexcept
{
    ec.clear();
    if (pid <= 0) { // pidfd_open(0) would be EINVAL; negative pids are never processes
        ec = std::make_error_code(std::errc::invalid_argument);
        return {};
    }
    long r = ::syscall(SYS_pidfd_open, pid, nonblocking ? PIDFD_NONBLOCK : 0);
    if (r < 0) {
        ec = last_error();
        return {};
    }
    return unique_fd(static_cast<int>(r));
}

unique_fd pidfd_open(pid_t pid, bool nonblocking)
{
    std::error_code ec;
    auto fd = pidfd_open(pid, ec, nonblocking);
    throw_if(ec, op_kind::pidfd, "pidfd_open(" + std::to_string(pid) + ")");
    return fd;
}

void pidfd_send_signal(int pidfd, int sig, std::error_code& ec) noexcept
{
    ec.clear();
    if (::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0) != 0)
        ec = last_error();
}

void pidfd_send_signal(int pidfd, int sig)
{
    std::error_code ec;
    pidfd_send_signal(pidfd, sig, ec);
    throw_if(ec, op_kind::pidfd, "pidfd_send_signal(signal " + std::to_string(sig) + ")");
}

unique_fd pidfd_getfd(int pidfd, int target_fd, std::error_code& ec) noexcept
{
    ec.clear();
    long r = ::syscall(SYS_pidfd_getfd, pidfd, target_fd, 0); // the new fd is always O_CLOEXEC
    if (r < 0) {
        ec = last_error();
        return {};
    }
    return unique_fd(static_cast<int>(r));
}

unique_fd pidfd_getfd(int pidfd, int target_fd)
{
    std::error_code ec;
    auto fd = pidfd_getfd(pidfd, target_fd, ec);
    throw_if(ec, op_kind::pidfd, "pidfd_getfd(fd " + std::to_string(target_fd) + ")");
    return fd;
}

namespace {
// <linux/pidfd.h> of 6.11; Debian 12's headers predate it.
constexpr unsigned long pidfs_ioctl(unsigned nr) noexcept { return _IO(0xFF, nr); }
unsigned long namespace_request(ns_type t, bool for_children) noexcept
{
    if (for_children)
        return t == ns_type::pid ? pidfs_ioctl(6) : t == ns_type::time ? pidfs_ioctl(8) : 0;
    switch (t) {
    case ns_type::cgroup: return pidfs_ioctl(1);  // PIDFD_GET_CGROUP_NAMESPACE
    case ns_type::ipc: return pidfs_ioctl(2);
    case ns_type::mnt: return pidfs_ioctl(3);
    case ns_type::net: return pidfs_ioctl(4);
    case ns_type::pid: return pidfs_ioctl(5);
    case ns_type::time: return pidfs_ioctl(7);
    case ns_type::user: return pidfs_ioctl(9);
    case ns_type::uts: return pidfs_ioctl(10);
    }
    return 0;
}
} // namespace

unique_fd pidfd_get_namespace(int pidfd, ns_type type, std::error_code& ec, bool for_children) noexcept
{
    ec.clear();
    const unsigned long req = namespace_request(type, for_children);
    if (req == 0) {
        ec = std::make_error_code(std::errc::invalid_argument);
        return {};
    }
    const int fd = ::ioctl(pidfd, req, 0); // the kernel opens it O_CLOEXEC
    if (fd < 0) {
        ec = last_error();
        return {};
    }
    return unique_fd(fd);
}

unique_fd pidfd_get_namespace(int pidfd, ns_type type, bool for_children)
{
    std::error_code ec;
    auto fd = pidfd_get_namespace(pidfd, type, ec, for_children);
    throw_if(ec, op_kind::namespace_open,
             "PIDFD_GET_" + std::string(to_string(type)) + (for_children ? "_FOR_CHILDREN" : "") + "_NAMESPACE(pidfd " +
                 std::to_string(pidfd) + ")");
    return fd;
}

exit_status decode_wait_status(int w) noexcept
{
    if (WIFEXITED(w))
        return {exit_status::kind::exited, WEXITSTATUS(w)};
    if (WIFSIGNALED(w))
        return {WCOREDUMP(w) ? exit_status::kind::dumped : exit_status::kind::killed, WTERMSIG(w)};
    return {exit_status::kind::running, 0};
}

namespace {
// "signal 15 (TERM)"; a number glibc has no name for (real-time signals) stays bare.
std::string signal_text(int sig)
{
    std::string out = "signal " + std::to_string(sig);
    if (const char* name = ::sigabbrev_np(sig))
        out.append(" (").append(name).append(")");
    return out;
}
} // namespace

std::string to_string(const exit_status& s)
{
    switch (s.how) {
    case exit_status::kind::exited: return "exited with code " + std::to_string(s.code);
    case exit_status::kind::killed: return "killed by " + signal_text(s.code);
    case exit_status::kind::dumped: return "killed by " + signal_text(s.code) + ", core dumped";
    case exit_status::kind::running: return "running";
    }
    return "unknown";
}

exit_status pidfd_wait(int pidfd, std::error_code& ec, wait_options o) noexcept
{
    ec.clear();
    const int flags = WEXITED | (o.nohang ? WNOHANG : 0) | (o.all_children ? __WALL : 0) | (o.leave_waitable ? WNOWAIT : 0);
    siginfo_t si{};
    int r;
    do
        r = ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), &si, flags);
    while (r != 0 && errno == EINTR);
    if (r != 0) {
        ec = last_error();
        return {};
    }
    if (si.si_pid == 0)
        return {exit_status::kind::running, 0};
    switch (si.si_code) {
    case CLD_EXITED: return {exit_status::kind::exited, si.si_status};
    case CLD_KILLED: return {exit_status::kind::killed, si.si_status};
    case CLD_DUMPED: return {exit_status::kind::dumped, si.si_status};
    default: return {exit_status::kind::running, 0};
    }
}

exit_status pidfd_wait(int pidfd, wait_options o)
{
    std::error_code ec;
    auto s = pidfd_wait(pidfd, ec, o);
    throw_if(ec, op_kind::pidfd, "pidfd_wait");
    return s;
}

pid_t pidfd_get_pid(int pidfd, std::error_code& ec) noexcept
{
    ec.clear();
    char path[64];
    std::snprintf(path, sizeof path, "/proc/self/fdinfo/%d", pidfd);
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        ec = last_error();
        return -1;
    }
    unique_fd guard(fd);
    char buf[1024];
    ssize_t n = ::read(fd, buf, sizeof buf - 1);
    if (n <= 0) {
        ec = n < 0 ? last_error() : std::make_error_code(std::errc::bad_message);
        return -1;
    }
    buf[n] = '\0';
    const char* p = std::strstr(buf, "\nPid:");
    if (p == nullptr) {
        ec = std::make_error_code(std::errc::bad_file_descriptor); // not a pidfd
        return -1;
    }
    return static_cast<pid_t>(std::strtol(p + 5, nullptr, 10));
}

pid_t pidfd_get_pid(int pidfd)
{
    std::error_code ec;
    auto p = pidfd_get_pid(pidfd, ec);
    throw_if(ec, op_kind::pidfd, "pidfd_get_pid");
    return p;
}

} // namespace nskit::sys
