#include <nskit/sys/pidfd.hpp>

#include "test_support.hpp"

#include <nskit/sys/clone.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace nskit::sys;
namespace t = nskit::test;

BOOST_AUTO_TEST_SUITE(sys_pidfd)

BOOST_AUTO_TEST_CASE(open_signal_wait)
{
    t::sleeper s;
    auto fd = pidfd_open(s.pid);
    BOOST_TEST((::fcntl(fd.get(), F_GETFD) & FD_CLOEXEC));
    BOOST_TEST(pidfd_get_pid(fd.get()) == s.pid);
    auto running = pidfd_wait(fd.get(), {.nohang = true});
    BOOST_TEST((running.how == exit_status::kind::running));
    pidfd_send_signal(fd.get(), SIGTERM);
    auto st = pidfd_wait(fd.get());
    BOOST_TEST(st.signaled());
    BOOST_TEST(st.code == SIGTERM);
    BOOST_TEST(st.shell_status() == 128 + SIGTERM);
    BOOST_TEST(to_string(st).find("TERM") != std::string::npos);
    s.pid = -1; // reaped already
    BOOST_TEST(pidfd_get_pid(fd.get()) == -1);
    std::error_code ec;
    pidfd_send_signal(fd.get(), SIGTERM, ec); // the process is gone
    BOOST_TEST((ec == std::errc::no_such_process));
}

BOOST_AUTO_TEST_CASE(exit_codes_and_core_dumps_decode)
{
    BOOST_TEST((decode_wait_status(0x2a00) == exit_status{exit_status::kind::exited, 42}));
    BOOST_TEST((decode_wait_status(SIGKILL) == exit_status{exit_status::kind::killed, SIGKILL}));
    BOOST_TEST((decode_wait_status(SIGSEGV | 0x80) == exit_status{exit_status::kind::dumped, SIGSEGV}));
    BOOST_TEST(to_string(exit_status{exit_status::kind::exited, 3}) == "exited with code 3");
}

BOOST_AUTO_TEST_CASE(getfd_duplicates_a_targets_fd)
{
    int p[2];
    BOOST_REQUIRE(::pipe2(p, 0) == 0); // inherited by the child on purpose
    t::sleeper s;
    ::close(p[0]);
    auto pfd = pidfd_open(s.pid);
    auto dup = pidfd_getfd(pfd.get(), p[1]);
    BOOST_TEST((::fcntl(dup.get(), F_GETFD) & FD_CLOEXEC));
    BOOST_TEST(::write(dup.get(), "x", 1) == 1);
    ::close(p[1]);
    std::error_code ec;
    pidfd_getfd(pfd.get(), 9999, ec);
    BOOST_TEST((ec == std::errc::bad_file_descriptor));
}

BOOST_AUTO_TEST_CASE(error_paths)
{
    std::error_code ec;
    pidfd_open(0x7ffffff0, ec);
    BOOST_TEST((ec == std::errc::no_such_process));
    pidfd_open(0, ec);
    BOOST_TEST((ec == std::errc::invalid_argument));
    pidfd_open(-5, ec);
    BOOST_TEST((ec == std::errc::invalid_argument));
    pidfd_wait(-1, ec);
    BOOST_TEST((ec == std::errc::bad_file_descriptor || ec == std::errc::invalid_argument));
    int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    pidfd_get_pid(devnull, ec);
    BOOST_TEST((ec == std::errc::bad_file_descriptor));
    ::close(devnull);
    BOOST_CHECK_THROW(pidfd_open(0x7ffffff0), std::system_error);
}

BOOST_AUTO_TEST_CASE(zombie_keeps_pidfd_but_not_namespaces)
{
    pid_t p = ::fork();
    if (p == 0)
        ::_exit(9);
    auto fd = pidfd_open(p);
    siginfo_t si{};
    ::waitid(P_PID, static_cast<id_t>(p), &si, WEXITED | WNOWAIT); // zombie now
    BOOST_TEST(pidfd_get_pid(fd.get()) == p);
    auto st = pidfd_wait(fd.get());
    BOOST_TEST(st.code == 9);
}

// A signal glibc has no name for: sigabbrev_np gives NULL, the text stays whole.
BOOST_AUTO_TEST_CASE(unnamed_signals_print_as_numbers)
{
    BOOST_TEST(to_string(exit_status{exit_status::kind::killed, 99}) == "killed by signal 99");
    BOOST_TEST(to_string(exit_status{exit_status::kind::dumped, 99}) == "killed by signal 99, core dumped");
    BOOST_TEST(to_string(exit_status{exit_status::kind::killed, SIGKILL}) == "killed by signal 9 (KILL)");
}

// exit signal 0 makes a "clone child": found only with all_children (__WALL).
BOOST_AUTO_TEST_CASE(wait_options_all_children_and_leave_waitable)
{
    clone3_args a;
    a.flags = clone_flag::pidfd;
    a.exit_signal = 0;
    auto c = clone3(a);
    if (c.pid == 0)
        ::_exit(4);
    std::error_code ec;
    pidfd_wait(c.pidfd.get(), ec);
    BOOST_TEST((ec == std::errc::no_child_process));
    auto peek = pidfd_wait(c.pidfd.get(), ec, {.all_children = true, .leave_waitable = true});
    BOOST_TEST(!ec);
    BOOST_TEST(peek.code == 4);
    BOOST_TEST(pidfd_get_pid(c.pidfd.get()) == c.pid); // not reaped yet
    auto st = pidfd_wait(c.pidfd.get(), {.all_children = true});
    BOOST_TEST((st == peek));
    BOOST_TEST(pidfd_get_pid(c.pidfd.get()) == -1);
    auto none = pidfd_wait(c.pidfd.get(), ec, {.nohang = true, .all_children = true});
    BOOST_TEST((ec == std::errc::no_child_process));
    BOOST_TEST((none.how == exit_status::kind::running));
}

BOOST_AUTO_TEST_SUITE_END()
