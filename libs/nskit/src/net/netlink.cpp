#include <nskit/net/netlink.hpp>
#include <nskit/net/detail/reply.hpp>
#include "internal.hpp"
#include <nskit/sys/error.hpp>
#include <nskit/sys/in_netns.hpp>
#include <nskit/sys/nsfs.hpp>
#include <nskit/sys/pidfd.hpp>
#include <nskit/sys/unique_fd.hpp>

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <linux/veth.h>
#include <net/if.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>

// PIDFD_GET_NET_NAMESPACE: 6.11, not in Debian 12's 6.1 headers.
#ifndef PIDFD_GET_NET_NAMESPACE
#define PIDFD_GET_NET_NAMESPACE _IO(0xFF, 4)
#endif

namespace nskit::net {
namespace {

thread_local std::string error_detail;
thread_local op_kind error_kind = op_kind::netlink; // what failed, for the hint

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

std::error_code sys_error(int e) { return {e, std::system_category()}; }

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

resolved_target resolve(const netns_target& t, std::error_code& ec) noexcept
{
    resolved_target r;
    switch (t.how) {
    case netns_target::kind::current:
        break;
    case netns_target::kind::fd:
        if (t.value < 0)
            ec = sys_error(EBADF);
        r.fd = t.value;
        break;
    case netns_target::kind::pid:
        if (t.value <= 0)
            ec = error::bad_pid;
        r.pid = t.value;
        break;
    case netns_target::kind::pidfd: {
        if (t.value < 0) {
            ec = sys_error(EBADF);
            break;
        }
        int fd = ::ioctl(t.value, PIDFD_GET_NET_NAMESPACE, 0);
        if (fd < 0 && (errno == ENOTTY || errno == EINVAL)) {
            // Before 6.11: /proc/PID/ns/net, then make sure the pidfd's process
            // was still alive after the open, so the pid was not reused.
            const pid_t pid = sys::pidfd_get_pid(t.value, ec);
            if (ec)
                break;
            if (pid <= 0) {
                ec = sys_error(ESRCH);
                break;
            }
            r.owned = sys::open_ns(pid, sys::ns_type::net, ec);
            if (ec)
                break;
            fd = r.owned.get();
            sys::pidfd_send_signal(t.value, 0, ec);
            if (ec)
                break;
            r.fd = fd;
            break;
        }
        if (fd < 0) {
            ec = nskit::detail::last_error();
            break;
        }
        r.owned.reset(fd);
        r.fd = fd;
        break;
    }
    }
    return r;
}

} // namespace

const std::string& last_error_detail() noexcept { return error_detail; }
op_kind detail::last_error_kind() noexcept { return error_kind; }
std::string detail::take_error_detail() noexcept { return std::move(error_detail); }

void detail::set_error_detail(std::string_view text) noexcept
{
    try {
        error_detail.assign(text);
    } catch (...) {
        error_detail.clear();
    }
}

bool link_info::up() const noexcept { return flags & IFF_UP; }
std::string link_info::mac_string() const { return mac_to_string(mac.data(), mac.size()); }

struct netlink::impl {
    mnl_socket* sock = nullptr;
    std::uint32_t port = 0;
    std::uint32_t seq = 0;
    bool strict = false; // NETLINK_GET_STRICT_CHK set (before the first GET request)
    std::string extack;
    alignas(nlmsghdr) char tx[tx_size];
    char* rx = nullptr; // heap: rx_size bytes

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
            iovec iov{rx, rx_size};
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
                return sys_error(EMSGSIZE); // never read a cut datagram
            if (from.nl_pid != 0)
                continue; // not from the kernel
            std::error_code ec;
            try {
                ec = detail::walk_datagram(rx, static_cast<std::size_t>(n), st, on_data);
            } catch (const std::bad_alloc&) {
                ec = sys_error(ENOMEM);
            }
            if (ec)
                return ec;
        }
        extack = std::move(st.extack);
        if (st.error)
            return sys_error(st.error);
        if (st.interrupted)
            return sys_error(EINTR); // dump(): restart
        return {};
    }

    template <class Reset>
    std::error_code dump(nlmsghdr* h, Reset reset, const detail::data_handler& on_data) noexcept
    {
        const auto saved = *h; // transact rewrites seq
        std::error_code ec;
        for (int i = 0; i < dump_attempts; ++i) {
            reset();
            *h = saved;
            ec = transact(h, on_data);
            if (ec != std::errc::interrupted)
                return ec;
        }
        return sys_error(EAGAIN);
    }
};

