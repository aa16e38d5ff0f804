#include <nskit/sys/nsfs.hpp>

#include "test_support.hpp"

#include <nskit/sys/clone.hpp>
#include <nskit/sys/pidfd.hpp>

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

using namespace nskit::sys;
namespace t = nskit::test;

BOOST_AUTO_TEST_SUITE(sys_nsfs)

BOOST_AUTO_TEST_CASE(open_and_type_of_every_namespace)
{
    for (const auto& i : ns_types()) {
        auto fd = open_ns(0, i.type);
        BOOST_TEST((ns_get_nstype(fd.get()) == i.type), i.name);
        auto byself = open_ns(::getpid(), i.type);
        BOOST_TEST((ns_stat(fd.get()) == ns_stat(byself.get())));
        std::error_code ec;
        auto owner = ns_get_userns(fd.get(), ec);
        if ((i.type == ns_type::user || !nskit::test::in_initial_user_namespace()) && ec) {
            // the initial user namespace has no owner, and inside a user
            // namespace the host's owner is out of scope: EPERM
            BOOST_TEST((ec == std::errc::operation_not_permitted));
            continue;
        }
        BOOST_TEST(!ec, i.name << ": " << ec.message());
        if (!ec)
            BOOST_TEST((ns_get_nstype(owner.get()) == ns_type::user));
    }
    auto pfc = open_ns_for_children(0, ns_type::pid);
    BOOST_TEST((ns_get_nstype(pfc.get()) == ns_type::pid));
    std::error_code ec;
    open_ns_for_children(0, ns_type::net, ec);
    BOOST_TEST((ec == std::errc::invalid_argument));
    open_ns(0x7ffffff0, ns_type::net, ec);
    BOOST_TEST((ec == std::errc::no_such_file_or_directory));
    open_ns_path("", ec);
    BOOST_TEST((ec == std::errc::invalid_argument));
    auto viapath = open_ns_path("/proc/self/ns/net");
    BOOST_TEST((ns_get_nstype(viapath.get()) == ns_type::net));
}

BOOST_AUTO_TEST_CASE(non_namespace_fd_is_enotty)
{
    int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    std::error_code ec;
    ns_get_nstype(fd, ec);
    BOOST_TEST((ec == std::errc::inappropriate_io_control_operation));
    ns_get_userns(fd, ec);
    BOOST_TEST((ec == std::errc::inappropriate_io_control_operation));
    ::close(fd);
    ns_get_nstype(-1, ec);
    BOOST_TEST((ec == std::errc::bad_file_descriptor));
    BOOST_CHECK_THROW(ns_get_nstype(-1), std::system_error);
}

BOOST_AUTO_TEST_CASE(owner_uid_and_parent_at_the_root)
{
    auto user = open_ns(0, ns_type::user);
    BOOST_TEST(ns_get_owner_uid(user.get()) == 0u);
    std::error_code ec;
    ns_get_parent(user.get(), ec); // initial user namespace: no parent
    BOOST_TEST((ec == std::errc::operation_not_permitted));
    auto net = open_ns(0, ns_type::net);
    ns_get_parent(net.get(), ec); // not hierarchical
    BOOST_TEST((ec == std::errc::invalid_argument));
    ns_get_owner_uid(net.get(), ec); // not a user namespace
    BOOST_TEST((ec == std::errc::invalid_argument));
}

BOOST_AUTO_TEST_CASE(parent_of_new_pid_and_user_namespaces, *boost::unit_test::precondition(t::privileged()))
{
    t::sleeper child(CLONE_NEWPID | CLONE_NEWUSER);
    BOOST_REQUIRE(child.pid > 0);
    auto pidns = open_ns(child.pid, ns_type::pid);
    auto parent = ns_get_parent(pidns.get());
    auto mine = open_ns(0, ns_type::pid);
    BOOST_TEST((ns_stat(parent.get()) == ns_stat(mine.get())));
    BOOST_TEST(!(ns_stat(pidns.get()) == ns_stat(mine.get())));

    auto userns = open_ns(child.pid, ns_type::user);
    auto uparent = ns_get_parent(userns.get());
    auto myuser = open_ns(0, ns_type::user);
    BOOST_TEST((ns_stat(uparent.get()) == ns_stat(myuser.get())));
    // the new pid namespace is owned by the new user namespace
    auto owner = ns_get_userns(pidns.get());
    BOOST_TEST((ns_stat(owner.get()) == ns_stat(userns.get())));
    BOOST_TEST(ns_get_owner_uid(userns.get()) == ::geteuid());

    // pid translation: the child is pid 1 inside its namespace
    if (probe_nsfs().pid_translation) {
        BOOST_TEST(ns_get_pid_in_pidns(pidns.get(), child.pid) == 1);
        BOOST_TEST(ns_get_tgid_in_pidns(pidns.get(), child.pid) == 1);
        BOOST_TEST(ns_get_pid_from_pidns(pidns.get(), 1) == child.pid);
        BOOST_TEST(ns_get_tgid_from_pidns(pidns.get(), 1) == child.pid);
        std::error_code ec;
        ns_get_pid_from_pidns(pidns.get(), 2, ec); // nobody else in there
        BOOST_TEST((ec == std::errc::no_such_process));
        ns_get_pid_in_pidns(pidns.get(), ::getpid(), ec); // we are not visible inside
        BOOST_TEST((ec == std::errc::no_such_process));
        ns_get_pid_in_pidns(userns.get(), 1, ec); // wrong type
        BOOST_TEST((ec == std::errc::invalid_argument));
        ns_get_pid_in_pidns(pidns.get(), 0, ec);
        BOOST_TEST((ec == std::errc::invalid_argument));
    }
}

