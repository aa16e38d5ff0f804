// nskit/sys/error.hpp — the error model shared by every layer.
//
// Every fallible call comes in two forms:
//   T f(args..., std::error_code& ec) noexcept;  // does the work, sets ec
//   T f(args...);                                 // wraps it: throw_if(ec, kind, "f(args)")
// Kernel failures use std::system_category() (compare with std::errc::...).
// nskit's own failures (bad input caught before any syscall, protocol errors)
// use nskit::error, whose values map onto portable std::errc conditions.
#pragma once

#include <string>
#include <string_view>
#include <system_error>
#include <nskit/export.hpp>

NSKIT_API_BEGIN
namespace nskit {

enum class error {
    ok = 0,
    bad_flag_name = 1,          // text names no CLONE_ flag / namespace type
    flag_not_for_unshare,       // unshare(2) does not accept one of the flags
    flag_conflict,              // the kernel refuses this combination (EINVAL)
    needs_clone3,               // set_tid / cgroup / CLEAR_SIGHAND asked of the clone() fallback
    wrong_namespace_type,       // fd is a namespace of another type than asked
    not_a_namespace,            // fd does not refer to nsfs
    bad_interface_name,         // net: 1..15 bytes, no '/', ':', space, not "." or ".."
    bad_address,                // net: address or CIDR does not parse
    bad_prefix_length,          // net: prefix beyond 32 / 128
    malformed_reply,            // net: netlink message failed validation
    child_setup_failed,         // ns: the child reported a failed setup step
    bad_id_map,                 // ns: uid/gid map text does not parse
    bad_pid,                    // tools/inspect: not a positive pid that fits pid_t
    thread_unsafe,              // ns: multithreaded caller asked for user/mount ns
    proc_not_mounted,           // inspect: /proc is missing or not procfs
    thread_id,                  // sys: a thread id where a process id is needed
    netns_not_restored,         // sys: the thread could not return to its network namespace
    link_changed,               // net: the link at an index is no longer the one nskit created
    not_entered,                // inspect: only bind-mounted in a mount namespace no process is in
};

const std::error_category& error_category() noexcept;

inline std::error_code make_error_code(error e) noexcept
{
    return {static_cast<int>(e), error_category()};
}

// nskit's own error with the errno that caused it (netns_not_restored keeps
// the failed setns's): message() ends with its strerror, the condition is
// the enum's, and `ec == e` holds as for the bare enum.
inline std::error_code make_error_code(error e, int cause) noexcept
{
    return {static_cast<int>(e) | ((cause & 0xffff) << 16), error_category()};
}
// The errno an nskit error carries (0: none, or another category).
inline int error_cause(const std::error_code& ec) noexcept
{
    return ec.category() == error_category() ? (ec.value() >> 16) & 0xffff : 0;
}
// `ec == nskit::error::x`, whatever errno ec carries.
inline bool operator==(const std::error_code& ec, error e) noexcept
{
    return ec.category() == error_category() && (ec.value() & 0xffff) == static_cast<int>(e);
}

// What kind of operation failed: the key to the advice hint() gives.  The
// same errno means different things to different calls (ENOENT from opening
// /proc/PID/ns/net is a gone process, from execve a missing program), so
// advice is chosen by kind, never guessed from the operation's text.
enum class op_kind {
    other,            // no advice beyond the generic (fd limits, seccomp)
    input,            // parsing or validating the caller's input
    namespace_create, // clone, clone3, unshare
    namespace_enter,  // setns, with a namespace fd or a pidfd
    namespace_open,   // opening /proc/PID/ns/* or an nsfs bind mount
    nsfs_ioctl,       // NS_GET_* ioctls on a namespace fd
    mount,            // mount(2), propagation changes, umount
    pivot_root,
    id_map_write,     // /proc/PID/{uid_map,gid_map,setgroups}
    timens_offsets,   // /proc/PID/timens_offsets
    set_hostname,     // sethostname, setdomainname
    pidfd,            // pidfd_open, pidfd_send_signal, pidfd_getfd, waitid(P_PIDFD)
    kcmp,
    netlink,          // rtnetlink requests (links, addresses, routes)
    proc_read,        // reading another process's /proc/PID files
    exec,             // execve
    proc_connector,   // the kernel's process events (NETLINK_CONNECTOR, CN_IDX_PROC)
};
std::string_view to_string(op_kind k) noexcept;

// Advice a person can act on for (error, kind), e.g.
// hint(EPERM, op_kind::namespace_create) -> "needs CAP_SYS_ADMIN (run as
// root, or create a user namespace first)".  Empty when strerror() says it
// all; always empty for errors outside std::system_category() (nskit's own
// messages already say what to do).
std::string_view hint(std::error_code ec, op_kind kind) noexcept;

// "operation: hint: strerror" (or "operation: strerror"); without an
// operation, "hint: strerror".  The text for a log line or a reason field.
std::string describe(std::error_code ec, op_kind kind, std::string_view operation = {});

// Throws std::system_error(ec, "operation: hint"); its what() is then
// describe()'s text, because std::system_error appends ": strerror" itself.
[[noreturn]] void throw_error(std::error_code ec, op_kind kind, std::string_view operation);

inline void throw_if(const std::error_code& ec, op_kind kind, std::string_view operation)
{
    if (ec)
        throw_error(ec, kind, operation);
}

namespace detail {
// Capture errno right after the failing call, before anything can clobber it.
inline std::error_code last_error() noexcept;
} // namespace detail

} // namespace nskit
NSKIT_API_END

template <>
struct std::is_error_code_enum<nskit::error> : std::true_type {};

#include <cerrno>
inline std::error_code nskit::detail::last_error() noexcept
{
    return {errno, std::system_category()};
}
