#include <nskit/sys/error.hpp>
#include <nskit/sys/unique_fd.hpp>

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace nskit {
namespace {

class category final : public std::error_category {
public:
    const char* name() const noexcept override { return "nskit"; }
    std::string message(int value) const override
    {
        switch (static_cast<error>(value)) {
        case error::ok: return "success";
        case error::bad_flag_name: return "unknown clone flag or namespace type name";
        case error::flag_not_for_unshare: return "flag not accepted by unshare(2)";
        case error::flag_conflict: return "flag combination refused by the kernel";
        case error::needs_clone3: return "request needs clone3 (set_tid, cgroup, clear_sighand or newtime)";
        case error::wrong_namespace_type: return "namespace is of another type";
        case error::not_a_namespace: return "not a namespace file";
        case error::bad_interface_name:
            return "bad interface name (1-15 bytes, no '/', ':' or whitespace, not '.' or '..')";
        case error::bad_address: return "bad IP address";
        case error::bad_prefix_length: return "bad prefix length";
        case error::malformed_reply: return "malformed netlink reply";
        case error::child_setup_failed: return "child failed to set up its namespaces";
        case error::bad_id_map: return "bad uid/gid map";
        case error::bad_pid: return "not a valid process id";
        case error::thread_unsafe: return "the calling process has more than one thread";
        case error::proc_not_mounted: return "/proc is not mounted (procfs needed)";
        case error::thread_id: return "the id names a thread, not a process (thread-group leader)";
        case error::netns_not_restored:
            return "the thread could not return to its original network namespace (it is still in the other one)";
        }
        return "unknown nskit error";
    }
    std::error_condition default_error_condition(int value) const noexcept override
    {
        switch (static_cast<error>(value)) {
        case error::ok: return {};
        case error::malformed_reply: return std::errc::bad_message;
        case error::child_setup_failed: return std::errc::io_error;
        case error::needs_clone3: return std::errc::function_not_supported;
        case error::proc_not_mounted: return std::errc::no_such_file_or_directory;
        case error::netns_not_restored: return std::errc::state_not_recoverable;
        default: return std::errc::invalid_argument;
        }
    }
};

bool starts_with_any(std::string_view op, std::initializer_list<std::string_view> prefixes)
{
    for (auto p : prefixes)
        if (op.substr(0, p.size()) == p)
            return true;
    return false;
}

} // namespace

const std::error_category& error_category() noexcept
{
    static const category instance;
    return instance;
}

std::string_view hint(std::error_code ec, std::string_view op) noexcept
{
    if (ec.category() != std::system_category())
        return {};
    const bool is_kcmp = starts_with_any(op, {"kcmp"});
    const bool is_pidfd = starts_with_any(op, {"pidfd"});
    const bool is_ns = starts_with_any(op, {"unshare", "clone", "setns", "run", "spawn", "setup", "enter",
                                            "nsrun", "mount", "pivot_root"});
    const bool is_ioctl = starts_with_any(op, {"NS_", "ns_"});
    const bool is_net = starts_with_any(op, {"netlink", "link", "veth", "addr", "route", "loopback", "connect_veth"});
    switch (ec.value()) {
    case EPERM:
        if (is_kcmp) return "needs ptrace read access to both processes (same uid or CAP_SYS_PTRACE)";
        if (is_ioctl) return "the namespace is outside the caller's reach (no parent visible, or not privileged)";
        if (is_pidfd) return "needs permission to signal or ptrace the process";
        if (is_net) return "needs CAP_NET_ADMIN in the network namespace's user namespace";
        if (is_ns) return "needs CAP_SYS_ADMIN (run as root, or add a user namespace: --user)";
        return {};
    case ENOSYS:
        if (is_kcmp) return "kernel lacks kcmp (CONFIG_KCMP)";
        if (is_pidfd) return "kernel lacks pidfd support (needs 5.3+) or a seccomp filter blocks it";
        return "kernel lacks this system call, or a seccomp filter blocks it";
    case ENOSPC:
        if (is_ns) return "namespace limit reached (/proc/sys/user/max_*_namespaces) or user namespace nesting > 32";
        return {};
    case EUSERS:
        return "user namespace nesting limit (32) reached";
    case EINVAL:
        if (is_ns) return "kernel refused the flags (a multithreaded caller asking for user/mount namespaces, "
                          "a flag combination the kernel forbids, or a fd that is not a namespace of that type)";
        if (is_ioctl) return "namespace type does not support this ioctl";
        return {};
    case ENOTTY:
        if (is_ioctl) return "not a namespace file, or the kernel lacks this ioctl";
        return {};
    case ESRCH:
        return "no such process (it may have exited)";
    case EMFILE:
        return "out of file descriptors (raise RLIMIT_NOFILE: ulimit -n)";
    case ENOENT:
        if (is_ns) return "namespace file missing (process gone, or kernel built without this namespace type)";
        return {};
    default:
        return {};
    }
}

std::string describe(std::error_code ec, std::string_view op)
{
    std::string out(op);
    if (auto h = hint(ec, op); !h.empty()) {
        out += ": ";
        out += h;
    }
    out += ": ";
    out += ec.message();
    return out;
}

void throw_error(std::error_code ec, std::string_view op)
{
    std::string what(op);
    if (auto h = hint(ec, op); !h.empty()) {
        what += ": ";
        what += h;
    }
    throw std::system_error(ec, what);
}

void unique_fd::reset(int fd) noexcept
{
    if (fd_ >= 0 && fd_ != fd)
        ::close(fd_); // Linux closes the fd even when close() reports EINTR: never retry
    fd_ = fd;
}

} // namespace nskit