namespace {
std::string_view extack_of(const netlink::impl* im) noexcept
{
    return im ? std::string_view(im->extack) : std::string_view();
}
} // namespace

netlink::netlink() noexcept = default;
netlink::netlink(std::unique_ptr<impl> p) noexcept : impl_(std::move(p)) {}
netlink::netlink(netlink&&) noexcept = default;
netlink& netlink::operator=(netlink&&) noexcept = default;
netlink::~netlink() = default;
bool netlink::valid() const noexcept { return impl_ && impl_->sock; }
std::uint32_t netlink::port_id() const noexcept { return impl_ ? impl_->port : 0; }

netlink netlink::open(std::error_code& ec) noexcept
{
    ec.clear();
    std::unique_ptr<impl> p(new (std::nothrow) impl);
    if (!p || !(p->rx = static_cast<char*>(std::malloc(rx_size)))) {
        ec = sys_error(ENOMEM);
        note_failure(ec, "netlink open", {});
        return {};
    }
    p->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
    if (!p->sock) {
        ec = nskit::detail::last_error();
        note_failure(ec, "netlink open", {});
        return {};
    }
    const int one = 1;
    const int fd = mnl_socket_get_fd(p->sock);
    // Extended ack: the kernel explains its errors.  Capped acks: it does not
    // echo our request back.  (Strict checking, which makes the kernel honour
    // dump filters, is switched on by the first GET request: see transact.)
    ::setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
    ::setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
    // Port id 0: the kernel picks a unique one (getpid() collides across PID namespaces).
    if (mnl_socket_bind(p->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
        ec = nskit::detail::last_error();
        note_failure(ec, "netlink bind", {});
        return {};
    }
    p->port = mnl_socket_get_portid(p->sock);
    error_detail.clear();
    return netlink(std::move(p));
}

netlink netlink::open()
{
    std::error_code ec;
    auto n = open(ec);
    throw_if(ec, error_kind, last_error_detail());
    return n;
}

namespace {
// open_in's work; `home` is the calling thread's current netns (or invalid).
netlink open_in_from(int ns_fd, unique_fd home, std::error_code& ec) noexcept
{
    std::error_code open_ec;
    auto n = sys::in_netns(ns_fd, [&]() noexcept { return netlink::open(open_ec); }, ec, std::move(home));
    if (ec) {
        note_failure(ec, [&] { return "netlink open in netns(fd " + std::to_string(ns_fd) + ")"; }, {},
                     op_kind::namespace_enter);
        return {};
    }
    ec = open_ec;
    return n;
}
} // namespace

netlink netlink::open_in(int ns_fd, std::error_code& ec) noexcept
{
    ec.clear();
    if (ns_fd < 0) {
        ec = sys_error(EBADF);
        note_failure(ec, "netlink open in netns", {});
        return {};
    }
    return open_in_from(ns_fd, unique_fd(), ec);
}

netlink detail_access::open_in(const netlink& here, int ns_fd, std::error_code& ec) noexcept
{
    ec.clear();
    if (ns_fd < 0) {
        ec = sys_error(EBADF);
        note_failure(ec, "netlink open in netns", {});
        return {};
    }
    // The way home from `here`'s socket (SIOCGSKNS: a few us) instead of a
    // /proc path walk; /proc when the ioctl is refused (no CAP_NET_ADMIN).
    unique_fd home;
    if (here.valid())
        home.reset(::ioctl(mnl_socket_get_fd(here.impl_->sock), SIOCGSKNS));
    return open_in_from(ns_fd, std::move(home), ec);
}

netlink netlink::open_in(int ns_fd)
{
    std::error_code ec;
    auto n = open_in(ns_fd, ec);
    throw_if(ec, error_kind, last_error_detail());
    return n;
}

namespace {

std::error_code not_open() { return sys_error(EBADF); }

std::string idx(int index) { return std::to_string(index); }

} // namespace

namespace {

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

// RTM_NEWLINK on an existing link; `fill` adds to the request, `op` names the
// call (built only on failure).
template <class Fill, class Op>
void modify_link(netlink::impl* im, int index, std::error_code& ec, Fill fill, Op op) noexcept
{
    ec.clear();
    if (index <= 0)
        ec = sys_error(ENODEV);
    else if (!im || !im->sock)
        ec = not_open();
    if (!ec) {
        auto* h = im->start(RTM_NEWLINK, 0);
        auto* ifi = im->header<ifinfomsg>(h);
        ifi->ifi_family = AF_UNSPEC;
        ifi->ifi_index = index;
        fill(h, ifi);
        ec = im->transact(h, {});
    }
    if (ec)
        note_failure(ec, op, extack_of(im));
}

} // namespace

// ---------------------------------------------------------------- links

std::vector<link_info> netlink::links(std::error_code& ec) noexcept
{
    std::vector<link_info> out;
    ec.clear();
    if (!valid()) {
        ec = not_open();
        note_failure(ec, "link list", {});
        return out;
    }
    auto* h = impl_->start(RTM_GETLINK, NLM_F_DUMP);
    auto* ifi = impl_->header<ifinfomsg>(h);
    ifi->ifi_family = AF_UNSPEC;
    ec = impl_->dump(h, [&] { out.clear(); }, [&](const nlmsghdr& m) {
        link_info l;
        if (auto e = detail::decode_link(m, l))
            return e;
        out.push_back(std::move(l));
        return std::error_code{};
    });
    note_failure(ec, "link list", impl_->extack);
    if (ec)
        out.clear();
    return out;
}
std::vector<link_info> netlink::links() { return or_throw([&](std::error_code& ec) { return links(ec); }); }

namespace {
std::error_code get_link(netlink::impl& im, int index, std::string_view name, link_info& out) noexcept
{
    auto* h = im.start(RTM_GETLINK, 0);
    auto* ifi = im.header<ifinfomsg>(h);
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = index;
    if (!name.empty())
        mnl_attr_put(h, IFLA_IFNAME, name.size() + 1, std::string(name).c_str());
    bool found = false;
    auto ec = im.transact(h, [&](const nlmsghdr& m) {
        if (auto e = detail::decode_link(m, out))
            return e;
        found = true;
        return std::error_code{};
    });
    if (!ec && !found)
        ec = error::malformed_reply;
    return ec;
}
} // namespace

link_info netlink::link(std::string_view name, std::error_code& ec) noexcept
{
    link_info l;
    check_interface_name(name, ec);
    if (!ec && !valid())
        ec = not_open();
    if (!ec)
        ec = get_link(*impl_, 0, name, l);
    if (ec) {
        note_failure(ec, [&] { return "link get(" + std::string(name) + ")"; }, extack_of(impl_.get()));
        return {};
    }
    return l;
}
link_info netlink::link(std::string_view name) { return or_throw([&](std::error_code& ec) { return link(name, ec); }); }

link_info netlink::link(int index, std::error_code& ec) noexcept
{
    link_info l;
    ec.clear();
    if (index <= 0)
        ec = sys_error(ENODEV);
    else if (!valid())
        ec = not_open();
    if (!ec)
        ec = get_link(*impl_, index, {}, l);
    if (ec) {
        note_failure(ec, [&] { return "link get(" + idx(index) + ")"; }, extack_of(impl_.get()));
        return {};
    }
    return l;
}
link_info netlink::link(int index) { return or_throw([&](std::error_code& ec) { return link(index, ec); }); }

int netlink::index_of(std::string_view name, std::error_code& ec) noexcept { return link(name, ec).index; }
int netlink::index_of(std::string_view name)
{
    return or_throw([&](std::error_code& ec) { return index_of(name, ec); });
}


void netlink::set_up(int index, std::error_code& ec) noexcept
{
    modify_link(
        impl_.get(), index, ec,
        [](nlmsghdr*, ifinfomsg* ifi) {
            ifi->ifi_flags = IFF_UP;
            ifi->ifi_change = IFF_UP;
        },
        [&] { return "link set up(" + idx(index) + ")"; });
}
void netlink::set_up(int index) { or_throw([&](std::error_code& ec) { set_up(index, ec); }); }

void netlink::set_down(int index, std::error_code& ec) noexcept
{
    modify_link(
        impl_.get(), index, ec, [](nlmsghdr*, ifinfomsg* ifi) { ifi->ifi_change = IFF_UP; },
        [&] { return "link set down(" + idx(index) + ")"; });
}
void netlink::set_down(int index) { or_throw([&](std::error_code& ec) { set_down(index, ec); }); }

void netlink::set_mtu(int index, unsigned mtu, std::error_code& ec) noexcept
{
    modify_link(
        impl_.get(), index, ec, [&](nlmsghdr* h, ifinfomsg*) { mnl_attr_put_u32(h, IFLA_MTU, mtu); },
        [&] { return "link set mtu(" + idx(index) + ", " + std::to_string(mtu) + ")"; });
}
void netlink::set_mtu(int index, unsigned mtu) { or_throw([&](std::error_code& ec) { set_mtu(index, mtu, ec); }); }

void netlink::set_mac(int index, std::string_view mac, std::error_code& ec) noexcept
{
    auto bytes = parse_mac(mac, ec);
    if (ec) {
        note_failure(ec, [&] { return "link set mac(" + idx(index) + ", " + std::string(mac) + ")"; }, {});
        return;
    }
    modify_link(
        impl_.get(), index, ec,
        [&](nlmsghdr* h, ifinfomsg*) { mnl_attr_put(h, IFLA_ADDRESS, bytes.size(), bytes.data()); },
        [&] { return "link set mac(" + idx(index) + ", " + std::string(mac) + ")"; });
}
void netlink::set_mac(int index, std::string_view mac)
{
    or_throw([&](std::error_code& ec) { set_mac(index, mac, ec); });
}

void netlink::rename(int index, std::string_view new_name, std::error_code& ec) noexcept
{
    check_interface_name(new_name, ec);
    if (ec) {
        note_failure(ec, [&] { return "link rename(" + idx(index) + ", " + std::string(new_name) + ")"; }, {});
        return;
    }
    const std::string n(new_name);
    modify_link(
        impl_.get(), index, ec, [&](nlmsghdr* h, ifinfomsg*) { mnl_attr_put_strz(h, IFLA_IFNAME, n.c_str()); },
        [&] { return "link rename(" + idx(index) + ", " + n + ")"; });
}
void netlink::rename(int index, std::string_view new_name)
{
    or_throw([&](std::error_code& ec) { rename(index, new_name, ec); });
}


namespace {
// IFLA_AF_SPEC { AF_INET6 { IFLA_INET6_ADDR_GEN_MODE } }
void put_addr_gen(nlmsghdr* h, bool on)
{
    auto* spec = mnl_attr_nest_start(h, IFLA_AF_SPEC);
    auto* v6 = mnl_attr_nest_start(h, AF_INET6);
    mnl_attr_put_u8(h, IFLA_INET6_ADDR_GEN_MODE, on ? IN6_ADDR_GEN_MODE_EUI64 : IN6_ADDR_GEN_MODE_NONE);
    mnl_attr_nest_end(h, v6);
    mnl_attr_nest_end(h, spec);
}

std::error_code set_addr_gen(netlink::impl& im, int index, bool on) noexcept
{
    auto* h = im.start(RTM_NEWLINK, 0);
    auto* ifi = im.header<ifinfomsg>(h);
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = index;
    put_addr_gen(h, on);
    return im.transact(h, {});
}
} // namespace

void netlink::set_ipv6_addr_gen(int index, bool on, std::error_code& ec) noexcept
{
    modify_link(
        impl_.get(), index, ec, [&](nlmsghdr* h, ifinfomsg*) { put_addr_gen(h, on); },
        [&] { return "link set addrgenmode(" + idx(index) + ")"; });
}
void netlink::set_ipv6_addr_gen(int index, bool on)
{
    or_throw([&](std::error_code& ec) { set_ipv6_addr_gen(index, on, ec); });
}

void netlink::delete_link(int index, std::error_code& ec) noexcept
{
    ec.clear();
    if (index <= 0)
        ec = sys_error(ENODEV);
    else if (!valid())
        ec = not_open();
    if (!ec) {
        auto* h = impl_->start(RTM_DELLINK, 0);
        auto* ifi = impl_->header<ifinfomsg>(h);
        ifi->ifi_family = AF_UNSPEC;
        ifi->ifi_index = index;
        ec = impl_->transact(h, {});
    }
    if (ec)
        note_failure(ec, [&] { return "link delete(" + idx(index) + ")"; }, extack_of(impl_.get()));
}
void netlink::delete_link(int index) { or_throw([&](std::error_code& ec) { delete_link(index, ec); }); }

void netlink::move_link(int index, const netns_target& to, std::error_code& ec) noexcept
{
    ec.clear();
    auto target = resolve(to, ec);
    if (!ec && to.how == netns_target::kind::current)
        ec = sys_error(EINVAL);
    if (ec) {
        note_failure(ec, [&] { return "link move(" + idx(index) + ")"; }, {});
        return;
    }
    modify_link(
        impl_.get(), index, ec,
        [&](nlmsghdr* h, ifinfomsg*) {
            if (target.fd >= 0)
                mnl_attr_put_u32(h, IFLA_NET_NS_FD, static_cast<std::uint32_t>(target.fd));
            else
                mnl_attr_put_u32(h, IFLA_NET_NS_PID, static_cast<std::uint32_t>(target.pid));
        },
        [&] { return "link move(" + idx(index) + ")"; });
}
void netlink::move_link(int index, const netns_target& to)
{
    or_throw([&](std::error_code& ec) { move_link(index, to, ec); });
}

veth_pair netlink::create_veth_pair(const veth_options& o, std::error_code& ec) noexcept
{
    const auto op = [&] { return "veth create(" + o.name + ", " + o.peer_name + ")"; };
    ec.clear();
    std::array<std::uint8_t, 6> mac{}, peer_mac{};
    check_interface_name(o.name, ec);
    if (!ec)
        check_interface_name(o.peer_name, ec);
    if (!ec && !o.mac.empty())
        mac = parse_mac(o.mac, ec);
    if (!ec && !o.peer_mac.empty())
        peer_mac = parse_mac(o.peer_mac, ec);
    resolved_target target;
    if (!ec)
        target = resolve(o.peer_netns, ec);
    if (!ec && !valid())
        ec = not_open();
    if (ec) {
        note_failure(ec, op, {});
        return {};
    }
    // NLM_F_ECHO: the kernel (6.3+) sends the new link back, with the peer's
    // index in IFLA_LINK, which saves two look-ups.
    auto* h = impl_->start(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO);
    auto* ifi = impl_->header<ifinfomsg>(h);
    ifi->ifi_family = AF_UNSPEC;
    if (o.up) {
        // Only this end: the peer cannot go up before this end exists (ENOTCONN).
        ifi->ifi_flags = IFF_UP;
        ifi->ifi_change = IFF_UP;
    }
    mnl_attr_put_strz(h, IFLA_IFNAME, o.name.c_str());
    if (!o.mac.empty())
        mnl_attr_put(h, IFLA_ADDRESS, mac.size(), mac.data());
    if (o.mtu)
        mnl_attr_put_u32(h, IFLA_MTU, o.mtu);
    auto* info = mnl_attr_nest_start(h, IFLA_LINKINFO);
    mnl_attr_put_strz(h, IFLA_INFO_KIND, "veth");
    auto* data = mnl_attr_nest_start(h, IFLA_INFO_DATA);
    auto* peer = mnl_attr_nest_start(h, VETH_INFO_PEER);
    auto* pifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(h, sizeof(ifinfomsg)));
    pifi->ifi_family = AF_UNSPEC;
    mnl_attr_put_strz(h, IFLA_IFNAME, o.peer_name.c_str());
    if (!o.peer_mac.empty())
        mnl_attr_put(h, IFLA_ADDRESS, peer_mac.size(), peer_mac.data());
    if (o.mtu)
        mnl_attr_put_u32(h, IFLA_MTU, o.mtu);
    if (target.fd >= 0)
        mnl_attr_put_u32(h, IFLA_NET_NS_FD, static_cast<std::uint32_t>(target.fd));
    else if (target.pid > 0)
        mnl_attr_put_u32(h, IFLA_NET_NS_PID, static_cast<std::uint32_t>(target.pid));
    mnl_attr_nest_end(h, peer);
    mnl_attr_nest_end(h, data);
    mnl_attr_nest_end(h, info);
    link_info l;
    ec = impl_->transact(h, [&](const nlmsghdr& m) {
        link_info echoed;
        if (auto e = detail::decode_link(m, echoed))
            return e;
        if (echoed.name == o.name && l.index == 0)
            l = std::move(echoed);
        return std::error_code{};
    });
    if (ec) {
        note_failure(ec, op, impl_->extack);
        return {};
    }
    if (l.index <= 0 || l.peer_index <= 0) { // a kernel without the echo
        ec = get_link(*impl_, 0, o.name, l);
        if (ec) {
            note_failure(ec, [&] { return op() + ": look up the new link"; }, impl_->extack);
            return {};
        }
    }
    if (!o.ipv6_addr_gen) {
        // The kernel refuses IFLA_AF_SPEC in a create request (EAFNOSUPPORT,
        // 6.18), so switch address generation off on both ends before either
        // is up: no link-local address is ever generated.
        const std::string* end = &o.name; // the end being switched, for the message
        ec = set_addr_gen(*impl_, l.index, false);
        if (!ec) {
            end = &o.peer_name;
            if (o.peer_netns.how == netns_target::kind::current) {
                ec = set_addr_gen(*impl_, l.peer_index, false);
            } else {
                unique_fd byproc;
                int fd = target.fd;
                if (fd < 0) {
                    byproc = sys::open_ns(target.pid, sys::ns_type::net, ec);
                    fd = byproc.get();
                }
                if (!ec) {
                    auto there = open_in(fd, ec);
                    if (!ec)
                        ec = set_addr_gen(*there.impl_, l.peer_index, false);
                }
            }
        }
        if (ec) {
            const std::string why = std::move(impl_->extack); // a move: no allocation
            std::error_code ignored;
            delete_link(l.index, ignored); // takes the peer with it
            note_failure(ec, [&] { return op() + ": switch IPv6 address generation off on " + *end; }, why);
            return {};
        }
    }
    return {l.index, l.peer_index};
}
veth_pair netlink::create_veth_pair(const veth_options& o)
{
    return or_throw([&](std::error_code& ec) { return create_veth_pair(o, ec); });
}

