#include <nskit/ns/process_v2.hpp>
#include "test_support.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/readable_pipe.hpp>
#include <boost/process/v2/environment.hpp>
#include <boost/process/v2/stdio.hpp>
#include <boost/process/v2/impl/environment.ipp> // once per program: 1.81 header-only defect

#include <sys/wait.h>

namespace ns = nskit::ns;
namespace asio = boost::asio;
namespace bp2 = boost::process::v2;

namespace {

ns::options uts_options(const char* host)
{
    ns::options o;
    if (nskit::test::missing_privilege())
        o.user = ns::user_options{};
    o.hostname = host;
    return o;
}

bool no_children_left()
{
    siginfo_t si{};
    return ::waitid(P_ALL, 0, &si, WEXITED | WNOHANG | __WALL) != 0 || si.si_pid == 0;
}

} // namespace

BOOST_AUTO_TEST_SUITE(ns_process_v2)

BOOST_AUTO_TEST_CASE(stdio_environment_and_async_wait)
{
    asio::io_context ctx;
    asio::readable_pipe out(ctx);
    ns::process_v2::launcher launch(uts_options("bp2-box"));
    std::vector<std::string> env = {"NSKIT_BP2=works"};
    bp2::process proc = launch(ctx, "/bin/sh", std::vector<std::string>{"-c", "echo $(hostname) $NSKIT_BP2; exit 3"},
                               bp2::process_stdio{{}, out, {}}, bp2::process_environment(env));
    std::string text;
    boost::system::error_code rec;
    asio::read(out, asio::dynamic_buffer(text), rec); // until EOF
    int code = -1;
    proc.async_wait([&](boost::system::error_code ec, int c) {
        BOOST_TEST(!ec);
        code = c;
    });
    ctx.run();
    BOOST_TEST(text == "bp2-box works\n");
    BOOST_TEST(code == 3);
    BOOST_TEST(no_children_left());
}

BOOST_AUTO_TEST_CASE(exec_failure_with_error_code_overload_does_not_throw)
{
    asio::io_context ctx;
    ns::process_v2::launcher launch(uts_options("bp2-fail"));
    boost::system::error_code ec;
    bp2::process proc = launch(ctx, ec, "/nonexistent/nskit-program", std::vector<std::string>{});
    BOOST_TEST(ec.value() == ENOENT);
    BOOST_TEST((ns::failed_step(launch.last_error()) == ns::setup_step::exec));
    BOOST_TEST(no_children_left()); // 1.81's own launcher leaves a zombie here
    // the throwing overload throws nskit's message
    try {
        launch(ctx, "/nonexistent/nskit-program", std::vector<std::string>{});
        BOOST_TEST(false, "no exception");
    } catch (const std::system_error& e) {
        BOOST_TEST(std::string(e.what()).find("execve") != std::string::npos);
    }
    BOOST_TEST(no_children_left());
}

BOOST_AUTO_TEST_CASE(setup_failure_reported)
{
    NSKIT_CHECK_CHILD(nskit::test::as_nobody([] {
        asio::io_context ctx;
        ns::options o;
        o.net = true; // no user namespace: EPERM
        ns::process_v2::launcher launch(o);
        boost::system::error_code ec;
        launch(ctx, ec, "/bin/true", std::vector<std::string>{});
        NSKIT_EXPECT(ec.value() == EPERM);
        NSKIT_EXPECT(ns::failed_step(launch.last_error()) == ns::setup_step::clone);
        return std::string();
    }));
}

BOOST_AUTO_TEST_SUITE_END()
