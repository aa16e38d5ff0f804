// bench_nsinfo: `nsinfo --all` against `lsns` and `lsns -J`, as whole
// processes, with ~1000 extra processes spread over ~50 namespace sets of
// every type; peak memory of each; then, at ~1000 processes, nsinfo with
// lsns's default columns (COMMAND the command line), the same plus CONTAINER
// and CAPS, and the lsns entry point (nsinfo --lsns), each against plain
// lsns, the entry point's output compared byte for byte with lsns's on the
// benchmark's namespaces; and `nsinfo PID` against a minimal C program that
// readlinks /proc/PID/ns/*.  Prints medians and ratios.
#include <nskit/sys/clone_flags.hpp>

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

double now_ms()
{
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

struct run_result {
    double ms = 0;
    double cpu_ms = 0; // user + system time of the child (all its threads)
    long maxrss_kb = 0;
    bool ok = false;
};

// One run of argv with stdout/stderr to /dev/null; wall time, CPU time and
// the child's peak RSS (wait4's rusage is this child's alone).
run_result run_once(const std::vector<std::string>& argv, std::string* output = nullptr)
{
    std::vector<char*> args;
    for (const auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    char out_path[] = "/tmp/nskit-bench-out.XXXXXX";
    const int out_fd = output ? ::mkstemp(out_path) : -1;
    double t0 = now_ms();
    pid_t pid = ::fork();
    if (pid == 0) {
        int null = ::open("/dev/null", O_WRONLY);
        ::dup2(out_fd >= 0 ? out_fd : null, 1);
        ::dup2(null, 2);
        ::execvp(args[0], args.data());
        ::_exit(127);
    }
    int status = 0;
    rusage ru{};
    ::wait4(pid, &status, 0, &ru);
    if (out_fd >= 0) {
        output->clear();
        char buf[65536];
        ::lseek(out_fd, 0, SEEK_SET);
        for (ssize_t n; (n = ::read(out_fd, buf, sizeof buf)) > 0;)
            output->append(buf, static_cast<std::size_t>(n));
        ::close(out_fd);
        ::unlink(out_path);
    }
    run_result r;
    r.ms = now_ms() - t0;
    auto ms = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) * 1e3 + static_cast<double>(tv.tv_usec) / 1e3; };
    r.cpu_ms = ms(ru.ru_utime) + ms(ru.ru_stime);
    r.maxrss_kb = ru.ru_maxrss;
    r.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    return r;
}

struct stats {
    double median_ms = 0;
    double cpu_ms = 0;
    long maxrss_kb = 0;
    bool ok = true;
};

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

// Runs the commands round-robin (so load from elsewhere hits all alike) and
// returns each one's medians.
std::vector<stats> measure(const std::vector<std::vector<std::string>>& cmds, int runs)
{
    std::vector<std::vector<double>> wall(cmds.size()), cpu(cmds.size());
    std::vector<stats> out(cmds.size());
    for (const auto& c : cmds)
        run_once(c); // warm caches
    for (int i = 0; i < runs; ++i)
        for (std::size_t c = 0; c < cmds.size(); ++c) {
            auto r = run_once(cmds[c]);
            out[c].ok = out[c].ok && r.ok;
            wall[c].push_back(r.ms);
            cpu[c].push_back(r.cpu_ms);
            out[c].maxrss_kb = std::max(out[c].maxrss_kb, r.maxrss_kb);
        }
    for (std::size_t c = 0; c < cmds.size(); ++c) {
        out[c].median_ms = median(wall[c]);
        out[c].cpu_ms = median(cpu[c]);
    }
    return out;
}