int netlink::create_veth(const veth_options& o, std::error_code& ec) noexcept { return create_veth_pair(o, ec).index; }
int netlink::create_veth(const veth_options& o)
{
    return or_throw([&](std::error_code& ec) { return create_veth(o, ec); });
}

// ---------------------------------------------------------------- addresses

namespace {
std::error_code address_request(netlink::impl& im, std::uint16_t type, std::uint16_t flags, int index, const cidr& a,
                                const address_options& o) noexcept
{
    auto* h = im.start(type, flags);
    auto* ifa = im.header<ifaddrmsg>(h);
    ifa->ifa_family = static_cast<std::uint8_t>(a.address.family);
    ifa->ifa_prefixlen = static_cast<std::uint8_t>(a.prefix_len);
    ifa->ifa_index = static_cast<unsigned>(index);
    const auto len = a.address.size();
    mnl_attr_put(h, IFA_LOCAL, len, a.address.bytes.data());
    if (!o.peer.empty())
        mnl_attr_put(h, IFA_ADDRESS, len, o.peer.bytes.data());
    else
        mnl_attr_put(h, IFA_ADDRESS, len, a.address.bytes.data());
    if (o.nodad)
        mnl_attr_put_u32(h, IFA_FLAGS, IFA_F_NODAD);
    return im.transact(h, {});
}

std::error_code check_cidr(const cidr& a) noexcept
{
    if (!a.address.is_v4() && !a.address.is_v6())
        return error::bad_address;
    if (a.prefix_len > a.address.size() * 8)
        return error::bad_prefix_length;
    return {};
}
} // namespace

