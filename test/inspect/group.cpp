#include <nskit/inspect/group.hpp>

#include "test_support.hpp"

#include "cmp_fixtures.hpp"

#include <nskit/inspect/detail/cmp_classes.hpp>
#include <nskit/sys/clone.hpp>
#include <nskit/sys/kcmp.hpp>

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <random>
#include <set>
#include <thread>

using namespace nskit::inspect;
using namespace nskit::sys;
namespace t = nskit::test;
namespace tc = nskit::test::cmp;
using tc::build;
using tc::destroy;
using tc::population;
namespace dc = nskit::inspect::detail::cmp;

namespace {

std::set<std::vector<pid_t>> as_set(const std::vector<std::vector<pid_t>>& v) { return {v.begin(), v.end()}; }

// Group sizes 1..40 in a fixed pseudo-random order, adding up to `total`.
std::vector<int> sizes_for(int total)
{
    std::vector<int> out;
    for (int i = 0, sum = 0; sum < total; ++i) {
        int s = 1 + (i * 37 + 11) % 40;
        s = std::min(s, total - sum);
        out.push_back(s);
        sum += s;
    }
    return out;
}

std::string check_grouping(clone_flags share, kcmp_resource resource, int total, bool prime, std::size_t* calls = nullptr)
{
    population pop;
    std::string err = build(pop, share, sizes_for(total), prime);
    std::string problems = err;
    if (err.empty()) {
        std::error_code ec;
        auto r = group(pop.all, resource, ec);
        if (ec)
            problems += "group: " + ec.message() + "; ";
        if (!r.skipped.empty())
            problems += std::to_string(r.skipped.size()) + " skipped: " + r.skipped[0].reason + "; ";
        if (as_set(r.classes) != as_set(pop.groups))
            problems += std::string(to_string(resource)) + ": " + std::to_string(r.classes.size()) + " classes, expected " +
                        std::to_string(pop.groups.size()) + "; ";
        for (std::size_t i = 1; i < r.classes.size(); ++i)
            if (r.classes[i].size() > r.classes[i - 1].size())
                problems += "classes not largest first; ";
        const double n = static_cast<double>(pop.all.size());
        if (static_cast<double>(r.kcmp_calls) > 3 * n * std::log2(n))
            problems += "kcmp calls " + std::to_string(r.kcmp_calls) + " exceed 3 N log2 N; ";
        if (calls)
            *calls = r.kcmp_calls;
    }
    destroy(pop);
    return problems;
}

} // namespace

BOOST_AUTO_TEST_SUITE(inspect_group)

// The class sort itself, with a comparator whose answers are known.
BOOST_AUTO_TEST_CASE(class_sort_groups_equal_items)
{
    std::mt19937 rng(42);
    std::vector<int> items(2000);
    for (auto& x : items)
        x = static_cast<int>(rng() % 300);
    std::size_t calls = 0;
    auto cmp = [&](int a, int b) {
        ++calls;
        return a < b ? dc::answer::less : a > b ? dc::answer::greater : dc::answer::equal;
    };
    dc::classes<int> classes;
    std::vector<int> dropped;
    BOOST_TEST((dc::sort_into_classes(items, cmp, classes, dropped) == dc::sort_status::ok));
    std::set<int> distinct(items.begin(), items.end());
    BOOST_TEST(classes.size() == distinct.size());
    std::size_t members = 0;
    for (std::size_t i = 0; i < classes.size(); ++i) {
        members += classes[i].size();
        BOOST_TEST(std::all_of(classes[i].begin(), classes[i].end(), [&](int x) { return x == classes[i][0]; }));
        if (i > 0)
            BOOST_TEST(classes[i - 1][0] < classes[i][0]); // sorted
    }
    BOOST_TEST(members == items.size());
    BOOST_TEST(dropped.empty());
    // N log2 K, not N log2 N, when classes are large
    BOOST_TEST(calls <= items.size() * static_cast<std::size_t>(std::ceil(std::log2(300.0))));

    // everything distinct: at most N log2 N
    std::vector<int> distinct_items(1000);
    for (int i = 0; i < 1000; ++i)
        distinct_items[static_cast<std::size_t>(i)] = (i * 7919) % 1000;
    calls = 0;
    BOOST_TEST((dc::sort_into_classes(distinct_items, cmp, classes, dropped) == dc::sort_status::ok));
    BOOST_TEST(classes.size() == 1000u);
    BOOST_TEST(calls <= 1000u * 10u);
    BOOST_TEST((dc::sort_into_classes(std::vector<int>{}, cmp, classes, dropped) == dc::sort_status::ok));
    BOOST_TEST(classes.empty());
}

