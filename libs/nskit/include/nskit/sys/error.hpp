// nskit/sys/error.hpp — the error model shared by every layer.
//
// Every fallible call comes in two forms:
//   T f(args..., std::error_code& ec) noexcept;  // does the work, sets ec
//   T f(args...);                                 // wraps it, throws std::system_error
// Kernel failures use std::system_category() (compare with std::errc::...).
// nskit's own failures (bad input caught before any syscall, protocol errors)
// use nskit::error, whose values map onto portable std::errc conditions.
#pragma once

#include <string>
#include <string_view>
#include <system_error>

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
};

const std::error_category& error_category() noexcept;

inline std::error_code make_error_code(error e) noexcept
{
    return {static_cast<int>(e), error_category()};
}

// Turn (errno, operation) into text a person can act on, e.g.
// explain(EPERM, "unshare") -> "needs CAP_SYS_ADMIN (run as root, or add a user namespace)".
// Returns an empty view when there is nothing to add to strerror().
std::string_view hint(std::error_code ec, std::string_view operation) noexcept;

// "operation: hint: strerror" — the text every thrown nskit::system_error carries.
std::string describe(std::error_code ec, std::string_view operation);

// Throws std::system_error(ec, operation [+ hint]).
[[noreturn]] void throw_error(std::error_code ec, std::string_view operation);

inline void throw_if(const std::error_code& ec, std::string_view operation)
{
    if (ec)
        throw_error(ec, operation);
}

namespace detail {
// Capture errno right after the failing call, before anything can clobber it.
inline std::error_code last_error() noexcept;
} // namespace detail

} // namespace nskit

template <>
struct std::is_error_code_enum<nskit::error> : std::true_type {};

#include <cerrno>
inline std::error_code nskit::detail::last_error() noexcept
{
    return {errno, std::system_category()};
}
