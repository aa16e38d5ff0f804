#include <nskit/ns/rlimit.hpp>
#include "test_support.hpp"

#include <nskit/ns/detail/rlimits.hpp>
#include <nskit/ns/run.hpp>

#include <sys/resource.h>

#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <string>

namespace ns = nskit::ns;
using nskit::test::in_child;

BOOST_AUTO_TEST_SUITE(ns_rlimit)

BOOST_AUTO_TEST_CASE(parses_names_and_values)
{
    BOOST_TEST((ns::parse_rlimit("NOFILE=1024") == ns::rlimit_setting{RLIMIT_NOFILE, 1024, 1024}));
    BOOST_TEST((ns::parse_rlimit("nofile=512:1024") == ns::rlimit_setting{RLIMIT_NOFILE, 512, 1024}));
    BOOST_TEST((ns::parse_rlimit("RLIMIT_CORE=0") == ns::rlimit_setting{RLIMIT_CORE, 0, 0}));
    BOOST_TEST((ns::parse_rlimit("STACK=8388608:unlimited") ==
                ns::rlimit_setting{RLIMIT_STACK, 8388608, RLIM_INFINITY}));
    BOOST_TEST(ns::rlimit_name(RLIMIT_NPROC) == "NPROC");
    BOOST_TEST(ns::rlimit_name(-1).empty());
}

BOOST_AUTO_TEST_CASE(bad_input_is_refused)
{
    for (const char* bad : {"", "NOFILE", "NOFILE=", "BOGUS=1", "NOFILE=x", "NOFILE=1:", "NOFILE=2:1",
                            "NOFILE=18446744073709551616", "NOFILE=-1", "NOFILE= 1", "NOFILE=1:2:3",
                            "RLIMIT_=1"}) {
        std::error_code ec;
        ns::parse_rlimit(bad, ec);
        BOOST_TEST((ec == std::errc::invalid_argument), bad);
    }
    BOOST_CHECK_THROW(ns::parse_rlimit("NOFILE=2:1"), std::system_error);
}

BOOST_AUTO_TEST_CASE(applied_in_order_and_refusal_named)
{
    NSKIT_CHECK_CHILD(in_child([] {
        rlimit cur{};
        NSKIT_EXPECT(::getrlimit(RLIMIT_NOFILE, &cur) == 0 && cur.rlim_max > 64);
        const std::vector<ns::rlimit_setting> ok = {{RLIMIT_CORE, 0, 0}, {RLIMIT_NOFILE, 32, 64}};
        int err = -1;
        NSKIT_EXPECT(ns::detail::apply_rlimits(ok, err) == 2 && err == 0);
        NSKIT_EXPECT(::getrlimit(RLIMIT_NOFILE, &cur) == 0 && cur.rlim_cur == 32 && cur.rlim_max == 64);
        return std::string();
    }));
    // Raising a hard limit needs CAP_SYS_RESOURCE, which nobody lacks.
    NSKIT_CHECK_CHILD(nskit::test::as_nobody([] {
        rlimit cur{};
        NSKIT_EXPECT(::getrlimit(RLIMIT_NOFILE, &cur) == 0 && cur.rlim_max != RLIM_INFINITY);
        const std::vector<ns::rlimit_setting> up = {{RLIMIT_CORE, 0, 0}, {RLIMIT_NOFILE, 64, cur.rlim_max + 1}};
        int err = -1;
        NSKIT_EXPECT(ns::detail::apply_rlimits(up, err) == 1 && err == EPERM);
        return std::string();
    }));
}

// As an ns::options member: set on the payload, not on the caller; a
// refused one named with its value.
BOOST_AUTO_TEST_CASE(run_sets_them_on_the_payload)
{
    ns::options o;
    o.rlimits = {ns::parse_rlimit("NOFILE=40:50"), ns::parse_rlimit("CORE=0")};
    rlimit before{};
    BOOST_REQUIRE(::getrlimit(RLIMIT_NOFILE, &before) == 0);
    const auto status = ns::run([] {
        rlimit l{};
        return ::getrlimit(RLIMIT_NOFILE, &l) == 0 && l.rlim_cur == 40 && l.rlim_max == 50 ? 0 : 1;
    }, o);
    BOOST_TEST(status.shell_status() == 0);
    rlimit after{};
    BOOST_TEST((::getrlimit(RLIMIT_NOFILE, &after) == 0 && after.rlim_cur == before.rlim_cur));
    o.rlimits = {{RLIMIT_NOFILE, 9, 8}};
    BOOST_TEST(o.problem().field == "rlimits");
    BOOST_TEST(o.problem().reason == "resource limit NOFILE: soft 9 above hard 8");
    NSKIT_CHECK_CHILD(nskit::test::as_nobody([] {
        rlimit cur{};
        NSKIT_EXPECT(::getrlimit(RLIMIT_NOFILE, &cur) == 0 && cur.rlim_max != RLIM_INFINITY);
        ns::options up;
        up.rlimits = {{RLIMIT_CORE, 0, 0}, {RLIMIT_NOFILE, 64, cur.rlim_max + 1}};
        std::error_code ec;
        ns::run([] { return 0; }, up, ec);
        NSKIT_EXPECT(ns::failed_step(ec) == ns::setup_step::rlimit && ns::failed_errno(ec) == EPERM);
        NSKIT_EXPECT(ns::failed_input(ec, up, {}) == "NOFILE=64:" + std::to_string(cur.rlim_max + 1));
        return std::string();
    }));
}

BOOST_AUTO_TEST_SUITE_END()