BOOST_AUTO_TEST_CASE(class_sort_drops_and_aborts)
{
    // negative items "cannot be compared" and are dropped; the rest still groups
    auto cmp = [](int a, int b) {
        if (a < 0 || b < 0)
            return a < 0 && b < 0 ? dc::answer::drop_both : a < 0 ? dc::answer::drop_first : dc::answer::drop_second;
        return a < b ? dc::answer::less : a > b ? dc::answer::greater : dc::answer::equal;
    };
    std::vector<int> items{3, -1, 3, 5, -2, 5, 5, 1, -3};
    dc::classes<int> classes;
    std::vector<int> dropped;
    BOOST_TEST((dc::sort_into_classes(items, cmp, classes, dropped) == dc::sort_status::ok));
    std::sort(dropped.begin(), dropped.end());
    BOOST_TEST(dropped == (std::vector<int>{-3, -2, -1}));
    BOOST_TEST(classes == (dc::classes<int>{{1}, {3, 3}, {5, 5, 5}}));
    dropped.clear();
    BOOST_TEST((dc::pairwise_classes(items, cmp, classes, dropped) == dc::sort_status::ok));
    BOOST_TEST(dropped.size() == 3u);
    BOOST_TEST(classes.size() == 3u);

    auto aborting = [](int, int) { return dc::answer::abort; };
    BOOST_TEST((dc::sort_into_classes(items, aborting, classes, dropped) == dc::sort_status::aborted));
    BOOST_TEST((dc::pairwise_classes(items, aborting, classes, dropped) == dc::sort_status::aborted));
    BOOST_TEST(classes.empty());
}

// kcmp's "3": different but not ordered.  Sorting gives up; the pairwise
// fallback treats it as "not equal".
BOOST_AUTO_TEST_CASE(class_sort_unordered_falls_back)
{
    auto cmp = [](int a, int b) { return a == b ? dc::answer::equal : dc::answer::unordered; };
    std::vector<int> items{4, 2, 4, 9, 2, 4};
    dc::classes<int> classes;
    std::vector<int> dropped;
    BOOST_TEST((dc::sort_into_classes(items, cmp, classes, dropped) == dc::sort_status::unordered));
    BOOST_TEST((dc::pairwise_classes(items, cmp, classes, dropped) == dc::sort_status::ok));
    std::set<std::vector<int>> got(classes.begin(), classes.end());
    BOOST_TEST((got == std::set<std::vector<int>>{{4, 4, 4}, {2, 2}, {9}}));
}

BOOST_AUTO_TEST_CASE(bad_input)
{
    std::error_code ec;
    const pid_t zero[] = {::getpid(), 0};
    group(zero, kcmp_resource::vm, ec);
    BOOST_TEST((ec == nskit::error::bad_pid));
    const pid_t negative[] = {-4};
    group_files(negative, fd_grouping::target, ec);
    BOOST_TEST((ec == nskit::error::bad_pid));
    const pid_t self[] = {::getpid()};
    group(self, kcmp_resource::file, ec);
    BOOST_TEST((ec == std::errc::invalid_argument));
    group(self, kcmp_resource::epoll_tfd, ec);
    BOOST_TEST((ec == std::errc::invalid_argument));
    BOOST_CHECK_THROW(group(self, kcmp_resource::file), std::system_error);
    auto r = group(std::span<const pid_t>(), kcmp_resource::vm);
    BOOST_TEST(r.classes.empty());
    BOOST_TEST(r.kcmp_calls == 0u);
}

// ~1000 processes in 48 known groups: exactly those groups, in O(N log N) kcmp calls.
BOOST_AUTO_TEST_CASE(thousand_processes_by_vm)
{
    NSKIT_CHECK_CHILD(t::in_child([] {
        std::size_t calls = 0;
        auto p = check_grouping(clone_flag::vm, kcmp_resource::vm, 1000, false, &calls);
        if (p.empty() && calls >= 1000u * 999u / 2 / 30)
            p = "no better than 1/30 of all pairs: " + std::to_string(calls);
        return p;
    }));
}

BOOST_AUTO_TEST_CASE(thousand_processes_by_files)
{
    NSKIT_CHECK_CHILD(t::in_child([] { return check_grouping(clone_flag::files, kcmp_resource::files, 1000, false); }));
}

