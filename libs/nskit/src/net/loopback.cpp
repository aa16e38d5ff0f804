// configure_loopback is meant to run between clone() and exec() too (a child
// entering a new netns), also in a child sharing the caller's memory
// (CLONE_VM): so its work is done with raw system calls (no errno, no lazy
// binding, no libc lock), buffers on the stack, no allocation.
#include "loopback_up.hpp"

#include <nskit/net/loopback.hpp>
#include <nskit/net/netlink.hpp>
#include <nskit/sys/error.hpp>
#include <nskit/sys/in_netns.hpp>
#include <nskit/sys/detail/raw.hpp>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <cerrno>
#include <cstring>

namespace nskit::net {
namespace detail {
namespace {

namespace raw = sys::detail::raw;

// The loopback device is always ifindex 1 (LOOPBACK_IFINDEX) in every netns.
constexpr int loopback_index = 1;

struct request {
    nlmsghdr h;
    ifinfomsg ifi;
};

// The socket, bound (nl_pid 0: the kernel picks a unique port); `local`
// gets the port, which the ack is addressed to.  0 or an errno.
int open_route_socket(int& fd, sockaddr_nl& local) noexcept
{
    const long s = raw::call(SYS_socket, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (s < 0)
        return static_cast<int>(-s);
    fd = static_cast<int>(s);
    const int one = 1; // best effort: the ack then carries no copy of the request
    raw::call(SYS_setsockopt, fd, SOL_NETLINK, NETLINK_CAP_ACK, raw::arg(&one), sizeof one);
    local = {};
    local.nl_family = AF_NETLINK;
    socklen_t len = sizeof local;
    if (const long r = raw::call(SYS_bind, fd, raw::arg(&local), sizeof local); r < 0)
        return static_cast<int>(-r);
    if (const long r = raw::call(SYS_getsockname, fd, raw::arg(&local), raw::arg(&len)); r < 0)
        return static_cast<int>(-r);
    return 0;
}

int send_lo_up(int fd, const request& req) noexcept
{
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    const long r = raw::call(SYS_sendto, fd, raw::arg(&req), sizeof req, 0, raw::arg(&kernel), sizeof kernel);
    return r < 0 ? static_cast<int>(-r) : 0;
}

// One datagram from the kernel: `found` once it holds the ack for `req`.
int find_ack(const char* p, std::size_t left, const sockaddr_nl& local, const request& req, bool& found) noexcept
{
    while (left >= sizeof(nlmsghdr)) {
        const auto* h = reinterpret_cast<const nlmsghdr*>(p);
        if (h->nlmsg_len < sizeof(nlmsghdr) || h->nlmsg_len > left)
            return malformed_ack;
        if (h->nlmsg_pid == local.nl_pid && h->nlmsg_seq == req.h.nlmsg_seq) {
            found = true;
            if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr)))
                return malformed_ack;
            int err;
            std::memcpy(&err, NLMSG_DATA(h), sizeof err);
            if (err > 0 || err < -4095)
                return malformed_ack;
            return -err;
        }
        const std::size_t step = NLMSG_ALIGN(h->nlmsg_len);
        if (step >= left)
            break;
        p += step;
        left -= step;
    }
    return 0;
}

// Read until the ack for `req`: its error is the answer.
int read_ack(int fd, const sockaddr_nl& local, const request& req) noexcept
{
    alignas(nlmsghdr) char buf[8192]; // an ack, capped: far below this
    for (;;) {
        sockaddr_nl from{};
        iovec iov{buf, sizeof buf};
        msghdr msg{};
        msg.msg_name = &from;
        msg.msg_namelen = sizeof from;
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        const long n = raw::call(SYS_recvmsg, fd, raw::arg(&msg), 0);
        if (n == -EINTR)
            continue;
        if (n < 0)
            return static_cast<int>(-n);
        if (msg.msg_flags & MSG_TRUNC)
            return EMSGSIZE;
        if (from.nl_pid != 0)
            continue;
        bool found = false;
        const int e = find_ack(buf, static_cast<std::size_t>(n), local, req, found);
        if (e != 0 || found)
            return e;
    }
}

// RTM_NEWLINK: lo up, acked.
int lo_up_on(int fd, const sockaddr_nl& local) noexcept
{
    request req{};
    req.h.nlmsg_len = sizeof req;
    req.h.nlmsg_type = RTM_NEWLINK;
    req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    req.h.nlmsg_seq = 1; // a fresh socket: nothing else can be in flight
    req.ifi.ifi_family = AF_UNSPEC;
    req.ifi.ifi_index = loopback_index;
    req.ifi.ifi_flags = IFF_UP;
    req.ifi.ifi_change = IFF_UP;
    if (const int e = send_lo_up(fd, req))
        return e;
    return read_ack(fd, local, req);
}

} // namespace

int loopback_up() noexcept
{
    int fd = -1;
    sockaddr_nl local{};
    int e = open_route_socket(fd, local);
    if (e == 0)
        e = lo_up_on(fd, local);
    if (fd >= 0)
        raw::close(fd);
    return e;
}

} // namespace detail

namespace {

std::error_code lo_up_here() noexcept
{
    const int e = detail::loopback_up();
    if (e == detail::malformed_ack)
        return error::malformed_reply;
    return e != 0 ? std::error_code(e, std::system_category()) : std::error_code{};
}

} // namespace

void configure_loopback(std::error_code& ec) noexcept { ec = lo_up_here(); }

void configure_loopback()
{
    std::error_code ec;
    configure_loopback(ec);
    throw_if(ec, op_kind::netlink, "loopback up(lo, index 1, current netns)");
}

void configure_loopback_in(int ns_fd, std::error_code& ec) noexcept
{
    std::error_code up;
    sys::in_netns(ns_fd, [&]() noexcept { up = lo_up_here(); }, ec);
    if (!ec)
        ec = up;
}

void configure_loopback_in(int ns_fd)
{
    std::error_code ec;
    configure_loopback_in(ns_fd, ec);
    throw_if(ec, op_kind::netlink, "loopback up(lo, in netns fd " + std::to_string(ns_fd) + ")");
}

} // namespace nskit::net