// A group: a process in fresh namespaces (a rotating mix of every type),
// with `members` sleeping children.  Everything dies with the bench (PDEATHSIG).
pid_t spawn_group(int index, int members, int ready_fd)
{
    pid_t pid = ::fork();
    if (pid != 0)
        return pid;
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    int flags = CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWCGROUP;
    if (index % 2 == 0)
        flags |= CLONE_NEWNET;
    if (index % 3 == 0)
        flags |= CLONE_NEWNS;
    if (index % 5 == 0)
        flags |= CLONE_NEWUSER;
    if (index % 4 == 0)
        flags |= 0x80; // CLONE_NEWTIME
    if (::unshare(flags) != 0)
        ::unshare(flags & ~0x80); // kernels without time namespaces
    for (int i = 0; i < members; ++i) {
        if (::fork() == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            for (;;)
                ::pause();
        }
    }
    char c = 1;
    if (::write(ready_fd, &c, 1) != 1)
        ::_exit(1);
    for (;;)
        ::pause();
}

std::string find_tool(const char* name)
{
    if (const char* d = std::getenv("NSKIT_TOOLS_DIR"); d && *d && fs::exists(fs::path(d) / name))
        return (fs::path(d) / name).string();
    // <repo>/bin/bench/... -> <repo>/bin/tools/NAME/**/release/**/NAME
    fs::path self = fs::read_symlink("/proc/self/exe");
    for (fs::path p = self.parent_path(); p.has_relative_path(); p = p.parent_path()) {
        if (p.filename() == "bin" && fs::exists(p / "tools")) {
            for (const auto& e : fs::recursive_directory_iterator(p / "tools"))
                if (e.path().filename() == name && e.path().string().find("/release/") != std::string::npos &&
                    e.is_regular_file())
                    return e.path().string();
        }
    }
    return {};
}

// The baseline for `nsinfo PID`: the least a program can do to answer it.
const char* baseline_source = R"(#include <stdio.h>
#include <unistd.h>
int main(int argc, char** argv) {
    static const char* e[] = {"cgroup","ipc","mnt","net","pid","pid_for_children","time","time_for_children","user","uts"};
    char path[64], buf[64];
    for (int i = 0; i < 10; ++i) {
        snprintf(path, sizeof path, "/proc/%s/ns/%s", argc > 1 ? argv[1] : "self", e[i]);
        ssize_t n = readlink(path, buf, sizeof buf);
        if (n > 0) printf("%s %.*s\n", e[i], (int)n, buf);
    }
    return 0;
}
)";

std::string build_baseline()
{
    char dir[] = "/tmp/nskit-bench.XXXXXX";
    if (!::mkdtemp(dir))
        return {};
    std::string src = std::string(dir) + "/readlink_ns.c", exe = std::string(dir) + "/readlink_ns";
    FILE* f = std::fopen(src.c_str(), "w");
    if (!f)
        return {};
    std::fputs(baseline_source, f);
    std::fclose(f);
    auto r = run_once({"cc", "-O2", "-o", exe, src});
    return r.ok ? exe : std::string();
}

// The lines of lsns's default output about the benchmark's own namespaces
// (the rest of the machine changes between two runs: other processes come
// and go, and NPROCS with them).
std::string lines_about(const std::string& text, const std::set<std::string>& inodes, std::size_t& total)
{
    std::string out;
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t end = text.find('\n', start);
        const std::string line = text.substr(start, end == std::string::npos ? std::string::npos : end - start + 1);
        start = end == std::string::npos ? text.size() : end + 1;
        const auto first = line.find_first_not_of(' ');
        const std::string ns = first == std::string::npos ? "" : line.substr(first, line.find(' ', first) - first);
        if (inodes.count(ns)) {
            out += line;
            ++total;
        }
    }
    return out;
}