// Every resource, with groups made by the clone flag that shares it.
BOOST_AUTO_TEST_CASE(every_resource_groups_by_its_clone_flag)
{
    struct row {
        clone_flags share;
        kcmp_resource resource;
    };
    for (auto [share, resource] : {row{clone_flag::vm, kcmp_resource::vm}, row{clone_flag::files, kcmp_resource::files},
                                   row{clone_flag::fs, kcmp_resource::fs},
                                   row{clone_flag::sighand | clone_flag::vm, kcmp_resource::sighand},
                                   row{clone_flag::io, kcmp_resource::io}, row{clone_flag::sysvsem, kcmp_resource::sysvsem}}) {
        // leaders get their own io context and undo list; members share the leader's
        NSKIT_CHECK_CHILD(t::in_child([share, resource] {
            NSKIT_EXPECT(tc::prime_lazy_resources());
            return check_grouping(share, resource, 60, true);
        }));
    }
}

// A process whose kcmp fails is left out with the reason; the rest is grouped.
BOOST_AUTO_TEST_CASE(unreachable_and_gone_processes_are_skipped)
{
    t::sleeper root_owned;
    const pid_t target = ::geteuid() == 0 ? root_owned.pid : 1;
    NSKIT_CHECK_CHILD(t::as_nobody([target] {
        // dropping to nobody made us non-dumpable, which would bar kcmp on our own child
        NSKIT_EXPECT(::prctl(PR_SET_DUMPABLE, 1) == 0);
        t::sleeper mine;
        const pid_t pids[] = {::getpid(), target, mine.pid, 0x7ffffff0};
        std::error_code ec;
        auto r = group(pids, kcmp_resource::vm, ec);
        NSKIT_EXPECT(!ec);
        std::string skipped;
        for (const auto& s : r.skipped)
            skipped += std::to_string(s.pid) + ": " + s.reason + "; ";
        if (r.classes.size() != 2u) // self and mine: different mm
            return std::to_string(r.classes.size()) + " classes; skipped " + skipped;
        NSKIT_EXPECT(r.skipped.size() == 2u);
        for (const auto& s : r.skipped) {
            if (s.pid == target)
                NSKIT_EXPECT(s.error == std::errc::operation_not_permitted && s.reason.find("ptrace") != std::string::npos);
            else
                NSKIT_EXPECT(s.pid == 0x7ffffff0 && s.error == std::errc::no_such_process);
        }
        return std::string();
    }));
}

BOOST_AUTO_TEST_CASE(zombies_and_threads)
{
    pid_t z = ::fork();
    if (z == 0)
        ::_exit(0);
    siginfo_t si{};
    ::waitid(P_PID, static_cast<id_t>(z), &si, WEXITED | WNOWAIT);
    const tc::idle_thread thread_a;
    const pid_t tid = thread_a.tid();
    t::sleeper other;
    const pid_t pids[] = {::getpid(), tid, z, other.pid};
    auto r = group(pids, kcmp_resource::vm);
    ::waitpid(z, nullptr, 0);
    std::vector<pid_t> with_thread{::getpid(), tid};
    std::sort(with_thread.begin(), with_thread.end());
    BOOST_TEST((as_set(r.classes) == std::set<std::vector<pid_t>>{with_thread, {other.pid}}));
    BOOST_REQUIRE(r.skipped.size() == 1u);
    BOOST_TEST(r.skipped[0].pid == z);
    BOOST_TEST((r.skipped[0].error == std::errc::no_such_process));
}

BOOST_AUTO_TEST_CASE(kcmp_enosys_is_an_error)
{
    NSKIT_CHECK_CHILD(t::in_child([] {
        t::sleeper other;
        NSKIT_EXPECT(t::forbid_syscall(SYS_kcmp, ENOSYS));
        const pid_t pids[] = {::getpid(), other.pid};
        std::error_code ec;
        auto r = group(pids, kcmp_resource::vm, ec);
        NSKIT_EXPECT(ec == std::errc::function_not_supported);
        NSKIT_EXPECT(r.classes.empty());
        NSKIT_EXPECT(r.error_reason.find("CONFIG_KCMP") != std::string::npos);
        group_files(pids, fd_grouping::none, ec);
        NSKIT_EXPECT(ec == std::errc::function_not_supported);
        try {
            group(pids, kcmp_resource::fs);
            return std::string("no throw");
        } catch (const std::system_error& e) {
            NSKIT_EXPECT(std::string(e.what()).find("group(") != std::string::npos);
        }
        return std::string();
    }));
}

