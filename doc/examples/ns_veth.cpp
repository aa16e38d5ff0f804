// A private network namespace connected to the parent's by a veth pair,
// addressed on both ends (needs root: the outer end lives in our namespace).
#include <nskit/ns.hpp>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <iostream>
#include <string>

int main()
{
    nskit::ns::options o;
    o.veth = nskit::net::veth_recipe{};
    o.veth->local_name = "nskit-ex" + std::to_string(::getpid() % 10000); // outside end
    o.veth->peer_name = "eth0";                                      // inside end
    o.veth->local_address = "10.233.0.1/30";
    o.veth->peer_address = "10.233.0.2/30";
    auto status = nskit::ns::run([] {
        // inside: eth0 carries 10.233.0.2
        const int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        ifreq ifr{};
        std::strcpy(ifr.ifr_name, "eth0");
        char addr[INET_ADDRSTRLEN] = "none";
        if (::ioctl(s, SIOCGIFADDR, &ifr) == 0)
            ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&ifr.ifr_addr)->sin_addr, addr, sizeof addr);
        ::close(s);
        std::cout << "inside: eth0 has " << addr << "\n";
        return std::string(addr) == "10.233.0.2" ? 0 : 1;
    }, o);
    std::cout << "outside: " << o.veth->local_name << " had 10.233.0.1/30; the pair went with the namespace\n";
    return status.code;
}
