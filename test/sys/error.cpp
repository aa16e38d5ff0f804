#include <nskit/sys/error.hpp>

#include "test_support.hpp"

#include <cerrno>

BOOST_AUTO_TEST_SUITE(sys_error)

BOOST_AUTO_TEST_CASE(nskit_errors_map_to_portable_conditions)
{
    std::error_code ec = nskit::error::bad_interface_name;
    BOOST_TEST(ec == std::errc::invalid_argument);
    BOOST_TEST(std::string(ec.category().name()) == "nskit");
    BOOST_TEST(ec.message().find("1-15 bytes") != std::string::npos);
    BOOST_TEST((std::error_code(nskit::error::malformed_reply) == std::errc::bad_message));
}

BOOST_AUTO_TEST_CASE(hints_are_actionable)
{
    auto sys = [](int e) { return std::error_code(e, std::system_category()); };
    BOOST_TEST(nskit::hint(sys(EPERM), "unshare(net)").find("CAP_SYS_ADMIN") != std::string_view::npos);
    BOOST_TEST(nskit::hint(sys(ENOSYS), "kcmp(1, 2, vm)").find("CONFIG_KCMP") != std::string_view::npos);
    BOOST_TEST(nskit::hint(sys(ENOSPC), "clone3(user)").find("/proc/sys/user/max_") != std::string_view::npos);
    BOOST_TEST(!nskit::hint(sys(EINVAL), "setns(fd 3)").empty());
    BOOST_TEST(nskit::hint(sys(ENOENT), "read").empty());
}

BOOST_AUTO_TEST_CASE(throw_error_names_operation_and_hint)
{
    try {
        nskit::throw_error(std::error_code(EPERM, std::system_category()), "unshare(net)");
        BOOST_FAIL("no throw");
    } catch (const std::system_error& e) {
        std::string w = e.what();
        BOOST_TEST(w.find("unshare(net)") != std::string::npos);
        BOOST_TEST(w.find("CAP_SYS_ADMIN") != std::string::npos);
        BOOST_TEST(e.code().value() == EPERM);
    }
    BOOST_CHECK_NO_THROW(nskit::throw_if({}, "nothing"));
    BOOST_TEST(nskit::describe(std::error_code(ESRCH, std::system_category()), "kcmp").find("no such process") !=
               std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
