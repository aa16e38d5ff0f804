#include <nskit/inspect/process.hpp>

#include "test_support.hpp"

#include <nskit/sys/error.hpp>
#include <nskit/sys/nsfs.hpp>

#include <sched.h>
#include <unistd.h>

using namespace nskit::inspect;
using nskit::sys::ns_type;
namespace t = nskit::test;

BOOST_AUTO_TEST_SUITE(inspect_process)

BOOST_AUTO_TEST_CASE(parse_pid_accepts_only_plain_positive_numbers)
{
    BOOST_TEST(parse_pid("1") == 1);
    BOOST_TEST(parse_pid("4194304") == 4194304);
    BOOST_TEST(parse_pid("999999") == 999999); // a valid pid, whether or not it exists
    for (const char* bad : {"", "0", "-1", "abc", "12 ", " 12", "+5", "4294967296", "4194305", "1e3", "0x10",
                            "99999999999999999999"}) {
        std::error_code ec;
        parse_pid(bad, ec);
        BOOST_TEST((ec == nskit::error::bad_pid), "'" << bad << "'");
        BOOST_CHECK_THROW(parse_pid(bad), std::system_error);
    }
}

BOOST_AUTO_TEST_CASE(pid_levels_of_self_and_errors)
{
    auto levels = pid_levels(::getpid());
    BOOST_TEST_REQUIRE(!levels.empty());
    BOOST_TEST(levels.front() == ::getpid()); // the runner's own view first
    std::error_code ec;
    pid_levels(0, ec);
    BOOST_TEST((ec == nskit::error::bad_pid));
    pid_levels(4194304, ec);
    BOOST_TEST((ec == std::errc::no_such_file_or_directory));
    BOOST_CHECK_THROW(pid_levels(-3), std::system_error);
}

BOOST_AUTO_TEST_CASE(pid_at_every_level_of_a_nested_pid_namespace, *boost::unit_test::precondition(t::privileged()))
{
    t::sleeper s(CLONE_NEWPID);
    BOOST_TEST_REQUIRE(s.pid > 0);
    auto outer = pid_levels(::getpid());
    auto levels = pid_levels(s.pid);
    BOOST_TEST_REQUIRE(levels.size() == outer.size() + 1);
    BOOST_TEST(levels.front() == s.pid);
    BOOST_TEST(levels.back() == 1); // it is PID 1 of its own namespace
    auto pidns = nskit::sys::open_ns(s.pid, ns_type::pid);
    if (nskit::sys::probe_nsfs().pid_translation) {
        BOOST_TEST(pid_in_namespace(pidns.get(), s.pid) == 1);
        BOOST_TEST(pid_in_namespace(pidns.get(), ::getpid()) == 0); // the parent is not visible inside
    }
    std::error_code ec;
    pid_in_namespace(-1, s.pid, ec);
    BOOST_TEST((ec == std::errc::bad_file_descriptor));
}

BOOST_AUTO_TEST_CASE(state_names)
{
    BOOST_TEST(to_string(process_state::zombie) == "zombie");
    BOOST_TEST(to_string(process_state::kernel_thread) == "kernel_thread");
    process_info p;
    p.pid = 5;
    p.tid = 6;
    BOOST_TEST(p.is_thread());
    BOOST_TEST(p.ns[0] == process_info::none);
}

BOOST_AUTO_TEST_SUITE_END()
