// The doc/examples programs (ports of the seed's examples) run and succeed.
#include "test_support.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

namespace fs = std::filesystem;
namespace utf = boost::unit_test;

namespace {

std::string example(const std::string& name)
{
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(fs::path(nskit::test::start_directory()) / "bin/doc/examples", ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
        if (it->path().filename() == name && it->path().string().find("/release/") != std::string::npos)
            return it->path().string();
    return {};
}

} // namespace

BOOST_AUTO_TEST_SUITE(ns_examples)

BOOST_AUTO_TEST_CASE(seed_examples_run, *utf::precondition(nskit::test::privileged()))
{
    for (const char* name : {"ns_private_tmp", "ns_private_pid", "ns_setup_tmp", "ns_private_net", "ns_veth"}) {
        const std::string path = example(name);
        BOOST_TEST_REQUIRE(!path.empty(), name << " not built (run from the source root after b2)");
        int status = -1;
        const std::string out = nskit::test::run_program({path}, &status);
        BOOST_TEST(status == 0, name << ": " << out);
        BOOST_TEST((out.find("inside") != std::string::npos || out.find("private /tmp") != std::string::npos), out);
    }
    BOOST_TEST(::access("/tmp/private", F_OK) != 0); // the seed's file vanished with its namespace
}

BOOST_AUTO_TEST_SUITE_END()
