// RTM_GETNSID over a raw NETLINK_ROUTE socket.  Kept here (not in net)
// because inspect depends on sys only.
#include "scanner.hpp"

#include <nskit/sys/error.hpp>

#include <linux/net_namespace.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>

namespace nskit::inspect::detail {

using nskit::detail::last_error;

std::int32_t get_nsid(int nl, int netns_fd, std::error_code& ec) noexcept
{
    ec.clear();
    alignas(NLMSG_ALIGNTO) char req[NLMSG_SPACE(sizeof(rtgenmsg)) + RTA_SPACE(sizeof(std::uint32_t))]{};
    auto* h = reinterpret_cast<nlmsghdr*>(req);
    h->nlmsg_len = sizeof req;
    h->nlmsg_type = RTM_GETNSID;
    h->nlmsg_flags = NLM_F_REQUEST;
    h->nlmsg_seq = 1;
    reinterpret_cast<rtgenmsg*>(NLMSG_DATA(h))->rtgen_family = AF_UNSPEC;
    auto* a = reinterpret_cast<rtattr*>(req + NLMSG_SPACE(sizeof(rtgenmsg)));
    a->rta_type = NETNSA_FD;
    a->rta_len = RTA_LENGTH(sizeof(std::uint32_t));
    const std::uint32_t fdv = static_cast<std::uint32_t>(netns_fd);
    std::memcpy(RTA_DATA(a), &fdv, sizeof fdv);
    if (::send(nl, req, sizeof req, 0) < 0) {
        ec = last_error();
        return -1;
    }
    alignas(NLMSG_ALIGNTO) char buf[512];
    ssize_t n = ::recv(nl, buf, sizeof buf, 0);
    if (n < 0) {
        ec = last_error();
        return -1;
    }
    auto* r = reinterpret_cast<nlmsghdr*>(buf);
    if (!NLMSG_OK(r, static_cast<unsigned>(n))) {
        ec = make_error_code(error::malformed_reply);
        return -1;
    }
    if (r->nlmsg_type == NLMSG_ERROR) {
        auto* e = static_cast<nlmsgerr*>(NLMSG_DATA(r));
        ec = std::error_code(-e->error, std::system_category());
        return -1;
    }
    if (r->nlmsg_type != RTM_NEWNSID || r->nlmsg_len < NLMSG_SPACE(sizeof(rtgenmsg))) {
        ec = make_error_code(error::malformed_reply);
        return -1;
    }
    int len = static_cast<int>(r->nlmsg_len - NLMSG_SPACE(sizeof(rtgenmsg)));
    for (auto* at = reinterpret_cast<rtattr*>(reinterpret_cast<char*>(r) + NLMSG_SPACE(sizeof(rtgenmsg)));
         RTA_OK(at, len); at = RTA_NEXT(at, len)) {
        if (at->rta_type == NETNSA_NSID && RTA_PAYLOAD(at) >= sizeof(std::int32_t)) {
            std::int32_t v;
            std::memcpy(&v, RTA_DATA(at), sizeof v);
            return v;
        }
    }
    return -1;
}

} // namespace nskit::inspect::detail
