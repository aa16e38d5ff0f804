#include <nskit/sys/error.hpp>

#include "test_support.hpp"

#include <cerrno>
#include <cstring>
#include <set>

BOOST_AUTO_TEST_SUITE(sys_error)

namespace {

using nskit::op_kind;
using K = op_kind;

std::error_code sys(int e) { return {e, std::system_category()}; }

constexpr op_kind all_kinds[] = {K::other,       K::input,          K::namespace_create, K::namespace_enter,
                                 K::namespace_open, K::nsfs_ioctl,  K::mount,            K::pivot_root,
                                 K::id_map_write,   K::timens_offsets, K::set_hostname,  K::pidfd,
                                 K::kcmp,           K::netlink,     K::proc_read,        K::exec,
                                 K::proc_connector};

std::size_t count(std::string_view text, std::string_view what)
{
    std::size_t n = 0;
    for (auto p = text.find(what); p != std::string_view::npos; p = text.find(what, p + 1))
        ++n;
    return n;
}

} // namespace

BOOST_AUTO_TEST_CASE(nskit_errors_map_to_portable_conditions)
{
    std::error_code ec = nskit::error::bad_interface_name;
    BOOST_TEST(ec == std::errc::invalid_argument);
    BOOST_TEST(std::string(ec.category().name()) == "nskit");
    BOOST_TEST(ec.message().find("1-15 bytes") != std::string::npos);
    BOOST_TEST((std::error_code(nskit::error::malformed_reply) == std::errc::bad_message));
    BOOST_TEST((std::error_code(nskit::error::thread_id) == std::errc::invalid_argument));
    BOOST_TEST((std::error_code(nskit::error::netns_not_restored) == std::errc::state_not_recoverable));
    BOOST_TEST((std::error_code(nskit::error::link_changed) == std::errc::device_or_resource_busy));
    BOOST_TEST((std::error_code(nskit::error::not_entered) == std::errc::operation_not_supported));
}

// An nskit error may carry the errno behind it (netns_not_restored: the
// failed setns's): the enum still compares equal, the message names it once.
BOOST_AUTO_TEST_CASE(nskit_error_with_its_cause)
{
    const auto ec = nskit::make_error_code(nskit::error::netns_not_restored, ENOMEM);
    BOOST_TEST((ec == nskit::error::netns_not_restored));
    BOOST_TEST(!(ec == nskit::error::link_changed));
    BOOST_TEST((ec == std::errc::state_not_recoverable));
    BOOST_TEST(nskit::error_cause(ec) == ENOMEM);
    BOOST_TEST(nskit::error_cause(std::error_code(nskit::error::netns_not_restored)) == 0);
    BOOST_TEST(nskit::error_cause(sys(ENOMEM)) == 0);
    const std::string m = ec.message();
    BOOST_TEST(m.rfind(std::error_code(nskit::error::netns_not_restored).message() + ": ", 0) == 0u, m);
    BOOST_TEST(m.find(std::strerror(ENOMEM)) == m.rfind(std::strerror(ENOMEM)), m);
    BOOST_TEST(m.find(std::strerror(ENOMEM)) != std::string::npos, m);
}

BOOST_AUTO_TEST_CASE(hints_are_actionable)
{
    BOOST_TEST(nskit::hint(sys(EPERM), K::namespace_create).find("CAP_SYS_ADMIN") != std::string_view::npos);
    BOOST_TEST(nskit::hint(sys(EPERM), K::netlink).find("CAP_NET_ADMIN") != std::string_view::npos);
    BOOST_TEST(nskit::hint(sys(EPERM), K::kcmp).find("ptrace") != std::string_view::npos);
    BOOST_TEST(nskit::hint(sys(EPERM), K::id_map_write).find("CAP_SETUID") != std::string_view::npos);
    BOOST_TEST(nskit::hint(sys(EPERM), K::timens_offsets).find("CAP_SYS_TIME") != std::string_view::npos);
    BOOST_TEST(nskit::hint(sys(EACCES), K::proc_read).find("ptrace") != std::string_view::npos);
    BOOST_TEST(nskit::hint(sys(ENOSYS), K::kcmp).find("CONFIG_KCMP") != std::string_view::npos);
    BOOST_TEST(nskit::hint(sys(ENOSYS), K::pidfd).find("5.3") != std::string_view::npos);
    BOOST_TEST(nskit::hint(sys(ENOSPC), K::namespace_create).find("/proc/sys/user/max_") != std::string_view::npos);
    BOOST_TEST(nskit::hint(sys(EUSERS), K::namespace_create).find("32") != std::string_view::npos);
    BOOST_TEST(nskit::hint(sys(EINVAL), K::namespace_enter).find("type") != std::string_view::npos);
    BOOST_TEST(nskit::hint(sys(EINVAL), K::set_hostname).find("64 bytes") != std::string_view::npos);
    BOOST_TEST(nskit::hint(sys(EINVAL), K::id_map_write).find("340") != std::string_view::npos);
    BOOST_TEST(nskit::hint(sys(ERANGE), K::timens_offsets).find("range") != std::string_view::npos);
    BOOST_TEST(nskit::hint(sys(ENOTTY), K::nsfs_ioctl).find("not a namespace") != std::string_view::npos);
    BOOST_TEST(nskit::hint(sys(ECHILD), K::pidfd).find("parent") != std::string_view::npos);
    BOOST_TEST(nskit::hint(sys(ENOENT), K::exec).find("no such program") != std::string_view::npos);
    BOOST_TEST(nskit::hint(sys(ENOENT), K::namespace_open).find("exited") != std::string_view::npos);
    // nskit's own errors carry their advice in message(): no hint on top
    BOOST_TEST(nskit::hint(nskit::error::bad_pid, K::pidfd).empty());
}

