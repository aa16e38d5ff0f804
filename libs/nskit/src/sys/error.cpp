#include <nskit/sys/error.hpp>

#include <cerrno>
#include <cstring>

namespace nskit {
namespace {

class category final : public std::error_category {
public:
    const char* name() const noexcept override { return "nskit"; }
    std::string message(int value) const override
    {
        std::string m(base_message(value & 0xffff));
        if (const int cause = (value >> 16) & 0xffff)
            m.append(": ").append(std::system_category().message(cause));
        return m;
    }
    static const char* base_message(int value) noexcept
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
            return "bad interface name (1-15 bytes, no '/', ':', '%' or whitespace, not '.', '..', 'all' or "
                   "'default')";
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
        case error::link_changed: return "the link is no longer the one created (renamed or replaced): left alone";
        case error::not_entered:
            return "only bind-mounted in a mount namespace no process is in: not opened (that would mean entering it)";
        }
        return "unknown nskit error";
    }
    std::error_condition default_error_condition(int value) const noexcept override
    {
        switch (static_cast<error>(value & 0xffff)) {
        case error::ok: return {};
        case error::malformed_reply: return std::errc::bad_message;
        case error::child_setup_failed: return std::errc::io_error;
        case error::needs_clone3: return std::errc::function_not_supported;
        case error::proc_not_mounted: return std::errc::no_such_file_or_directory;
        case error::netns_not_restored: return std::errc::state_not_recoverable;
        case error::link_changed: return std::errc::device_or_resource_busy;
        case error::not_entered: return std::errc::operation_not_supported;
        default: return std::errc::invalid_argument;
        }
    }
};

using K = op_kind;

constexpr std::string_view ptrace_read = "needs ptrace read access to the process (same uid or CAP_SYS_PTRACE)";

std::string_view permission(K k) noexcept // EPERM and EACCES
{
    switch (k) {
    case K::namespace_create: return "needs CAP_SYS_ADMIN (run as root, or create a user namespace first)";
    case K::namespace_enter:
        return "needs CAP_SYS_ADMIN over the namespace's owning user namespace, and in the caller's own";
    case K::namespace_open:
    case K::proc_read: return ptrace_read;
    case K::nsfs_ioctl: return "the namespace is outside the caller's reach (no parent visible, or not privileged)";
    case K::mount:
    case K::pivot_root: return "needs CAP_SYS_ADMIN in the user namespace that owns the mount namespace";
    case K::id_map_write:
        return "mapping ids other than the caller's own needs CAP_SETUID/CAP_SETGID over the parent user namespace "
               "(and an unprivileged gid map needs setgroups denied first)";
    case K::timens_offsets: return "needs CAP_SYS_TIME in the user namespace that owns the time namespace";
    case K::set_hostname: return "needs CAP_SYS_ADMIN in the user namespace that owns the UTS namespace";
    case K::pidfd: return "needs permission to signal or ptrace the process";
    case K::kcmp: return "needs ptrace read access to both processes (same uid or CAP_SYS_PTRACE)";
    case K::netlink: return "needs CAP_NET_ADMIN in the user namespace that owns the network namespace";
    case K::exec: return "not executable (no execute permission, or a noexec mount)";
    case K::proc_connector: return "the proc connector needs CAP_NET_ADMIN in the initial user namespace";
    case K::other:
    case K::input: break;
    }
    return {};
}

std::string_view invalid(K k) noexcept // EINVAL
{
    switch (k) {
    case K::namespace_create:
        return "the kernel refused the flags: a combination it forbids, or a user or mount namespace unshared by a "
               "multithreaded caller";
    case K::namespace_enter:
        return "not a namespace of the requested type, or a user or mount namespace joined by a multithreaded "
               "caller (or the caller's own user namespace)";
    case K::nsfs_ioctl: return "this namespace type does not support the ioctl";
    case K::mount: return "the kernel refused the mount: options the filesystem does not know, or flags it refuses together";
    case K::pivot_root:
        return "the new root is not a mount point, the old root is not under it, or a mount involved is shared";
    case K::id_map_write:
        return "the kernel refused the map: overlapping ranges, a zero count, more than 340 lines (4096 bytes), "
               "ids not mapped in the parent user namespace, or a map written already";
    case K::timens_offsets: return "bad clock name or offset format";
    case K::set_hostname: return "the name is longer than 64 bytes";
    case K::pidfd: return "bad flags, or the id is not a process (a thread id needs PIDFD_THREAD, 6.9)";
    case K::kcmp: return "the kernel does not know this comparison type";
    case K::exec: return "bad executable format or ELF interpreter";
    default: return {};
    }
}

std::string_view missing(K k) noexcept // ENOENT
{
    switch (k) {
    case K::namespace_open:
        return "no such namespace file: the process has exited (a zombie has none), or the kernel lacks this type";
    case K::proc_read: return "no such /proc entry: the process has exited";
    case K::id_map_write:
    case K::timens_offsets: return "the process's /proc file is missing: it has exited, or /proc is not mounted";
    case K::mount: return "the mount point or the source does not exist";
    case K::exec: return "no such program (or its ELF interpreter is missing)";
    default: return {};
    }
}

