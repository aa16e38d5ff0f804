#include <nskit/inspect/process.hpp>
#include <nskit/sys/error.hpp>
#include <nskit/inspect/detail/proc_text.hpp>
#include <nskit/sys/detail/syscall.hpp>
#include <nskit/sys/nsfs.hpp>
#include <nskit/sys/pidfd.hpp>

#include <poll.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace nskit::inspect {
namespace {

constexpr unsigned pidfd_thread = 0200; // PIDFD_THREAD (== O_EXCL), 6.9: a pidfd for a thread id
const std::error_code esrch = std::make_error_code(std::errc::no_such_process);

} // namespace

live_process live_process::open(pid_t pid, std::error_code& ec) noexcept
{
    live_process p;
    if (pid <= 0) {
        ec = make_error_code(error::bad_pid);
        return p;
    }
    p.pidfd_ = sys::pidfd_open(pid, ec);
    // A thread id that is not a thread group leader: ENOENT (6.9+) or EINVAL.
    if (ec == std::errc::no_such_file_or_directory || ec == std::errc::invalid_argument) {
        long fd = ::syscall(SYS_pidfd_open, pid, pidfd_thread);
        if (fd >= 0) {
            ec.clear();
            p.pidfd_.reset(static_cast<int>(fd));
        }
    }
    if (!ec)
        p.pid_ = pid;
    return p;
}

live_process live_process::open(pid_t pid)
{
    std::error_code ec;
    auto p = open(pid, ec);
    throw_if(ec, "pidfd_open(" + std::to_string(pid) + ")");
    return p;
}

live_process live_process::adopt(unique_fd pidfd, std::error_code& ec) noexcept
{
    live_process p;
    const pid_t pid = sys::pidfd_get_pid(pidfd.get(), ec);
    if (ec)
        return p;
    if (pid <= 0) { // reaped (-1) or in a PID namespace we cannot see (0)
        ec = esrch;
        return p;
    }
    p.pid_ = pid;
    p.pidfd_ = std::move(pidfd);
    return p;
}

live_process live_process::adopt(unique_fd pidfd)
{
    std::error_code ec;
    auto p = adopt(std::move(pidfd), ec);
    throw_if(ec, "pidfd_get_pid");
    return p;
}

bool live_process::holds_pid(std::error_code& ec) const noexcept
{
    ec.clear();
    if (alive())
        return true; // a process that has not exited keeps its pid
    if (!pidfd_) {
        ec = std::make_error_code(std::errc::bad_file_descriptor);
        return false;
    }
    // Exited: a zombie still holds the pid until it is reaped, when the
    // pidfd's fdinfo says Pid: -1.
    const pid_t now = sys::pidfd_get_pid(pidfd_.get(), ec);
    if (ec)
        return false;
    if (now != pid_) {
        ec = std::make_error_code(std::errc::no_such_process);
        return false;
    }
    return true;
}

bool live_process::alive() const noexcept
{
    if (!pidfd_)
        return false;
    pollfd p{pidfd_.get(), POLLIN, 0};
    int r;
    while ((r = ::poll(&p, 1, 0)) < 0 && errno == EINTR) {
    }
    return r == 0;
}


std::string_view to_string(process_state s) noexcept
{
    switch (s) {
    case process_state::running: return "running";
    case process_state::zombie: return "zombie";
    case process_state::kernel_thread: return "kernel_thread";
    }
    return "?";
}

std::string_view ns_entry_name(std::size_t entry) noexcept
{
    if (entry < sys::ns_type_count)
        return sys::ns_types()[entry].name;
    if (entry == process_info::pid_for_children_entry)
        return sys::info(sys::ns_type::pid).for_children_entry;
    if (entry == process_info::time_for_children_entry)
        return sys::info(sys::ns_type::time).for_children_entry;
    return "?";
}

pid_t parse_pid(std::string_view text, std::error_code& ec) noexcept
{
    ec.clear();
    constexpr long long pid_max_limit = 4194304; // PID_MAX_LIMIT on 64-bit: no pid can be larger
    long long v = 0;
    if (text.empty() || text.size() > 8) {
        ec = make_error_code(error::bad_pid);
        return 0;
    }
    for (char c : text) {
        if (c < '0' || c > '9') {
            ec = make_error_code(error::bad_pid);
            return 0;
        }
        v = v * 10 + (c - '0');
    }
    if (v < 1 || v > pid_max_limit) {
        ec = make_error_code(error::bad_pid);
        return 0;
    }
    return static_cast<pid_t>(v);
}

pid_t parse_pid(std::string_view text)
{
    std::error_code ec;
    pid_t p = parse_pid(text, ec);
    throw_if(ec, "parse_pid(\"" + std::string(text) + "\")");
    return p;
}

std::vector<pid_t> pid_levels(pid_t pid, std::error_code& ec)
{
    ec.clear();
    std::vector<pid_t> out;
    if (pid <= 0) {
        ec = make_error_code(error::bad_pid);
        return out;
    }
    char path[48];
    std::snprintf(path, sizeof path, "/proc/%d/status", pid);
    const std::string text = detail::read_text_at(AT_FDCWD, path, ec);
    if (!ec && !detail::parse_status_nspid(text, out))
        out = {pid}; // kernels before 4.1: only one level is known
    return out;
}

std::vector<pid_t> pid_levels(pid_t pid)
{
    std::error_code ec;
    auto v = pid_levels(pid, ec);
    throw_if(ec, "pid_levels(" + std::to_string(pid) + ")");
    return v;
}

pid_t pid_in_namespace(int pidns_fd, pid_t pid, std::error_code& ec) noexcept
{
    pid_t r = sys::ns_get_pid_in_pidns(pidns_fd, pid, ec);
    if (ec == std::errc::no_such_process) { // alive but not visible in that namespace
        ec.clear();
        return 0;
    }
    return ec ? 0 : r;
}

pid_t pid_in_namespace(int pidns_fd, pid_t pid)
{
    std::error_code ec;
    pid_t r = pid_in_namespace(pidns_fd, pid, ec);
    throw_if(ec, "NS_GET_PID_IN_PIDNS(" + std::to_string(pid) + ")");
    return r;
}

} // namespace nskit::inspect
