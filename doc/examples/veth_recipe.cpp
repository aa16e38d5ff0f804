// veth_recipe: Linux::Clone's veth example, without a single `ip` process.
//
// The Perl original unshares a network namespace, brings lo up, then shells
// out to `ip` five times: create a veth pair, move veth_master into the
// parent's namespace (a ~20 ms move), and configure veth_slave with
// 192.168.99.2/32 and a route to 192.168.99.1.  Here the same is done over
// netlink, with veth_master created directly in the parent's namespace.
// Then the one-call recipe (connect_veth) wires a second pair.
//
// Everything happens in namespaces this program creates: it first unshares a
// network namespace of its own to play "the parent's namespace", so the
// host's is never touched.  Exits 0; unprivileged it explains why it cannot.
#include <nskit/net.hpp>
#include <nskit/sys.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

using namespace nskit;
using namespace nskit::net;

namespace {

unique_fd tcp_socket() { return unique_fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)); }

sockaddr_in endpoint(const char* ip, int port)
{
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    ::inet_pton(AF_INET, ip, &a.sin_addr);
    return a;
}

// Connect and read one line; the TCP stack of two namespaces proves the wiring.
std::string say_hello(const char* ip, int port)
{
    auto s = tcp_socket();
    auto a = endpoint(ip, port);
    if (::connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
        return std::string("connect failed: ") + std::strerror(errno);
    char buf[64] = {};
    pollfd p{s.get(), POLLIN, 0};
    if (::poll(&p, 1, 3000) != 1 || ::read(s.get(), buf, sizeof buf - 1) <= 0)
        return "no answer";
    return buf;
}

unique_fd listen_on(const char* ip, int port)
{
    auto s = tcp_socket();
    auto a = endpoint(ip, port);
    if (::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(s.get(), 1) != 0)
        return {};
    return s;
}

void answer_once(int listener, const char* text)
{
    pollfd p{listener, POLLIN, 0};
    if (::poll(&p, 1, 3000) != 1)
        return;
    unique_fd c(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
    if (c)
        (void)!::write(c.get(), text, std::strlen(text));
}

// The child of the Perl example: its own netns, lo up, veth_slave configured.
int child_side(int ready_fd)
{
    if (::unshare(CLONE_NEWNET) != 0)
        return 1;
    configure_loopback();
    auto nl = netlink::open();
    veth_options o;
    o.name = "veth_slave";
    o.peer_name = "veth_master";
    o.peer_netns = netns_target::from_pid(::getppid()); // created there: no move
    const int slave = nl.create_veth(o);
    nl.set_up(slave);
    nl.add_address(slave, parse_cidr("192.168.99.2/32"));
    nl.add_route({parse_cidr("192.168.99.1/32"), {}, slave});
    std::printf("child:  veth_slave %d up, 192.168.99.2/32, route to 192.168.99.1\n", slave);
    std::fflush(stdout);
    (void)!::write(ready_fd, "r", 1);
    char go;
    if (::read(ready_fd, &go, 1) != 1) // the parent has configured its end and listens
        return 1;
    std::printf("child:  192.168.99.1 says: %s\n", say_hello("192.168.99.1", 7000).c_str());
    return 0;
}

} // namespace

int main()
{
    // The parent's namespace of the example: a fresh one, never the host's.
    if (::unshare(CLONE_NEWNET) != 0) {
        std::printf("%s\n", describe(nskit::detail::last_error(), nskit::op_kind::namespace_create, "unshare(net)").c_str());
        return 0; // unprivileged: the explanation is the demo
    }
    try {
        configure_loopback();
        {
            // lo works: a TCP round trip over 127.0.0.1 inside the new namespace
            auto lo = listen_on("127.0.0.1", 6999);
            std::fflush(stdout);
            const pid_t answerer = ::fork();
            if (answerer == 0) {
                answer_once(lo.get(), "hello over lo");
                ::_exit(0);
            }
            std::printf("new netns: lo up, 127.0.0.1 says: %s\n", say_hello("127.0.0.1", 6999).c_str());
            std::fflush(stdout);
            ::waitpid(answerer, nullptr, 0);
        }
        int sv[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
            return 1;
        std::fflush(stdout);
        const pid_t pid = ::fork();
        if (pid == 0) {
            ::close(sv[0]);
            int rc = 1;
            try {
                rc = child_side(sv[1]);
            } catch (const std::exception& e) {
                std::printf("child: %s\n", e.what());
            }
            std::fflush(stdout);
            ::_exit(rc);
        }
        ::close(sv[1]);
        unique_fd to_child(sv[0]);
        char ready;
        if (::read(to_child.get(), &ready, 1) != 1)
            throw std::runtime_error("child failed before its end was ready");

        // "try this from another shell" in the Perl text: the parent's end.
        auto nl = netlink::open();
        const int master = nl.index_of("veth_master");
        nl.set_up(master);
        nl.add_address(master, parse_cidr("192.168.99.1/32"));
        nl.add_route({parse_cidr("192.168.99.2/32"), {}, master});
        std::printf("parent: veth_master %d up, 192.168.99.1/32, route to 192.168.99.2\n", master);
        std::fflush(stdout);
        auto listener = listen_on("192.168.99.1", 7000);
        (void)!::write(to_child.get(), "g", 1);
        answer_once(listener.get(), "hello from the parent namespace");
        int status = 0;
        ::waitpid(pid, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            throw std::runtime_error("child failed");

        // The same wiring in one call, to a third namespace held by an fd.
        auto home = sys::open_ns(0, sys::ns_type::net);
        if (::unshare(CLONE_NEWNET) != 0)
            throw std::runtime_error("unshare");
        auto third = sys::open_ns(0, sys::ns_type::net);
        auto third_listener = listen_on("0.0.0.0", 7001); // a socket keeps its netns
        if (::setns(home.get(), CLONE_NEWNET) != 0)
            throw std::runtime_error("setns");
        connect_veth({.local_name = "veth_a",
                      .peer_name = "veth_b",
                      .peer_netns_fd = third.get(),
                      .local_address = "192.168.100.1/32",
                      .peer_address = "192.168.100.2/32",
                      .ipv6_addr_gen = false});
        std::printf("recipe: veth_a 192.168.100.1 <-> veth_b 192.168.100.2 (IPv6 address generation off)\n");
        std::fflush(stdout);
        const pid_t answerer = ::fork();
        if (answerer == 0) {
            answer_once(third_listener.get(), "hello from the third namespace");
            ::_exit(0);
        }
        std::printf("recipe: 192.168.100.2 says: %s\n", say_hello("192.168.100.2", 7001).c_str());
        ::waitpid(answerer, &status, 0);

        for (const auto& l : nl.links())
            std::printf("parent netns link %d %-12s %-5s %s\n", l.index, l.name.c_str(), l.kind.c_str(),
                        l.up() ? "up" : "down");
    } catch (const std::exception& e) {
        std::printf("veth_recipe: %s\n", e.what());
        return 1;
    }
    return 0;
}
