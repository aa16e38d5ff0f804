// nskit::net::netlink: the failure record, opening the socket (here or in
// another network namespace) and naming a target namespace.  Requests:
// netlink_link.cpp, netlink_veth.cpp, netlink_addr.cpp.
#include "netlink_impl.hpp"
#include <nskit/sys/in_netns.hpp>
#include <nskit/sys/nsfs.hpp>
#include <nskit/sys/pidfd.hpp>

#include <net/if.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>

#include <cerrno>

// PIDFD_GET_NET_NAMESPACE: 6.11, not in Debian 12's 6.1 headers.
#ifndef PIDFD_GET_NET_NAMESPACE
#define PIDFD_GET_NET_NAMESPACE _IO(0xFF, 4)
#endif

namespace nskit::net {
using namespace nl;

resolved_target nl::resolve(const netns_target& t, std::error_code& ec) noexcept
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

} // namespace nskit::net