// Open file descriptions across processes, against kcmp on every pair of fds.
BOOST_AUTO_TEST_CASE(files_group_by_open_file_description)
{
    NSKIT_CHECK_CHILD(t::in_child([]() -> std::string {
        int p[2];
        NSKIT_EXPECT(::pipe2(p, O_CLOEXEC) == 0);
        const int shared = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        const int copy = ::fcntl(shared, F_DUPFD_CLOEXEC, 150);
        int ready[2];
        NSKIT_EXPECT(::pipe2(ready, O_CLOEXEC) == 0);
        std::vector<pid_t> kids;
        for (int i = 0; i < 3; ++i) {
            pid_t k = ::fork();
            if (k == 0) {
                ::open("/dev/null", O_RDONLY | O_CLOEXEC); // private: not in any class with others
                (void)!::write(ready[1], "R", 1);
                ::_exit(tc::idle(30));
            }
            kids.push_back(k);
        }
        NSKIT_EXPECT(tc::await_ready(ready[0], 3).empty());
        std::vector<pid_t> pids{::getpid()};
        pids.insert(pids.end(), kids.begin(), kids.end());
        auto r = group_files(pids);
        auto ri = group_files(pids, fd_grouping::inode);
        auto rn = group_files(pids, fd_grouping::none);
        std::string problems;
        // oracle: (pid, fd) -> set of (pid, fd) with kcmp equal, across processes
        std::set<std::set<std::pair<pid_t, int>>> oracle;
        std::map<pid_t, std::vector<int>> fds;
        for (pid_t q : pids) {
            const std::string dir = "/proc/" + std::to_string(q) + "/fd/";
            for (int fd = 0; fd < 256; ++fd)
                if (::access((dir + std::to_string(fd)).c_str(), F_OK) == 0)
                    fds[q].push_back(fd);
        }
        std::set<std::pair<pid_t, int>> placed;
        for (pid_t a : pids)
            for (int x : fds[a]) {
                if (placed.count({a, x}))
                    continue;
                std::set<std::pair<pid_t, int>> cls{{a, x}};
                std::set<pid_t> owners{a};
                for (pid_t b : pids)
                    for (int y : fds[b]) {
                        std::error_code ec;
                        if ((a != b || x != y) && kcmp_file(a, x, b, y, ec) == kcmp_order::equal && !ec) {
                            cls.insert({b, y});
                            owners.insert(b);
                        }
                    }
                placed.insert(cls.begin(), cls.end());
                if (owners.size() >= 2)
                    oracle.insert(cls);
            }
        std::set<std::set<std::pair<pid_t, int>>> got;
        bool saw_pipe = false;
        for (const auto& cls : r.classes) {
            std::set<std::pair<pid_t, int>> s;
            for (const auto& f : cls) {
                s.insert({f.pid, f.fd.fd});
                saw_pipe = saw_pipe || (f.fd.fd == p[0] && f.fd.kind == fd_kind::pipe);
            }
            got.insert(s);
        }
        if (got != oracle)
            problems += "file classes differ from the oracle: " + std::to_string(got.size()) + " vs " +
                        std::to_string(oracle.size()) + "; ";
        for (const auto* other : {&ri, &rn}) {
            std::set<std::set<std::pair<pid_t, int>>> got_other;
            for (const auto& cls : other->classes) {
                std::set<std::pair<pid_t, int>> s;
                for (const auto& f : cls)
                    s.insert({f.pid, f.fd.fd});
                got_other.insert(s);
            }
            if (got_other != oracle)
                problems += std::string(other == &ri ? "inode" : "none") + " grouping: classes differ from the oracle; ";
        }
        NSKIT_EXPECT(saw_pipe);
        NSKIT_EXPECT(r.skipped.empty());
        // /dev/null `shared` and `copy` are one class of 8 entries
        bool found = false;
        for (const auto& cls : r.classes)
            if (cls.size() == 8u && cls[0].fd.target == "/dev/null")
                found = true;
        NSKIT_EXPECT(found);
        NSKIT_EXPECT(r.kcmp_calls < r.fds_examined * r.fds_examined / 4);
        NSKIT_EXPECT(ri.kcmp_calls < rn.kcmp_calls && r.kcmp_calls < rn.kcmp_calls); // pre-grouping saves calls
        for (pid_t k : kids) {
            ::kill(k, SIGKILL);
            ::waitpid(k, nullptr, 0);
        }
        for (int fd : {p[0], p[1], shared, copy, ready[0], ready[1]})
            ::close(fd);
        return problems;
    }));
}

BOOST_AUTO_TEST_SUITE_END()
