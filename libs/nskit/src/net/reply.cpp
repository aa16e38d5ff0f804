// Reply parsing only: no sockets here (fuzzed by test/fuzz/fuzz_netlink_reply.cpp).
#include <nskit/net/detail/reply.hpp>
#include <nskit/sys/error.hpp>

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <array>
#include <cstring>

namespace nskit::net::detail {
namespace {

constexpr int max_attr = 64;

// Attributes we read, with the type they must validate as.  Unknown or
// unlisted attributes are skipped unread.
struct rule {
    std::uint16_t type;
    mnl_attr_data_type kind;
    std::size_t len; // exact (BINARY) or 0 = the kind's own rule
};

struct attr_table {
    std::array<const nlattr*, max_attr> at{};
    const rule* rules = nullptr;
    std::size_t nrules = 0;
    int family_len = 0; // for addresses: 4 or 16
};

int collect(const nlattr* a, void* data)
{
    auto* t = static_cast<attr_table*>(data);
    const std::uint16_t type = mnl_attr_get_type(a);
    for (std::size_t i = 0; i < t->nrules; ++i) {
        const rule& r = t->rules[i];
        if (r.type != type)
            continue;
        std::size_t want = r.len;
        if (want == SIZE_MAX) // an IP address: the message's family decides
            want = static_cast<std::size_t>(t->family_len);
        int rc = want ? mnl_attr_validate2(a, r.kind, want) : mnl_attr_validate(a, r.kind);
        if (rc < 0 || (want && mnl_attr_get_payload_len(a) != want))
            return MNL_CB_ERROR;
        if (type < max_attr)
            t->at[type] = a;
        return MNL_CB_OK;
    }
    return MNL_CB_OK;
}

// Parse attributes from `payload` (after a fixed header of `hdr` bytes).
bool parse_attrs(const nlmsghdr& m, std::size_t hdr, attr_table& t)
{
    if (mnl_nlmsg_get_payload_len(&m) < hdr)
        return false;
    return mnl_attr_parse(&m, static_cast<unsigned>(hdr), collect, &t) >= MNL_CB_STOP;
}

bool parse_nested(const nlattr* nest, attr_table& t)
{
    return mnl_attr_parse_nested(nest, collect, &t) >= MNL_CB_STOP;
}

std::error_code bad() { return error::malformed_reply; }

int family_len(int family) { return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0; }

ip_address address_from(const nlattr* a, int family)
{
    ip_address ip;
    if (!a)
        return ip;
    ip.family = family;
    std::memcpy(ip.bytes.data(), mnl_attr_get_payload(a), static_cast<std::size_t>(family_len(family)));
    return ip;
}

// Extended ack TLVs behind an NLMSG_ERROR / NLMSG_DONE header of `hdr` bytes.
void read_extack(const nlmsghdr& m, std::size_t hdr, reply_state& st)
{
    if (!(m.nlmsg_flags & NLM_F_ACK_TLVS))
        return;
    static constexpr rule rules[] = {{NLMSGERR_ATTR_MSG, MNL_TYPE_NUL_STRING, 0}};
    attr_table t;
    t.rules = rules;
    t.nrules = 1;
    if (!parse_attrs(m, hdr, t) || !t.at[NLMSGERR_ATTR_MSG])
        return;
    st.extack = mnl_attr_get_str(t.at[NLMSGERR_ATTR_MSG]);
}

// NLMSG_ERROR: the request's answer (0 is the ack), then the request echoed
// unless capped, then extended ack TLVs.
std::error_code read_error(const nlmsghdr& m, std::size_t payload, reply_state& st)
{
    if (payload < sizeof(nlmsgerr))
        return bad();
    const auto* e = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(&m));
    if (e->error > 0 || e->error < -4095)
        return bad();
    st.error = -e->error;
    st.done = true;
    std::size_t hdr = sizeof(nlmsgerr);
    if (!(m.nlmsg_flags & NLM_F_CAPPED)) {
        if (e->msg.nlmsg_len < sizeof(nlmsghdr))
            return bad();
        hdr += e->msg.nlmsg_len - sizeof(nlmsghdr);
    }
    if (hdr > payload && (m.nlmsg_flags & NLM_F_ACK_TLVS))
        return bad();
    if (hdr <= payload)
        read_extack(m, hdr, st);
    return {};
}

// NLMSG_DONE: the end of a dump, with its error and extended ack TLVs.
std::error_code read_done(const nlmsghdr& m, std::size_t payload, reply_state& st)
{
    if (!st.dump)
        return bad();
    if (payload < sizeof(int))
        return bad();
    int err;
    std::memcpy(&err, mnl_nlmsg_get_payload(&m), sizeof err);
    if (err > 0 || err < -4095)
        return bad();
    st.error = -err;
    st.done = true;
    read_extack(m, sizeof(int), st);
    return {};
}

// One message addressed to this request, before its final one.
std::error_code read_message(const nlmsghdr& m, reply_state& st, const data_handler& on_data)
{
    if (m.nlmsg_flags & NLM_F_DUMP_INTR)
        st.interrupted = true;
    const std::size_t payload = m.nlmsg_len - sizeof(nlmsghdr);
    switch (m.nlmsg_type) {
    case NLMSG_NOOP:
        return {};
    case NLMSG_OVERRUN:
        return std::error_code(ENOBUFS, std::system_category());
    case NLMSG_ERROR:
        return read_error(m, payload, st);
    case NLMSG_DONE:
        return read_done(m, payload, st);
    default:
        if (m.nlmsg_type < NLMSG_MIN_TYPE)
            return bad();
        if (on_data)
            return on_data(m);
        return {};
    }
}

} // namespace

