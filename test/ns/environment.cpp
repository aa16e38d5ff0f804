#include <nskit/ns/environment.hpp>
#include "test_support.hpp"

#include <nskit/ns/run.hpp>

#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace ns = nskit::ns;
using strings = std::vector<std::string>;

BOOST_AUTO_TEST_SUITE(ns_environment)

const char* const base[] = {"PATH=/bin", "HOME=/root", "TERM=xterm", "EMPTY=", nullptr};

BOOST_AUTO_TEST_CASE(inherit_and_edit_in_order)
{
    ns::env_options o;
    o.edits = {{false, "A", "1"}, {true, "HOME", ""}, {false, "A", "2"}, {false, "TERM", "dumb"}, {true, "NOPE", ""}};
    BOOST_TEST(ns::make_environment(o, base) == (strings{"PATH=/bin", "EMPTY=", "A=2", "TERM=dumb"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(clear_and_keep)
{
    ns::env_options o;
    o.clear = true;
    o.edits = {{false, "X", "y=z"}};
    BOOST_TEST(ns::make_environment(o, base) == (strings{"X=y=z"}), boost::test_tools::per_element());
    o.keep = ns::parse_name_list("TERM,PATH,MISSING");
    BOOST_TEST(ns::make_environment(o, base) == (strings{"PATH=/bin", "TERM=xterm", "X=y=z"}),
               boost::test_tools::per_element());
    o.clear = false; // keep alone filters too
    BOOST_TEST(ns::make_environment(o, base) == (strings{"PATH=/bin", "TERM=xterm", "X=y=z"}),
               boost::test_tools::per_element());
    BOOST_TEST(ns::make_environment({}, nullptr).empty());
}

BOOST_AUTO_TEST_CASE(bad_names_are_refused)
{
    for (const char* list : {"", "A,,B", "A,", ",A", "A=B"}) {
        std::error_code ec;
        BOOST_TEST(ns::parse_name_list(list, ec).empty(), list);
        BOOST_TEST((ec == std::errc::invalid_argument), list);
    }
    BOOST_CHECK_THROW(ns::parse_name_list("A,,B"), std::system_error);
    for (const std::string name : {std::string(), std::string("A=B"), std::string("A\0B", 3)}) {
        ns::env_options o;
        o.edits = {{false, "OK", "1"}, {false, name, "v"}};
        std::size_t bad = 99;
        BOOST_TEST((ns::validate(o, &bad) == std::errc::invalid_argument));
        BOOST_TEST(bad == 1u);
        std::error_code ec;
        BOOST_TEST(ns::make_environment(o, base, ec).empty());
        BOOST_TEST((ec == std::errc::invalid_argument));
        BOOST_CHECK_THROW(ns::make_environment(o, base), std::system_error);
    }
    ns::env_options v;
    v.edits = {{false, "A", std::string("x\0y", 3)}};
    BOOST_TEST((ns::validate(v) == std::errc::invalid_argument));
    v.edits.clear();
    v.keep = {"K", "B=C"};
    std::size_t bad = 99;
    BOOST_TEST((ns::validate(v, &bad) == std::errc::invalid_argument));
    BOOST_TEST(bad == 1u);
}

// As an ns::options member: the callable's and the program's environment;
// spawn_options::env still overrides; setup() refuses it.
BOOST_AUTO_TEST_CASE(run_and_spawn_get_it)
{
    NSKIT_CHECK_CHILD(nskit::test::in_child([] {
        ::setenv("NSKIT_KEPT", "k", 1);
        ::setenv("NSKIT_DROPPED", "d", 1);
        ns::options o;
        o.env.keep = {"NSKIT_KEPT", "PATH"};
        o.env.edits = {{false, "NSKIT_SET", "v=1"}, {true, "PATH", ""}};
        const auto status = ns::run([] {
            const char* k = std::getenv("NSKIT_KEPT");
            const char* s = std::getenv("NSKIT_SET");
            return k && std::strcmp(k, "k") == 0 && s && std::strcmp(s, "v=1") == 0 && !std::getenv("NSKIT_DROPPED") &&
                           !std::getenv("PATH")
                       ? 0
                       : 1;
        }, o);
        NSKIT_EXPECT(status.shell_status() == 0);
        NSKIT_EXPECT(std::getenv("NSKIT_DROPPED") != nullptr); // the caller's own is untouched
        ns::spawn_options so;
        so.env = {"NSKIT_SET=over"};
        so.search_path = false;
        auto p = ns::spawn("/usr/bin/sh",
                           {"-c", "test \"$NSKIT_KEPT\" = k && test \"$NSKIT_SET\" = over && test -z \"$NSKIT_DROPPED\""},
                           o, so);
        NSKIT_EXPECT(p.wait().shell_status() == 0);
        std::error_code ec;
        ns::setup(o, ec);
        NSKIT_EXPECT(ec == std::errc::invalid_argument);
        o.env.edits = {{false, "A=B", "x"}};
        NSKIT_EXPECT(o.problem().field == "env");
        return std::string();
    }));
}

BOOST_AUTO_TEST_SUITE_END()
