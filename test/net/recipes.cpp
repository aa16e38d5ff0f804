#include <nskit/net/recipes.hpp>

#include "test_support.hpp"
#include "net_oracle.hpp"

#include <nskit/net/loopback.hpp>
#include <nskit/net/netlink.hpp>
#include <nskit/sys/error.hpp>
#include <nskit/sys/nsfs.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

using namespace nskit::net;
namespace t = nskit::test;

namespace {

// Two fresh network namespaces; the calling (child) process is left in `a`.
struct two_namespaces {
    nskit::unique_fd a, b;
    bool ok = false;
    two_namespaces()
    {
        if (::unshare(CLONE_NEWNET) != 0)
            return;
        a = nskit::sys::open_ns(0, nskit::sys::ns_type::net);
        if (::unshare(CLONE_NEWNET) != 0)
            return;
        b = nskit::sys::open_ns(0, nskit::sys::ns_type::net);
        ok = ::setns(a.get(), CLONE_NEWNET) == 0;
    }
};

// A TCP connect from the current netns to addr:port, where a listener was
// opened in `listen_ns`.  Bounded: 3 s.
std::string tcp_connect(int listen_ns, int home_ns, const ip_address& addr, int port)
{
    sockaddr_storage ss{};
    socklen_t len;
    if (addr.is_v4()) {
        auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
        s4->sin_family = AF_INET;
        s4->sin_port = htons(static_cast<std::uint16_t>(port));
        std::memcpy(&s4->sin_addr, addr.bytes.data(), 4);
        len = sizeof *s4;
    } else {
        auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(static_cast<std::uint16_t>(port));
        std::memcpy(&s6->sin6_addr, addr.bytes.data(), 16);
        len = sizeof *s6;
    }
    if (::setns(listen_ns, CLONE_NEWNET) != 0)
        return "setns listen";
    nskit::unique_fd srv(::socket(addr.family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (::bind(srv.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0 || ::listen(srv.get(), 1) != 0)
        return std::string("bind/listen: ") + std::strerror(errno);
    if (::setns(home_ns, CLONE_NEWNET) != 0)
        return "setns home";
    nskit::unique_fd cli(::socket(addr.family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (::connect(cli.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0 && errno != EINPROGRESS)
        return std::string("connect: ") + std::strerror(errno);
    pollfd p{cli.get(), POLLOUT, 0};
    if (::poll(&p, 1, 3000) != 1)
        return "connect timed out";
    int err = 0;
    socklen_t el = sizeof err;
    ::getsockopt(cli.get(), SOL_SOCKET, SO_ERROR, &err, &el);
    if (err)
        return std::string("connect: ") + std::strerror(err);
    pollfd q{srv.get(), POLLIN, 0};
    if (::poll(&q, 1, 3000) != 1)
        return "accept timed out";
    nskit::unique_fd conn(::accept4(srv.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!conn)
        return "accept failed";
    return {};
}

bool has_addr(const std::vector<t::ip_addr>& v, const std::string& dev, const std::string& local)
{
    return std::any_of(v.begin(), v.end(), [&](const t::ip_addr& a) { return a.dev == dev && a.local == local; });
}

bool has_route(const std::vector<t::ip_route>& v, const std::string& dst, const std::string& dev)
{
    return std::any_of(v.begin(), v.end(), [&](const t::ip_route& r) { return r.dst == dst && r.dev == dev; });
}

} // namespace

BOOST_AUTO_TEST_SUITE(net_recipes)

BOOST_AUTO_TEST_CASE(veth_between_two_namespaces_carries_tcp, *boost::unit_test::precondition(t::privileged()))
{
    NSKIT_CHECK_CHILD(t::in_child([] {
        two_namespaces ns;
        NSKIT_EXPECT(ns.ok);
        veth_recipe r;
        r.local_name = "va";
        r.peer_name = "vb";
        r.peer_netns_fd = ns.b.get();
        r.local_address = "10.200.0.1/24";
        r.peer_address = "10.200.0.2/24";
        struct stat home_before{}, home_after{};
        NSKIT_EXPECT(::stat("/proc/thread-self/ns/net", &home_before) == 0);
        std::error_code ec;
        connect_veth(r, ec);
        NSKIT_EXPECT(!ec);
        // The thread came back from the target netns (the way home is taken from a socket).
        NSKIT_EXPECT(::stat("/proc/thread-self/ns/net", &home_after) == 0);
        NSKIT_EXPECT(home_after.st_ino == home_before.st_ino && home_after.st_dev == home_before.st_dev);
        auto la = t::ip_links(ns.a.get());
        auto lb = t::ip_links(ns.b.get());
        NSKIT_EXPECT(t::find_ip_link(la, "va") && t::find_ip_link(la, "va")->up);
        NSKIT_EXPECT(!t::find_ip_link(la, "vb"));
        NSKIT_EXPECT(t::find_ip_link(lb, "vb") && t::find_ip_link(lb, "vb")->up);
        NSKIT_EXPECT(t::find_ip_link(lb, "vb")->kind == "veth");
        NSKIT_EXPECT(has_addr(t::ip_addrs(ns.a.get()), "va", "10.200.0.1"));
        NSKIT_EXPECT(has_addr(t::ip_addrs(ns.b.get()), "vb", "10.200.0.2"));
        // same /24: no extra host routes needed
        NSKIT_EXPECT(t::ip_routes("-4", ns.a.get()).size() == 1);
        auto msg = tcp_connect(ns.b.get(), ns.a.get(), parse_address("10.200.0.2"), 4242);
        NSKIT_EXPECT(msg.empty());
        return msg;
    }));
}

// Issue 10 item 6: a veth is deleted by the index connect_veth returned,
// only while that link is still the end it made.  Renamed (another link
// then takes the name) or deleted and the name reused: the other link
// survives (ip -j link is the oracle).  Deleting by name removed it.
BOOST_AUTO_TEST_CASE(delete_veth_spares_a_link_that_took_the_name, *boost::unit_test::precondition(t::privileged()))
{
    NSKIT_CHECK_CHILD(t::in_child([] {
        two_namespaces ns;
        NSKIT_EXPECT(ns.ok);
        veth_recipe r;
        r.local_name = "vd";
        r.peer_name = "ve";
        r.peer_netns_fd = ns.b.get();
        auto here = netlink::open();
        // happy path: the pair is gone at once
        auto made = connect_veth(r);
        NSKIT_EXPECT(made.index > 0 && made.peer_index > 0);
        NSKIT_EXPECT(made.index == t::find_ip_link(t::ip_links(), "vd")->index);
        here.delete_veth(made, "vd");
        NSKIT_EXPECT(!t::find_ip_link(t::ip_links(), "vd"));
        // renamed, and an unrelated link takes the name
        made = connect_veth(r);
        here.rename(made.index, "vd-renamed");
        NSKIT_EXPECT(t::run_program({"ip", "link", "add", "vd", "type", "veth", "peer", "name", "vd-other"}) == "");
        std::error_code ec;
        here.delete_veth(made, "vd", ec);
        NSKIT_EXPECT(ec == nskit::error::link_changed);
        NSKIT_EXPECT(last_error_detail().find("is now 'vd-renamed'") != std::string::npos);
        auto links = t::ip_links();
        NSKIT_EXPECT(t::find_ip_link(links, "vd") && t::find_ip_link(links, "vd")->index != made.index);
        NSKIT_EXPECT(t::find_ip_link(links, "vd-renamed"));
        here.delete_link(made.index);
        here.delete_link(here.index_of("vd")); // and vd-other with it
        // deleted, and the name reused: the index names nothing
        made = connect_veth(r);
        here.delete_link(made.index);
        NSKIT_EXPECT(t::run_program({"ip", "link", "add", "vd", "type", "veth", "peer", "name", "vd-other"}) == "");
        here.delete_veth(made, "vd", ec);
        NSKIT_EXPECT(ec == std::errc::no_such_device);
        NSKIT_EXPECT(t::find_ip_link(t::ip_links(), "vd") && t::find_ip_link(t::ip_links(), "vd-other"));
        return std::string();
    }));
}

BOOST_AUTO_TEST_CASE(host_routes_and_ipv6_without_address_generation, *boost::unit_test::precondition(t::privileged()))
{
    NSKIT_CHECK_CHILD(t::in_child([] {
        two_namespaces ns;
        NSKIT_EXPECT(ns.ok);
        veth_recipe r;
        r.local_name = "h0";
        r.peer_name = "h1";
        r.peer_netns_fd = ns.b.get();
        r.local_address = "fd00:1::1/128";
        r.peer_address = "fd00:2::1/128";
        r.ipv6_addr_gen = false;
        connect_veth(r);
        auto ra = t::ip_routes("-6", ns.a.get());
        auto rb = t::ip_routes("-6", ns.b.get());
        NSKIT_EXPECT(has_route(ra, "fd00:2::1", "h0"));
        NSKIT_EXPECT(has_route(rb, "fd00:1::1", "h1"));
        auto la = t::ip_links(ns.a.get());
        auto lb = t::ip_links(ns.b.get());
        NSKIT_EXPECT(t::find_ip_link(la, "h0")->addr_gen_mode == "none");
        NSKIT_EXPECT(t::find_ip_link(lb, "h1")->addr_gen_mode == "none");
        // no link-local address was generated on either end
        for (int fd : {ns.a.get(), ns.b.get()})
            for (const auto& a : t::ip_addrs(fd))
                NSKIT_EXPECT(a.local.rfind("fe80", 0) != 0);
        auto msg = tcp_connect(ns.b.get(), ns.a.get(), parse_address("fd00:2::1"), 4243);
        NSKIT_EXPECT(msg.empty());

        // IPv4 /32s on another pair: host routes on both sides, traffic flows
        veth_recipe r4 = r;
        r4.local_name = "p0";
        r4.peer_name = "p1";
        r4.local_address = "192.168.99.2/32";
        r4.peer_address = "192.168.99.1/32";
        connect_veth(r4);
        NSKIT_EXPECT(has_route(t::ip_routes("-4", ns.a.get()), "192.168.99.1", "p0"));
        NSKIT_EXPECT(has_route(t::ip_routes("-4", ns.b.get()), "192.168.99.2", "p1"));
        msg = tcp_connect(ns.b.get(), ns.a.get(), parse_address("192.168.99.1"), 4244);
        return msg;
    }));
}

BOOST_AUTO_TEST_CASE(failed_later_step_rolls_everything_back, *boost::unit_test::precondition(t::privileged()))
{
    NSKIT_CHECK_CHILD(t::in_child([] {
        two_namespaces ns;
        NSKIT_EXPECT(ns.ok);
        // Occupy the host route the recipe will want on the peer side.
        veth_recipe first;
        first.local_name = "o0";
        first.peer_name = "o1";
        first.peer_netns_fd = ns.b.get();
        first.peer_address = "10.7.0.9/32";
        connect_veth(first);
        auto nb = netlink::open_in(ns.b.get());
        route_spec blocker;
        blocker.destination = parse_cidr("10.7.0.1/32");
        blocker.oif = nb.index_of("o1");
        nb.add_route(blocker);
        const auto links_a = t::ip_links(ns.a.get()).size();
        const auto links_b = t::ip_links(ns.b.get()).size();

        veth_recipe r;
        r.local_name = "f0";
        r.peer_name = "f1";
        r.peer_netns_fd = ns.b.get();
        r.local_address = "10.7.0.1/32";
        r.peer_address = "10.7.0.2/32";
        std::error_code ec;
        connect_veth(r, ec);
        NSKIT_EXPECT(ec == std::errc::file_exists);
        NSKIT_EXPECT(last_error_detail().find("add route to 10.7.0.1 via f1") != std::string::npos);
        NSKIT_EXPECT(t::ip_links(ns.a.get()).size() == links_a);
        NSKIT_EXPECT(t::ip_links(ns.b.get()).size() == links_b);
        NSKIT_EXPECT(!t::find_ip_link(t::ip_links(ns.b.get()), "f1"));
        NSKIT_EXPECT(!has_addr(t::ip_addrs(ns.a.get()), "f0", "10.7.0.1"));
        try {
            connect_veth(r);
            return std::string("no exception");
        } catch (const std::system_error& e) {
            NSKIT_EXPECT(std::string(e.what()).find("connect_veth: add route") != std::string::npos);
        }
        return std::string();
    }));
}

BOOST_AUTO_TEST_CASE(bad_input_and_kernel_refusals_leave_nothing, *boost::unit_test::precondition(t::privileged()))
{
    NSKIT_CHECK_CHILD(t::in_child([] {
        two_namespaces ns;
        NSKIT_EXPECT(ns.ok);
        auto base = [&] {
            veth_recipe r;
            r.local_name = "e0";
            r.peer_name = "e1";
            r.peer_netns_fd = ns.b.get();
            r.local_address = "10.3.0.1/24";
            r.peer_address = "10.3.0.2/24";
            return r;
        };
        struct bad_case {
            veth_recipe r;
            std::error_code expected;
            const char* step;
        };
        std::vector<bad_case> cases;
        auto add = [&](auto edit, std::error_code e, const char* step) {
            auto r = base();
            edit(r);
            cases.push_back({r, e, step});
        };
        using E = nskit::error;
        add([](veth_recipe& r) { r.local_name = "0123456789abcdef"; }, E::bad_interface_name, "local name");
        add([](veth_recipe& r) { r.local_name = ""; }, E::bad_interface_name, "local name");
        add([](veth_recipe& r) { r.peer_name = "a/b"; }, E::bad_interface_name, "peer name");
        add([](veth_recipe& r) { r.peer_name = ".."; }, E::bad_interface_name, "peer name");
        add([](veth_recipe& r) { r.peer_name = "a:b"; }, E::bad_interface_name, "peer name");
        add([](veth_recipe& r) { r.local_address = "10.0.0.1/33"; }, E::bad_prefix_length, "local address");
        add([](veth_recipe& r) { r.local_address = "x/abc"; }, E::bad_address, "local address");
        add([](veth_recipe& r) { r.peer_address = "/-1"; }, E::bad_address, "peer address");
        add([](veth_recipe& r) { r.peer_address = "300.1.1.1"; }, E::bad_address, "peer address");
        add([](veth_recipe& r) { r.peer_address = "fd00::1/64"; }, E::bad_address, "different families");
        add([](veth_recipe& r) { r.peer_netns_fd = -1; }, std::make_error_code(std::errc::bad_file_descriptor),
            "target netns");
        int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        add([&](veth_recipe& r) { r.peer_netns_fd = devnull; }, std::make_error_code(std::errc::invalid_argument),
            "open netlink in the target netns");
        for (const auto& c : cases) {
            std::error_code ec;
            connect_veth(c.r, ec);
            const bool same = c.expected.category() == std::generic_category()
                                  ? ec == c.expected.default_error_condition()
                                  : ec == c.expected;
            if (!same || last_error_detail().find(c.step) == std::string::npos)
                return "case " + c.r.local_name + "/" + c.r.peer_name + "/" + c.r.local_address + "/" +
                       c.r.peer_address + ": got " + ec.message() + " / " + last_error_detail();
            NSKIT_EXPECT(t::ip_links(ns.a.get()).size() == 1);
            NSKIT_EXPECT(t::ip_links(ns.b.get()).size() == 1);
        }
        ::close(devnull);

        // EEXIST: a link of the local name here, or of the peer name there.
        connect_veth(base());
        for (auto edit : {+[](veth_recipe& r) { r.peer_name = "x1"; }, +[](veth_recipe& r) { r.local_name = "x0"; }}) {
            auto r = base();
            edit(r);
            std::error_code ec;
            connect_veth(r, ec);
            NSKIT_EXPECT(ec == std::errc::file_exists);
            NSKIT_EXPECT(last_error_detail().find("create veth") != std::string::npos);
            NSKIT_EXPECT(t::ip_links(ns.a.get()).size() == 2);
            NSKIT_EXPECT(t::ip_links(ns.b.get()).size() == 2);
        }
        return std::string();
    }));
}

BOOST_AUTO_TEST_CASE(unprivileged_recipe_is_refused_with_its_step)
{
    NSKIT_CHECK_CHILD(t::as_nobody([] {
        auto own = nskit::sys::open_ns(0, nskit::sys::ns_type::net);
        veth_recipe r;
        r.local_name = "n0";
        r.peer_name = "n1";
        r.peer_netns_fd = own.get();
        std::error_code ec;
        connect_veth(r, ec);
        NSKIT_EXPECT(ec == std::errc::operation_not_permitted);
        NSKIT_EXPECT(last_error_detail().find("connect_veth: open netlink in the target netns") == 0);
        try {
            connect_veth(r);
            return std::string("no exception");
        } catch (const std::system_error& e) {
            NSKIT_EXPECT(std::string(e.what()).find("CAP_") != std::string::npos);
        }
        return std::string();
    }));
}

BOOST_AUTO_TEST_SUITE_END()
