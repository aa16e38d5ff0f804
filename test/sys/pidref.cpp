#include <nskit/sys/pidref.hpp>

#include "test_support.hpp"

#include <nskit/sys/clone.hpp>
#include <nskit/sys/error.hpp>
#include <nskit/sys/pidfd.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <thread>

using namespace nskit::sys;
namespace t = nskit::test;

BOOST_AUTO_TEST_SUITE(sys_pidref)

BOOST_AUTO_TEST_CASE(open_self)
{
    auto me = pidref::open(::getpid());
    BOOST_TEST(me.valid());
    BOOST_TEST(me.pid() == ::getpid());
    BOOST_TEST((::fcntl(me.pidfd(), F_GETFD) & FD_CLOEXEC));
    BOOST_TEST(me.alive());
    std::error_code ec;
    me.verify(ec);
    BOOST_TEST(!ec);
    me.send_signal(0, ec);
    BOOST_TEST(!ec);
    BOOST_TEST(pidfd_get_pid(me.pidfd()) == ::getpid());
}

BOOST_AUTO_TEST_CASE(bad_pids_are_refused)
{
    std::error_code ec;
    for (pid_t p : {0, -1, -100}) {
        auto r = pidref::open(p, ec);
        BOOST_TEST((ec == nskit::error::bad_pid));
        BOOST_TEST(!r.valid());
    }
    pidref::open(0x7ffffff0, ec);
    BOOST_TEST((ec == std::errc::no_such_process));
    BOOST_CHECK_THROW(pidref::open(0x7ffffff0), std::system_error);
    pidref empty;
    BOOST_TEST(!empty.alive());
    empty.verify(ec);
    BOOST_TEST((ec == std::errc::bad_file_descriptor));
    empty.send_signal(0, ec);
    BOOST_TEST((ec == std::errc::bad_file_descriptor));
    BOOST_CHECK_THROW(empty.verify(), std::system_error);
}

BOOST_AUTO_TEST_CASE(a_thread_id_is_refused_unless_allowed)
{
    std::atomic<pid_t> tid{0};
    std::atomic<bool> stop{false};
    std::thread th([&] {
        tid = static_cast<pid_t>(::syscall(SYS_gettid));
        while (!stop)
            ::usleep(1000);
    });
    while (tid == 0)
        ::usleep(1000);
    std::error_code ec;
    auto refused = pidref::open(tid, ec);
    BOOST_TEST((ec == nskit::error::thread_id));
    BOOST_TEST(!refused.valid());
    BOOST_TEST((ec == std::errc::invalid_argument)); // its portable condition
    BOOST_TEST(std::string(ec.message()).find("thread") != std::string::npos);
    auto thread = pidref::open(tid, ec, {.allow_thread = true});
    BOOST_TEST(!ec);
    BOOST_TEST(thread.alive());
    BOOST_TEST(thread.pid() == tid.load());
    stop = true;
    th.join();
    // A thread pidfd polls readable once the thread has exited (6.9).
    for (int i = 0; i < 200 && thread.alive(); ++i)
        ::usleep(1000);
    BOOST_TEST(!thread.alive());
    thread.verify(ec);
    BOOST_TEST((ec == std::errc::no_such_process));
    // The process itself is a leader: allowed either way.
    BOOST_TEST(pidref::open(::getpid(), {.allow_thread = true}).alive());
}

BOOST_AUTO_TEST_CASE(a_zombie_has_exited)
{
    pid_t z = ::fork();
    if (z == 0)
        ::_exit(3);
    siginfo_t si{};
    ::waitid(P_PID, static_cast<id_t>(z), &si, WEXITED | WNOWAIT); // exited, not reaped
    std::error_code ec;
    auto zombie = pidref::open(z, ec); // opens: the pid is still taken
    BOOST_TEST(!ec);
    BOOST_TEST(!zombie.alive());
    zombie.verify(ec);
    BOOST_TEST((ec == std::errc::no_such_process));
    BOOST_CHECK_THROW(zombie.verify(), std::system_error);
    BOOST_TEST(pidfd_wait(zombie.pidfd()).code == 3);
}

