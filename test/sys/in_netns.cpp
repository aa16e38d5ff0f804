#include <nskit/sys/in_netns.hpp>

#include "test_support.hpp"

#include <nskit/sys/error.hpp>
#include <nskit/sys/ns_identity.hpp>
#include <nskit/sys/nsfs.hpp>

#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

using namespace nskit::sys;
namespace t = nskit::test;

BOOST_AUTO_TEST_SUITE(sys_in_netns)

namespace {

ns_identity here() { return identify(open_ns_path("/proc/thread-self/ns/net").get()); }

} // namespace

BOOST_AUTO_TEST_CASE(runs_there_and_comes_back, *boost::unit_test::precondition(t::privileged()))
{
    NSKIT_CHECK_CHILD(t::in_child([] {
        t::sleeper other(CLONE_NEWNET);
        auto fd = open_ns(other.pid, ns_type::net);
        const auto home = here(), there = identify(fd.get());
        NSKIT_EXPECT(!(home == there));
        std::error_code ec;
        ns_identity seen;
        const int r = in_netns(fd.get(), [&]() noexcept {
            seen = here();
            return 42;
        }, ec);
        NSKIT_EXPECT(!ec);
        NSKIT_EXPECT(r == 42);
        NSKIT_EXPECT(seen == there);
        NSKIT_EXPECT(here() == home);
        bool ran = false;
        in_netns(fd.get(), [&]() noexcept { ran = true; }, ec); // void form
        NSKIT_EXPECT(!ec && ran);
        NSKIT_EXPECT(here() == home);
        // a way home given by the caller
        in_netns(fd.get(), [&]() noexcept { seen = here(); }, ec, open_ns_path("/proc/thread-self/ns/net"));
        NSKIT_EXPECT(!ec && seen == there && here() == home);
        NSKIT_EXPECT(in_netns(fd.get(), []() noexcept { return 5; }) == 5); // throwing form
        return std::string();
    }));
}

BOOST_AUTO_TEST_CASE(refuses_what_is_not_a_network_namespace)
{
    std::error_code ec;
    bool ran = false;
    in_netns(-1, [&]() noexcept { ran = true; }, ec);
    BOOST_TEST((ec == std::errc::bad_file_descriptor));
    BOOST_TEST(!ran);
    const auto home = here();
    auto uts = open_ns(0, ns_type::uts);
    in_netns(uts.get(), [&]() noexcept { ran = true; }, ec);
    BOOST_TEST((ec == std::errc::invalid_argument || ec == std::errc::operation_not_permitted), ec.message());
    BOOST_TEST(!ran);
    BOOST_TEST((here() == home));
    BOOST_CHECK_THROW(in_netns(uts.get(), []() noexcept {}), std::system_error);
}

// setns refused from the start (seccomp): an error, fn not run, no abort.
BOOST_AUTO_TEST_CASE(refused_setns_is_an_error, *boost::unit_test::precondition(t::privileged()))
{
    NSKIT_CHECK_CHILD(t::in_child([] {
        t::sleeper other(CLONE_NEWNET);
        auto fd = open_ns(other.pid, ns_type::net);
        const auto home = here();
        NSKIT_EXPECT(t::forbid_syscall(SYS_setns, EPERM));
        std::error_code ec;
        bool ran = false;
        in_netns(fd.get(), [&]() noexcept { ran = true; }, ec);
        NSKIT_EXPECT(ec == std::errc::operation_not_permitted);
        NSKIT_EXPECT(!ran);
        NSKIT_EXPECT(here() == home);
        return std::string();
    }));
}

// The way back fails after fn ran (seccomp installed by fn): reported as
// netns_not_restored, fn's result kept, and the caller lives on (the old
// code aborted here).
BOOST_AUTO_TEST_CASE(failing_to_return_is_reported_not_fatal, *boost::unit_test::precondition(t::privileged()))
{
    NSKIT_CHECK_CHILD(t::in_child([] {
        t::sleeper other(CLONE_NEWNET);
        auto fd = open_ns(other.pid, ns_type::net);
        const auto there = identify(fd.get());
        std::error_code ec;
        const int r = in_netns(fd.get(), []() noexcept { return t::forbid_syscall(SYS_setns, EPERM) ? 7 : -1; }, ec);
        NSKIT_EXPECT(r == 7);
        NSKIT_EXPECT(ec == nskit::error::netns_not_restored);
        NSKIT_EXPECT(ec == std::errc::state_not_recoverable);
        // the failed setns's errno is kept: the message names the cause
        NSKIT_EXPECT(nskit::error_cause(ec) == EPERM);
        NSKIT_EXPECT(ec.message().find(std::strerror(EPERM)) != std::string::npos);
        NSKIT_EXPECT(here() == there); // where it was left: the caller must know
        return std::string();
    }));
}

// Without CAP_SYS_ADMIN: EPERM before anything moved.
BOOST_AUTO_TEST_CASE(unprivileged_is_refused_before_leaving)
{
    NSKIT_CHECK_CHILD(t::as_nobody([] {
        auto fd = open_ns(0, ns_type::net);
        std::error_code ec;
        bool ran = false;
        in_netns(fd.get(), [&]() noexcept { ran = true; }, ec);
        NSKIT_EXPECT(ec == std::errc::operation_not_permitted);
        NSKIT_EXPECT(!ran);
        return std::string();
    }));
}

BOOST_AUTO_TEST_SUITE_END()
