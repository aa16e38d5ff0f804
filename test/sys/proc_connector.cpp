#include <nskit/sys/proc_connector.hpp>

#include "test_support.hpp"

#include <nskit/sys/error.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

using namespace nskit::sys;
namespace t = nskit::test;

namespace {

// Read events until `done` says so or the deadline passes (bounded).
template <class Pred>
bool read_until(proc_connector& c, std::vector<proc_event>& got, Pred done, std::error_code& ec)
{
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
        if (done(got))
            return true;
        pollfd p{c.fd(), POLLIN, 0};
        ::poll(&p, 1, 200);
        c.read(got, ec);
        if (ec)
            return false;
    }
    return done(got);
}

pid_t fork_exec_true()
{
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::execl("/bin/true", "true", static_cast<char*>(nullptr));
        ::_exit(127);
    }
    return pid;
}

bool has(const std::vector<proc_event>& v, proc_event::kind k, pid_t pid)
{
    for (const auto& e : v)
        if (e.what == k && e.pid == pid && !e.is_thread())
            return true;
    return false;
}

} // namespace

BOOST_AUTO_TEST_SUITE(sys_proc_connector)

// fork, exec and exit of a child arrive, in that order, with its pid.
BOOST_AUTO_TEST_CASE(fork_exec_exit_arrive_in_order, *boost::unit_test::precondition(t::privileged()))
{
    auto c = proc_connector::open();
    BOOST_REQUIRE(c.is_open());
    BOOST_TEST((::fcntl(c.fd(), F_GETFD) & FD_CLOEXEC));
    BOOST_TEST((::fcntl(c.fd(), F_GETFL) & O_NONBLOCK));
    const pid_t child = fork_exec_true();
    BOOST_REQUIRE(child > 0);
    std::vector<proc_event> got;
    std::error_code ec;
    const bool all = read_until(
        c, got, [&](const auto& v) { return has(v, proc_event::kind::exit, child); }, ec);
    int st = 0;
    ::waitpid(child, &st, 0);
    BOOST_TEST(!ec, ec.message());
    BOOST_REQUIRE(all);
    std::vector<proc_event::kind> order;
    for (const auto& e : got)
        if (e.pid == child && !e.is_thread())
            order.push_back(e.what);
    BOOST_REQUIRE(order.size() == 3u);
    BOOST_TEST((order[0] == proc_event::kind::fork));
    BOOST_TEST((order[1] == proc_event::kind::exec));
    BOOST_TEST((order[2] == proc_event::kind::exit));
    for (const auto& e : got)
        if (e.pid == child && e.what == proc_event::kind::fork)
            BOOST_TEST(e.parent_pid == ::getpid());
        else if (e.pid == child && e.what == proc_event::kind::exit)
            BOOST_TEST(e.exit_code == 0);
}

// Without CAP_NET_ADMIN the bind is refused: EPERM, and a text that says what is needed.
BOOST_AUTO_TEST_CASE(unprivileged_is_refused_with_the_reason)
{
    NSKIT_CHECK_CHILD(t::as_nobody([] {
        std::error_code ec;
        auto c = proc_connector::open(ec);
        NSKIT_EXPECT(!c.is_open());
        NSKIT_EXPECT(ec == std::errc::operation_not_permitted);
        try {
            proc_connector::open();
            return std::string("no exception");
        } catch (const std::system_error& e) {
            const std::string what = e.what();
            NSKIT_EXPECT(what.find("CAP_NET_ADMIN") != std::string::npos);
            NSKIT_EXPECT(what.find("proc_connector open") != std::string::npos);
        }
        return std::string();
    }));
}

BOOST_AUTO_TEST_CASE(bad_input_and_closed_connector)
{
    std::error_code ec;
    auto c = proc_connector::open(ec, -1);
    BOOST_TEST((ec == std::errc::invalid_argument));
    BOOST_TEST(!c.is_open());
    BOOST_TEST(c.fd() == -1);
    std::vector<proc_event> out;
    BOOST_TEST(c.read(out, ec) == 0u);
    BOOST_TEST((ec == std::errc::bad_file_descriptor));
    BOOST_CHECK_THROW(c.read(out), std::system_error);
}

// A tiny receive buffer overruns under a burst: read says ENOBUFS (events
// lost), keeps what it read, and the connector goes on delivering.
BOOST_AUTO_TEST_CASE(overrun_is_enobufs_and_reading_goes_on, *boost::unit_test::precondition(t::privileged()))
{
    auto c = proc_connector::open(1); // the kernel rounds up to its minimum (~2 KiB)
    std::vector<pid_t> kids;
    for (int i = 0; i < 200; ++i)
        if (const pid_t p = fork_exec_true(); p > 0)
            kids.push_back(p);
    for (pid_t p : kids)
        ::waitpid(p, nullptr, 0);
    std::vector<proc_event> got;
    std::error_code ec;
    bool lost = false;
    for (int i = 0; i < 1000 && !lost; ++i) { // bounded: the burst is queued already
        c.read(got, ec);
        lost = ec == std::errc::no_buffer_space;
        if (!ec && got.empty())
            break;
        got.clear();
    }
    BOOST_TEST(lost);
    BOOST_TEST(std::string(nskit::hint(std::error_code(ENOBUFS, std::system_category()),
                                       nskit::op_kind::proc_connector))
                   .find("events lost") != std::string::npos);
    // Still subscribed: events go on arriving after the loss (a new child
    // makes some; other processes may overrun the tiny buffer again, so a
    // repeated ENOBUFS is no failure, and which events survive is not asserted).
    const pid_t child = fork_exec_true();
    ::waitpid(child, nullptr, 0);
    got.clear();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (got.empty() && std::chrono::steady_clock::now() < deadline) {
        pollfd p{c.fd(), POLLIN, 0};
        ::poll(&p, 1, 200);
        c.read(got, ec);
        BOOST_TEST((!ec || ec == std::errc::no_buffer_space), ec.message());
    }
    BOOST_TEST(!got.empty());
}

BOOST_AUTO_TEST_SUITE_END()
