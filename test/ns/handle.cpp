#include <nskit/ns/handle.hpp>
#include "test_support.hpp"

#include <nskit/ns/run.hpp>
#include <nskit/sys/nsfs.hpp>
#include <nskit/sys/pidfd.hpp>

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <unordered_set>

namespace ns = nskit::ns;
namespace sys = nskit::sys;
namespace utf = boost::unit_test;

BOOST_AUTO_TEST_SUITE(ns_handle)

BOOST_AUTO_TEST_CASE(open_from_pid_pidfd_and_path_agree)
{
    for (const auto& t : sys::ns_types()) {
        auto a = ns::namespace_handle::current(t.type);
        auto b = ns::namespace_handle::from_pid(::getpid(), t.type);
        auto self = sys::pidfd_open(::getpid());
        auto c = ns::namespace_handle::from_pidfd(self.get(), t.type);
        auto d = ns::namespace_handle::from_path("/proc/self/ns/" + std::string(t.proc_entry));
        auto e = ns::namespace_handle::from_pidref(sys::pidref::open(::getpid()), t.type);
        BOOST_TEST((a.type() == t.type));
        BOOST_TEST((a == e));
        BOOST_TEST((a == b));
        BOOST_TEST((a == c));
        BOOST_TEST((a == d));
        // the oracle: the /proc link's inode
        struct stat st{};
        BOOST_REQUIRE(::stat(("/proc/self/ns/" + std::string(t.proc_entry)).c_str(), &st) == 0);
        BOOST_TEST(a.identity().inode.ino == st.st_ino);
        if (sys::probe_nsfs().get_id)
            BOOST_TEST(a.identity().id != 0u);
        BOOST_TEST(sys::to_string(a.identity()).find(std::string(t.name) + ":[") == 0u);
    }
}

BOOST_AUTO_TEST_CASE(identity_differs_across_namespaces_and_hashes)
{
    ns::options o;
    o.user = ns::user_options{};
    o.uts = true;
    auto p = ns::spawn("sleep", {"10"}, o);
    auto theirs = p.ns(sys::ns_type::uts);
    auto mine = ns::namespace_handle::current(sys::ns_type::uts);
    BOOST_TEST(!(theirs == mine));
    BOOST_TEST((theirs.identity() != mine.identity()));
    BOOST_TEST(((theirs.identity() < mine.identity()) || (mine.identity() < theirs.identity())));
    std::unordered_set<sys::ns_identity> set{mine.identity(), theirs.identity(),
                                            ns::namespace_handle::current(sys::ns_type::uts).identity()};
    BOOST_TEST(set.size() == 2u);
    // their uts namespace is owned by their user namespace, owned by us
    auto owner = theirs.owner();
    BOOST_TEST((owner.type() == sys::ns_type::user));
    BOOST_TEST((owner == p.ns(sys::ns_type::user)));
    BOOST_TEST(owner.owner_uid() == ::geteuid());
    BOOST_TEST(theirs.owner_uid() == ::geteuid());
    auto parent = owner.parent();
    BOOST_TEST((parent == ns::namespace_handle::current(sys::ns_type::user)));
    p.signal(SIGKILL);
    p.wait();
}

BOOST_AUTO_TEST_CASE(parent_errors)
{
    auto net = ns::namespace_handle::current(sys::ns_type::net);
    std::error_code ec;
    net.parent(ec); // not hierarchical
    BOOST_TEST((ec == std::errc::invalid_argument));
    if (!nskit::test::missing_privilege()) {
        auto user = ns::namespace_handle::current(sys::ns_type::user);
        user.parent(ec); // the initial user namespace has none
        BOOST_TEST((ec == std::errc::operation_not_permitted));
    }
    BOOST_CHECK_THROW(net.parent(), std::system_error);
}

BOOST_AUTO_TEST_CASE(not_a_namespace_and_bad_input)
{
    std::error_code ec;
    ns::namespace_handle::from_path("/etc/hostname", ec);
    BOOST_TEST(!!ec);
    ns::namespace_handle::from_path("/nonexistent", ec);
    BOOST_TEST((ec == std::errc::no_such_file_or_directory));
    ns::namespace_handle::from_pid(-5, sys::ns_type::net, ec);
    BOOST_TEST((ec == nskit::error::bad_pid));
    ns::namespace_handle h;
    BOOST_TEST(!h.valid());
    h.enter(ec);
    BOOST_TEST((ec == std::errc::bad_file_descriptor));
}

BOOST_AUTO_TEST_CASE(pidfd_of_dead_process_is_esrch)
{
    const pid_t c = ::fork();
    if (c == 0)
        ::_exit(0);
    auto fd = sys::pidfd_open(c);
    int st;
    ::waitpid(c, &st, 0); // reaped: its pid may be reused, the pidfd knows
    std::error_code ec;
    ns::namespace_handle::from_pidfd(fd.get(), sys::ns_type::net, ec);
    BOOST_TEST((ec == std::errc::no_such_process));
    const sys::pidref ref(c, std::move(fd));
    const auto h = ns::namespace_handle::from_pidref(ref, sys::ns_type::net, ec);
    BOOST_TEST((ec == std::errc::no_such_process));
    BOOST_TEST(!h.valid());
    ns::namespace_handle::from_pidref(sys::pidref(), sys::ns_type::net, ec);
    BOOST_TEST((ec == std::errc::bad_file_descriptor));
}

BOOST_AUTO_TEST_CASE(enter_joins_namespace)
{
    ns::options o;
    o.user = ns::user_options{};
    o.uts = true;
    o.hostname = "handle-enter";
    auto p = ns::spawn("sleep", {"10"}, o);
    auto user = p.ns(sys::ns_type::user);
    auto uts = p.ns(sys::ns_type::uts);
    NSKIT_CHECK_CHILD(nskit::test::in_child([&] {
        user.enter();
        uts.enter();
        char host[65] = {};
        ::gethostname(host, sizeof host - 1);
        NSKIT_EXPECT(std::string(host) == "handle-enter");
        NSKIT_EXPECT(ns::namespace_handle::current(sys::ns_type::uts) == uts);
        return std::string();
    }));
    p.signal(SIGKILL);
    p.wait();
}

BOOST_AUTO_TEST_CASE(bind_mounted_namespace_path, *utf::precondition(nskit::test::privileged()))
{
    NSKIT_CHECK_CHILD(nskit::test::in_child([] {
        NSKIT_EXPECT(::unshare(CLONE_NEWNS) == 0);
        NSKIT_EXPECT(::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0);
        char file[] = "/tmp/nskit-nsfile-XXXXXX";
        const int fd = ::mkstemp(file);
        NSKIT_EXPECT(fd >= 0);
        ::close(fd);
        NSKIT_EXPECT(::mount("/proc/self/ns/uts", file, nullptr, MS_BIND, nullptr) == 0);
        auto h = ns::namespace_handle::from_path(file);
        const bool same = h == ns::namespace_handle::current(sys::ns_type::uts);
        h = {};
        ::umount(file);
        ::unlink(file);
        NSKIT_EXPECT(same);
        return std::string();
    }));
}

BOOST_AUTO_TEST_SUITE_END()
