#include <nskit/ns/options.hpp>
#include "test_support.hpp"

#include <nskit/sys/error.hpp>

namespace ns = nskit::ns;
using nskit::sys::clone_flag;

BOOST_AUTO_TEST_SUITE(ns_options)

BOOST_AUTO_TEST_CASE(parse_id_map_forms)
{
    auto m = ns::parse_id_map("0 1000 1");
    BOOST_TEST(m.size() == 1u);
    BOOST_TEST((m[0] == ns::id_range{0, 1000, 1}));
    m = ns::parse_id_map("0:100000:65536,65536:1000:1");
    BOOST_TEST(m.size() == 2u);
    BOOST_TEST((m[1] == ns::id_range{65536, 1000, 1}));
    m = ns::parse_id_map("0 1 1\n  5   10 2  \n");
    BOOST_TEST(m.size() == 2u);
    BOOST_TEST(ns::format_id_map(m) == "0 1 1\n5 10 2\n");
}

BOOST_AUTO_TEST_CASE(parse_id_map_rejects)
{
    for (const char* bad : {"", "x", "0 1", "0 1 0", "0 1 1 1", "0:1", "1 2 3,2 9 1" /* inside overlap */,
                            "0 5 10,20 9 1" /* outside overlap */, "4294967295 0 2", "-1 0 1", "0 1 1x"}) {
        std::error_code ec;
        ns::parse_id_map(bad, ec);
        BOOST_TEST((ec == nskit::error::bad_id_map), "accepted '" << bad << "'");
    }
    std::string many;
    for (int i = 0; i < 341; ++i)
        many += std::to_string(i) + " " + std::to_string(i) + " 1\n";
    std::error_code ec;
    ns::parse_id_map(many, ec);
    BOOST_TEST((ec == nskit::error::bad_id_map));
    BOOST_CHECK_THROW(ns::parse_id_map("garbage"), std::system_error);
}

BOOST_AUTO_TEST_CASE(implied_namespaces)
{
    ns::options o;
    BOOST_TEST(o.namespaces().empty());
    o.tmp = ns::tmp_options{};
    BOOST_TEST((o.namespaces() == clone_flag::newns));
    o = {};
    o.pid = true;
    BOOST_TEST((o.namespaces() == (clone_flag::newpid | clone_flag::newns))); // fresh /proc needs a mount ns
    o.proc = false;
    BOOST_TEST((o.namespaces() == clone_flag::newpid));
    o = {};
    o.hostname = std::string(1, 'h');
    BOOST_TEST((o.namespaces() == clone_flag::newuts));
    o = {};
    o.veth = ns::veth_options{};
    BOOST_TEST((o.namespaces() == clone_flag::newnet));
    o = {};
    o.monotonic_offset = std::chrono::seconds(1);
    BOOST_TEST((o.namespaces() == clone_flag::newtime));
    o = {};
    o.user = ns::user_options{};
    o.ipc = o.cgroup = true;
    BOOST_TEST((o.namespaces() == (clone_flag::newuser | clone_flag::newipc | clone_flag::newcgroup)));
    o = {};
    o.sysvsem = true; // not a namespace: a fresh undo list
    BOOST_TEST(o.namespaces().empty());
}

BOOST_AUTO_TEST_CASE(validate)
{
    ns::options o;
    BOOST_TEST(!o.validate());
    o.hostname = std::string(65, 'h');
    BOOST_TEST((o.validate() == std::errc::invalid_argument));
    o = {};
    o.kill_signal = 0;
    BOOST_TEST((o.validate() == std::errc::invalid_argument));
    o = {};
    o.tmp = ns::tmp_options{};
    o.tmp->mode = 010000;
    BOOST_TEST((o.validate() == std::errc::invalid_argument));
    o.tmp->mode = 0755;
    o.tmp->size = "1m,uid=0";
    BOOST_TEST((o.validate() == std::errc::invalid_argument));
    o = {};
    o.veth = ns::veth_options{"averyveryverylongname", "", "", "", -1, true};
    BOOST_TEST((o.validate() == nskit::error::bad_interface_name));
    o.veth->name = "ok0";
    o.veth->peer = "a:b";
    BOOST_TEST((o.validate() == nskit::error::bad_interface_name));
    o = {};
    o.user = ns::user_options{{{0, 0, 0}}, {}, true};
    BOOST_TEST((o.validate() == nskit::error::bad_id_map));
}

BOOST_AUTO_TEST_SUITE_END()