std::error_code walk_datagram(const void* buf, std::size_t len, reply_state& st, const data_handler& on_data)
{
    const auto* p = static_cast<const char*>(buf);
    while (len > 0) {
        if (len < sizeof(nlmsghdr))
            return bad();
        const auto& m = *reinterpret_cast<const nlmsghdr*>(p);
        if (m.nlmsg_len < sizeof(nlmsghdr) || m.nlmsg_len > len)
            return bad();
        if (m.nlmsg_pid != st.port_id || m.nlmsg_seq != st.seq) {
            ++st.stale; // a late reply to an earlier request: not ours to read
        } else if (!st.done) { // nothing after the final message belongs to this request
            if (auto ec = read_message(m, st, on_data))
                return ec;
        }
        const std::size_t step = NLMSG_ALIGN(m.nlmsg_len);
        if (step >= len)
            break;
        p += step;
        len -= step;
    }
    return {};
}

std::error_code decode_link(const nlmsghdr& m, link_info& out)
{
    if (m.nlmsg_type != RTM_NEWLINK || mnl_nlmsg_get_payload_len(&m) < sizeof(ifinfomsg))
        return bad();
    const auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(&m));
    static constexpr rule rules[] = {
        {IFLA_IFNAME, MNL_TYPE_NUL_STRING, 0}, {IFLA_MTU, MNL_TYPE_U32, 0},
        {IFLA_ADDRESS, MNL_TYPE_BINARY, 0},    {IFLA_LINK, MNL_TYPE_U32, 0},
        {IFLA_LINK_NETNSID, MNL_TYPE_U32, 0},  {IFLA_MASTER, MNL_TYPE_U32, 0},
        {IFLA_OPERSTATE, MNL_TYPE_U8, 0},      {IFLA_LINKINFO, MNL_TYPE_NESTED, 0},
    };
    attr_table t;
    t.rules = rules;
    t.nrules = std::size(rules);
    if (!parse_attrs(m, sizeof(ifinfomsg), t))
        return bad();
    out = {};
    out.index = ifi->ifi_index;
    out.type = ifi->ifi_type;
    out.flags = ifi->ifi_flags;
    if (const auto* a = t.at[IFLA_IFNAME])
        out.name = mnl_attr_get_str(a);
    if (out.name.empty() || out.name.size() > 15)
        return bad();
    if (const auto* a = t.at[IFLA_MTU])
        out.mtu = mnl_attr_get_u32(a);
    if (const auto* a = t.at[IFLA_ADDRESS]) {
        const auto* b = static_cast<const std::uint8_t*>(mnl_attr_get_payload(a));
        if (mnl_attr_get_payload_len(a) > 32)
            return bad();
        out.mac.assign(b, b + mnl_attr_get_payload_len(a));
    }
    if (const auto* a = t.at[IFLA_LINK])
        out.peer_index = static_cast<int>(mnl_attr_get_u32(a));
    if (const auto* a = t.at[IFLA_LINK_NETNSID])
        out.peer_netnsid = static_cast<int>(mnl_attr_get_u32(a));
    if (const auto* a = t.at[IFLA_MASTER])
        out.master = static_cast<int>(mnl_attr_get_u32(a));
    if (const auto* a = t.at[IFLA_OPERSTATE])
        out.operstate = mnl_attr_get_u8(a);
    if (const auto* info = t.at[IFLA_LINKINFO]) {
        static constexpr rule inner[] = {{IFLA_INFO_KIND, MNL_TYPE_NUL_STRING, 0}};
        attr_table n;
        n.rules = inner;
        n.nrules = 1;
        if (!parse_nested(info, n))
            return bad();
        if (const auto* k = n.at[IFLA_INFO_KIND])
            out.kind = mnl_attr_get_str(k);
    }
    return {};
}