// ENOENT and EINVAL mean different things to different calls: a hint only
// where it is true (the old prefix matching called a missing /tmp or a
// missing program "namespace file missing").
BOOST_AUTO_TEST_CASE(enoent_and_einval_hints_only_where_true)
{
    const std::set<op_kind> enoent{K::namespace_open, K::proc_read, K::id_map_write, K::timens_offsets, K::mount,
                                   K::exec};
    const std::set<op_kind> einval{K::namespace_create, K::namespace_enter, K::nsfs_ioctl, K::mount, K::pivot_root,
                                   K::id_map_write, K::timens_offsets, K::set_hostname, K::pidfd, K::kcmp, K::exec};
    for (auto k : all_kinds) {
        const auto n = nskit::hint(sys(ENOENT), k);
        BOOST_TEST(n.empty() == !enoent.count(k), to_string(k));
        if (!n.empty() && k != K::mount && k != K::exec)
            BOOST_TEST(n.find("exited") != std::string_view::npos, to_string(k));
        BOOST_TEST(nskit::hint(sys(EINVAL), k).empty() == !einval.count(k), to_string(k));
    }
    BOOST_TEST(nskit::hint(sys(ENOENT), K::mount).find("namespace") == std::string_view::npos);
    BOOST_TEST(nskit::hint(sys(EINVAL), K::mount).find("multithreaded") == std::string_view::npos);
    BOOST_TEST(nskit::hint(sys(EINVAL), K::input).empty());
    BOOST_TEST(nskit::hint(sys(ESRCH), K::netlink).empty());
    BOOST_TEST(!nskit::hint(sys(ESRCH), K::pidfd).empty());
}

// The library never names a tool or a tool's flag.
BOOST_AUTO_TEST_CASE(no_hint_names_a_tool_or_a_flag)
{
    for (int e = 1; e < 134; ++e)
        for (auto k : all_kinds) {
            const auto h = nskit::hint(sys(e), k);
            BOOST_TEST(h.find("--") == std::string_view::npos, h);
            for (std::string_view tool : {"nsrun", "nsinfo", "nscmp", "ulimit"})
                BOOST_TEST(h.find(tool) == std::string_view::npos, h);
        }
}

BOOST_AUTO_TEST_CASE(every_kind_has_a_name)
{
    std::set<std::string_view> names;
    for (auto k : all_kinds)
        names.insert(to_string(k));
    BOOST_TEST(names.size() == std::size(all_kinds));
    BOOST_TEST(to_string(K::id_map_write) == "id_map_write");
}

BOOST_AUTO_TEST_CASE(throw_error_names_operation_and_hint_once)
{
    try {
        nskit::throw_error(sys(EPERM), K::namespace_create, "unshare(net)");
        BOOST_FAIL("no throw");
    } catch (const std::system_error& e) {
        const std::string w = e.what();
        BOOST_TEST(w.find("unshare(net): needs CAP_SYS_ADMIN") == 0u);
        BOOST_TEST(e.code().value() == EPERM);
        BOOST_TEST(count(w, std::strerror(EPERM)) == 1u, w); // std::system_error appends it, once
        BOOST_TEST(w == nskit::describe(sys(EPERM), K::namespace_create, "unshare(net)"));
    }
    try {
        nskit::throw_if(sys(EINVAL), K::input, "parse(x)");
        BOOST_FAIL("no throw");
    } catch (const std::system_error& e) {
        BOOST_TEST(std::string(e.what()) == std::string("parse(x): ") + std::strerror(EINVAL));
    }
    BOOST_CHECK_NO_THROW(nskit::throw_if({}, K::other, "nothing"));
    BOOST_TEST(nskit::describe(sys(ESRCH), K::kcmp, "kcmp").find("no such process") != std::string::npos);
    BOOST_TEST(nskit::describe(sys(ENOENT), K::other) == std::strerror(ENOENT)); // no operation, no hint
    BOOST_TEST(nskit::describe(sys(ESRCH), K::pidfd) ==
               std::string(nskit::hint(sys(ESRCH), K::pidfd)) + ": " + std::strerror(ESRCH));
}

BOOST_AUTO_TEST_SUITE_END()