void netlink::add_address(int index, const cidr& a, std::error_code& ec, const address_options& o) noexcept
{
    ec = check_cidr(a);
    if (!ec && !o.peer.empty() && o.peer.family != a.address.family)
        ec = error::bad_address;
    if (!ec && index <= 0)
        ec = sys_error(ENODEV);
    if (!ec && !valid())
        ec = not_open();
    if (!ec)
        ec = address_request(*impl_, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, index, a, o);
    if (ec)
        note_failure(ec, [&] { return "address add(" + a.to_string() + ", dev " + idx(index) + ")"; }, extack_of(impl_.get()));
}
void netlink::add_address(int index, const cidr& a, const address_options& o)
{
    std::error_code ec;
    add_address(index, a, ec, o);
    throw_if(ec, error_kind, last_error_detail());
}

void netlink::delete_address(int index, const cidr& a, std::error_code& ec) noexcept
{
    ec = check_cidr(a);
    if (!ec && index <= 0)
        ec = sys_error(ENODEV);
    if (!ec && !valid())
        ec = not_open();
    if (!ec)
        ec = address_request(*impl_, RTM_DELADDR, 0, index, a, {});
    if (ec)
        note_failure(ec, [&] { return "address delete(" + a.to_string() + ", dev " + idx(index) + ")"; }, extack_of(impl_.get()));
}
void netlink::delete_address(int index, const cidr& a)
{
    or_throw([&](std::error_code& ec) { delete_address(index, a, ec); });
}