std::error_code decode_address(const nlmsghdr& m, address_info& out)
{
    if (m.nlmsg_type != RTM_NEWADDR || mnl_nlmsg_get_payload_len(&m) < sizeof(ifaddrmsg))
        return bad();
    const auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(&m));
    const int flen = family_len(ifa->ifa_family);
    if (!flen || ifa->ifa_prefixlen > flen * 8)
        return bad();
    static constexpr rule rules[] = {
        {IFA_ADDRESS, MNL_TYPE_BINARY, SIZE_MAX}, {IFA_LOCAL, MNL_TYPE_BINARY, SIZE_MAX},
        {IFA_LABEL, MNL_TYPE_NUL_STRING, 0},      {IFA_FLAGS, MNL_TYPE_U32, 0},
    };
    attr_table t;
    t.rules = rules;
    t.nrules = std::size(rules);
    t.family_len = flen;
    if (!parse_attrs(m, sizeof(ifaddrmsg), t))
        return bad();
    out = {};
    out.index = static_cast<int>(ifa->ifa_index);
    out.family = ifa->ifa_family;
    out.prefix_len = ifa->ifa_prefixlen;
    out.scope = ifa->ifa_scope;
    out.flags = ifa->ifa_flags;
    out.address = address_from(t.at[IFA_ADDRESS], ifa->ifa_family);
    out.local = address_from(t.at[IFA_LOCAL], ifa->ifa_family);
    if (out.address.empty() && out.local.empty())
        return bad();
    if (out.address.empty())
        out.address = out.local;
    if (const auto* a = t.at[IFA_LABEL])
        out.label = mnl_attr_get_str(a);
    if (const auto* a = t.at[IFA_FLAGS])
        out.flags = mnl_attr_get_u32(a);
    return {};
}

std::error_code decode_route(const nlmsghdr& m, route_info& out)
{
    if (m.nlmsg_type != RTM_NEWROUTE || mnl_nlmsg_get_payload_len(&m) < sizeof(rtmsg))
        return bad();
    const auto* rt = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(&m));
    out = {};
    out.family = rt->rtm_family;
    const int flen = family_len(rt->rtm_family);
    if (!flen)
        return {}; // another family (multicast routing, ...): the caller skips it
    if (rt->rtm_dst_len > flen * 8)
        return bad();
    static constexpr rule rules[] = {
        {RTA_DST, MNL_TYPE_BINARY, SIZE_MAX},    {RTA_GATEWAY, MNL_TYPE_BINARY, SIZE_MAX},
        {RTA_PREFSRC, MNL_TYPE_BINARY, SIZE_MAX}, {RTA_OIF, MNL_TYPE_U32, 0},
        {RTA_PRIORITY, MNL_TYPE_U32, 0},          {RTA_TABLE, MNL_TYPE_U32, 0},
    };
    attr_table t;
    t.rules = rules;
    t.nrules = std::size(rules);
    t.family_len = flen;
    if (!parse_attrs(m, sizeof(rtmsg), t))
        return bad();
    out.destination.prefix_len = rt->rtm_dst_len;
    out.destination.address = address_from(t.at[RTA_DST], rt->rtm_family);
    if (out.destination.address.empty())
        out.destination.address.family = rt->rtm_family; // default route: all zeros
    out.gateway = address_from(t.at[RTA_GATEWAY], rt->rtm_family);
    out.source = address_from(t.at[RTA_PREFSRC], rt->rtm_family);
    if (const auto* a = t.at[RTA_OIF])
        out.oif = static_cast<int>(mnl_attr_get_u32(a));
    if (const auto* a = t.at[RTA_PRIORITY])
        out.metric = mnl_attr_get_u32(a);
    out.table = rt->rtm_table;
    if (const auto* a = t.at[RTA_TABLE])
        out.table = mnl_attr_get_u32(a);
    out.protocol = rt->rtm_protocol;
    out.scope = rt->rtm_scope;
    out.type = rt->rtm_type;
    return {};
}

} // namespace nskit::net::detail
