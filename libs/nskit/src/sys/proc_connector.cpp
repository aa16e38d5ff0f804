// The proc connector over libmnl: libmnl opens and binds the socket and
// builds and walks the messages; the receive is recvmsg itself, to see the
// sender's port (a user process can unicast to our port; only the kernel's,
// port 0, counts).
#include <nskit/sys/proc_connector.hpp>

#include <nskit/sys/error.hpp>

#include <libmnl/libmnl.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>
#include <string>

namespace nskit::sys {

using nskit::detail::last_error;

namespace {

// Everything the kernel puts in one datagram: nlmsghdr + cn_msg + proc_event,
// several per read at most; a page is ample.
constexpr std::size_t rx_size = 8192;
// How long open() waits for the kernel to acknowledge the subscription.
constexpr int ack_wait_ms = 2000;

std::error_code sys_error(int e) noexcept { return {e, std::system_category()}; }

std::uint64_t monotonic_ns() noexcept
{
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000u + static_cast<std::uint64_t>(ts.tv_nsec);
}

} // namespace

struct proc_connector::impl {
    mnl_socket* sock = nullptr;
    std::uint32_t seq = 0;
    std::vector<proc_event> early; // events read while open() waited for the ack
    alignas(nlmsghdr) char rx[rx_size];

    ~impl()
    {
        if (sock) {
            subscribe(PROC_CN_MCAST_IGNORE); // best effort: the kernel counts listeners
            mnl_socket_close(sock);
        }
    }

    int fd() const noexcept { return mnl_socket_get_fd(sock); }

    bool subscribe(proc_cn_mcast_op op) noexcept
    {
        alignas(nlmsghdr) char tx[NLMSG_SPACE(sizeof(cn_msg) + sizeof(proc_cn_mcast_op))]{};
        nlmsghdr* h = mnl_nlmsg_put_header(tx);
        h->nlmsg_type = NLMSG_DONE;
        h->nlmsg_pid = mnl_socket_get_portid(sock);
        h->nlmsg_seq = ++seq;
        auto* cn = static_cast<cn_msg*>(mnl_nlmsg_put_extra_header(h, sizeof(cn_msg) + sizeof op));
        cn->id.idx = CN_IDX_PROC;
        cn->id.val = CN_VAL_PROC;
        cn->seq = seq;
        cn->ack = seq; // the kernel acks with seq kept and ack + 1
        cn->len = sizeof op;
        std::memcpy(cn->data, &op, sizeof op);
        return mnl_socket_sendto(sock, h, h->nlmsg_len) >= 0;
    }

    // One recvmsg; -1 with ec on failure (EAGAIN: nothing waiting).
    ssize_t receive(std::error_code& ec) noexcept
    {
        sockaddr_nl from{};
        iovec iov{rx, sizeof rx};
        msghdr msg{};
        msg.msg_name = &from;
        msg.msg_namelen = sizeof from;
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        ssize_t n;
        do
            n = ::recvmsg(fd(), &msg, MSG_DONTWAIT);
        while (n < 0 && errno == EINTR);
        if (n < 0) {
            ec = last_error();
            return -1;
        }
        if (from.nl_pid != 0 || (msg.msg_flags & MSG_TRUNC))
            return 0; // not from the kernel, or cut: nothing to trust in it
        return n;
    }

    // Decode the datagram in rx; acks for `ack_seq` set *acked and *ack_err.
    void decode(ssize_t n, std::vector<proc_event>& out, std::uint32_t ack_seq, bool* acked, std::uint32_t* ack_err)
    {
        const auto* h = reinterpret_cast<const nlmsghdr*>(rx);
        int left = static_cast<int>(n);
        for (; mnl_nlmsg_ok(h, left); h = mnl_nlmsg_next(h, &left)) {
            if (h->nlmsg_type != NLMSG_DONE || mnl_nlmsg_get_payload_len(h) < sizeof(cn_msg))
                continue;
            const auto* cn = static_cast<const cn_msg*>(mnl_nlmsg_get_payload(h));
            if (cn->id.idx != CN_IDX_PROC || cn->id.val != CN_VAL_PROC ||
                mnl_nlmsg_get_payload_len(h) < sizeof(cn_msg) + cn->len)
                continue;
            proc_event_from(cn, out, ack_seq, acked, ack_err);
        }
    }

    static void proc_event_from(const cn_msg* cn, std::vector<proc_event>& out, std::uint32_t ack_seq, bool* acked,
                                std::uint32_t* ack_err)
    {
        ::proc_event ev{};
        if (cn->len < offsetof(::proc_event, event_data))
            return;
        std::memcpy(&ev, cn->data, std::min<std::size_t>(cn->len, sizeof ev));
        proc_event e;
        e.time_ns = ev.timestamp_ns;
        switch (ev.what) {
        case ::proc_event::PROC_EVENT_NONE:
            if (acked && cn->ack == ack_seq + 1) { // (its seq is the kernel's own)
                *acked = true;
                *ack_err = ev.event_data.ack.err;
            }
            return;
        case ::proc_event::PROC_EVENT_FORK:
            e.what = proc_event::kind::fork;
            e.pid = ev.event_data.fork.child_tgid;
            e.tid = ev.event_data.fork.child_pid;
            e.parent_pid = ev.event_data.fork.parent_tgid;
            break;
        case ::proc_event::PROC_EVENT_EXEC:
            e.what = proc_event::kind::exec;
            e.pid = ev.event_data.exec.process_tgid;
            e.tid = ev.event_data.exec.process_pid;
            break;
        case ::proc_event::PROC_EVENT_EXIT:
            e.what = proc_event::kind::exit;
            e.pid = ev.event_data.exit.process_tgid;
            e.tid = ev.event_data.exit.process_pid;
            e.exit_code = static_cast<int>(ev.event_data.exit.exit_code);
            e.parent_pid = ev.event_data.exit.parent_tgid;
            break;
        default: return;
        }
        out.push_back(e);
    }

