#include <nskit/sys/in_netns.hpp>

#include <fcntl.h>
#include <sched.h>

#include <cerrno>

namespace nskit::sys::detail {

unique_fd leave_netns(int netns_fd, unique_fd home, std::error_code& ec) noexcept
{
    ec.clear();
    if (netns_fd < 0) {
        ec = std::make_error_code(std::errc::bad_file_descriptor);
        return {};
    }
    if (!home) {
        home.reset(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
        if (!home) {
            ec = nskit::detail::last_error();
            return {};
        }
    }
    // Joining the namespace we are in changes nothing but proves we may come back.
    if (::setns(home.get(), CLONE_NEWNET) != 0 || ::setns(netns_fd, CLONE_NEWNET) != 0) {
        ec = nskit::detail::last_error();
        return {};
    }
    return home;
}

void return_netns(const unique_fd& home, std::error_code& ec) noexcept
{
    if (::setns(home.get(), CLONE_NEWNET) != 0)
        ec = make_error_code(error::netns_not_restored, errno); // the setns's errno, kept
    else
        ec.clear();
}

} // namespace nskit::sys::detail
