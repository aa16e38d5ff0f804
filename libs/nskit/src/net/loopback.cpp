// configure_loopback is meant to run between clone() and exec() too (a child
// entering a new netns), so its error_code form is async-signal-safe: only
// calls on POSIX's async-signal-safe list (socket, bind, sendto, recvmsg,
// close, ...), buffers on the stack, no allocation, no libmnl socket object.
// They are libc's wrappers and set errno: a child that shares the caller's
// memory and thread pointer (CLONE_VM) writes the caller's errno.
#include <nskit/net/loopback.hpp>
#include <nskit/net/netlink.hpp>
#include <nskit/sys/error.hpp>
#include <nskit/sys/in_netns.hpp>
#include <nskit/sys/unique_fd.hpp>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace nskit::net {
namespace {

// The loopback device is always ifindex 1 (LOOPBACK_IFINDEX) in every netns.
constexpr int loopback_index = 1;

std::error_code sys_error(int e) noexcept { return {e, std::system_category()}; }

struct request {
    nlmsghdr h;
    ifinfomsg ifi;
};

// The socket, bound (nl_pid 0: the kernel picks a unique port); `local`
// gets the port, which the ack is addressed to.
std::error_code open_route_socket(int& fd, sockaddr_nl& local) noexcept
{
    fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0)
        return nskit::detail::last_error();
    const int one = 1;
    ::setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
    local = {};
    local.nl_family = AF_NETLINK;
    socklen_t len = sizeof local;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) != 0)
        return nskit::detail::last_error();
    return {};
}

std::error_code send_lo_up(int fd, const request& req) noexcept
{
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    if (::sendto(fd, &req, sizeof req, 0, reinterpret_cast<const sockaddr*>(&kernel), sizeof kernel) < 0)
        return nskit::detail::last_error();
    return {};
}

// One datagram from the kernel: `found` once it holds the ack for `req`.
std::error_code find_ack(const char* p, std::size_t left, const sockaddr_nl& local, const request& req,
                         bool& found) noexcept
{
    while (left >= sizeof(nlmsghdr)) {
        const auto* h = reinterpret_cast<const nlmsghdr*>(p);
        if (h->nlmsg_len < sizeof(nlmsghdr) || h->nlmsg_len > left)
            return error::malformed_reply;
        if (h->nlmsg_pid == local.nl_pid && h->nlmsg_seq == req.h.nlmsg_seq) {
            found = true;
            if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr)))
                return error::malformed_reply;
            int err;
            std::memcpy(&err, NLMSG_DATA(h), sizeof err);
            if (err > 0 || err < -4095)
                return error::malformed_reply;
            return err ? sys_error(-err) : std::error_code{};
        }
        const std::size_t step = NLMSG_ALIGN(h->nlmsg_len);
        if (step >= left)
            break;
        p += step;
        left -= step;
    }
    return {};
}

// Read until the ack for `req`: its error is the answer.
std::error_code read_ack(int fd, const sockaddr_nl& local, const request& req) noexcept
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
        const ssize_t n = ::recvmsg(fd, &msg, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return nskit::detail::last_error();
        }
        if (msg.msg_flags & MSG_TRUNC)
            return sys_error(EMSGSIZE);
        if (from.nl_pid != 0)
            continue;
        bool found = false;
        const auto ec = find_ack(buf, static_cast<std::size_t>(n), local, req, found);
        if (ec || found)
            return ec;
    }
}

// RTM_NEWLINK: lo up, acked.
std::error_code lo_up_here() noexcept
{
    int fd = -1;
    sockaddr_nl local{};
    auto ec = open_route_socket(fd, local);
    struct closer {
        int& fd;
        ~closer()
        {
            if (fd >= 0)
                ::close(fd);
        }
    } close_fd{fd};
    if (ec)
        return ec;
    request req{};
    req.h.nlmsg_len = sizeof req;
    req.h.nlmsg_type = RTM_NEWLINK;
    req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    req.h.nlmsg_seq = 1; // a fresh socket: nothing else can be in flight
    req.ifi.ifi_family = AF_UNSPEC;
    req.ifi.ifi_index = loopback_index;
    req.ifi.ifi_flags = IFF_UP;
    req.ifi.ifi_change = IFF_UP;
    if ((ec = send_lo_up(fd, req)))
        return ec;
    return read_ack(fd, local, req);
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