std::vector<address_info> netlink::addresses(int family, int index, std::error_code& ec) noexcept
{
    std::vector<address_info> out;
    ec.clear();
    if (family != 0 && family != AF_INET && family != AF_INET6)
        ec = sys_error(EAFNOSUPPORT);
    else if (!valid())
        ec = not_open();
    if (!ec) {
        auto* h = impl_->start(RTM_GETADDR, NLM_F_DUMP);
        auto* ifa = impl_->header<ifaddrmsg>(h);
        ifa->ifa_family = static_cast<std::uint8_t>(family);
        ifa->ifa_index = static_cast<unsigned>(index); // strict checking: the kernel filters
        ec = impl_->dump(h, [&] { out.clear(); }, [&](const nlmsghdr& m) {
            address_info a;
            if (auto e = detail::decode_address(m, a))
                return e;
            if ((family == 0 || a.family == family) && (index == 0 || a.index == index))
                out.push_back(std::move(a));
            return std::error_code{};
        });
    }
    if (ec) {
        note_failure(ec, "address list", extack_of(impl_.get()));
        out.clear();
    }
    return out;
}
std::vector<address_info> netlink::addresses(int family, int index)
{
    return or_throw([&](std::error_code& ec) { return addresses(family, index, ec); });
}

// ---------------------------------------------------------------- routes

