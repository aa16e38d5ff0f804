#include <nskit/ns/enter.hpp>
#include "test_support.hpp"

#include <nskit/ns/handle.hpp>
#include <nskit/ns/run.hpp>

#include <signal.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <atomic>
#include <thread>

namespace ns = nskit::ns;
namespace sys = nskit::sys;
namespace utf = boost::unit_test;
using sys::clone_flag;

namespace {

std::string hostname()
{
    char h[65] = {};
    ::gethostname(h, sizeof h - 1);
    return h;
}

ns::process target(ns::options o)
{
    if (nskit::test::missing_privilege())
        o.user = ns::user_options{};
    o.uts = true;
    o.hostname = "target";
    return ns::spawn("sleep", {"10"}, o);
}

} // namespace

BOOST_AUTO_TEST_SUITE(ns_enter)

BOOST_AUTO_TEST_CASE(enter_all_differing_atomically)
{
    ns::options o;
    o.net = true;
    auto p = target(o);
    const auto expect = p.ns(sys::ns_type::net).identity();
    std::error_code ec;
    auto diff = ns::differing_namespaces(p.pidfd(), ec);
    BOOST_TEST(!ec);
    BOOST_TEST(diff.contains(clone_flag::newuts | clone_flag::newnet));
    BOOST_TEST(!diff.contains(clone_flag::newipc));
    NSKIT_CHECK_CHILD(nskit::test::in_child([&] {
        ns::enter(p.pidfd());
        NSKIT_EXPECT(hostname() == "target");
        NSKIT_EXPECT(ns::namespace_handle::current(sys::ns_type::net).identity() == expect);
        return std::string();
    }));
    BOOST_TEST(hostname() != "target");
}

BOOST_AUTO_TEST_CASE(enter_each_orders_user_namespace)
{
    ns::options o;
    o.user = ns::user_options{}; // in both passes: unprivileged joins user first, root last
    auto p = target(o);
    NSKIT_CHECK_CHILD(nskit::test::in_child([&] {
        std::error_code ec;
        ns::enter_each(p.pidfd(), {}, ec);
        NSKIT_EXPECT(!ec);
        NSKIT_EXPECT(hostname() == "target");
        NSKIT_EXPECT(::getuid() == 0 || ::getuid() == 65534);
        return std::string();
    }));
    if (nskit::test::missing_privilege())
        return; // the target is our own then
    NSKIT_CHECK_CHILD(nskit::test::as_nobody([&] {
        // nobody cannot even look at a root-owned target's namespaces
        std::error_code ec;
        ns::enter(p.pidfd(), {}, ec);
        NSKIT_EXPECT(ec == std::errc::permission_denied || ec == std::errc::operation_not_permitted);
        return std::string();
    }));
}

BOOST_AUTO_TEST_CASE(enter_selected_types_only)
{
    ns::options o;
    o.net = true;
    auto p = target(o);
    NSKIT_CHECK_CHILD(nskit::test::in_child([&] {
        const auto net_before = ns::namespace_handle::current(sys::ns_type::net).identity();
        ns::enter_options eo;
        eo.types = clone_flag::newuts;
        if (nskit::test::missing_privilege())
            eo.types |= clone_flag::newuser;
        ns::enter(p.pidfd(), eo);
        NSKIT_EXPECT(hostname() == "target");
        NSKIT_EXPECT(ns::namespace_handle::current(sys::ns_type::net).identity() == net_before);
        return std::string();
    }));
}

BOOST_AUTO_TEST_CASE(enter_mount_namespace_follows_root, *utf::precondition(nskit::test::privileged()))
{
    ns::options o;
    o.tmp = ns::tmp_options{};
    o.tmp->size = "3m";
    auto p = target(o);
    NSKIT_CHECK_CHILD(nskit::test::in_child([&] {
        ns::enter_pid(p.pid());
        struct statfs fs{};
        NSKIT_EXPECT(::statfs("/tmp", &fs) == 0 && fs.f_type == 0x01021994);
        NSKIT_EXPECT(fs.f_blocks * fs.f_bsize == 3u << 20);
        return std::string();
    }));
}

BOOST_AUTO_TEST_CASE(enter_errors)
{
    std::error_code ec;
    ns::enter_pid(-1, {}, ec);
    BOOST_TEST((ec == nskit::error::bad_pid));
    ns::enter_pid(0x3fffffff, {}, ec);
    BOOST_TEST((ec == std::errc::no_such_process));
    auto p = ns::spawn("sleep", {"10"}, ns::options{});
    ns::enter_options eo;
    eo.types = clone_flag::vm;
    ns::enter(p.pidfd(), eo, ec);
    BOOST_TEST((ec == nskit::error::flag_conflict));
    // nothing differs: a no-op
    ns::enter(p.pidfd(), {}, ec);
    BOOST_TEST(!ec);
}

BOOST_AUTO_TEST_CASE(enter_refuses_multithreaded_for_user_and_mount)
{
    ns::options o;
    o.user = ns::user_options{};
    auto p = target(o);
    // the test runner is single threaded; a thread makes it unsafe
    NSKIT_CHECK_CHILD(nskit::test::in_child([&] {
        std::atomic<bool> stop{false};
        std::thread t([&] {
            while (!stop)
                ::usleep(1000);
        });
        std::error_code ec;
        ns::enter(p.pidfd(), {}, ec);
        stop = true;
        t.join();
        NSKIT_EXPECT(ec == nskit::error::thread_unsafe);
        return std::string();
    }));
}

BOOST_AUTO_TEST_SUITE_END()
