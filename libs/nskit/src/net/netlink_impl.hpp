// Private to netlink*.cpp: the socket behind nskit::net::netlink and the
// helpers its requests share (the failure record, request building, the
// throwing form of a call).
#pragma once

#include <nskit/net/netlink.hpp>
#include <nskit/net/detail/reply.hpp>
#include "internal.hpp"
#include <nskit/sys/error.hpp>
#include <nskit/sys/unique_fd.hpp>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace nskit::net {
namespace nl {

inline thread_local std::string error_detail;
inline thread_local op_kind error_kind = op_kind::netlink; // what failed, for the hint

// `op` is a string literal, or a callable that builds the text: it runs
// only on failure, inside the try, so a failing allocation never escapes a
// noexcept caller.
template <class Op>
void note_failure(const std::error_code& ec, const Op& op, std::string_view extack,
                  op_kind kind = op_kind::netlink) noexcept
{
    if (!ec)
        return;
    error_kind = kind;
    try {
        if constexpr (std::is_invocable_v<const Op&>)
            error_detail = op();
        else
            error_detail = op;
        if (!extack.empty())
            error_detail.append(": ").append(extack);
    } catch (...) {
        error_detail.clear();
    }
}

inline std::error_code sys_error(int e) { return {e, std::system_category()}; }
inline std::error_code not_open() { return sys_error(EBADF); }
inline std::string idx(int index) { return std::to_string(index); }

// An interface name as the kernel wants it, NUL-terminated, on the stack (no
// allocation in a noexcept path).  Names are checked (check_interface_name)
// before they get here; a longer one becomes "".
struct ifname_buf {
    char text[IFNAMSIZ] = {};
    explicit ifname_buf(std::string_view name) noexcept
    {
        if (name.size() < sizeof text)
            std::memcpy(text, name.data(), name.size());
    }
};

// A dump whose data changed under it (NLM_F_DUMP_INTR) is read again, this many times at most.
constexpr int dump_attempts = 8;
// Receive buffer: the kernel sends dump datagrams of up to 32 KiB.
constexpr std::size_t rx_size = 64 * 1024;
constexpr std::size_t tx_size = 4096;

// Which netns fd to pass for a target; owns any fd it had to open.
struct resolved_target {
    unique_fd owned;
    int fd = -1;
    pid_t pid = 0;
};

resolved_target resolve(const netns_target& t, std::error_code& ec) noexcept;

} // namespace nl

struct netlink::impl {
    mnl_socket* sock = nullptr;
    std::uint32_t port = 0;
    std::uint32_t seq = 0;
    bool strict = false; // NETLINK_GET_STRICT_CHK set (before the first GET request)
    std::string extack;
    alignas(nlmsghdr) char tx[nl::tx_size];
    char* rx = nullptr; // heap: nl::rx_size bytes

    ~impl()
    {
        if (sock)
            mnl_socket_close(sock);
        std::free(rx);
    }

    nlmsghdr* start(std::uint16_t type, std::uint16_t flags) noexcept
    {
        std::memset(tx, 0, sizeof(nlmsghdr));
        nlmsghdr* h = mnl_nlmsg_put_header(tx);
        h->nlmsg_type = type;
        h->nlmsg_flags = static_cast<std::uint16_t>(NLM_F_REQUEST | NLM_F_ACK | flags);
        return h;
    }

    template <class T>
    T* header(nlmsghdr* h) noexcept
    {
        return static_cast<T*>(mnl_nlmsg_put_extra_header(h, sizeof(T)));
    }

