// The seed's missing feature (private_net croaked "not yet supported"): a
// private network namespace, with loopback up.
#include <nskit/ns.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <iostream>

int main()
{
    nskit::ns::options o;
    o.net = true;
    if (::geteuid() != 0)
        o.user = nskit::ns::user_options{};
    auto status = nskit::ns::run([] {
        // lo works: a TCP connection to ourselves on 127.0.0.1
        const int srv = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (::bind(srv, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(srv, 1) != 0 ||
            ::getsockname(srv, reinterpret_cast<sockaddr*>(&a), &len) != 0)
            return 1;
        const int cli = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        const bool ok = ::connect(cli, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
        std::cout << "inside: connect to 127.0.0.1:" << ntohs(a.sin_port) << (ok ? " works" : " FAILED") << "\n";
        return ok ? 0 : 1;
    }, o);
    return status.code;
}
