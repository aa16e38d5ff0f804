#include <nskit/inspect/process.hpp>
#include <nskit/sys/error.hpp>
#include <nskit/inspect/detail/proc_text.hpp>
#include <nskit/sys/detail/syscall.hpp>
#include <nskit/sys/nsfs.hpp>
#include <nskit/sys/pidfd.hpp>
#include <nskit/sys/unique_fd.hpp>

#include "dir_numbers.hpp"

#include <poll.h>

#include <algorithm>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace nskit::inspect {
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
    throw_if(ec, op_kind::input, "parse_pid(\"" + std::string(text) + "\")");
    return p;
}

bool is_kernel_thread(pid_t pid, std::error_code& ec) noexcept
{
    char path[48];
    std::snprintf(path, sizeof path, "/proc/%d/stat", pid);
    try {
        const std::string text = detail::read_text_at(AT_FDCWD, path, ec);
        detail::stat_fields f;
        if (!ec && !detail::parse_stat(text, f))
            ec = make_error_code(error::malformed_reply);
        return !ec && (f.flags & detail::pf_kthread) != 0;
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return false;
    }
}

std::vector<pid_t> list_pids(bool skip_kernel_threads, std::error_code& ec)
{
    ec.clear();
    std::vector<pid_t> out;
    const unique_fd proc(::open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!proc) {
        ec = nskit::detail::last_error();
        return out;
    }
    ec = detail::for_each_number(proc.get(), [&](int pid, const char*) {
        if (pid == 0)
            return;
        std::error_code kec;
        if (!skip_kernel_threads || !is_kernel_thread(pid, kec))
            if (!kec || !(kec == std::errc::no_such_file_or_directory || kec == std::errc::no_such_process))
                out.push_back(pid);
    });
    if (ec) // a shorter list would read as fewer processes
        out.clear();
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<pid_t> list_pids(bool skip_kernel_threads)
{
    std::error_code ec;
    auto v = list_pids(skip_kernel_threads, ec);
    throw_if(ec, op_kind::proc_read, "list_pids(/proc)");
    return v;
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
    throw_if(ec, op_kind::proc_read, "pid_levels(" + std::to_string(pid) + ")");
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
    throw_if(ec, op_kind::nsfs_ioctl, "NS_GET_PID_IN_PIDNS(" + std::to_string(pid) + ")");
    return r;
}

} // namespace nskit::inspect
