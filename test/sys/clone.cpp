#include <nskit/sys/clone.hpp>

#include "test_support.hpp"

#include <nskit/sys/error.hpp>
#include <nskit/sys/kcmp.hpp>
#include <nskit/sys/nsfs.hpp>
#include <nskit/sys/pidfd.hpp>

#include <sched.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

using namespace nskit::sys;
namespace t = nskit::test;

BOOST_AUTO_TEST_SUITE(sys_clone)

static std::string hostname()
{
    char h[256] = {};
    ::gethostname(h, sizeof h - 1);
    return h;
}

BOOST_AUTO_TEST_CASE(unshare_uts_changes_only_the_child, *boost::unit_test::precondition(t::privileged()))
{
    const std::string before = hostname();
    NSKIT_CHECK_CHILD(t::in_child([] {
        unshare(clone_flag::newuts);
        NSKIT_EXPECT(::sethostname("nskit-test-uts", 14) == 0);
        NSKIT_EXPECT(hostname() == "nskit-test-uts");
        return std::string();
    }));
    BOOST_TEST(hostname() == before);
}

BOOST_AUTO_TEST_CASE(unshare_validates_before_the_syscall)
{
    std::error_code ec;
    unshare(clone_flag::pidfd, ec);
    BOOST_TEST((ec == nskit::error::flag_not_for_unshare));
    try {
        unshare(clone_flag::io);
        BOOST_FAIL("no throw");
    } catch (const std::system_error& e) {
        BOOST_TEST(std::string(e.what()).find("unshare(io)") != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(unshare_without_privilege_is_eperm)
{
    NSKIT_CHECK_CHILD(t::as_nobody([] {
        std::error_code ec;
        unshare(clone_flag::newnet, ec);
        NSKIT_EXPECT(ec == std::errc::operation_not_permitted);
        try {
            unshare(clone_flag::newuts);
            return std::string("no throw");
        } catch (const std::system_error& e) {
            NSKIT_EXPECT(std::string(e.what()).find("CAP_SYS_ADMIN") != std::string::npos);
        }
        return std::string();
    }));
}

BOOST_AUTO_TEST_CASE(clone3_fork_like_with_pidfd_and_namespaces, *boost::unit_test::precondition(t::privileged()))
{
    std::error_code ec;
    clone3_args a;
    a.flags = clone_flag::pidfd | clone_flag::newpid | clone_flag::newuts | clone_flag::newtime;
    auto r = clone3(a, ec);
    BOOST_REQUIRE(!ec);
    if (r.pid == 0)
        ::_exit(::getpid() == 1 ? 42 : 1); // PID 1 of the new namespace
    BOOST_TEST(!r.used_fallback);
    BOOST_REQUIRE(r.pidfd.valid());
    auto st = pidfd_wait(r.pidfd.get());
    BOOST_TEST(st.exited());
    BOOST_TEST(st.code == 42);
}

BOOST_AUTO_TEST_CASE(clone3_set_tid_in_new_pid_namespace, *boost::unit_test::precondition(t::privileged()))
{
    // The child becomes PID 1 of a new PID namespace; inside it, clone3 with
    // set_tid = {500} creates a grandchild with pid 500.
    NSKIT_CHECK_CHILD(t::in_child([] {
        clone3_args a;
        a.flags = clone_flag::newpid | clone_flag::pidfd;
        auto init = clone3(a);
        if (init.pid == 0) {
            pid_t want[] = {500};
            clone3_args b;
            b.flags = clone_flag::pidfd;
            b.set_tid = want;
            std::error_code ec;
            auto g = clone3(b, ec);
            if (ec)
                ::_exit(10);
            if (g.pid == 0)
                ::_exit(::getpid() == 500 ? 0 : 11);
            if (g.pid != 500)
                ::_exit(12);
            ::_exit(pidfd_wait(g.pidfd.get()).code);
        }
        auto st = pidfd_wait(init.pidfd.get());
        NSKIT_EXPECT(st.exited());
        NSKIT_EXPECT(st.code == 0);
        return std::string();
    }));
}

BOOST_AUTO_TEST_CASE(clone3_rejects_bad_requests)
{
    std::error_code ec;
    clone3_args a;
    a.flags = clone_flag::newuser | clone_flag::fs;
    clone3(a, ec);
    BOOST_TEST((ec == nskit::error::flag_conflict));
    a.flags = clone_flag::into_cgroup; // no cgroup fd
    clone3(a, ec);
    BOOST_TEST((ec == std::errc::bad_file_descriptor));
    a.flags = clone_flag::vm; // shared memory without a stack
    clone3(a, ec);
    BOOST_TEST((ec == std::errc::invalid_argument));
    a = {};
    a.exit_signal = 65;
    clone3(a, ec);
    BOOST_TEST((ec == std::errc::invalid_argument));
    pid_t many[33] = {};
    a = {};
    a.set_tid = many;
    clone3(a, ec);
    BOOST_TEST((ec == std::errc::invalid_argument));
    clone3_args thread_only;
    thread_only.flags = clone_flag::thread;
    BOOST_CHECK_THROW(clone3(thread_only), std::system_error);
}

BOOST_AUTO_TEST_CASE(clone3_enosys_falls_back_to_clone)
{
    NSKIT_CHECK_CHILD(t::in_child([] {
        NSKIT_EXPECT(t::forbid_syscall(SYS_clone3, ENOSYS));
        clone3_args a;
        a.flags = clone_flag::pidfd;
        std::error_code ec;
        auto r = clone3(a, ec);
        NSKIT_EXPECT(!ec);
        if (r.pid == 0)
            ::_exit(33);
        NSKIT_EXPECT(r.used_fallback);
        NSKIT_EXPECT(r.pidfd.valid());
        auto st = pidfd_wait(r.pidfd.get());
        NSKIT_EXPECT(st.exited() && st.code == 33);
        // What clone(2) cannot express is refused, not silently dropped.
        pid_t tid[] = {300};
        a.set_tid = tid;
        clone3(a, ec);
        NSKIT_EXPECT(ec == nskit::error::needs_clone3);
        // The callable form falls back too.
        std::error_code ec2;
        auto c = clone([] { return 5; }, {.flags = clone_flag::pidfd}, ec2);
        NSKIT_EXPECT(!ec2);
        NSKIT_EXPECT(pidfd_wait(c.pidfd().get()).code == 5);
        return std::string();
    }));
}

BOOST_AUTO_TEST_CASE(callable_clone_shares_memory_with_vm)
{
    std::atomic<int> shared{0};
    pid_t ptid = 0;
    auto child = clone(
        [&] {
            shared.store(99);
            return 3;
        },
        {.flags = clone_flag::vm | clone_flag::pidfd | clone_flag::parent_settid, .stack_size = 256 * 1024,
         .parent_tid = &ptid});
    BOOST_TEST(child.owns_stack());
    BOOST_TEST(ptid == child.pid());
    auto st = pidfd_wait(child.pidfd().get());
    BOOST_TEST(st.code == 3);
    BOOST_TEST(shared.load() == 99);
}

BOOST_AUTO_TEST_CASE(callable_clone_without_vm_copies_memory)
{
    int value = 1;
    auto child = clone(
        [&] {
            value = 2;
            return value;
        },
        {.flags = clone_flag::pidfd});
    BOOST_TEST(!child.owns_stack());
    BOOST_TEST(pidfd_wait(child.pidfd().get()).code == 2);
    BOOST_TEST(value == 1);
}

BOOST_AUTO_TEST_CASE(callable_clone_child_settid_and_cleartid)
{
    static pid_t ctid = 0;
    ctid = -1;
    auto child = clone([] { return ctid == ::gettid() ? 0 : 1; },
                       {.flags = clone_flag::pidfd | clone_flag::child_settid, .child_tid = &ctid});
    BOOST_TEST(pidfd_wait(child.pidfd().get()).code == 0);

    // child_cleartid with a shared VM: the kernel zeroes the word when the child exits.
    pid_t clear_word = 12345;
    auto c2 = clone([] { return 0; },
                    {.flags = clone_flag::vm | clone_flag::pidfd | clone_flag::child_cleartid,
                     .child_tid = &clear_word});
    pidfd_wait(c2.pidfd().get());
    BOOST_TEST(clear_word == 0);
}

BOOST_AUTO_TEST_CASE(callable_clone_exception_becomes_255)
{
    auto child = clone([]() -> int { throw std::runtime_error("x"); }, {.flags = clone_flag::pidfd});
    BOOST_TEST(pidfd_wait(child.pidfd().get()).code == 255);
}

BOOST_AUTO_TEST_CASE(clone_files_shares_fd_table)
{
    // children wait on a pipe: a zombie has no fd table left to compare
    int gate[2];
    BOOST_REQUIRE(::pipe2(gate, O_CLOEXEC) == 0);
    const int rd = gate[0];
    auto wait_gate = [rd] {
        char b;
        return ::read(rd, &b, 1) == 1 ? 0 : 1;
    };
    auto child = clone(wait_gate, {.flags = clone_flag::files | clone_flag::pidfd});
    auto plain = clone(wait_gate, {.flags = clone_flag::pidfd});
    BOOST_TEST((kcmp(::getpid(), child.pid(), kcmp_resource::files) == kcmp_order::equal));
    BOOST_TEST((kcmp(::getpid(), plain.pid(), kcmp_resource::files) != kcmp_order::equal));
    BOOST_TEST(::write(gate[1], "xx", 2) == 2);
    BOOST_TEST(pidfd_wait(child.pidfd().get()).code == 0);
    BOOST_TEST(pidfd_wait(plain.pidfd().get()).code == 0);
    ::close(gate[0]);
    ::close(gate[1]);
}

BOOST_AUTO_TEST_CASE(clone_stack_has_guard_page)
{
    clone_stack s(64 * 1024);
    BOOST_TEST(s.valid());
    BOOST_TEST(s.size() >= 64u * 1024);
    auto* low = static_cast<char*>(s.top()) - s.size();
    // writable stack; the page below is PROT_NONE: a child touching it dies with SIGSEGV
    low[0] = 1;
    NSKIT_CHECK_CHILD(t::in_child([low] {
        struct sigaction sa{};
        sa.sa_handler = SIG_DFL;
        ::sigaction(SIGSEGV, &sa, nullptr);
        pid_t p = ::fork();
        if (p == 0) {
            volatile char* guard = low - 1;
            *guard = 1;
            ::_exit(0);
        }
        int st = 0;
        ::waitpid(p, &st, 0);
        NSKIT_EXPECT(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
        return std::string();
    }));
    clone_stack moved(std::move(s));
    BOOST_TEST(!s.valid());
    BOOST_TEST(moved.valid());
}

BOOST_AUTO_TEST_CASE(setns_by_fd_and_by_pidfd, *boost::unit_test::precondition(t::privileged()))
{
    t::sleeper target(CLONE_NEWUTS | CLONE_NEWNET);
    BOOST_REQUIRE(target.pid > 0);
    NSKIT_CHECK_CHILD(t::in_child([&] {
        auto uts = open_ns(target.pid, ns_type::uts);
        setns(uts.get(), ns_type::uts);
        auto mine = open_ns(0, ns_type::uts);
        NSKIT_EXPECT(ns_stat(mine.get()) == ns_stat(uts.get()));
        // several at once through the pidfd
        setns_pidfd(target.pidfd, clone_flag::newuts | clone_flag::newnet);
        auto net = open_ns(0, ns_type::net);
        auto theirs = open_ns(target.pid, ns_type::net);
        NSKIT_EXPECT(ns_stat(net.get()) == ns_stat(theirs.get()));
        return std::string();
    }));
}

BOOST_AUTO_TEST_CASE(setns_error_paths)
{
    std::error_code ec;
    setns(-1, std::nullopt, ec);
    BOOST_TEST((ec == std::errc::bad_file_descriptor));
    int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    setns(devnull, std::nullopt, ec); // not a namespace
    BOOST_TEST((ec == std::errc::invalid_argument));
    ::close(devnull);
    auto uts = open_ns(0, ns_type::uts);
    setns(uts.get(), ns_type::net, ec); // wrong type
    BOOST_TEST((ec == std::errc::invalid_argument));
    setns_pidfd(0, clone_flag::vm, ec); // not a namespace flag
    BOOST_TEST((ec == std::errc::invalid_argument));
    setns_pidfd(0, {}, ec);
    BOOST_TEST((ec == std::errc::invalid_argument));
    BOOST_CHECK_THROW(setns(-1), std::system_error);
}

// A type mismatch is found before the kernel's EINVAL (whose hint was "a
// multithreaded caller ..."): the error says so, the throwing form names
// what the fd is.
BOOST_AUTO_TEST_CASE(setns_type_mismatch_names_the_fds_type)
{
    auto uts = open_ns(0, ns_type::uts);
    std::error_code ec;
    setns(uts.get(), ns_type::net, ec);
    BOOST_TEST((ec == nskit::error::wrong_namespace_type), ec.message());
    BOOST_TEST((ec == std::errc::invalid_argument)); // as the kernel's
    try {
        setns(uts.get(), ns_type::net);
        BOOST_ERROR("no exception");
    } catch (const std::system_error& e) {
        const std::string w = e.what();
        BOOST_TEST(w.find("setns(fd " + std::to_string(uts.get()) + ", net): fd " + std::to_string(uts.get()) +
                          " is a uts namespace, not net") != std::string::npos, w);
        BOOST_TEST(w.find("multithreaded") == std::string::npos, w);
    }
    const int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    setns(devnull, ns_type::net, ec);
    BOOST_TEST((ec == nskit::error::not_a_namespace), ec.message());
    ::close(devnull);
}

BOOST_AUTO_TEST_CASE(pivot_root_into_a_tmpfs, *boost::unit_test::precondition(t::privileged()))
{
    char dir[] = "/tmp/nskit-pivot-XXXXXX";
    BOOST_REQUIRE(::mkdtemp(dir) != nullptr);
    NSKIT_CHECK_CHILD(t::in_child([&dir] {
        unshare(clone_flag::newns);
        NSKIT_EXPECT(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0);
        NSKIT_EXPECT(::mount("tmpfs", dir, "tmpfs", 0, "size=1m") == 0);
        std::string old = std::string(dir) + "/old";
        NSKIT_EXPECT(::mkdir(old.c_str(), 0700) == 0);
        std::error_code ec;
        pivot_root(dir, "/nonexistent-put-old", ec);
        NSKIT_EXPECT(ec == std::errc::no_such_file_or_directory);
        pivot_root(dir, old.c_str());
        NSKIT_EXPECT(::chdir("/") == 0);
        struct stat st;
        NSKIT_EXPECT(::stat("/old/proc", &st) == 0); // the old root now lives under /old
        NSKIT_EXPECT(::umount2("/old", MNT_DETACH) == 0);
        NSKIT_EXPECT(::stat("/old/proc", &st) != 0);
        return std::string();
    }));
    BOOST_TEST(::rmdir(dir) == 0); // the tmpfs died with the child's mount namespace
}

BOOST_AUTO_TEST_CASE(pivot_root_rejects_null)
{
    std::error_code ec;
    pivot_root(nullptr, "/", ec);
    BOOST_TEST((ec == std::errc::invalid_argument));
}

BOOST_AUTO_TEST_SUITE_END()