bool about_a_process(K k) noexcept
{
    return k == K::pidfd || k == K::kcmp || k == K::namespace_enter || k == K::namespace_open || k == K::proc_read;
}

std::string_view specific(int e, K k) noexcept
{
    switch (e) {
    case EPERM:
    case EACCES:
        if (e == EACCES && k == K::timens_offsets)
            return "offsets can be written only before the first process enters the namespace";
        return permission(k);
    case EINVAL: return invalid(k);
    case ENOENT: return missing(k);
    case ENOSYS:
        if (k == K::kcmp) return "kernel lacks kcmp (CONFIG_KCMP)";
        if (k == K::pidfd) return "kernel lacks pidfd support (needs 5.3+) or a seccomp filter blocks it";
        return "kernel lacks this system call, or a seccomp filter blocks it";
    case ENOTTY:
        return k == K::nsfs_ioctl ? "not a namespace file, or the kernel lacks this ioctl" : std::string_view{};
    case ENOSPC:
        return k == K::namespace_create
                   ? "namespace limit reached (/proc/sys/user/max_*_namespaces) or user namespace nesting > 32"
                   : std::string_view{};
    case EUSERS: return k == K::namespace_create ? "user namespace nesting limit (32) reached" : std::string_view{};
    case ESRCH: return about_a_process(k) ? "no such process (it may have exited)" : std::string_view{};
    case ECHILD: return k == K::pidfd ? "not a child of the caller: only its parent can wait for it" : std::string_view{};
    case EBUSY:
        if (k == K::pivot_root) return "the new root or the old-root directory is busy (already the root, or mounted on)";
        return k == K::mount ? "the target is busy or mounted already" : std::string_view{};
    case ENODEV: return k == K::mount ? "the kernel lacks this filesystem type" : std::string_view{};
    case ERANGE:
        return k == K::timens_offsets ? "offset beyond the kernel's range, or a clock that would go negative"
                                      : std::string_view{};
    case EEXIST: return k == K::netlink ? "it exists already (a link name, address or route)" : std::string_view{};
    case ENOBUFS:
        return k == K::proc_connector ? "events lost: the receive buffer overran (what happened meanwhile must be read again)"
                                      : std::string_view{};
    case ECONNREFUSED:
        return k == K::proc_connector ? "no proc connector in this network namespace (it exists in the initial one only)"
                                      : std::string_view{};
    case EPROTONOSUPPORT:
        return k == K::proc_connector ? "kernel lacks the proc connector (CONFIG_CONNECTOR, CONFIG_PROC_EVENTS)"
                                      : std::string_view{};
    case ETIMEDOUT:
        return k == K::proc_connector ? "the kernel did not acknowledge the subscription: it takes subscriptions only "
                                        "from the initial user and PID namespaces"
                                      : std::string_view{};
    case EMFILE: return "out of file descriptors (raise RLIMIT_NOFILE)";
    case ENFILE: return "the system-wide open-file limit is reached (/proc/sys/fs/file-max)";
    default: return {};
    }
}

} // namespace

const std::error_category& error_category() noexcept
{
    static const category instance;
    return instance;
}

std::string_view to_string(op_kind k) noexcept
{
    switch (k) {
    case K::other: return "other";
    case K::input: return "input";
    case K::namespace_create: return "namespace_create";
    case K::namespace_enter: return "namespace_enter";
    case K::namespace_open: return "namespace_open";
    case K::nsfs_ioctl: return "nsfs_ioctl";
    case K::mount: return "mount";
    case K::pivot_root: return "pivot_root";
    case K::id_map_write: return "id_map_write";
    case K::timens_offsets: return "timens_offsets";
    case K::set_hostname: return "set_hostname";
    case K::pidfd: return "pidfd";
    case K::kcmp: return "kcmp";
    case K::netlink: return "netlink";
    case K::proc_read: return "proc_read";
    case K::exec: return "exec";
    case K::proc_connector: return "proc_connector";
    }
    return "unknown";
}

std::string_view hint(std::error_code ec, op_kind kind) noexcept
{
    if (ec.category() != std::system_category())
        return {};
    return specific(ec.value(), kind);
}

std::string describe(std::error_code ec, op_kind kind, std::string_view op)
{
    std::string out(op);
    if (auto h = hint(ec, kind); !h.empty())
        out.append(out.empty() ? "" : ": ").append(h);
    out.append(out.empty() ? "" : ": ").append(ec.message());
    return out;
}

void throw_error(std::error_code ec, op_kind kind, std::string_view op)
{
    std::string what(op);
    if (auto h = hint(ec, kind); !h.empty())
        what.append(what.empty() ? "" : ": ").append(h);
    throw std::system_error(ec, what);
}

} // namespace nskit
