// Private to the net layer's sources.
#pragma once

#include <nskit/net/netlink.hpp>
#include <nskit/sys/error.hpp>

#include <string>
#include <string_view>
#include <system_error>

namespace nskit::net::detail {
// Replace the text last_error_detail() returns in this thread (its kind stays).
void set_error_detail(std::string_view text) noexcept;
// Move the text out (no allocation); last_error_detail() is then empty.
std::string take_error_detail() noexcept;
// The kind of operation last_error_detail() describes, for the hint.
op_kind last_error_kind() noexcept;
} // namespace nskit::net::detail

namespace nskit::net {
struct detail_access {
    // netlink::open_in for a caller whose `here` was opened in the calling
    // thread's current netns: the way back is taken from here's socket.
    static netlink open_in(const netlink& here, int ns_fd, std::error_code& ec) noexcept;
    // The socket behind `n` (netlink_impl.hpp), for the net layer's requests.
    static netlink::impl* impl_of(netlink& n) noexcept { return n.impl_.get(); }
};
} // namespace nskit::net
