#include <nskit/inspect/process.hpp>
#include <nskit/sys/error.hpp>
#include <nskit/sys/nsfs.hpp>

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
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        ec = detail::last_error();
        return out;
    }
    char buf[8192];
    ssize_t n = ::read(fd, buf, sizeof buf - 1);
    if (n < 0)
        ec = detail::last_error();
    ::close(fd);
    if (n <= 0)
        return out;
    buf[n] = '\0';
    const char* line = std::strstr(buf, "\nNSpid:");
    if (line == nullptr) { // kernels before 4.1: only one level is known
        out.push_back(pid);
        return out;
    }
    const char* p = line + 7;
    while (*p != '\n' && *p != '\0') {
        while (*p == ' ' || *p == '\t')
            ++p;
        if (*p < '0' || *p > '9')
            break;
        pid_t v = 0;
        while (*p >= '0' && *p <= '9')
            v = v * 10 + (*p++ - '0');
        out.push_back(v);
    }
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