// At ~1000 processes: nsinfo with lsns's columns, with CONTAINER and CAPS,
// and the lsns entry point, each against plain lsns (issue targets: 4.5x,
// 3x, 4x with byte-identical output).
void compare_with_lsns(const std::string& nsinfo, const std::vector<pid_t>& groups, int runs)
{
    std::set<std::string> inodes;
    for (pid_t g : groups)
        for (const char* t : {"mnt", "uts", "ipc", "net", "pid", "user", "cgroup", "time"}) {
            struct stat st{};
            if (::stat(("/proc/" + std::to_string(g) + "/ns/" + t).c_str(), &st) == 0 && st.st_ino != 0)
                inodes.insert(std::to_string(st.st_ino));
        }
    for (const char* t : {"mnt", "uts", "ipc", "net", "pid", "user", "cgroup", "time"}) { // not the host's
        struct stat st{};
        if (::stat((std::string("/proc/self/ns/") + t).c_str(), &st) == 0)
            inodes.erase(std::to_string(st.st_ino));
    }
    const std::string lsns_columns = "NS,TYPE,NPROCS,PID,USER,COMMAND";
    auto m = measure({{"lsns"},
                      {nsinfo, "--all", "-o", lsns_columns},
                      {nsinfo, "--all", "-o", lsns_columns + ",CONTAINER,CAPS"},
                      {nsinfo, "--lsns"}},
                     runs);
    std::printf("lsns's default view, %zu benchmark namespaces:\n", inodes.size());
    auto row = [](const char* what, const stats& st) {
        std::printf("  %-40s wall %8.2f ms  cpu %8.2f ms%s\n", what, st.median_ms, st.cpu_ms, st.ok ? "" : "  (exit status not 0)");
    };
    row("lsns", m[0]);
    row("nsinfo --all -o <lsns's columns>", m[1]);
    row("nsinfo --all -o <lsns's columns>,CONTAINER,CAPS", m[2]);
    row("nsinfo --lsns", m[3]);
    std::printf("  lsns/nsinfo (wall): lsns's columns %.2fx (target 4.5x), +CONTAINER,CAPS %.2fx (target 3x), "
                "entry point %.2fx (target 4x)\n",
                m[0].median_ms / m[1].median_ms, m[0].median_ms / m[2].median_ms, m[0].median_ms / m[3].median_ms);
    std::string theirs, ours;
    run_once({"lsns"}, &theirs);
    run_once({nsinfo, "--lsns"}, &ours);
    std::size_t a = 0, b = 0;
    const std::string ta = lines_about(theirs, inodes, a), tb = lines_about(ours, inodes, b);
    std::printf("  output on the benchmark's namespaces: lsns %zu lines, nsinfo --lsns %zu lines, %s\n", a, b,
                ta == tb ? "byte-identical" : "DIFFERENT");
    std::printf("  whole output (the machine's own rows included): %s\n", theirs == ours ? "byte-identical" : "differs");
}

} // namespace

