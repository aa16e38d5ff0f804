// Every CLONE_ flag exercised for real (the flag table's test).  Kept apart
// from clone.cpp so each flag's proof is easy to find: one test case per flag
// or family.
#include <nskit/sys/clone.hpp>

#include "test_support.hpp"

#include <nskit/sys/nsfs.hpp>
#include <nskit/sys/pidfd.hpp>

#include <asm/prctl.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>

using namespace nskit::sys;
namespace t = nskit::test;

BOOST_AUTO_TEST_SUITE(sys_clone_every_flag)

// newns newuts newipc newnet newpid newuser newcgroup newtime: the child's
// /proc/self/ns entry differs from the parent's exactly for the flag given.
BOOST_AUTO_TEST_CASE(each_namespace_flag_makes_exactly_that_namespace, *boost::unit_test::precondition(t::privileged()))
{
    for (const auto& type : ns_types()) {
        NSKIT_CHECK_CHILD(t::in_child([&] {
            ns_inode before[ns_type_count];
            for (const auto& i : ns_types())
                before[static_cast<int>(i.type)] = ns_stat(open_ns(0, i.type).get());
            int p[2];
            NSKIT_EXPECT(::pipe2(p, O_CLOEXEC) == 0);
            clone3_args a;
            a.flags = clone_flags(type.flag) | clone_flag::pidfd;
            auto r = clone3(a);
            if (r.pid == 0) {
                // time ns: the clone caller's own entry stays; time_for_children moves for the child only
                // after exec, so compare the child's "time" entry via its own view (kernel: clone3 NEWTIME
                // puts the child itself in the new time ns).
                std::uint32_t diff = 0;
                for (const auto& i : ns_types()) {
                    std::error_code ec;
                    auto fd = open_ns(0, i.type, ec);
                    if (!ec && !(ns_stat(fd.get()) == before[static_cast<int>(i.type)]))
                        diff |= 1u << static_cast<int>(i.type);
                }
                (void)!::write(p[1], &diff, sizeof diff);
                ::_exit(0);
            }
            ::close(p[1]);
            std::uint32_t diff = 0xffffffff;
            NSKIT_EXPECT(::read(p[0], &diff, sizeof diff) == sizeof diff);
            ::close(p[0]);
            pidfd_wait(r.pidfd.get());
            const std::uint32_t want = 1u << static_cast<int>(type.type);
            if (diff != want)
                return std::string(type.name) + ": namespaces that differ: mask " + std::to_string(diff);
            return std::string();
        }));
    }
}

BOOST_AUTO_TEST_CASE(vfork_suspends_the_parent_until_the_child_exits)
{
    int p[2];
    BOOST_REQUIRE(::pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0);
    clone3_args a;
    a.flags = clone_flag::vfork | clone_flag::pidfd;
    auto r = clone3(a);
    if (r.pid == 0) {
        ::usleep(50 * 1000); // a parent that were not suspended would read an empty pipe
        (void)!::write(p[1], "v", 1);
        ::_exit(4);
    }
    char c = 0;
    BOOST_TEST(::read(p[0], &c, 1) == 1); // resumed only after the child's _exit
    auto st = pidfd_wait(r.pidfd.get());
    BOOST_TEST(st.code == 4);
    ::close(p[0]);
    ::close(p[1]);
}

BOOST_AUTO_TEST_CASE(parent_makes_a_sibling)
{
    // runner -> A -> B; B clones C with CLONE_PARENT: C's parent is A.
    NSKIT_CHECK_CHILD(t::in_child([] {
        int p[2];
        NSKIT_EXPECT(::pipe2(p, O_CLOEXEC) == 0);
        const pid_t a_pid = ::getpid();
        pid_t b = ::fork();
        if (b == 0) {
            clone3_args c;
            c.flags = clone_flag::parent;
            c.exit_signal = 0; // the kernel refuses an exit signal with CLONE_PARENT
            auto r = clone3(c);
            if (r.pid == 0) {
                pid_t pp = ::getppid();
                (void)!::write(p[1], &pp, sizeof pp);
                ::_exit(0);
            }
            ::_exit(0);
        }
        ::close(p[1]);
        pid_t seen = 0;
        NSKIT_EXPECT(::read(p[0], &seen, sizeof seen) == sizeof seen);
        ::close(p[0]);
        ::waitpid(b, nullptr, 0);
        // C has no exit signal: reap it with __WALL
        for (int i = 0; i < 2 && ::waitpid(-1, nullptr, __WALL) > 0; ++i) {
        }
        NSKIT_EXPECT(seen == a_pid);
        return std::string();
    }));
}

