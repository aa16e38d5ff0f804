#include <nskit/net/netlink.hpp>

#include "test_support.hpp"
#include "net_oracle.hpp"

#include <boost/json/src.hpp> // header-only Boost.JSON, once per test binary (see net_oracle.hpp)

#include <nskit/net/detail/reply.hpp>
#include <nskit/net/loopback.hpp>
#include <nskit/sys/error.hpp>
#include <nskit/sys/nsfs.hpp>
#include <nskit/sys/pidfd.hpp>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <thread>

using namespace nskit::net;
namespace t = nskit::test;

namespace {

nskit::unique_fd new_netns_here()
{
    if (::unshare(CLONE_NEWNET) != 0)
        return {};
    return nskit::sys::open_ns(0, nskit::sys::ns_type::net);
}

const link_info* find(const std::vector<link_info>& v, const std::string& name)
{
    for (const auto& l : v)
        if (l.name == name)
            return &l;
    return nullptr;
}

// Build netlink messages by hand for the parser tests.
struct datagram {
    alignas(4) char buf[4096] = {};
    std::size_t len = 0;
    nlmsghdr* add(std::uint16_t type, std::uint16_t flags, std::uint32_t seq, std::uint32_t pid, std::size_t payload)
    {
        auto* h = reinterpret_cast<nlmsghdr*>(buf + len);
        h->nlmsg_len = static_cast<std::uint32_t>(NLMSG_LENGTH(payload));
        h->nlmsg_type = type;
        h->nlmsg_flags = flags;
        h->nlmsg_seq = seq;
        h->nlmsg_pid = pid;
        len += NLMSG_ALIGN(h->nlmsg_len);
        return h;
    }
    std::error_code walk(detail::reply_state& st, int* data = nullptr)
    {
        return detail::walk_datagram(buf, len, st, [&](const nlmsghdr&) {
            if (data)
                ++*data;
            return std::error_code{};
        });
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(net_netlink)

BOOST_AUTO_TEST_CASE(parser_checks_seq_port_and_lengths)
{
    detail::reply_state st;
    st.seq = 7;
    st.port_id = 99;
    datagram d;
    d.add(RTM_NEWLINK, 0, 6, 99, 16);          // stale: earlier request
    d.add(RTM_NEWLINK, 0, 7, 98, 16);          // another socket's
    d.add(RTM_NEWLINK, 0, 7, 99, 16);          // ours
    auto* e = d.add(NLMSG_ERROR, 0, 7, 99, sizeof(nlmsgerr));
    reinterpret_cast<nlmsgerr*>(NLMSG_DATA(e))->error = -EEXIST;
    reinterpret_cast<nlmsgerr*>(NLMSG_DATA(e))->msg.nlmsg_len = sizeof(nlmsghdr);
    int data = 0;
    BOOST_TEST(!d.walk(st, &data));
    BOOST_TEST(data == 1);
    BOOST_TEST(st.stale == 2u);
    BOOST_TEST(st.done);
    BOOST_TEST(st.error == EEXIST);

    // a short NLMSG_ERROR is EBADMSG
    detail::reply_state s2;
    s2.seq = 1;
    s2.port_id = 5;
    datagram d2;
    d2.add(NLMSG_ERROR, 0, 1, 5, 2);
    BOOST_TEST((d2.walk(s2) == std::errc::bad_message));
    BOOST_TEST((d2.walk(s2) == nskit::error::malformed_reply));

    // a length past the end, or a header cut short
    datagram d3;
    auto* h = d3.add(RTM_NEWLINK, 0, 1, 5, 16);
    h->nlmsg_len = 4000;
    detail::reply_state s3 = s2;
    BOOST_TEST((d3.walk(s3) == std::errc::bad_message));
    detail::reply_state s4 = s2;
    BOOST_TEST((detail::walk_datagram(d3.buf, 8, s4, {}) == std::errc::bad_message));

    // a positive "errno" is nonsense
    datagram d5;
    auto* e5 = d5.add(NLMSG_ERROR, 0, 1, 5, sizeof(nlmsgerr));
    reinterpret_cast<nlmsgerr*>(NLMSG_DATA(e5))->error = 5;
    detail::reply_state s5 = s2;
    BOOST_TEST((d5.walk(s5) == std::errc::bad_message));
}

BOOST_AUTO_TEST_CASE(parser_dump_done_interrupt_and_extack)
{
    detail::reply_state st;
    st.seq = 3;
    st.port_id = 1;
    st.dump = true;
    datagram d;
    d.add(RTM_NEWLINK, NLM_F_MULTI | NLM_F_DUMP_INTR, 3, 1, 16);
    d.add(NLMSG_DONE, NLM_F_MULTI, 3, 1, sizeof(int));
    BOOST_TEST(!d.walk(st));
    BOOST_TEST(st.done);
    BOOST_TEST(st.interrupted);
    BOOST_TEST(st.error == 0);

    // NLMSG_DONE without its int
    detail::reply_state s2 = {};
    s2.seq = 3;
    s2.port_id = 1;
    s2.dump = true;
    datagram d2;
    d2.add(NLMSG_DONE, NLM_F_MULTI, 3, 1, 0);
    BOOST_TEST((d2.walk(s2) == std::errc::bad_message));

    // an error with an extended ack message (capped)
    datagram d3;
    const char text[] = "mtu too big";
    const std::size_t attr_len = NLA_HDRLEN + sizeof text;
    auto* e = d3.add(NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS, 3, 1, sizeof(nlmsgerr) + NLA_ALIGN(attr_len));
    auto* err = reinterpret_cast<nlmsgerr*>(NLMSG_DATA(e));
    err->error = -EINVAL;
    err->msg.nlmsg_len = 64; // the request's length; its body is not echoed (capped)
    auto* a = reinterpret_cast<nlattr*>(reinterpret_cast<char*>(err) + sizeof(nlmsgerr));
    a->nla_len = static_cast<std::uint16_t>(attr_len);
    a->nla_type = NLMSGERR_ATTR_MSG;
    std::memcpy(reinterpret_cast<char*>(a) + NLA_HDRLEN, text, sizeof text);
    detail::reply_state s3;
    s3.seq = 3;
    s3.port_id = 1;
    BOOST_TEST(!d3.walk(s3));
    BOOST_TEST(s3.error == EINVAL);
    BOOST_TEST(s3.extack == "mtu too big");
}

BOOST_AUTO_TEST_CASE(decoders_refuse_bad_attributes)
{
    datagram d;
    auto* h = d.add(RTM_NEWLINK, 0, 1, 1, sizeof(ifinfomsg) + NLA_HDRLEN + 4);
    auto* a = reinterpret_cast<nlattr*>(static_cast<char*>(NLMSG_DATA(h)) + sizeof(ifinfomsg));
    a->nla_type = IFLA_IFNAME;
    a->nla_len = NLA_HDRLEN + 4;
    std::memcpy(reinterpret_cast<char*>(a) + NLA_HDRLEN, "eth0", 4); // not NUL-terminated
    link_info l;
    BOOST_TEST((detail::decode_link(*h, l) == std::errc::bad_message));
    std::memcpy(reinterpret_cast<char*>(a) + NLA_HDRLEN, "et0", 4);
    BOOST_TEST(!detail::decode_link(*h, l));
    BOOST_TEST(l.name == "et0");
    a->nla_type = IFLA_MTU; // a u32 of 4 bytes: fine
    BOOST_TEST((detail::decode_link(*h, l) == std::errc::bad_message)); // but now there is no name
    address_info ai;
    BOOST_TEST((detail::decode_address(*h, ai) == std::errc::bad_message)); // wrong message type
    route_info ri;
    BOOST_TEST((detail::decode_route(*h, ri) == std::errc::bad_message));
}

BOOST_AUTO_TEST_CASE(link_dump_matches_ip, *boost::unit_test::precondition(t::privileged()))
{
    NSKIT_CHECK_CHILD(t::in_child([] {
        auto ns = new_netns_here();
        NSKIT_EXPECT(ns);
        configure_loopback();
        auto nl = netlink::open();
        veth_options o;
        o.name = "d0";
        o.peer_name = "d1";
        o.mac = "02:00:00:00:00:0a";
        o.peer_mac = "02:00:00:00:00:0b";
        o.mtu = 1400;
        const int d0 = nl.create_veth(o);
        NSKIT_EXPECT(d0 > 1);
        nl.set_up(d0);
        nl.set_mtu(nl.index_of("d1"), 9000);
        auto mine = nl.links();
        auto theirs = t::ip_links(ns.get());
        NSKIT_EXPECT(mine.size() == 3 && theirs.size() == 3);
        for (const auto& l : theirs) {
            const auto* m = find(mine, l.name);
            if (!m)
                return "library dump lacks " + l.name;
            NSKIT_EXPECT(m->index == l.index);
            NSKIT_EXPECT(m->mtu == l.mtu);
            NSKIT_EXPECT(m->mac_string() == l.mac);
            NSKIT_EXPECT(m->up() == l.up);
            NSKIT_EXPECT(m->kind == l.kind);
        }
        const auto* l0 = find(mine, "d0");
        NSKIT_EXPECT(l0->mac_string() == "02:00:00:00:00:0a");
        NSKIT_EXPECT(l0->mtu == 1400);
        NSKIT_EXPECT(l0->kind == "veth");
        NSKIT_EXPECT(l0->peer_index == nl.index_of("d1"));
        NSKIT_EXPECT(find(mine, "d1")->mtu == 9000);
        NSKIT_EXPECT(find(mine, "lo")->type == 772u); // ARPHRD_LOOPBACK

        // find by name and by index agree
        auto by_index = nl.link(d0);
        NSKIT_EXPECT(by_index.name == "d0");
        NSKIT_EXPECT(nl.link("d0").index == d0);

        // rename, set MAC, down, then delete
        nl.set_down(d0);
        nl.rename(d0, "renamed0");
        nl.set_mac(d0, "02:00:00:00:00:0c");
        auto after = t::ip_links(ns.get());
        NSKIT_EXPECT(t::find_ip_link(after, "renamed0") && !t::find_ip_link(after, "d0"));
        NSKIT_EXPECT(t::find_ip_link(after, "renamed0")->mac == "02:00:00:00:00:0c");
        NSKIT_EXPECT(!t::find_ip_link(after, "renamed0")->up);
        nl.set_ipv6_addr_gen(d0, false);
        NSKIT_EXPECT(t::find_ip_link(t::ip_links(ns.get()), "renamed0")->addr_gen_mode == "none");
        nl.delete_link(d0);
        NSKIT_EXPECT(t::ip_links(ns.get()).size() == 1); // the peer went with it
        return std::string();
    }));
}

BOOST_AUTO_TEST_CASE(link_errors_are_precise, *boost::unit_test::precondition(t::privileged()))
{
    NSKIT_CHECK_CHILD(t::in_child([] {
        auto ns = new_netns_here();
        NSKIT_EXPECT(ns);
        auto nl = netlink::open();
        std::error_code ec;
        nl.link("nope", ec);
        NSKIT_EXPECT(ec == std::errc::no_such_device);
        nl.link(4242, ec);
        NSKIT_EXPECT(ec == std::errc::no_such_device);
        nl.link(0, ec);
        NSKIT_EXPECT(ec == std::errc::no_such_device);
        nl.set_up(4242, ec);
        NSKIT_EXPECT(ec == std::errc::no_such_device);
        nl.delete_link(4242, ec);
        NSKIT_EXPECT(ec == std::errc::no_such_device);
        nl.link("0123456789abcdef", ec); // never truncated to 15 and looked up
        NSKIT_EXPECT(ec == nskit::error::bad_interface_name);
        nl.rename(1, "a b", ec);
        NSKIT_EXPECT(ec == nskit::error::bad_interface_name);
        nl.set_mac(1, "zz", ec);
        NSKIT_EXPECT(ec == nskit::error::bad_address);
        // the kernel's extended ack text reaches the caller (veth: max MTU 65535)
        veth_options o;
        o.name = "m0";
        o.peer_name = "m1";
        const int m0 = nl.create_veth(o);
        const std::string op = "link set mtu(" + std::to_string(m0) + ", 1073741824)";
        nl.set_mtu(m0, 1u << 30, ec);
        NSKIT_EXPECT(ec == std::errc::invalid_argument);
        NSKIT_EXPECT(last_error_detail().find(op + ": ") == 0);
        NSKIT_EXPECT(last_error_detail().size() > op.size() + 2); // the kernel's own words follow
        try {
            nl.set_mtu(m0, 1u << 30);
            return std::string("no exception");
        } catch (const std::system_error& e) {
            const std::string what = e.what();
            NSKIT_EXPECT(what.find(op + ": ") == 0);
        }
        nl.delete_link(m0);
        // a default-constructed object is not open
        netlink closed;
        closed.links(ec);
        NSKIT_EXPECT(ec == std::errc::bad_file_descriptor);
        NSKIT_EXPECT(t::ip_links(ns.get()).size() == 1);
        return std::string();
    }));
}

BOOST_AUTO_TEST_CASE(veth_peer_created_in_target_namespace, *boost::unit_test::precondition(t::privileged()))
{
    NSKIT_CHECK_CHILD(t::in_child([] {
        auto a = new_netns_here();
        t::sleeper other(CLONE_NEWNET); // a process in a netns of its own
        NSKIT_EXPECT(a && other.pid > 0);
        auto b = nskit::sys::open_ns(other.pid, nskit::sys::ns_type::net);
        auto nl = netlink::open();
        auto there = netlink::open_in(b.get());

        // by fd, by pid, by pidfd
        std::vector<std::pair<std::string, netns_target>> ways = {
            {"fd", netns_target::from_fd(b.get())},
            {"pid", netns_target::from_pid(other.pid)},
            {"pidfd", netns_target::from_pidfd(other.pidfd)},
        };
        int n = 0;
        for (const auto& [how, target] : ways) {
            veth_options o;
            o.name = "l" + std::to_string(n);
            o.peer_name = "p" + std::to_string(n);
            o.peer_netns = target;
            std::error_code ec;
            int idx = nl.create_veth(o, ec);
            if (ec)
                return how + ": " + last_error_detail();
            ++n;
            NSKIT_EXPECT(idx > 0);
            auto la = t::ip_links(a.get());
            auto lb = t::ip_links(b.get());
            NSKIT_EXPECT(t::find_ip_link(la, o.name) && !t::find_ip_link(la, o.peer_name));
            NSKIT_EXPECT(t::find_ip_link(lb, o.peer_name) && !t::find_ip_link(lb, o.name));
            // the library sees the peer's netns id as ip does
            auto mine = nl.link(idx);
            NSKIT_EXPECT(mine.peer_netnsid >= 0);
            NSKIT_EXPECT(mine.peer_netnsid == t::find_ip_link(la, o.name)->link_netnsid);
            NSKIT_EXPECT(mine.peer_index == there.index_of(o.peer_name));
        }

        // failures leave nothing in either namespace
        const auto na = t::ip_links(a.get()).size(), nb = t::ip_links(b.get()).size();
        auto check_nothing_left = [&] {
            return t::ip_links(a.get()).size() == na && t::ip_links(b.get()).size() == nb;
        };
        veth_options dup;
        dup.name = "fresh";
        dup.peer_name = "p0"; // exists there
        dup.peer_netns = netns_target::from_fd(b.get());
        std::error_code ec;
        nl.create_veth(dup, ec);
        NSKIT_EXPECT(ec == std::errc::file_exists);
        NSKIT_EXPECT(check_nothing_left());
        dup.name = "l0"; // exists here
        dup.peer_name = "fresh";
        nl.create_veth(dup, ec);
        NSKIT_EXPECT(ec == std::errc::file_exists);
        NSKIT_EXPECT(check_nothing_left());
        dup.name = "fresh";
        dup.peer_name = "x:y";
        nl.create_veth(dup, ec);
        NSKIT_EXPECT(ec == nskit::error::bad_interface_name);
        dup.peer_name = "fresh2";
        dup.peer_netns = netns_target::from_pid(0x3ffffff0); // no such process
        nl.create_veth(dup, ec);
        NSKIT_EXPECT(ec == std::errc::no_such_process);
        NSKIT_EXPECT(check_nothing_left());
        dup.peer_netns = netns_target::from_fd(-1);
        nl.create_veth(dup, ec);
        NSKIT_EXPECT(ec == std::errc::bad_file_descriptor);
        int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        dup.peer_netns = netns_target::from_fd(devnull); // not a namespace
        nl.create_veth(dup, ec);
        ::close(devnull);
        NSKIT_EXPECT(ec == std::errc::invalid_argument);
        NSKIT_EXPECT(check_nothing_left());
        dup.peer_netns = netns_target::from_fd(b.get());
        dup.ipv6_addr_gen = false;
        NSKIT_EXPECT(nl.create_veth(dup, ec) > 0 && !ec);
        NSKIT_EXPECT(t::find_ip_link(t::ip_links(b.get()), "fresh2")->addr_gen_mode == "none");
        NSKIT_EXPECT(t::find_ip_link(t::ip_links(a.get()), "fresh")->addr_gen_mode == "none");

        // move an existing link there and back (by fd, then by pid of this process)
        const int l0 = nl.index_of("l0");
        nl.move_link(l0, netns_target::from_fd(b.get()));
        NSKIT_EXPECT(t::find_ip_link(t::ip_links(b.get()), "l0"));
        NSKIT_EXPECT(!t::find_ip_link(t::ip_links(a.get()), "l0"));
        there.move_link(there.index_of("l0"), netns_target::from_pid(::getpid()));
        NSKIT_EXPECT(t::find_ip_link(t::ip_links(a.get()), "l0"));
        nl.move_link(nl.index_of("l0"), netns_target::current(), ec);
        NSKIT_EXPECT(ec == std::errc::invalid_argument);
        return std::string();
    }));
}

BOOST_AUTO_TEST_CASE(addresses_match_ip, *boost::unit_test::precondition(t::privileged()))
{
    NSKIT_CHECK_CHILD(t::in_child([] {
        auto ns = new_netns_here();
        NSKIT_EXPECT(ns);
        auto nl = netlink::open();
        veth_options o;
        o.name = "a0";
        o.peer_name = "a1";
        const int a0 = nl.create_veth(o);
        nl.set_up(a0);
        address_options nodad;
        nodad.nodad = true;
        nl.add_address(a0, parse_cidr("10.1.0.1/24"));
        nl.add_address(a0, parse_cidr("10.2.0.1/16"));
        nl.add_address(a0, parse_cidr("fd00:aa::1/64"), nodad);
        address_options ptp;
        ptp.peer = parse_address("10.9.9.9");
        nl.add_address(a0, parse_cidr("10.8.0.1/32"), ptp);
        auto mine = nl.addresses(AF_UNSPEC, a0);
        auto theirs = t::ip_addrs(ns.get());
        std::size_t matched = 0;
        for (const auto& x : theirs) {
            if (x.dev != "a0" || x.local.rfind("fe80", 0) == 0)
                continue;
            auto it = std::find_if(mine.begin(), mine.end(), [&](const address_info& m) {
                return m.prefix().address.to_string() == x.local && m.prefix_len == x.prefix_len;
            });
            if (it == mine.end())
                return "library lacks " + x.local;
            ++matched;
        }
        NSKIT_EXPECT(matched == 4);
        auto v4 = nl.addresses(AF_INET, a0);
        NSKIT_EXPECT(v4.size() == 3);
        auto p = std::find_if(v4.begin(), v4.end(), [](const address_info& m) { return m.local.to_string() == "10.8.0.1"; });
        NSKIT_EXPECT(p != v4.end() && p->address.to_string() == "10.9.9.9");
        NSKIT_EXPECT(nl.addresses(AF_INET6, a0).size() >= 1);

        std::error_code ec;
        nl.add_address(a0, parse_cidr("10.1.0.1/24"), ec);
        NSKIT_EXPECT(ec == std::errc::file_exists);
        nl.add_address(4242, parse_cidr("10.1.0.7/24"), ec);
        NSKIT_EXPECT(ec == std::errc::no_such_device);
        cidr bogus = parse_cidr("10.1.0.1/24");
        bogus.prefix_len = 40;
        nl.add_address(a0, bogus, ec);
        NSKIT_EXPECT(ec == nskit::error::bad_prefix_length);
        nl.add_address(a0, cidr{}, ec);
        NSKIT_EXPECT(ec == nskit::error::bad_address);
        nl.addresses(AF_PACKET, 0, ec);
        NSKIT_EXPECT(ec == std::errc::address_family_not_supported);

        nl.delete_address(a0, parse_cidr("10.1.0.1/24"));
        nl.delete_address(a0, parse_cidr("fd00:aa::1/64"));
        nl.delete_address(a0, parse_cidr("10.1.0.1/24"), ec);
        NSKIT_EXPECT(ec == std::errc::address_not_available);
        auto left = t::ip_addrs(ns.get());
        NSKIT_EXPECT(std::none_of(left.begin(), left.end(), [](const t::ip_addr& x) {
            return x.local == "10.1.0.1" || x.local == "fd00:aa::1";
        }));
        NSKIT_EXPECT(nl.addresses(AF_INET, a0).size() == 2);
        return std::string();
    }));
}

BOOST_AUTO_TEST_CASE(routes_match_ip, *boost::unit_test::precondition(t::privileged()))
{
    NSKIT_CHECK_CHILD(t::in_child([] {
        auto ns = new_netns_here();
        NSKIT_EXPECT(ns);
        auto nl = netlink::open();
        veth_options o;
        o.name = "r0";
        o.peer_name = "r1";
        const int r0 = nl.create_veth(o);
        nl.set_up(r0);
        nl.set_up(nl.index_of("r1"));
        address_options nodad;
        nodad.nodad = true;
        nl.add_address(r0, parse_cidr("10.5.0.1/24"));
        nl.add_address(r0, parse_cidr("fd00:5::1/64"), nodad);

        route_spec via_gw{parse_cidr("172.16.0.0/12"), parse_address("10.5.0.254"), 0, 50};
        route_spec dflt{parse_cidr("0.0.0.0/0"), parse_address("10.5.0.1"), r0, 0};
        route_spec dev_only{parse_cidr("192.0.2.7/32"), {}, r0, 0};
        route_spec v6{parse_cidr("fd00:9::/48"), parse_address("fd00:5::2"), r0, 1024};
        route_spec v6_default{parse_cidr("::/0"), parse_address("fd00:5::3"), r0, 0};
        route_spec host_bits{parse_cidr("198.51.100.77/24"), {}, r0, 7}; // host bits cleared for the kernel
        for (const auto* r : {&via_gw, &dflt, &dev_only, &v6, &v6_default, &host_bits})
            nl.add_route(*r);

        auto ip4 = t::ip_routes("-4", ns.get());
        auto has = [](const std::vector<t::ip_route>& v, const std::string& dst, const std::string& gw, unsigned metric) {
            return std::any_of(v.begin(), v.end(), [&](const t::ip_route& r) {
                return r.dst == dst && r.gateway == gw && r.dev == "r0" && r.metric == metric;
            });
        };
        NSKIT_EXPECT(has(ip4, "172.16.0.0/12", "10.5.0.254", 50));
        NSKIT_EXPECT(has(ip4, "default", "10.5.0.1", 0));
        NSKIT_EXPECT(has(ip4, "192.0.2.7", "", 0));
        NSKIT_EXPECT(has(ip4, "198.51.100.0/24", "", 7));
        auto ip6 = t::ip_routes("-6", ns.get());
        NSKIT_EXPECT(has(ip6, "fd00:9::/48", "fd00:5::2", 1024));
        NSKIT_EXPECT(has(ip6, "default", "fd00:5::3", 1024));

        // the library's dump agrees with ip, route by route
        auto mine4 = nl.routes(AF_INET);
        NSKIT_EXPECT(mine4.size() == ip4.size());
        for (const auto& r : mine4) {
            std::string dst = r.is_default() ? "default"
                              : r.destination.prefix_len == 32 ? r.destination.address.to_string()
                                                                : r.destination.to_string();
            NSKIT_EXPECT(has(ip4, dst, r.gateway.to_string(), r.metric));
            NSKIT_EXPECT(r.oif == r0);
        }
        auto mine6 = nl.routes(AF_INET6);
        NSKIT_EXPECT(std::any_of(mine6.begin(), mine6.end(), [](const route_info& r) {
            return r.is_default() && r.gateway.to_string() == "fd00:5::3";
        }));
        NSKIT_EXPECT(nl.routes(0).size() == mine4.size() + mine6.size());
        NSKIT_EXPECT(nl.routes(AF_INET, 0).size() > mine4.size()); // the local table too

        std::error_code ec;
        nl.add_route(via_gw, ec);
        NSKIT_EXPECT(ec == std::errc::file_exists);
        route_spec unreachable{parse_cidr("203.0.113.0/24"), parse_address("10.99.0.1"), 0, 0};
        nl.add_route(unreachable, ec);
        NSKIT_EXPECT(ec == std::errc::network_unreachable);
        NSKIT_EXPECT(!last_error_detail().empty());
        route_spec mixed{parse_cidr("203.0.113.0/24"), parse_address("fd00::1"), 0, 0};
        nl.add_route(mixed, ec);
        NSKIT_EXPECT(ec == nskit::error::bad_address);

        for (const auto* r : {&via_gw, &dflt, &dev_only, &v6, &v6_default, &host_bits})
            nl.delete_route(*r);
        nl.delete_route(via_gw, ec);
        NSKIT_EXPECT(ec == std::errc::no_such_process); // the kernel's ESRCH for "no such route"
        NSKIT_EXPECT(t::ip_routes("-4", ns.get()).size() == 1); // the connected /24 remains
        return std::string();
    }));
}

BOOST_AUTO_TEST_CASE(socket_stays_in_its_namespace, *boost::unit_test::precondition(t::privileged()))
{
    NSKIT_CHECK_CHILD(t::in_child([] {
        auto a = new_netns_here();
        auto b = new_netns_here(); // the child is now in b
        NSKIT_EXPECT(a && b);
        auto in_a = netlink::open_in(a.get());
        veth_options o;
        o.name = "sa";
        o.peer_name = "sb";
        in_a.create_veth(o);
        NSKIT_EXPECT(t::find_ip_link(t::ip_links(a.get()), "sa"));
        NSKIT_EXPECT(!t::find_ip_link(t::ip_links(b.get()), "sa"));
        // from another thread, the object still acts in a
        std::string from_thread;
        std::thread th([&] {
            std::error_code ec;
            auto l = in_a.links(ec);
            from_thread = ec ? ec.message() : (find(l, "sa") ? "" : "sa missing");
        });
        th.join();
        NSKIT_EXPECT(from_thread.empty());
        NSKIT_EXPECT(in_a.port_id() != 0);
        auto again = netlink::open_in(a.get()); // port ids are unique per netns
        NSKIT_EXPECT(again.port_id() != in_a.port_id());
        return std::string();
    }));
}

BOOST_AUTO_TEST_CASE(unprivileged_changes_are_refused)
{
    NSKIT_CHECK_CHILD(t::as_nobody([] {
        auto nl = netlink::open();
        auto links = nl.links(); // reading is allowed
        NSKIT_EXPECT(!links.empty());
        std::error_code ec;
        veth_options o;
        o.name = "nobody0";
        o.peer_name = "nobody1";
        nl.create_veth(o, ec);
        NSKIT_EXPECT(ec == std::errc::operation_not_permitted);
        nl.set_mtu(1, 65536, ec);
        NSKIT_EXPECT(ec == std::errc::operation_not_permitted);
        return std::string();
    }));
}

BOOST_AUTO_TEST_SUITE_END()