int main()
{
    const std::string nsinfo = find_tool("nsinfo");
    if (nsinfo.empty()) {
        std::printf("bench_nsinfo: nsinfo not built (b2 tools); skipped\n");
        return 0;
    }
    const int runs = 15;
    const int groups = 50, members = 19; // 50 * (1 + 19) = 1000 extra processes
    std::printf("nsinfo: %s\n", nsinfo.c_str());

    auto row = [](const char* what, const stats& s) {
        std::printf("  %-26s wall %8.2f ms  cpu %8.2f ms  peak RSS %6ld KiB%s\n", what, s.median_ms, s.cpu_ms,
                    s.maxrss_kb, s.ok ? "" : "  (FAILED)");
    };
    auto count_procs = [] {
        int n = 0;
        for (const auto& e : fs::directory_iterator("/proc"))
            if (std::isdigit(static_cast<unsigned char>(e.path().filename().string()[0])))
                ++n;
        return n;
    };

    struct point {
        int procs;
        stats nsinfo_all, lsns, lsns_json;
    };
    std::vector<point> points;
    std::vector<pid_t> group_pids;
    int ready[2];
    if (::pipe2(ready, O_CLOEXEC) != 0)
        return 1;
    for (int step = 0; step <= 2; ++step) {
        // step 0: the machine as it is; 1: +500; 2: +1000 processes
        int want = step * groups / 2;
        while (static_cast<int>(group_pids.size()) < want) {
            group_pids.push_back(spawn_group(static_cast<int>(group_pids.size()), members, ready[1]));
            char c;
            if (::read(ready[0], &c, 1) != 1)
                return 1;
        }
        point p;
        p.procs = count_procs();
        std::printf("with %d processes (%zu extra namespace groups):\n", p.procs, group_pids.size());
        auto m = measure({{nsinfo, "--all"}, {"lsns"}, {"lsns", "-J"}}, runs);
        p.nsinfo_all = m[0];
        p.lsns = m[1];
        p.lsns_json = m[2];
        row("nsinfo --all", p.nsinfo_all);
        row("lsns", p.lsns);
        row("lsns -J", p.lsns_json);
        std::printf("  lsns/nsinfo: wall %.2fx cpu %.2fx   lsns -J/nsinfo: wall %.2fx cpu %.2fx   "
                    "peak RSS nsinfo/lsns: %.2fx\n",
                    p.lsns.median_ms / p.nsinfo_all.median_ms, p.lsns.cpu_ms / p.nsinfo_all.cpu_ms,
                    p.lsns_json.median_ms / p.nsinfo_all.median_ms, p.lsns_json.cpu_ms / p.nsinfo_all.cpu_ms,
                    static_cast<double>(p.nsinfo_all.maxrss_kb) / static_cast<double>(p.lsns.maxrss_kb));
        points.push_back(p);
    }
    if (points.size() == 3) {
        auto per = [&](auto get, int a, int b) {
            return (get(points[b]) - get(points[a])) / (points[b].procs - points[a].procs) * 1000.0;
        };
        auto ns = [](const point& p) { return p.nsinfo_all.median_ms; };
        auto ls = [](const point& p) { return p.lsns.median_ms; };
        auto nsc = [](const point& p) { return p.nsinfo_all.cpu_ms; };
        auto lsc = [](const point& p) { return p.lsns.cpu_ms; };
        std::printf("marginal wall cost per process (us), first / second 500: nsinfo %.1f / %.1f, lsns %.1f / %.1f\n",
                    per(ns, 0, 1), per(ns, 1, 2), per(ls, 0, 1), per(ls, 1, 2));
        std::printf("marginal cpu cost per process (us), first / second 500: nsinfo %.1f / %.1f, lsns %.1f / %.1f\n",
                    per(nsc, 0, 1), per(nsc, 1, 2), per(lsc, 0, 1), per(lsc, 1, 2));
        std::printf("marginal ratio lsns/nsinfo: wall %.2fx, cpu %.2fx\n", per(ls, 0, 2) / per(ns, 0, 2),
                    per(lsc, 0, 2) / per(nsc, 0, 2));
    }

    compare_with_lsns(nsinfo, group_pids, runs);

    // nsinfo PID vs the minimal C program, on a process in one of the groups.
    std::string baseline = build_baseline();
    const std::string target = std::to_string(group_pids.empty() ? ::getpid() : group_pids.back());
    std::printf("one process (%s), with %d processes on the system:\n", target.c_str(), count_procs());
    if (!baseline.empty()) {
        // Own columns: only this process's namespaces, no system-wide scan.
        // Default columns include NPROCS and the lowest pid: every process is read.
        auto m = measure({{baseline, target},
                          {nsinfo, "-o", "TYPE,NS,INODE,ISOLATED,ONS,OUID,OUSER,PNS,NSPID", target},
                          {nsinfo, target},
                          {nsinfo, "--version"}},
                         runs * 3);
        row("readlink C program", m[0]);
        row("nsinfo -o <own cols> PID", m[1]);
        row("nsinfo PID (default)", m[2]);
        row("nsinfo --version", m[3]);
        std::printf("  nsinfo/C (wall): own columns %.2fx, default %.2fx, start-up alone %.2fx\n",
                    m[1].median_ms / m[0].median_ms, m[2].median_ms / m[0].median_ms, m[3].median_ms / m[0].median_ms);
        fs::remove_all(fs::path(baseline).parent_path());
    } else {
        std::printf("  no C compiler (cc): baseline skipped\n");
    }

    for (pid_t p : group_pids)
        ::kill(p, SIGKILL);
    for (pid_t p : group_pids)
        ::waitpid(p, nullptr, 0);
    return 0;
}
