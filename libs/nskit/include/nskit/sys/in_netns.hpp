// nskit/sys/in_netns.hpp — run a function with the calling thread in another
// network namespace, then bring the thread back (setns(2) is per thread).
#pragma once

#include <nskit/sys/error.hpp>
#include <nskit/sys/unique_fd.hpp>

#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <nskit/export.hpp>

NSKIT_API_BEGIN
namespace nskit::sys {

namespace detail {
// The way back (`home`, or the thread's /proc/thread-self/ns/net), checked
// before leaving: setns(home) succeeds only with CAP_SYS_ADMIN over it, and a
// thread that could not return would stay in the wrong namespace.  Then
// setns(netns_fd).  An invalid result means ec says why; nothing changed.
unique_fd leave_netns(int netns_fd, unique_fd home, std::error_code& ec) noexcept;
// setns(home); on failure ec = error::netns_not_restored carrying setns's
// errno (nskit::error_cause; its message() ends with the strerror).
void return_netns(const unique_fd& home, std::error_code& ec) noexcept;
} // namespace detail

// Runs fn() in the network namespace `netns_fd` refers to and returns the
// calling thread to the one it was in.  `home` may give the way back (an fd
// of the thread's current network namespace, e.g. from SIOCGSKNS on a socket
// the caller has); otherwise it is opened from /proc/thread-self/ns/net.
// Errors: entering (EPERM, EINVAL for a fd that is not a network namespace,
// ...; fn is not called), or nskit::error::netns_not_restored when the way
// back failed after fn ran (fn's result is still returned).  Never aborts.
// fn must not throw.  Async-signal-safe when fn is: only open, setns, close.
template <class F>
std::invoke_result_t<F&> in_netns(int netns_fd, F&& fn, std::error_code& ec, unique_fd home = {}) noexcept
{
    static_assert(std::is_nothrow_invocable_v<F&>, "in_netns: fn must be noexcept");
    using result = std::invoke_result_t<F&>;
    auto back = detail::leave_netns(netns_fd, std::move(home), ec);
    if (!back) {
        if constexpr (std::is_void_v<result>)
            return;
        else
            return result{};
    }
    if constexpr (std::is_void_v<result>) {
        fn();
        detail::return_netns(back, ec);
    } else {
        result r = fn();
        detail::return_netns(back, ec);
        return r;
    }
}

// Throwing form: std::system_error naming the step that failed.
template <class F>
std::invoke_result_t<F&> in_netns(int netns_fd, F&& fn)
{
    std::error_code ec;
    if constexpr (std::is_void_v<std::invoke_result_t<F&>>) {
        in_netns(netns_fd, fn, ec);
        throw_if(ec, op_kind::namespace_enter, "in_netns(fd " + std::to_string(netns_fd) + ")");
    } else {
        auto r = in_netns(netns_fd, fn, ec);
        throw_if(ec, op_kind::namespace_enter, "in_netns(fd " + std::to_string(netns_fd) + ")");
        return r;
    }
}

} // namespace nskit::sys
NSKIT_API_END
