#include <nskit/inspect/why.hpp>

#include "test_support.hpp"
#include "ns_holder.hpp"

#include <nskit/sys/error.hpp>

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

using namespace nskit::inspect;
namespace t = nskit::test;

namespace {
std::size_t count(const std::vector<ns_reference>& refs, holder_kind k)
{
    return static_cast<std::size_t>(
        std::count_if(refs.begin(), refs.end(), [&](const ns_reference& r) { return r.kind == k; }));
}
} // namespace

BOOST_AUTO_TEST_SUITE(inspect_why)

BOOST_AUTO_TEST_CASE(find_namespace_by_what_users_type)
{
    auto s = scan();
    const auto* me = s.find_process(::getpid());
    BOOST_TEST_REQUIRE(me != nullptr);
    const std::size_t net = me->ns[static_cast<std::size_t>(ns_type::net)];
    const auto& n = s.namespaces[net];
    const std::string ino = std::to_string(n.identity.inode.ino);
    BOOST_TEST(find_namespace(s, "/proc/self/ns/net") == net);
    BOOST_TEST(find_namespace(s, ino) == net);
    BOOST_TEST(find_namespace(s, "net:[" + ino + "]") == net);
    std::error_code ec;
    if (n.identity.id) {
        BOOST_TEST(find_namespace(s, ":" + std::to_string(n.identity.id)) == net);
        // a bare number is an inode, never an id (ids are small: 1 names no namespace's inode)
        if (s.find_inode(n.identity.id) == snapshot::npos) {
            find_namespace(s, std::to_string(n.identity.id), ec);
            BOOST_TEST((ec == std::errc::no_such_file_or_directory));
        }
    }
    find_namespace(s, "uts:[" + ino + "]", ec); // right inode, wrong type
    BOOST_TEST((ec == std::errc::no_such_file_or_directory));
    for (const char* bad : {"", "abc", "net:[x]", "foo:[1]", "12 ", "-4", ":", ":x", "::1", "18446744073709551616"}) {
        find_namespace(s, bad, ec);
        BOOST_TEST((ec == std::errc::invalid_argument), "'" << bad << "'");
    }
    for (const char* none : {"18446744073709551615", ":18446744073709551615"}) {
        find_namespace(s, none, ec);
        BOOST_TEST((ec == std::errc::no_such_file_or_directory), none);
    }
    find_namespace(s, "/nonexistent/ns", ec);
    BOOST_TEST((ec == std::errc::no_such_file_or_directory));
    find_namespace(s, "/proc/self/status", ec);
    BOOST_TEST((ec == nskit::error::not_a_namespace));
    BOOST_CHECK_THROW(find_namespace(s, "abc"), std::system_error);
}

BOOST_AUTO_TEST_CASE(why_lists_processes_children_and_owned, *boost::unit_test::precondition(t::privileged()))
{
    t::sleeper child(CLONE_NEWUSER | CLONE_NEWUTS | CLONE_NEWPID);
    BOOST_TEST_REQUIRE(child.pid > 0);
    auto s = scan();
    const auto* c = s.find_process(child.pid);
    BOOST_TEST_REQUIRE(c != nullptr);
    const std::size_t user = c->ns[static_cast<std::size_t>(ns_type::user)];
    const std::size_t uts = c->ns[static_cast<std::size_t>(ns_type::uts)];
    const std::size_t pid = c->ns[static_cast<std::size_t>(ns_type::pid)];
    auto refs = why_alive(s, user);
    BOOST_TEST(count(refs, holder_kind::process) == 1u);
    BOOST_TEST(refs.front().pid == child.pid);
    // it owns the uts and pid namespaces
    for (std::size_t owned : {uts, pid})
        BOOST_TEST(std::any_of(refs.begin(), refs.end(), [&](const ns_reference& r) {
            return r.kind == holder_kind::owner && r.other == owned;
        }));
    // our pid namespace has it as a child; our user namespace its user namespace
    const auto* me = s.find_process(::getpid());
    auto parent_refs = why_alive(s, me->ns[static_cast<std::size_t>(ns_type::pid)]);
    BOOST_TEST(std::any_of(parent_refs.begin(), parent_refs.end(), [&](const ns_reference& r) {
        return r.kind == holder_kind::child && r.other == pid;
    }));
    auto user_refs = why_alive(s, me->ns[static_cast<std::size_t>(ns_type::user)]);
    BOOST_TEST(std::any_of(user_refs.begin(), user_refs.end(), [&](const ns_reference& r) {
        return r.kind == holder_kind::child && r.other == user;
    }));
    BOOST_TEST(count(user_refs, holder_kind::process) >= 2u); // us and more
    BOOST_TEST(why_alive(s, s.namespaces.size()).empty());
}

BOOST_AUTO_TEST_CASE(why_an_fd_held_namespace_is_alive, *boost::unit_test::precondition(t::privileged()))
{
    NSKIT_CHECK_CHILD(t::in_child([] {
        int orig = ::open("/proc/self/ns/ipc", O_RDONLY | O_CLOEXEC);
        NSKIT_EXPECT(::unshare(CLONE_NEWIPC) == 0);
        int held = ::open("/proc/self/ns/ipc", O_RDONLY | O_CLOEXEC);
        NSKIT_EXPECT(::setns(orig, CLONE_NEWIPC) == 0);
        auto s = scan();
        const std::size_t i = find_namespace(s, "/proc/self/fd/" + std::to_string(held));
        auto refs = why_alive(s, i);
        NSKIT_EXPECT(refs.size() == 1);
        NSKIT_EXPECT(refs[0].kind == holder_kind::fd);
        NSKIT_EXPECT(refs[0].pid == ::getpid());
        NSKIT_EXPECT(refs[0].fd == held);
        ::close(held);
        ::close(orig);
        return std::string();
    }));
}

BOOST_AUTO_TEST_SUITE_END()
