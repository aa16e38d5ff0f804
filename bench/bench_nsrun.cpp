// bench_nsrun: nsrun against unshare(1) and bwrap(1) for the same job, and
// nskit::ns::run() against a hand-written clone3 + mount loop.  Side by side
// in one run, interleaved, medians and ratios.
#include <nskit/ns/run.hpp>
#include <nskit/sys/detail/syscall.hpp>

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

extern char** environ;

namespace {

using clock_type = std::chrono::steady_clock;

std::string find_tool(const std::string& name)
{
    if (const char* d = std::getenv("NSKIT_TOOLS_DIR"); d && *d)
        return std::string(d) + "/" + name;
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator("bin/tools", ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
        if (it->path().filename() == name && it->path().string().find("/release/") != std::string::npos)
            return it->path().string();
    return {};
}

std::string which(const std::string& name)
{
    for (const char* dir : {"/usr/bin/", "/bin/", "/usr/sbin/", "/sbin/", "/usr/local/bin/"})
        if (::access((std::string(dir) + name).c_str(), X_OK) == 0)
            return std::string(dir) + name;
    return {};
}

double cpu_us(const rusage& r)
{
    return (r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1e6 + r.ru_utime.tv_usec + r.ru_stime.tv_usec;
}

// Runs argv once; wall-clock microseconds (and CPU microseconds of it and
// its waited-for descendants in *cpu), or -1 when it failed.
double run_once(const std::vector<std::string>& argv, double* cpu = nullptr)
{
    rusage before{}, after{};
    ::getrusage(RUSAGE_CHILDREN, &before);
    std::vector<char*> a;
    for (const auto& s : argv)
        a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    const auto t0 = clock_type::now();
    pid_t pid;
    if (posix_spawn(&pid, a[0], &fa, nullptr, a.data(), environ) != 0)
        return -1;
    int st = 0;
    ::waitpid(pid, &st, 0);
    const auto t1 = clock_type::now();
    ::getrusage(RUSAGE_CHILDREN, &after);
    if (cpu)
        *cpu = cpu_us(after) - cpu_us(before);
    posix_spawn_file_actions_destroy(&fa);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return -1;
    return std::chrono::duration<double, std::micro>(t1 - t0).count();
}

// CPU microseconds of this process and its reaped children so far.
double cpu_now()
{
    rusage self{}, children{};
    ::getrusage(RUSAGE_SELF, &self);
    ::getrusage(RUSAGE_CHILDREN, &children);
    return cpu_us(self) + cpu_us(children);
}

double median(std::vector<double> v)
{
    if (v.empty())
        return -1;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// The hand-written baseline: clone3 with the namespace flags and a pidfd,
// the child makes / private, mounts tmpfs on /tmp and proc on /proc, brings
// lo up and exits; the parent waits on the pidfd.
double hand_written_once(bool pid_ns = true)
{
    const auto t0 = clock_type::now();
    int pidfd = -1;
    nskit::sys::detail::kernel_clone_args args{};
    args.flags = (pid_ns ? CLONE_NEWPID : 0) | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_PIDFD;
    args.pidfd = reinterpret_cast<std::uintptr_t>(&pidfd);
    args.exit_signal = SIGCHLD;
    const long pid = ::syscall(SYS_clone3, &args, sizeof args);
    if (pid == 0) {
        if (::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
            ::mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") != 0 ||
            (pid_ns && ::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0))
            ::_exit(1);
        const int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        ifreq ifr{};
        std::strcpy(ifr.ifr_name, "lo");
        ::ioctl(s, SIOCGIFFLAGS, &ifr);
        ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
        ::ioctl(s, SIOCSIFFLAGS, &ifr);
        ::_exit(0);
    }
    if (pid < 0)
        return -1;
    siginfo_t si{};
    ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), &si, WEXITED);
    ::close(pidfd);
    const auto t1 = clock_type::now();
    return si.si_status == 0 ? std::chrono::duration<double, std::micro>(t1 - t0).count() : -1;
}

double nskit_run_once(bool pid_ns = true)
{
    nskit::ns::options o;
    o.mount = o.net = o.uts = o.ipc = true;
    o.pid = pid_ns;
    o.tmp = nskit::ns::tmp_options{};
    const auto t0 = clock_type::now();
    std::error_code ec;
    auto s = nskit::ns::run([] { return 0; }, o, ec);
    const auto t1 = clock_type::now();
    return !ec && s.code == 0 ? std::chrono::duration<double, std::micro>(t1 - t0).count() : -1;
}

// argv: the tool and its first words, the view, then "--" PROGRAM.
std::vector<std::string> with_view(std::vector<std::string> head, const std::vector<std::string>& view,
                                   const std::string& program)
{
    head.insert(head.end(), view.begin(), view.end());
    head.push_back("--");
    head.push_back(program);
    return head;
}

// A new root of n binds: /usr read-only and bwrap's usual links (so that
// PROGRAM runs), then n - 1 directories bound read-only on /b/1 ... (a few
// sources reused: the cost is per bind).
std::vector<std::string> root_binds(std::size_t n)
{
    std::vector<std::string> v = {"--ro-bind", "/usr", "/usr", "--symlink", "usr/lib", "/lib",
                                  "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/bin", "/bin"};
    static const char* const sources[] = {"/usr/share", "/usr/include", "/usr/sbin", "/etc", "/var/lib", "/opt"};
    for (std::size_t i = 1; i < n; ++i) {
        v.emplace_back("--ro-bind");
        v.emplace_back(sources[i % std::size(sources)]);
        v.push_back("/b/" + std::to_string(i));
    }
    return v;
}

void report(const char* name, double us, double base, const char* base_name)
{
    if (us < 0)
        std::printf("  %-58s unavailable\n", name);
    else if (base > 0)
        std::printf("  %-58s %9.0f us   %5.2fx %s\n", name, us, us / base, base_name);
    else
        std::printf("  %-58s %9.0f us\n", name, us);
}

} // namespace

int main(int argc, char** argv)
{
    const int rounds = argc > 1 ? std::atoi(argv[1]) : 60;
    if (::geteuid() != 0) {
        std::puts("bench_nsrun: needs root (namespaces without a user namespace); skipped");
        return 0;
    }
    const std::string nsrun = find_tool("nsrun");
    const std::string unshare = which("unshare");
    const std::string bwrap = which("bwrap");
    const std::string truebin = which("true");
    std::printf("bench_nsrun: %d rounds, interleaved; medians\n", rounds);

    struct candidate {
        const char* name;
        std::vector<std::string> argv;
        std::vector<double> samples;
        std::vector<double> cpu;
    };
    std::vector<candidate> cmds;
    if (!nsrun.empty())
        cmds.push_back({"nsrun --pid --mount --net --uts --ipc --tmp -- true",
                        {nsrun, "--pid", "--mount", "--net", "--uts", "--ipc", "--tmp", "--", truebin}, {}, {}});
    if (!unshare.empty())
        cmds.push_back({"unshare -fpmnui --mount-proc true", {unshare, "-fpmnui", "--mount-proc", truebin}, {}, {}});
    if (!bwrap.empty())
        cmds.push_back({"bwrap --unshare-all --ro-bind / / --dev --proc --tmpfs",
                        {bwrap, "--unshare-all", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs",
                         "/tmp", truebin},
                        {}, {}});
    // Each command once to warm up (page cache, first netns), then the
    // rounds, interleaved so that outside load hits all of them alike.
    auto sample = [rounds](std::vector<candidate>& group) {
        for (auto& c : group)
            run_once(c.argv);
        for (int i = 0; i < rounds; ++i)
            for (auto& c : group)
                if (double cpu = 0, us = run_once(c.argv, &cpu); us >= 0) {
                    c.samples.push_back(us);
                    c.cpu.push_back(cpu);
                }
    };
    sample(cmds);

    std::puts("programs (fork + exec + namespaces + true + wait), wall clock:");
    const double base = cmds.empty() ? -1 : median(cmds[0].samples);
    for (auto& c : cmds)
        report(c.name, median(c.samples), &c == &cmds[0] ? -1 : base, "of nsrun");
    std::puts("the same, CPU time of the process tree (less sensitive to a busy machine):");
    const double cbase = cmds.empty() ? -1 : median(cmds[0].cpu);
    for (auto& c : cmds)
        report(c.name, median(c.cpu), &c == &cmds[0] ? -1 : cbase, "of nsrun");
    for (std::size_t i = 1; i < cmds.size(); ++i) {
        const double m = median(cmds[i].samples), mc = median(cmds[i].cpu);
        if (m > 0 && base > 0)
            std::printf("  %s / nsrun: %.2fx wall, %.2fx CPU\n", cmds[i].argv[0].c_str(), m / base, mc / cbase);
    }

    // The same work on both sides: nsrun's job minus what unshare does not
    // do (lo up, the private /tmp), so the ratio is the tools' own overhead.
    if (!nsrun.empty() && !unshare.empty()) {
        std::vector<candidate> same{
            {"nsrun --pid --mount --uts --ipc -- true", {nsrun, "--pid", "--mount", "--uts", "--ipc", "--", truebin}, {}, {}},
            {"unshare -fpmui --mount-proc true", {unshare, "-fpmui", "--mount-proc", truebin}, {}, {}}};
        sample(same);
        std::puts("the same work on both sides (no network namespace, no private /tmp):");
        const double b = median(same[0].samples), cb = median(same[0].cpu);
        report(same[0].name, b, -1, "");
        report(same[1].name, median(same[1].samples), b, "of nsrun");
        std::printf("  unshare / nsrun: %.2fx wall, %.2fx CPU\n", median(same[1].samples) / b, median(same[1].cpu) / cb);
    }

    // bwrap's own sandbox, and the same view with nsrun's flags (the
    // namespaces bwrap's --unshare-all makes as root: user, pid, net, ipc,
    // uts, cgroup); then a new root of 20 binds on both, and nsrun's cost
    // per bind up to 1000.
    if (!nsrun.empty() && !bwrap.empty()) {
        const std::vector<std::string> view = {"--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"};
        std::vector<candidate> views{
            {"nsrun --user --pid --net --ipc --uts --cgroup + view",
             with_view({nsrun, "--user", "--pid", "--net", "--ipc", "--uts", "--cgroup"}, view, truebin), {}, {}},
            {"bwrap --unshare-all --ro-bind / / --dev --proc --tmpfs", with_view({bwrap, "--unshare-all"}, view, truebin),
             {}, {}},
            {"nsrun --fresh-root + 20 binds", with_view({nsrun, "--fresh-root"}, root_binds(20), truebin), {}, {}},
            {"bwrap + the same 20 binds", with_view({bwrap}, root_binds(20), truebin), {}, {}},
            {"nsrun --fresh-root + 1 bind", with_view({nsrun, "--fresh-root"}, root_binds(1), truebin), {}, {}},
            {"nsrun --fresh-root + 200 binds", with_view({nsrun, "--fresh-root"}, root_binds(200), truebin), {}, {}},
            {"nsrun --fresh-root + 1000 binds", with_view({nsrun, "--fresh-root"}, root_binds(1000), truebin), {}, {}}};
        sample(views);
        std::puts("filesystem views (wall clock; CPU in brackets):");
        for (std::size_t i = 0; i < views.size(); ++i) {
            const auto& c = views[i];
            const bool vs_bwrap = i == 1 || i == 3;
            report(c.name, median(c.samples), vs_bwrap ? median(views[i - 1].samples) : -1, "of nsrun");
            std::printf("  %-58s [%7.0f us CPU]\n", "", median(c.cpu));
        }
        std::printf("  bwrap / nsrun, the sandbox: %.2fx wall, %.2fx CPU (target >= 2.5x)\n",
                    median(views[1].samples) / median(views[0].samples), median(views[1].cpu) / median(views[0].cpu));
        std::printf("  bwrap / nsrun, 20 binds:    %.2fx wall, %.2fx CPU (target >= 2x)\n",
                    median(views[3].samples) / median(views[2].samples), median(views[3].cpu) / median(views[2].cpu));
        const double one = median(views[4].samples), c200 = median(views[5].samples), c1000 = median(views[6].samples);
        std::printf("  nsrun per bind: %.1f us (1 -> 20), %.1f us (1 -> 200), %.1f us (1 -> 1000)\n",
                    (median(views[2].samples) - one) / 19, (c200 - one) / 199, (c1000 - one) / 999);
    }

    // Wall clock and CPU (this process + its children) of each call.
    auto measure = [rounds](bool pid_ns) {
        std::vector<double> hand, lib, hand_cpu, lib_cpu;
        hand_written_once(pid_ns);
        nskit_run_once(pid_ns);
        for (int i = 0; i < rounds; ++i) {
            double c0 = cpu_now();
            if (double us = hand_written_once(pid_ns); us >= 0) {
                hand.push_back(us);
                hand_cpu.push_back(cpu_now() - c0);
            }
            c0 = cpu_now();
            if (double us = nskit_run_once(pid_ns); us >= 0) {
                lib.push_back(us);
                lib_cpu.push_back(cpu_now() - c0);
            }
        }
        return std::array<double, 4>{median(hand), median(lib), median(hand_cpu), median(lib_cpu)};
    };
    std::puts("in process (pid, mount, net, uts, ipc, private /tmp; empty callable):");
    const auto m = measure(true);
    report("hand-written clone3 + mounts + lo up (no init)", m[0], -1, "");
    report("nskit::ns::run (init PID 1 + worker PID 2)", m[1], m[0], "of hand-written (target <= 1.25x)");
    report("  CPU: hand-written", m[2], -1, "");
    report("  CPU: nskit::ns::run", m[3], m[2], "of hand-written");

    std::puts("the same without the PID namespace (no init on either side):");
    const auto m2 = measure(false);
    report("hand-written clone3 + mounts + lo up", m2[0], -1, "");
    report("nskit::ns::run", m2[1], m2[0], "of hand-written");
    report("  CPU: hand-written", m2[2], -1, "");
    report("  CPU: nskit::ns::run", m2[3], m2[2], "of hand-written");
    return 0;
}