    // After LISTEN: read until the kernel's ack for it, keeping the events
    // that come first.
    std::error_code await_ack(std::uint32_t listen_seq)
    {
        const std::uint64_t deadline = monotonic_ns() + ack_wait_ms * 1000000ull;
        for (;;) {
            const std::uint64_t now = monotonic_ns();
            if (now >= deadline)
                return sys_error(ETIMEDOUT);
            pollfd p{fd(), POLLIN, 0};
            const int r = ::poll(&p, 1, static_cast<int>((deadline - now) / 1000000u) + 1);
            if (r < 0 && errno != EINTR)
                return last_error();
            if (r <= 0)
                continue;
            std::error_code ec;
            const ssize_t n = receive(ec);
            if (ec == std::errc::resource_unavailable_try_again || ec == std::errc::no_buffer_space)
                continue; // lost events before the ack: nothing the caller has asked for yet
            if (ec)
                return ec;
            bool acked = false;
            std::uint32_t err = 0;
            decode(n, early, listen_seq, &acked, &err);
            if (acked)
                return err ? sys_error(static_cast<int>(err)) : std::error_code{};
        }
    }
};

proc_connector::proc_connector() noexcept = default;
proc_connector::proc_connector(std::unique_ptr<impl> p) noexcept : impl_(std::move(p)) {}
proc_connector::proc_connector(proc_connector&&) noexcept = default;
proc_connector& proc_connector::operator=(proc_connector&&) noexcept = default;
proc_connector::~proc_connector() = default;

bool proc_connector::is_open() const noexcept { return impl_ && impl_->sock; }
int proc_connector::fd() const noexcept { return is_open() ? impl_->fd() : -1; }

proc_connector proc_connector::open(std::error_code& ec, int receive_buffer) noexcept
{
    ec.clear();
    if (receive_buffer < 0) {
        ec = sys_error(EINVAL);
        return {};
    }
    std::unique_ptr<impl> p(new (std::nothrow) impl);
    if (!p) {
        ec = sys_error(ENOMEM);
        return {};
    }
    p->sock = mnl_socket_open2(NETLINK_CONNECTOR, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (!p->sock) {
        ec = last_error();
        return {};
    }
    if (receive_buffer > 0 &&
        ::setsockopt(p->fd(), SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer) != 0) {
        ec = last_error();
        return {};
    }
    // Port id 0: the kernel picks one (getpid() collides across PID namespaces).
    if (mnl_socket_bind(p->sock, CN_IDX_PROC, MNL_SOCKET_AUTOPID) < 0) {
        ec = last_error();
        return {};
    }
    // A sequence number of our own (the ack is multicast to every listener).
    p->seq = mnl_socket_get_portid(p->sock) << 8;
    if (!p->subscribe(PROC_CN_MCAST_LISTEN)) {
        ec = last_error();
        return {};
    }
    try {
        ec = p->await_ack(p->seq);
    } catch (const std::bad_alloc&) {
        ec = sys_error(ENOMEM);
    }
    if (ec)
        return {};
    return proc_connector(std::move(p));
}

proc_connector proc_connector::open(int receive_buffer)
{
    std::error_code ec;
    auto c = open(ec, receive_buffer);
    throw_if(ec, op_kind::proc_connector,
             "proc_connector open (NETLINK_CONNECTOR, CN_IDX_PROC, receive buffer " + std::to_string(receive_buffer) +
                 ")");
    return c;
}

std::size_t proc_connector::read(std::vector<proc_event>& out, std::error_code& ec)
{
    ec.clear();
    if (!is_open()) {
        ec = sys_error(EBADF);
        return 0;
    }
    const std::size_t before = out.size();
    if (!impl_->early.empty()) {
        out.insert(out.end(), impl_->early.begin(), impl_->early.end());
        impl_->early.clear();
    }
    for (;;) {
        const ssize_t n = impl_->receive(ec);
        if (ec == std::errc::resource_unavailable_try_again || ec == std::errc::operation_would_block) {
            ec.clear();
            break;
        }
        if (ec)
            break;
        impl_->decode(n, out, 0, nullptr, nullptr);
    }
    return out.size() - before;
}

std::size_t proc_connector::read(std::vector<proc_event>& out)
{
    std::error_code ec;
    const std::size_t n = read(out, ec);
    throw_if(ec, op_kind::proc_connector, "proc_connector read");
    return n;
}

} // namespace nskit::sys