BOOST_AUTO_TEST_CASE(a_reaped_process_is_gone)
{
    t::sleeper s;
    auto r = pidref::open(s.pid);
    BOOST_TEST(r.alive());
    r.send_signal(SIGKILL);
    BOOST_TEST(pidfd_wait(r.pidfd()).code == SIGKILL);
    s.pid = -1;
    BOOST_TEST(!r.alive());
    std::error_code ec;
    r.verify(ec);
    BOOST_TEST((ec == std::errc::no_such_process));
    r.send_signal(0, ec);
    BOOST_TEST((ec == std::errc::no_such_process));
    BOOST_CHECK_THROW(r.send_signal(0), std::system_error);
    // adopting the pidfd of a reaped process: no pid to go with it
    auto adopted = pidref::adopt(r.release(), ec);
    BOOST_TEST((ec == std::errc::no_such_process));
    BOOST_TEST(!adopted.valid());
}

BOOST_AUTO_TEST_CASE(adopt_reads_the_pid)
{
    std::error_code ec;
    auto adopted = pidref::adopt(pidfd_open(::getpid()), ec);
    BOOST_TEST(!ec);
    BOOST_TEST(adopted.pid() == ::getpid());
    BOOST_TEST(adopted.alive());
    pidref::adopt(nskit::unique_fd(::open("/dev/null", O_RDONLY | O_CLOEXEC)), ec);
    BOOST_TEST((ec == std::errc::bad_file_descriptor));
    BOOST_CHECK_THROW(pidref::adopt(nskit::unique_fd(::open("/dev/null", O_RDONLY | O_CLOEXEC))), std::system_error);
}

BOOST_AUTO_TEST_CASE(release_and_move)
{
    auto a = pidref::open(::getpid());
    pidref b = std::move(a);
    BOOST_TEST(!a.valid());
    BOOST_TEST(a.pid() == 0);
    BOOST_TEST(b.alive());
    auto fd = b.release();
    BOOST_TEST(fd.valid());
    BOOST_TEST(!b.valid());
    BOOST_TEST(!b.alive());
    BOOST_TEST(b.pid() == ::getpid()); // kept for messages
}

// The case pidref exists for: the pid is reused by another process, and
// the old pidref says so although the pid names a live process again.
BOOST_AUTO_TEST_CASE(a_reused_pid_is_detected, *boost::unit_test::precondition(t::privileged()))
{
    NSKIT_CHECK_CHILD(t::in_child([] {
        // PID 1 of a fresh PID namespace: its pids are ours alone, and
        // clone3's set_tid hands out a chosen one again.
        clone3_args a;
        a.flags = clone_flag::newpid | clone_flag::pidfd;
        auto init = clone3(a);
        if (init.pid == 0) {
            const pid_t first = ::fork();
            if (first == 0) {
                ::pause();
                ::_exit(0);
            }
            auto old = pidref::open(first);
            old.send_signal(SIGKILL);
            pidfd_wait(old.pidfd());
            pid_t want[] = {first};
            clone3_args b;
            b.set_tid = want;
            std::error_code ec;
            auto again = clone3(b, ec);
            if (again.pid == 0) {
                ::pause();
                ::_exit(0);
            }
            int code = 0;
            if (ec || again.pid != first)
                code = 10;
            else if (::kill(first, 0) != 0) // the pid names a live process again...
                code = 11;
            else if (old.alive()) // ...but not the one the old pidref holds
                code = 12;
            else {
                old.verify(ec);
                code = ec == std::errc::no_such_process ? 0 : 13;
            }
            if (again.pid > 0)
                ::kill(again.pid, SIGKILL);
            ::_exit(code); // PID 1 exiting kills the rest of the namespace
        }
        auto st = pidfd_wait(init.pidfd.get());
        NSKIT_EXPECT(st.exited());
        NSKIT_EXPECT(st.code == 0);
        return std::string();
    }));
}

BOOST_AUTO_TEST_SUITE_END()
