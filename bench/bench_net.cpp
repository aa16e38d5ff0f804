// bench_net: nskit's net layer side by side with ip(8) and unshare(1), in one
// run, printing ratios.  Everything happens in network namespaces this
// benchmark creates; the host's namespace is never configured.
//   1. new netns with lo up: nskit in-process vs `unshare -n sh -c 'ip link set lo up'`
//      vs bare unshare(CLONE_NEWNET)
//   2. a fully configured veth pair (peer created in the other netns, both up,
//      an address each): nskit vs one ip process per step vs ip -batch
//   3. scaling to 1000 pairs, IPv6 address generation off and on
#include <nskit/net.hpp>
#include <nskit/sys.hpp>

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

using namespace nskit;
using namespace nskit::net;
using clock_type = std::chrono::steady_clock;

namespace {

double ms_since(clock_type::time_point t0)
{
    return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
}

// CPU time of this thread: the kernel work our requests do, without the time
// other processes on this shared machine take the CPU from us.
double thread_cpu_ms()
{
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

void die(const char* what)
{
    std::fprintf(stderr, "bench_net: %s: %s\n", what, std::strerror(errno));
    std::exit(1);
}

// Run argv (no shell) inside netns `ns_fd` (-1: here), feeding `input` on stdin.
int run(const std::vector<std::string>& argv, int ns_fd = -1, const std::string& input = {})
{
    int p[2] = {-1, -1};
    if (!input.empty() && ::pipe2(p, O_CLOEXEC) != 0)
        die("pipe");
    const pid_t pid = ::fork();
    if (pid == 0) {
        if (p[0] >= 0)
            ::dup2(p[0], 0);
        int devnull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
        ::dup2(devnull, 1);
        if (ns_fd >= 0 && ::setns(ns_fd, CLONE_NEWNET) != 0)
            ::_exit(126);
        std::vector<char*> args;
        for (const auto& a : argv)
            args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        ::execvp(args[0], args.data());
        ::_exit(127);
    }
    if (p[0] >= 0) {
        ::close(p[0]);
        std::size_t off = 0;
        while (off < input.size()) {
            ssize_t n = ::write(p[1], input.data() + off, input.size() - off);
            if (n <= 0)
                break;
            off += static_cast<std::size_t>(n);
        }
        ::close(p[1]);
    }
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

void must_run(const std::vector<std::string>& argv, int ns_fd = -1, const std::string& input = {})
{
    if (int rc = run(argv, ns_fd, input); rc != 0) {
        std::fprintf(stderr, "bench_net: %s exited %d\n", argv[0].c_str(), rc);
        std::exit(1);
    }
}

// Two fresh network namespaces, the process left in `a`; `holder` is a
// process sleeping in `b` so that `ip ... netns PID` can name it.
struct ns_pair {
    unique_fd a, b;
    pid_t holder = -1;
    ns_pair(int home)
    {
        if (::setns(home, CLONE_NEWNET) != 0 || ::unshare(CLONE_NEWNET) != 0)
            die("unshare a");
        a = sys::open_ns(0, sys::ns_type::net);
        if (::unshare(CLONE_NEWNET) != 0)
            die("unshare b");
        b = sys::open_ns(0, sys::ns_type::net);
        holder = ::fork();
        if (holder == 0) {
            ::pause();
            ::_exit(0);
        }
        if (::setns(a.get(), CLONE_NEWNET) != 0)
            die("setns a");
    }
    ~ns_pair()
    {
        ::kill(holder, SIGKILL);
        ::waitpid(holder, nullptr, 0);
    }
};

// (GCC 12 warns falsely, -Wrestrict, about "a" + std::to_string(i).)
std::string dev_name(char prefix, int i)
{
    std::string s(1, prefix);
    s += std::to_string(i);
    return s;
}

std::string addr(int pair, int end) // 10.x.y.z/30, end 1 or 2
{
    const int base = pair * 4 + end;
    return "10." + std::to_string((base >> 16) & 255) + "." + std::to_string((base >> 8) & 255) + "." +
           std::to_string(base & 255) + "/30";
}

veth_recipe recipe(int i, int peer_fd, bool v6)
{
    veth_recipe r;
    r.local_name = dev_name('a', i);
    r.peer_name = dev_name('b', i);
    r.peer_netns_fd = peer_fd;
    r.local_address = addr(i, 1);
    r.peer_address = addr(i, 2);
    r.ipv6_addr_gen = v6;
    return r;
}

// Destroyed namespaces are cleaned up asynchronously by the kernel, under the
// rtnl lock that every link request needs.  So phases keep their namespaces
// alive until the end, and before measuring we wait until the number of live
// network namespaces (slab net_namespace) stops changing: earlier teardown
// is then not billed to the next phase.
long live_netns()
{
    FILE* f = std::fopen("/proc/slabinfo", "re");
    if (!f)
        return -1;
    char line[512];
    long n = -1;
    while (std::fgets(line, sizeof line, f))
        if (std::strncmp(line, "net_namespace ", 14) == 0)
            n = std::strtol(line + 14, nullptr, 10);
    std::fclose(f);
    return n;
}

void settle()
{
    const auto deadline = clock_type::now() + std::chrono::seconds(10);
    long last = live_netns();
    int stable = 0;
    while (stable < 10 && clock_type::now() < deadline) { // unchanged for 1 s
        ::usleep(100000);
        const long now = live_netns();
        stable = now == last ? stable + 1 : 0;
        last = now;
    }
}

void section(const char* title) { std::printf("\n%s\n", title); }

} // namespace

int main()
{
    if (::geteuid() != 0) {
        std::printf("bench_net: needs root (creates network namespaces); skipped\n");
        return 0;
    }
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    const auto start = clock_type::now();
    // Work from a netns of our own: the host's is never configured.
    if (::unshare(CLONE_NEWNET) != 0)
        die("unshare");
    auto home = sys::open_ns(0, sys::ns_type::net);
    std::vector<std::unique_ptr<ns_pair>> keep; // see settle()

    // ---------------------------------------------------------------- 1
    section("new netns with lo up (median per namespace)");
    {
        const int rounds = 200;
        std::vector<double> bare, lib;
        std::vector<unique_fd> alive; // no teardown (async, under rtnl) during the loop
        for (int i = 0; i < rounds; ++i) { // interleaved: both see the same machine state
            auto t0 = clock_type::now();
            if (::unshare(CLONE_NEWNET) != 0)
                die("unshare");
            bare.push_back(ms_since(t0));
            alive.push_back(sys::open_ns(0, sys::ns_type::net));
            if (::setns(home.get(), CLONE_NEWNET) != 0)
                die("setns");
            t0 = clock_type::now();
            if (::unshare(CLONE_NEWNET) != 0)
                die("unshare");
            configure_loopback();
            lib.push_back(ms_since(t0));
            alive.push_back(sys::open_ns(0, sys::ns_type::net));
            if (::setns(home.get(), CLONE_NEWNET) != 0)
                die("setns");
        }
        alive.clear();
        settle();
        std::vector<double> tool;
        for (int i = 0; i < 30; ++i) {
            auto t0 = clock_type::now();
            must_run({"unshare", "-n", "sh", "-c", "ip link set lo up"});
            tool.push_back(ms_since(t0));
        }
        const double b = median(bare), l = median(lib), t = median(tool);
        std::printf("  bare unshare(CLONE_NEWNET)               %8.3f ms\n", b);
        std::printf("  nskit unshare + configure_loopback       %8.3f ms\n", l);
        std::printf("  unshare -n sh -c 'ip link set lo up'     %8.3f ms\n", t);
        std::printf("  ratio: nskit %.1fx faster than unshare+sh+ip (target >= 25x)\n", t / l);
        std::printf("  ratio: nskit / bare unshare = %.2fx (target <= 1.3x)\n", l / b);
    }

    // ---------------------------------------------------------------- 2
    section("fully configured veth pair: peer in the other netns, both up, an address each (median ms/pair)");
    {
        const int pairs = 100;
        std::vector<double> lib_recipe, lib_reused, per_step, batch;
        settle();
        {
            // Both nskit ways in one loop, alternating: the same machine state for each.
            auto& ns = *keep.emplace_back(std::make_unique<ns_pair>(home.get()));
            auto here = netlink::open();
            auto there = netlink::open_in(ns.b.get());
            for (int i = 0; i < pairs; ++i) {
                auto t0 = clock_type::now();
                connect_veth(recipe(i, ns.b.get(), true));
                lib_recipe.push_back(ms_since(t0));

                t0 = clock_type::now();
                veth_options o;
                o.name = dev_name('c', i);
                o.peer_name = dev_name('d', i);
                o.peer_netns = netns_target::from_fd(ns.b.get());
                o.up = true;
                const auto p = here.create_veth_pair(o);
                there.set_up(p.peer_index);
                here.add_address(p.index, parse_cidr(addr(pairs + i, 1)));
                there.add_address(p.peer_index, parse_cidr(addr(pairs + i, 2)));
                lib_reused.push_back(ms_since(t0));
            }
        }
        settle();
        {
            auto& ns = *keep.emplace_back(std::make_unique<ns_pair>(home.get()));
            const std::string holder = std::to_string(ns.holder);
            for (int i = 0; i < 10; ++i) {
                auto t0 = clock_type::now();
                const std::string a = dev_name('a', i), b = dev_name('b', i);
                must_run({"ip", "link", "add", a, "type", "veth", "peer", "name", b, "netns", holder});
                must_run({"ip", "link", "set", a, "up"});
                must_run({"ip", "addr", "add", addr(i, 1), "dev", a});
                must_run({"ip", "link", "set", b, "up"}, ns.b.get());
                must_run({"ip", "addr", "add", addr(i, 2), "dev", b}, ns.b.get());
                per_step.push_back(ms_since(t0));
            }
        }
        for (int round = 0; round < 3; ++round) {
            settle();
            auto& ns = *keep.emplace_back(std::make_unique<ns_pair>(home.get()));
            const std::string holder = std::to_string(ns.holder);
            std::string here, there;
            for (int i = 0; i < pairs; ++i) {
                const std::string a = dev_name('a', i), b = dev_name('b', i);
                here += "link add " + a + " type veth peer name " + b + " netns " + holder + "\n";
                here += "link set " + a + " up\n";
                here += "addr add " + addr(i, 1) + " dev " + a + "\n";
                there += "link set " + b + " up\n";
                there += "addr add " + addr(i, 2) + " dev " + b + "\n";
            }
            auto t0 = clock_type::now();
            must_run({"ip", "-batch", "-"}, -1, here);
            must_run({"ip", "-batch", "-"}, ns.b.get(), there);
            batch.push_back(ms_since(t0) / pairs);
        }
        const double r = median(lib_recipe), n = median(lib_reused), s1 = median(per_step), bt = median(batch);
        std::printf("  nskit connect_veth (one call per pair)           %8.3f ms\n", r);
        std::printf("  nskit netlink, 2 sockets reused, 4 requests      %8.3f ms\n", n);
        std::printf("  ip, one process per step (5 per pair)           %8.3f ms\n", s1);
        std::printf("  ip -batch (2 processes per %d pairs, 3 rounds)  %8.3f ms\n", pairs, bt);
        std::printf("  ratio: connect_veth %.1fx faster than ip per step (target >= 50x)\n", s1 / r);
        std::printf("  ratio: connect_veth %.2fx the speed of ip -batch (target >= 1x)\n", bt / r);
        std::printf("  ratio: reused sockets %.2fx the speed of ip -batch\n", bt / n);
    }

    // ---------------------------------------------------------------- 3
    section("scaling: connect_veth per-pair cost as pairs accumulate in one netns pair\n"
            "(median ms/pair; wall clock, and this thread's CPU time)");
    {
        const int total = 1000;
        for (bool v6 : {false, true}) {
            keep.clear(); // earlier phases' links, torn down before this phase starts
            settle();
            auto& ns = *keep.emplace_back(std::make_unique<ns_pair>(home.get()));
            std::vector<double> wall, cpu;
            for (int i = 0; i < total; ++i) {
                auto t0 = clock_type::now();
                const double c0 = thread_cpu_ms();
                connect_veth(recipe(i, ns.b.get(), v6));
                cpu.push_back(thread_cpu_ms() - c0);
                wall.push_back(ms_since(t0));
            }
            for (const auto* each : {&wall, &cpu}) {
                auto range = [&](int from, int to) { // pairs from..to, 1-based
                    return median(std::vector<double>(each->begin() + from - 1, each->begin() + to));
                };
                // The first pairs' cost: the median of the first 100 (10 alone are too few
                // on a shared machine).
                const double first = range(1, 100), last = range(901, 1000);
                std::printf("  IPv6 %-3s %-4s  1-10: %.3f  1-100: %.3f  101-500: %.3f  501-900: %.3f  901-1000: %.3f"
                            "   901-1000 / 1-100 = %.2fx%s\n",
                            v6 ? "on" : "off", each == &wall ? "wall" : "cpu", range(1, 10), first, range(101, 500),
                            range(501, 900), last, last / first, v6 ? "" : " (target <= 1.5x)");
            }
        }
    }
    std::printf("\nbench_net: total %.1f s\n", ms_since(start) / 1000);
    return 0;
}