namespace {
std::error_code route_request(netlink::impl& im, std::uint16_t type, std::uint16_t flags, const route_spec& r) noexcept
{
    const int family = r.destination.address.family;
    auto* h = im.start(type, flags);
    auto* rt = im.header<rtmsg>(h);
    rt->rtm_family = static_cast<std::uint8_t>(family);
    rt->rtm_dst_len = static_cast<std::uint8_t>(r.destination.prefix_len);
    rt->rtm_table = static_cast<std::uint8_t>(r.table < 256 ? r.table : unsigned{RT_TABLE_UNSPEC});
    if (type == RTM_NEWROUTE) {
        rt->rtm_protocol = RTPROT_BOOT;
        rt->rtm_type = RTN_UNICAST;
        rt->rtm_scope = r.gateway.empty() ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
    } else {
        rt->rtm_scope = RT_SCOPE_NOWHERE;
    }
    if (r.table >= 256)
        mnl_attr_put_u32(h, RTA_TABLE, r.table);
    if (r.destination.prefix_len > 0) {
        // The kernel wants the network address: clear the host bits.
        ip_address net = r.destination.address;
        for (unsigned bit = r.destination.prefix_len; bit < net.size() * 8; ++bit)
            net.bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
        mnl_attr_put(h, RTA_DST, net.size(), net.bytes.data());
    }
    if (!r.gateway.empty())
        mnl_attr_put(h, RTA_GATEWAY, r.gateway.size(), r.gateway.bytes.data());
    if (r.oif > 0)
        mnl_attr_put_u32(h, RTA_OIF, static_cast<std::uint32_t>(r.oif));
    if (r.metric)
        mnl_attr_put_u32(h, RTA_PRIORITY, r.metric);
    return im.transact(h, {});
}

std::error_code check_route(const route_spec& r) noexcept
{
    if (auto ec = check_cidr(r.destination))
        return ec;
    if (!r.gateway.empty() && r.gateway.family != r.destination.address.family)
        return error::bad_address;
    if (r.oif < 0)
        return std::error_code(ENODEV, std::system_category());
    return {};
}

std::string describe_route(const route_spec& r)
{
    std::string s = r.destination.prefix_len ? r.destination.to_string() : "default";
    if (!r.gateway.empty())
        s += " via " + r.gateway.to_string();
    if (r.oif)
        s += " dev " + std::to_string(r.oif);
    if (r.metric)
        s += " metric " + std::to_string(r.metric);
    return s;
}
} // namespace