    // Send `h`, read until its ack / NLMSG_DONE.  Kernel errors -> ec.
    std::error_code transact(nlmsghdr* h, const detail::data_handler& on_data) noexcept
    {
        extack.clear();
        detail::reply_state st;
        st.seq = h->nlmsg_seq = ++seq;
        st.port_id = port;
        st.dump = h->nlmsg_flags & NLM_F_DUMP;
        const int fd = mnl_socket_get_fd(sock);
        // Strict checking changes only how the kernel reads GET requests
        // (rtnetlink's kind = type & 3, 2 = GET): one syscall less for sockets
        // that only configure, e.g. connect_veth's.
        if (!strict && (h->nlmsg_type & 3) == 2) {
            const int one = 1;
            ::setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof one);
            strict = true;
        }
        if (mnl_socket_sendto(sock, h, h->nlmsg_len) < 0)
            return nskit::detail::last_error();
        while (!st.done) {
            sockaddr_nl from{};
            iovec iov{rx, nl::rx_size};
            msghdr msg{};
            msg.msg_name = &from;
            msg.msg_namelen = sizeof from;
            msg.msg_iov = &iov;
            msg.msg_iovlen = 1;
            ssize_t n = ::recvmsg(fd, &msg, 0);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                return nskit::detail::last_error(); // ENOBUFS included: the kernel dropped messages
            }
            if (msg.msg_flags & MSG_TRUNC)
                return nl::sys_error(EMSGSIZE); // never read a cut datagram
            if (from.nl_pid != 0)
                continue; // not from the kernel
            std::error_code ec;
            try {
                ec = detail::walk_datagram(rx, static_cast<std::size_t>(n), st, on_data);
            } catch (const std::bad_alloc&) {
                ec = nl::sys_error(ENOMEM);
            }
            if (ec)
                return ec;
        }
        extack = std::move(st.extack);
        if (st.error)
            return nl::sys_error(st.error);
        if (st.interrupted)
            return nl::sys_error(EINTR); // dump(): restart
        return {};
    }

    template <class Reset>
    std::error_code dump(nlmsghdr* h, Reset reset, const detail::data_handler& on_data) noexcept
    {
        const auto saved = *h; // transact rewrites seq
        std::error_code ec;
        for (int i = 0; i < nl::dump_attempts; ++i) {
            reset();
            *h = saved;
            ec = transact(h, on_data);
            if (ec != std::errc::interrupted)
                return ec;
        }
        return nl::sys_error(EAGAIN);
    }
};

namespace nl {

inline std::string_view extack_of(const netlink::impl* im) noexcept
{
    return im ? std::string_view(im->extack) : std::string_view();
}

// The throwing form of a call: run the error_code form, throw with the detail.
template <class F>
auto or_throw(F&& f)
{
    std::error_code ec;
    if constexpr (std::is_void_v<std::invoke_result_t<F, std::error_code&>>) {
        f(ec);
        throw_if(ec, error_kind, last_error_detail());
    } else {
        auto result = f(ec);
        throw_if(ec, error_kind, last_error_detail());
        return result;
    }
}

// A request of `type` (RTM_NEWLINK, RTM_DELLINK) on an existing link; `fill`
// adds to it, `op` names the call (built only on failure).
template <class Fill, class Op>
void link_request(netlink::impl* im, std::uint16_t type, int index, std::error_code& ec, Fill fill, Op op) noexcept
{
    ec.clear();
    if (index <= 0)
        ec = sys_error(ENODEV);
    else if (!im || !im->sock)
        ec = not_open();
    if (!ec) {
        auto* h = im->start(type, 0);
        auto* ifi = im->header<ifinfomsg>(h);
        ifi->ifi_family = AF_UNSPEC;
        ifi->ifi_index = index;
        fill(h, ifi);
        ec = im->transact(h, {});
    }
    if (ec)
        note_failure(ec, op, extack_of(im));
}

// RTM_NEWLINK on an existing link.
template <class Fill, class Op>
void modify_link(netlink::impl* im, int index, std::error_code& ec, Fill fill, Op op) noexcept
{
    link_request(im, RTM_NEWLINK, index, ec, fill, op);
}

// RTM_GETLINK for one link, by index or (index 0) by name.
std::error_code get_link(netlink::impl& im, int index, std::string_view name, link_info& out) noexcept;
// IFLA_AF_SPEC { AF_INET6 { IFLA_INET6_ADDR_GEN_MODE } }
void put_addr_gen(nlmsghdr* h, bool on);
std::error_code set_addr_gen(netlink::impl& im, int index, bool on) noexcept;

} // namespace nl
} // namespace nskit::net