BOOST_AUTO_TEST_CASE(thread_with_sighand_vm_shares_the_thread_group)
{
    NSKIT_CHECK_CHILD(t::in_child([] {
        static std::atomic<pid_t> tgid{0};
        static pid_t ctid = 1; // the kernel zeroes it and wakes the futex when the thread exits
        auto th = clone(
            [] {
                tgid.store(static_cast<pid_t>(::syscall(SYS_getpid)));
                return 0;
            },
            {.flags = parse_clone_flags("thread,sighand,vm,sysvsem,child_cleartid,settls") ,
             .exit_signal = 0, .stack_size = 256 * 1024, .child_tid = &ctid,
             .tls = [] {
                 unsigned long fs = 0;
                 ::syscall(SYS_arch_prctl, ARCH_GET_FS, &fs);
                 return static_cast<std::uint64_t>(fs);
             }()});
        for (int i = 0; i < 5000 && __atomic_load_n(&ctid, __ATOMIC_ACQUIRE) != 0; ++i)
            ::usleep(1000);
        NSKIT_EXPECT(__atomic_load_n(&ctid, __ATOMIC_ACQUIRE) == 0);
        NSKIT_EXPECT(tgid.load() == ::getpid()); // same thread group
        NSKIT_EXPECT(th.pid() != ::getpid());
        return std::string();
    }));
}

BOOST_AUTO_TEST_CASE(settls_sets_the_childs_thread_pointer)
{
    unsigned long fs = 0;
    BOOST_REQUIRE(::syscall(SYS_arch_prctl, ARCH_GET_FS, &fs) == 0);
    // the same (valid) block under a different flag path: a dropped tls would leave fs = 0 and crash the child
    auto c = clone(
        [fs] {
            unsigned long mine = 0;
            ::syscall(SYS_arch_prctl, ARCH_GET_FS, &mine);
            return mine == fs ? 0 : 1;
        },
        {.flags = clone_flag::settls | clone_flag::pidfd, .tls = fs});
    BOOST_TEST(pidfd_wait(c.pidfd().get()).code == 0);
}

BOOST_AUTO_TEST_CASE(clear_sighand_resets_handlers)
{
    NSKIT_CHECK_CHILD(t::in_child([] {
        struct sigaction sa{};
        sa.sa_handler = [](int) {};
        NSKIT_EXPECT(::sigaction(SIGUSR1, &sa, nullptr) == 0);
        auto probe = [] {
            struct sigaction cur{};
            ::sigaction(SIGUSR1, nullptr, &cur);
            return cur.sa_handler == SIG_DFL ? 10 : 20;
        };
        auto cleared = clone(probe, {.flags = clone_flag::clear_sighand | clone_flag::pidfd});
        auto kept = clone(probe, {.flags = clone_flag::pidfd});
        NSKIT_EXPECT(pidfd_wait(cleared.pidfd().get()).code == 10);
        NSKIT_EXPECT(pidfd_wait(kept.pidfd().get()).code == 20);
        return std::string();
    }));
}

BOOST_AUTO_TEST_CASE(into_cgroup_places_the_child, *boost::unit_test::precondition(t::privileged()))
{
    std::string cg2;
    {
        std::ifstream in("/proc/self/mountinfo");
        std::string line;
        while (std::getline(in, line) && cg2.empty()) {
            if (line.find(" - cgroup2 ") == std::string::npos)
                continue;
            std::istringstream ls(line);
            std::string f[5];
            for (auto& x : f)
                ls >> x;
            cg2 = f[4];
        }
    }
    BOOST_REQUIRE_MESSAGE(!cg2.empty(), "no cgroup2 mount");
    const std::string dir = cg2 + "/nskit-test-" + std::to_string(::getpid());
    BOOST_REQUIRE(::mkdir(dir.c_str(), 0755) == 0);
    int cgfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    BOOST_REQUIRE(cgfd >= 0);
    clone3_args a;
    a.flags = clone_flag::into_cgroup | clone_flag::pidfd;
    a.cgroup_fd = cgfd;
    std::error_code ec;
    auto r = clone3(a, ec);
    if (r.pid == 0) {
        std::ifstream in("/proc/self/cgroup");
        std::string all((std::istreambuf_iterator<char>(in)), {});
        ::_exit(all.find("0::/nskit-test-") != std::string::npos ? 0 : 1);
    }
    BOOST_TEST(!ec, ec.message());
    if (!ec)
        BOOST_TEST(pidfd_wait(r.pidfd.get()).code == 0);
    ::close(cgfd);
    BOOST_TEST(::rmdir(dir.c_str()) == 0);
}

BOOST_AUTO_TEST_CASE(ptrace_untraced_detached_and_io_are_accepted)
{
    // ptrace/untraced only matter under a tracer, detached is ignored by the
    // kernel (and refused by clone3, so nskit drops it): each must still
    // produce a working child through both clone3 and clone(2).
    for (auto f : {clone_flags(clone_flag::ptrace), clone_flags(clone_flag::untraced),
                   clone_flags(clone_flag::detached), clone_flags(clone_flag::io)}) {
        clone3_args a;
        a.flags = f;
        std::error_code ec;
        auto r = clone3(a, ec);
        if (r.pid == 0)
            ::_exit(6);
        BOOST_TEST(!ec, to_string(f) << ": " << ec.message());
        auto fd = pidfd_open(r.pid);
        BOOST_TEST(pidfd_wait(fd.get()).code == 6);
        auto l = clone_legacy(a, ec);
        if (l.pid == 0)
            ::_exit(7);
        BOOST_TEST(!ec, to_string(f) << " (clone): " << ec.message());
        int st = 0;
        BOOST_TEST(::waitpid(l.pid, &st, 0) == l.pid);
        BOOST_TEST(WEXITSTATUS(st) == 7);
    }
}

BOOST_AUTO_TEST_SUITE_END()
