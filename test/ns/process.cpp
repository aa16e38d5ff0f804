#include <nskit/ns/process.hpp>
#include "test_support.hpp"

#include <nskit/ns/run.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <iterator>

namespace ns = nskit::ns;
namespace sys = nskit::sys;

BOOST_AUTO_TEST_SUITE(ns_process)

BOOST_AUTO_TEST_CASE(signal_wait_try_wait_wait_for)
{
    auto p = ns::spawn("sleep", {"10"}, ns::options{});
    BOOST_TEST(p.valid());
    BOOST_TEST(p.pid() > 0);
    BOOST_TEST((p.try_wait().how == sys::exit_status::kind::running));
    std::error_code ec;
    BOOST_TEST(!p.wait_for(std::chrono::milliseconds(20), ec).has_value());
    p.signal(SIGTERM);
    auto s = p.wait_for(std::chrono::milliseconds(5000), ec);
    BOOST_REQUIRE(s.has_value());
    BOOST_TEST(s->signaled());
    BOOST_TEST(s->code == SIGTERM);
    // waited: a second wait has nothing to reap
    p.wait(ec);
    BOOST_TEST((ec == std::errc::no_child_process));
}

BOOST_AUTO_TEST_CASE(destructor_kills_and_reaps)
{
    pid_t pid;
    {
        auto p = ns::spawn("sleep", {"10"}, ns::options{});
        pid = p.pid();
    }
    BOOST_TEST(::kill(pid, 0) != 0); // gone, and not a zombie of ours
    siginfo_t si{};
    BOOST_TEST(::waitid(P_PID, static_cast<id_t>(pid), &si, WEXITED | WNOHANG) != 0);
}

BOOST_AUTO_TEST_CASE(detach_keeps_the_child)
{
    pid_t pid;
    nskit::unique_fd fd;
    {
        auto p = ns::spawn("sleep", {"10"}, ns::options{});
        pid = p.pid();
        fd = p.detach();
    }
    BOOST_TEST(::kill(pid, 0) == 0);
    ::kill(pid, SIGKILL);
    int st;
    BOOST_TEST(::waitpid(pid, &st, 0) == pid);
}

BOOST_AUTO_TEST_CASE(attach_and_move)
{
    auto p = ns::spawn("sleep", {"10"}, ns::options{});
    auto q = ns::process::attach(p.pid());
    BOOST_TEST(q.valid());
    ns::process moved = std::move(p);
    BOOST_TEST(!p.valid());
    moved.signal(SIGKILL);
    BOOST_TEST(moved.wait().code == SIGKILL);
    // q (attached) does not own it: its destructor leaves the process alone
    auto r = ns::spawn("sleep", {"10"}, ns::options{});
    {
        auto attached = ns::process::attach(r.pid());
    }
    BOOST_TEST(::kill(r.pid(), 0) == 0);
    std::error_code ec;
    ns::process::attach(-1, ec);
    BOOST_TEST((ec == nskit::error::bad_pid));
    ns::process none;
    none.signal(SIGTERM, ec);
    BOOST_TEST((ec == std::errc::bad_file_descriptor));
}

BOOST_AUTO_TEST_CASE(supervise_forwards_signals)
{
    NSKIT_CHECK_CHILD(nskit::test::in_child([] {
        auto p = ns::spawn("sh", {"-c", "trap 'exit 33' USR1; while :; do sleep 0.01; done"}, ns::options{});
        ::usleep(100000); // let sh install its trap
        sigset_t usr1;
        ::sigemptyset(&usr1);
        ::sigaddset(&usr1, SIGUSR1);
        ::sigprocmask(SIG_BLOCK, &usr1, nullptr); // pending, not fatal, if it comes before supervise() is ready
        const pid_t self = ::getpid();
        if (::fork() == 0) {
            ::kill(self, SIGUSR1);
            ::_exit(0);
        }
        std::error_code ec;
        auto s = p.supervise(false, SIGTERM, std::chrono::milliseconds(200), ec);
        ::wait(nullptr);
        NSKIT_EXPECT(!ec);
        NSKIT_EXPECT(p.forwarded_signal() == SIGUSR1);
        NSKIT_EXPECT(s.exited() && s.code == 33);
        return std::string();
    }));
}

BOOST_AUTO_TEST_CASE(forwarded_signal_set_is_the_list)
{
    const sigset_t set = ns::forwarded_signal_set();
    int members = 0;
    for (int sig = 1; sig < NSIG; ++sig)
        if (::sigismember(&set, sig) == 1) {
            ++members;
            BOOST_TEST((std::find(std::begin(ns::forwarded_signals), std::end(ns::forwarded_signals), sig) !=
                        std::end(ns::forwarded_signals)),
                       "signal " << sig << " is in the set but not the list");
        }
    BOOST_TEST(members == static_cast<int>(std::size(ns::forwarded_signals)));
    BOOST_TEST(::sigismember(&set, SIGTERM) == 1);
    BOOST_TEST(::sigismember(&set, SIGKILL) == 0);
}

BOOST_AUTO_TEST_CASE(ns_of_process)
{
    ns::options o;
    o.user = ns::user_options{};
    o.net = true;
    auto p = ns::spawn("sleep", {"10"}, o);
    BOOST_TEST(!(p.ns(sys::ns_type::net) == ns::namespace_handle::current(sys::ns_type::net)));
    BOOST_TEST((p.ns(sys::ns_type::uts) == ns::namespace_handle::current(sys::ns_type::uts)));
}

BOOST_AUTO_TEST_SUITE_END()
