// bench_nscmp — nscmp's kcmp sorting against the all-pairs way, in one run.
//
// 1. group(): 1000 processes by VM and by FILES (in 48 groups of 1..40, and
//    as 1000 singletons, the worst case for sorting) against comparing
//    every pair with kcmp and joining the equal ones.
// 2. compare(): the open files two processes share, 1000 fds each, against
//    kcmp_file on every pair of fds.
// Both ways must find the same answer; the ratios are printed.  Times are
// the best of 15 runs (nskit) and of 3 runs (all pairs).
#include <nskit/inspect/compare.hpp>
#include <nskit/inspect/group.hpp>
#include <nskit/sys/clone.hpp>
#include <nskit/sys/kcmp.hpp>

#include "../test/inspect/cmp_fixtures.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <numeric>
#include <set>
#include <vector>

using namespace nskit;
namespace insp = nskit::inspect;
namespace tc = nskit::test::cmp;
using clock_type = std::chrono::steady_clock;

namespace {

double ms_since(clock_type::time_point t0)
{
    return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
}

// The best of several runs: this is a shared 2-core machine, and the least
// disturbed run is the one that measures the method.  Both sides alike.
double best(const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); }

std::set<std::vector<pid_t>> pairwise_groups(const std::vector<pid_t>& pids, sys::kcmp_resource type, std::size_t& calls)
{
    std::vector<std::size_t> parent(pids.size());
    std::iota(parent.begin(), parent.end(), 0);
    std::function<std::size_t(std::size_t)> root = [&](std::size_t i) {
        return parent[i] == i ? i : parent[i] = root(parent[i]);
    };
    for (std::size_t i = 0; i < pids.size(); ++i)
        for (std::size_t j = i + 1; j < pids.size(); ++j) {
            std::error_code ec;
            ++calls;
            if (sys::kcmp(pids[i], pids[j], type, ec) == sys::kcmp_order::equal && !ec)
                parent[root(j)] = root(i);
        }
    std::map<std::size_t, std::vector<pid_t>> by_root;
    for (std::size_t i = 0; i < pids.size(); ++i)
        by_root[root(i)].push_back(pids[i]);
    std::set<std::vector<pid_t>> out;
    for (auto& [r, v] : by_root) {
        std::sort(v.begin(), v.end());
        out.insert(v);
    }
    return out;
}

bool group_bench(const char* label, sys::clone_flags share, sys::kcmp_resource type, const std::vector<int>& sizes)
{
    tc::population pop;
    if (const auto err = tc::build(pop, share, sizes, false); !err.empty()) {
        std::printf("cannot build the processes: %s\n", err.c_str());
        tc::destroy(pop);
        return false;
    }
    const double n = static_cast<double>(pop.all.size());
    std::vector<double> fast;
    std::size_t fast_calls = 0;
    std::set<std::vector<pid_t>> fast_groups;
    for (int rep = 0; rep < 15; ++rep) {
        auto t0 = clock_type::now();
        auto r = insp::group(pop.all, type);
        fast.push_back(ms_since(t0));
        fast_calls = r.kcmp_calls;
        fast_groups = {r.classes.begin(), r.classes.end()};
    }
    std::size_t slow_calls = 0;
    std::vector<double> slow_times;
    std::set<std::vector<pid_t>> slow_groups;
    for (int rep = 0; rep < 3; ++rep) {
        slow_calls = 0;
        auto t0 = clock_type::now();
        slow_groups = pairwise_groups(pop.all, type, slow_calls);
        slow_times.push_back(ms_since(t0));
    }
    const double slow = best(slow_times);
    const std::set<std::vector<pid_t>> want(pop.groups.begin(), pop.groups.end());
    const bool same = fast_groups == want && slow_groups == want;
    const double call_ratio = static_cast<double>(slow_calls) / static_cast<double>(fast_calls);
    const double time_ratio = slow / best(fast);
    std::printf("group %-7s %-20s N=%4.0f classes=%4zu | nskit sort: %6zu kcmp, %7.2f ms | all pairs: %6zu kcmp, "
                "%8.2f ms | %5.1fx fewer calls, %5.1fx faster | %s\n",
                sys::to_string(type).data(), label, n, want.size(), fast_calls, best(fast), slow_calls, slow,
                call_ratio, time_ratio, same ? "same classes" : "CLASSES DIFFER");
    tc::destroy(pop);
    return same && call_ratio >= 30 && time_ratio >= 20;
}

// ---- shared fds of two processes with 1000 fds each ----

std::vector<int> fds_of(pid_t pid)
{
    std::vector<int> out;
    const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
    DIR* d = ::opendir(dir.c_str());
    if (!d)
        return out;
    while (auto* e = ::readdir(d))
        if (e->d_name[0] != '.')
            out.push_back(std::atoi(e->d_name));
    ::closedir(d);
    return out;
}

