#include <nskit/net/loopback.hpp>
#include <nskit/net/netlink.hpp>
#include <nskit/sys/error.hpp>

namespace nskit::net {
namespace {
// The loopback device is always ifindex 1 (LOOPBACK_IFINDEX) in every netns.
constexpr int loopback_index = 1;
} // namespace

void configure_loopback(std::error_code& ec) noexcept
{
    auto nl = netlink::open(ec);
    if (!ec)
        nl.set_up(loopback_index, ec);
}

void configure_loopback()
{
    std::error_code ec;
    configure_loopback(ec);
    throw_if(ec, "loopback up: " + last_error_detail());
}

void configure_loopback_in(int ns_fd, std::error_code& ec) noexcept
{
    auto nl = netlink::open_in(ns_fd, ec);
    if (!ec)
        nl.set_up(loopback_index, ec);
}

void configure_loopback_in(int ns_fd)
{
    std::error_code ec;
    configure_loopback_in(ns_fd, ec);
    throw_if(ec, "loopback up: " + last_error_detail());
}

} // namespace nskit::net
