// nscmp against names that are not UTF-8, conflicting options and too few
// fds (issue "trust", items 8-10): each case fails against the nscmp before.
#include "hostile.hpp"
#include "strict_json.hpp"
#include "test_support.hpp"
#include "tool_runner.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace t = nskit::test;
namespace h = nskit::test::hostile;
namespace json = boost::json;

namespace {

t::tool_result nscmp(const std::vector<std::string>& args, const t::tool_run_options& o = {})
{
    return t::run_tool("nscmp", args, o);
}

// A file whose name is not UTF-8, open in this process and (inherited) in a child.
struct shared_odd_file {
    std::string path = "/tmp/nskit-w\xff\\x41-" + std::to_string(::getpid());
    int fd = ::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
    shared_odd_file() { ::fcntl(fd, F_SETFD, 0); }
    ~shared_odd_file()
    {
        ::close(fd);
        ::unlink(path.c_str());
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(tools_nscmp_trust)

// Item 8: shared fds and file groups name a file that is not UTF-8: valid, lossless JSON.
BOOST_AUTO_TEST_CASE(json_is_utf8_for_file_names_that_are_not)
{
    shared_odd_file f;
    BOOST_TEST_REQUIRE(f.fd >= 0);
    t::sleeper s;
    BOOST_TEST_REQUIRE(s.pid > 0);
    const std::string me = std::to_string(::getpid()), other = std::to_string(s.pid);
    for (const auto& args : std::vector<std::vector<std::string>>{{"-J", me, other}, {"-g", "-J", "-R", "file", me, other}}) {
        auto r = nscmp(args);
        BOOST_TEST(r.status != 2, r.err);
        BOOST_TEST(t::strict_json_error(r.out) == "", args[0] << " " << args[1]);
        BOOST_TEST(r.out.find(R"(nskit-w\\xff\\x5cx41-)") != std::string::npos, r.out.substr(0, 300));
    }
}

// Item 9: -J with -r or -n is a usage error.
BOOST_AUTO_TEST_CASE(json_with_raw_or_noheadings_is_a_usage_error)
{
    const std::string me = std::to_string(::getpid());
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"-J", "-r", me, me}, {"-J", "-n", me, me}, {"-g", "-J", "-r", me}}) {
        auto r = nscmp(args);
        BOOST_TEST(r.status == 2);
        BOOST_TEST(r.out.empty(), r.out);
        BOOST_TEST(r.err.find("--json does not combine") != std::string::npos, r.err);
    }
}

// Item 10: out of fds, the open files are compared completely or said to be unknown.
BOOST_AUTO_TEST_CASE(fd_exhaustion_leaves_open_files_unknown_not_empty)
{
    shared_odd_file f;
    BOOST_TEST_REQUIRE(f.fd >= 0);
    t::sleeper s;
    BOOST_TEST_REQUIRE(s.pid > 0);
    const std::string me = std::to_string(::getpid()), other = std::to_string(s.pid);
    for (rlim_t n = 4; n <= 12; ++n) {
        t::tool_run_options o;
        o.before_exec = h::fd_limit(n);
        auto r = nscmp({"-J", "-t", "fds", me, other}, o);
        BOOST_TEST_CONTEXT("ulimit -n " << n << ": " << r.status << " " << r.err << " " << r.out.substr(0, 200))
        {
            if (r.out.empty()) { // could not start (the loader is out of fds: 127), or said why
                BOOST_TEST(r.status != 0);
                continue;
            }
            const auto v = t::strict_json(r.out);
            if (v.at("shared-fds").is_null()) {
                BOOST_TEST(!v.at("shared-fds-unknown").as_string().empty());
                BOOST_TEST(r.status == 2);
                continue;
            }
            // compared: the shared file is there, with its name
            BOOST_TEST(r.out.find(R"(nskit-w\\xff)") != std::string::npos);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