bool fd_bench()
{
    // a: 1000 fds of every kind; b: a fork of a that then swaps 300 of them for new ones
    int ready[2], b_ready[2];
    if (::pipe2(ready, O_CLOEXEC) != 0 || ::pipe2(b_ready, O_CLOEXEC) != 0)
        return false;
    const pid_t a = ::fork();
    if (a == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        std::vector<int> mine;
        for (int i = 0; i < 200; ++i) {
            int p[2];
            if (::pipe2(p, O_CLOEXEC) == 0)
                mine.insert(mine.end(), {p[0], p[1]});
        }
        for (int i = 0; i < 100; ++i) {
            int s[2];
            if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s) == 0)
                mine.insert(mine.end(), {s[0], s[1]});
        }
        for (int i = 0; i < 200; ++i)
            mine.push_back(::eventfd(0, EFD_CLOEXEC));
        for (int i = 0; i < 100; ++i)
            mine.push_back(::memfd_create("bench", MFD_CLOEXEC));
        for (int i = 0; i < 100; ++i)
            mine.push_back(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        const pid_t b = ::fork();
        if (b == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            for (std::size_t i = 0; i < mine.size(); i += 10)
                for (std::size_t k = i; k < i + 3 && k < mine.size(); ++k)
                    ::close(mine[k]);
            for (int i = 0; i < 150; ++i) {
                (void)::open("/dev/null", O_RDONLY | O_CLOEXEC);
                (void)::eventfd(0, EFD_CLOEXEC);
            }
            (void)!::write(b_ready[1], "b", 1);
            ::_exit(tc::idle(120));
        }
        char c;
        if (::read(b_ready[0], &c, 1) != 1)
            ::_exit(1);
        int b_pid = b;
        (void)!::write(ready[1], &b_pid, sizeof b_pid);
        ::_exit(tc::idle(120));
    }
    pid_t b = 0;
    if (::read(ready[0], &b, sizeof b) != sizeof b)
        return false;
    const auto fa = fds_of(a), fb = fds_of(b);

    auto pa = sys::pidref::open(a, {.allow_thread = true}), pb = sys::pidref::open(b, {.allow_thread = true});
    using grouping = insp::compare_options::fd_grouping;
    auto run = [&](grouping g, std::size_t& calls, std::set<std::pair<int, int>>& pairs) {
        insp::compare_options o;
        o.namespaces.clear();
        o.resources.clear();
        o.epoll = false;
        o.grouping = g;
        std::vector<double> times;
        for (int rep = 0; rep < 15; ++rep) {
            auto t0 = clock_type::now();
            auto r = insp::compare(pa, pb, o);
            times.push_back(ms_since(t0));
            calls = r.kcmp_calls;
            pairs.clear();
            for (const auto& s : r.shared_fds)
                pairs.insert({s.a.fd, s.b.fd});
        }
        return best(times);
    };
    std::size_t fast_calls = 0, inode_calls = 0, none_calls = 0;
    std::set<std::pair<int, int>> fast_pairs, inode_pairs, none_pairs;
    const double fast = run(grouping::target, fast_calls, fast_pairs);
    const double inode = run(grouping::inode, inode_calls, inode_pairs);
    const double none = run(grouping::none, none_calls, none_pairs);
    std::set<std::pair<int, int>> slow_pairs;
    std::size_t slow_calls = 0;
    std::vector<double> slow_times;
    for (int rep = 0; rep < 3; ++rep) {
        slow_pairs.clear();
        slow_calls = 0;
        auto t0 = clock_type::now();
        const auto la = fds_of(a), lb = fds_of(b); // the baseline lists the fds too
        for (int x : la)
            for (int y : lb) {
                std::error_code ec;
                ++slow_calls;
                if (sys::kcmp_file(a, x, b, y, ec) == sys::kcmp_order::equal && !ec)
                    slow_pairs.insert({x, y});
            }
        slow_times.push_back(ms_since(t0));
    }
    const double slow = best(slow_times);
    const bool same = fast_pairs == slow_pairs && inode_pairs == slow_pairs && none_pairs == slow_pairs;
    const double ratio = slow / fast;
    std::printf("shared fds: a %zu fds, b %zu fds, %zu shared pairs; all pairs: %7zu kcmp, %8.2f ms; %s\n", fa.size(),
                fb.size(), slow_pairs.size(), slow_calls, slow, same ? "same pairs every way" : "PAIRS DIFFER");
    std::printf("  nskit, grouped by readlink target (default): %6zu kcmp, %6.2f ms, %5.1fx faster\n", fast_calls, fast,
                ratio);
    std::printf("  nskit, grouped by stat dev/inode:            %6zu kcmp, %6.2f ms, %5.1fx faster\n", inode_calls,
                inode, slow / inode);
    std::printf("  nskit, one kcmp sort of all fds:             %6zu kcmp, %6.2f ms, %5.1fx faster\n", none_calls, none,
                slow / none);
    ::kill(b, SIGKILL);
    ::kill(a, SIGKILL);
    for (int i = 0; i < 8; ++i)
        if (::waitpid(-1, nullptr, __WALL) < 0 && errno == ECHILD)
            break;
    for (int fd : {ready[0], ready[1], b_ready[0], b_ready[1]})
        ::close(fd);
    return same && ratio >= 50;
}

} // namespace

int main()
{
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0) { // 1000 pidfds while grouping, 1000+ fds in the fd bench
        rl.rlim_cur = rl.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &rl);
    }
    std::vector<int> mixed; // 48 groups of 1..40, 1000 processes
    for (int i = 0, sum = 0; sum < 1000; ++i) {
        const int s = std::min(1 + (i * 37 + 11) % 40, 1000 - sum);
        mixed.push_back(s);
        sum += s;
    }
    const std::vector<int> singletons(1000, 1);
    bool ok = true;
    ok &= group_bench("48 groups of 1..40", sys::clone_flag::vm, sys::kcmp_resource::vm, mixed);
    ok &= group_bench("1000 singletons", sys::clone_flag::vm, sys::kcmp_resource::vm, singletons);
    ok &= group_bench("48 groups of 1..40", sys::clone_flag::files, sys::kcmp_resource::files, mixed);
    ok &= group_bench("1000 singletons", sys::clone_flag::files, sys::kcmp_resource::files, singletons);
    ok &= fd_bench();
    std::printf("targets (group: >= 30x fewer kcmp calls and >= 20x faster; shared fds: >= 50x faster): %s\n",
                ok ? "met" : "NOT MET");
    return 0;
}