BOOST_AUTO_TEST_CASE(ids_differ_between_new_namespaces, *boost::unit_test::precondition(t::privileged()))
{
    BOOST_REQUIRE_MESSAGE(probe_nsfs().get_id, "kernel lacks NS_GET_ID (6.18)");
    t::sleeper a(CLONE_NEWNET | CLONE_NEWUTS), b(CLONE_NEWNET | CLONE_NEWUTS);
    for (auto type : {ns_type::net, ns_type::uts}) {
        auto fa = open_ns(a.pid, type), fb = open_ns(b.pid, type), fs = open_ns(0, type);
        auto ia = ns_get_id(fa.get()), ib = ns_get_id(fb.get()), is = ns_get_id(fs.get());
        BOOST_TEST(ia != ib);
        BOOST_TEST(ia != is);
        BOOST_TEST(ia != 0u);
        auto again = open_ns(a.pid, type);
        BOOST_TEST(ns_get_id(again.get()) == ia);
    }
}

BOOST_AUTO_TEST_CASE(mount_namespace_id_and_info, *boost::unit_test::precondition(t::privileged()))
{
    const auto& s = probe_nsfs();
    BOOST_REQUIRE_MESSAGE(s.get_mntns_id && s.mnt_get_info && s.mnt_iterate,
                          "kernel lacks NS_GET_MNTNS_ID / NS_MNT_GET_* (6.11/6.12)");
    auto mnt = open_ns(0, ns_type::mnt);
    auto id = ns_get_mntns_id(mnt.get());
    auto info = ns_mnt_get_info(mnt.get());
    BOOST_TEST(info.mnt_ns_id == id);
    BOOST_TEST(info.nr_mounts > 0u);
    if (s.get_id)
        BOOST_TEST(ns_get_id(mnt.get()) == id);
    std::error_code ec;
    auto net = open_ns(0, ns_type::net);
    ns_get_mntns_id(net.get(), ec);
    BOOST_TEST((ec == std::errc::invalid_argument));

    // a child in a new mount namespace is found by walking NEXT from ours (or PREV)
    t::sleeper child(CLONE_NEWNS);
    auto cmnt = open_ns(child.pid, ns_type::mnt);
    auto cid = ns_get_mntns_id(cmnt.get());
    BOOST_TEST(cid != id);
    bool found = false;
    mnt_ns_info cur{};
    nskit::unique_fd walker = open_ns(0, ns_type::mnt);
    for (int i = 0; i < 100000 && !found; ++i) {
        auto next = ns_mnt_get_next(walker.get(), cur, ec);
        if (ec)
            break;
        found = cur.mnt_ns_id == cid;
        walker = std::move(next);
    }
    BOOST_TEST(found);
    BOOST_TEST((ec == std::errc::no_such_file_or_directory || found));
    mnt_ns_info back{};
    auto prev = ns_mnt_get_prev(cmnt.get(), back, ec);
    BOOST_TEST((!ec || ec == std::errc::no_such_file_or_directory));
}

BOOST_AUTO_TEST_CASE(probe_reports_this_kernel)
{
    const auto& s = probe_nsfs();
    BOOST_TEST(s.get_userns);
    BOOST_TEST(s.get_parent);
    BOOST_TEST(s.get_nstype);
    BOOST_TEST(s.get_owner_uid);
    BOOST_TEST_MESSAGE("nsfs: mntns_id=" << s.get_mntns_id << " pid_translation=" << s.pid_translation
                                         << " mnt_get_info=" << s.mnt_get_info << " mnt_iterate=" << s.mnt_iterate
                                         << " get_id=" << s.get_id);
}

BOOST_AUTO_TEST_SUITE_END()