void netlink::add_route(const route_spec& r, std::error_code& ec) noexcept
{
    ec = check_route(r);
    if (!ec && !valid())
        ec = not_open();
    if (!ec)
        ec = route_request(*impl_, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, r);
    if (ec)
        note_failure(ec, [&] { return "route add(" + describe_route(r) + ")"; }, extack_of(impl_.get()));
}
void netlink::add_route(const route_spec& r) { or_throw([&](std::error_code& ec) { add_route(r, ec); }); }

void netlink::delete_route(const route_spec& r, std::error_code& ec) noexcept
{
    ec = check_route(r);
    if (!ec && !valid())
        ec = not_open();
    if (!ec)
        ec = route_request(*impl_, RTM_DELROUTE, 0, r);
    if (ec)
        note_failure(ec, [&] { return "route delete(" + describe_route(r) + ")"; }, extack_of(impl_.get()));
}
void netlink::delete_route(const route_spec& r) { or_throw([&](std::error_code& ec) { delete_route(r, ec); }); }

std::vector<route_info> netlink::routes(int family, std::error_code& ec, unsigned table) noexcept
{
    std::vector<route_info> out;
    ec.clear();
    if (family != 0 && family != AF_INET && family != AF_INET6)
        ec = sys_error(EAFNOSUPPORT);
    else if (!valid())
        ec = not_open();
    if (!ec) {
        auto* h = impl_->start(RTM_GETROUTE, NLM_F_DUMP);
        auto* rt = impl_->header<rtmsg>(h);
        rt->rtm_family = static_cast<std::uint8_t>(family);
        ec = impl_->dump(h, [&] { out.clear(); }, [&](const nlmsghdr& m) {
            route_info r;
            if (auto e = detail::decode_route(m, r))
                return e;
            if ((r.family == AF_INET || r.family == AF_INET6) && (family == 0 || r.family == family) &&
                (table == 0 || r.table == table))
                out.push_back(std::move(r));
            return std::error_code{};
        });
    }
    if (ec) {
        note_failure(ec, "route list", extack_of(impl_.get()));
        out.clear();
    }
    return out;
}
std::vector<route_info> netlink::routes(int family, unsigned table)
{
    std::error_code ec;
    auto r = routes(family, ec, table);
    throw_if(ec, error_kind, last_error_detail());
    return r;
}

} // namespace nskit::net
