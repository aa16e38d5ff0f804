// fault_run: ns::run() with a callable, as the fault-injection harness's
// target (test/faults/run.cpp).  `fault_run user`: a user, PID, network,
// UTS namespace and a private /tmp (any uid); `fault_run root`: PID,
// network, UTS, IPC and time namespaces, /tmp and a veth pair.  The
// callable prints what the sandbox looks like; a failure of run() is one
// line "fault_run: ..." with status 124, one of the callable's own system
// calls failing is one line with status 126.
#include <nskit/ns/run.hpp>

#include <linux/magic.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

namespace ns = nskit::ns;

namespace {

int payload_failed(const char* what)
{
    const int e = errno;
    std::fprintf(stderr, "fault_run: payload: %s: %s\n", what, std::strerror(e));
    return 126;
}

// "lo UP" / "eth0 UP": an interface and whether it is up ("-" where absent).
bool interface_line(int sock, const char* name, std::string& out)
{
    ifreq r{};
    std::strncpy(r.ifr_name, name, IFNAMSIZ - 1);
    if (::ioctl(sock, SIOCGIFFLAGS, &r) != 0) {
        if (errno != ENODEV)
            return false;
        out += std::string(name) + " -\n";
        return true;
    }
    out += std::string(name) + ((r.ifr_flags & IFF_UP) ? " UP\n" : " DOWN\n");
    return true;
}

int fingerprint()
{
    std::string out = "uid=" + std::to_string(::getuid()) + " pid=" + std::to_string(::getpid()) + "\n";
    utsname u{};
    if (::uname(&u) != 0)
        return payload_failed("uname");
    out += std::string("hostname=") + u.nodename + "\n";
    struct statfs s{};
    if (::statfs("/tmp", &s) != 0)
        return payload_failed("statfs /tmp");
    out += std::string("tmp=") + (s.f_type == TMPFS_MAGIC ? "tmpfs" : "other") + "\n";
    const int fd = ::open("/proc/self/timens_offsets", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return payload_failed("open timens_offsets");
    char buf[256];
    const ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n < 0)
        return payload_failed("read timens_offsets");
    out.append(buf, static_cast<std::size_t>(n));
    const int sock = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0)
        return payload_failed("socket");
    const bool ok = interface_line(sock, "lo", out) && interface_line(sock, "eth0", out);
    ::close(sock);
    if (!ok)
        return payload_failed("SIOCGIFFLAGS");
    if (::write(1, out.data(), out.size()) != static_cast<ssize_t>(out.size()))
        return payload_failed("write");
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    const std::string mode = argc > 1 ? argv[1] : "";
    ns::options o;
    o.pid = o.net = true;
    o.hostname = "faultbox";
    o.tmp = ns::tmp_options{};
    if (mode == "user") {
        o.user = ns::user_options{};
    } else if (mode == "root") {
        o.ipc = o.time = true;
        o.monotonic_offset = std::chrono::seconds(100);
        o.veth = nskit::net::veth_recipe{};
        o.veth->local_name = "nskfault1";
        o.veth->peer_name = "eth0";
        o.veth->local_address = "10.198.0.1/30";
        o.veth->peer_address = "10.198.0.2/30";
    } else {
        std::fprintf(stderr, "usage: fault_run user|root\n");
        return 2;
    }
    std::error_code ec;
    const auto status = ns::run(fingerprint, o, ec);
    if (ec) {
        std::fprintf(stderr, "fault_run: %s\n", ns::explain(ec, o, {}).c_str());
        return 124;
    }
    return status.shell_status();
}
