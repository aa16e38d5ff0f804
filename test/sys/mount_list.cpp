#include <nskit/sys/mount_list.hpp>

#include "test_support.hpp"

#include <nskit/sys/nsfs.hpp>
#include <nskit/sys/unique_fd.hpp>

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <sstream>

using namespace nskit::sys;
namespace t = nskit::test;

namespace {

// /proc/self/mountinfo: mount id -> mount point (escapes left as they are).
std::map<std::uint32_t, std::string> mountinfo()
{
    std::map<std::uint32_t, std::string> m;
    std::istringstream in(t::read_file("/proc/self/mountinfo"));
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream f(line);
        std::uint32_t id = 0, parent = 0;
        std::string devno, root, point;
        f >> id >> parent >> devno >> root >> point;
        m[id] = point;
    }
    return m;
}

std::string compare_with_mountinfo(mount_ns_ref ns)
{
    std::error_code ec;
    const auto ids = listmount(ns, ec);
    if (ec)
        return "listmount: " + ec.message();
    const auto expected = mountinfo();
    if (ids.size() != expected.size())
        return "listmount: " + std::to_string(ids.size()) + " mounts, mountinfo: " + std::to_string(expected.size());
    if (!std::is_sorted(ids.begin(), ids.end()))
        return "listmount: ids not ascending";
    for (auto id : ids) {
        const auto m = statmount(id, ns, ec);
        if (ec)
            return "statmount(" + std::to_string(id) + "): " + ec.message();
        const auto it = expected.find(m.old_id);
        if (it == expected.end())
            return "mount " + std::to_string(m.old_id) + " not in mountinfo";
        if (it->second.find('\\') == std::string::npos && it->second != m.point)
            return "mount " + std::to_string(m.old_id) + ": " + m.point + " != " + it->second;
        if (m.id != id || m.fs_type.empty())
            return "mount " + std::to_string(id) + ": id or fs type missing";
    }
    return "";
}

} // namespace

BOOST_AUTO_TEST_SUITE(sys_mount_list)

BOOST_AUTO_TEST_CASE(own_namespace_matches_mountinfo)
{
    BOOST_TEST(compare_with_mountinfo({}) == "");
    auto fd = open_ns(0, ns_type::mnt);
    BOOST_TEST(compare_with_mountinfo({0, fd.get()}) == "");                         // by fd (6.18)
    BOOST_TEST(compare_with_mountinfo({ns_get_mntns_id(fd.get()), -1}) == "");      // by id (6.11)
}

BOOST_AUTO_TEST_CASE(errors)
{
    std::error_code ec;
    listmount({~0ULL - 1, -1}, ec); // no such namespace
    BOOST_TEST(!!ec);
    auto user = open_ns(0, ns_type::user);
    listmount({0, user.get()}, ec); // not a mount namespace
    BOOST_TEST(!!ec);
    statmount(~0ULL - 1, {}, ec); // no such mount
    BOOST_TEST(!!ec);
    BOOST_CHECK_THROW(statmount(~0ULL - 1), std::system_error);
}

// Another mount namespace, held only by an fd once its child exits: listed
// without entering it, a tmpfs the child mounted read-only included.
BOOST_AUTO_TEST_CASE(another_namespace_with_no_process, *boost::unit_test::precondition(t::privileged()))
{
    int p[2];
    BOOST_REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
    const pid_t pid = ::fork();
    if (pid == 0) {
        char c = 0;
        if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
            ::mount("nskit-listmount", "/tmp", "tmpfs", MS_RDONLY, "size=1m") != 0)
            c = static_cast<char>(errno); // /tmp exists wherever the tests run
        (void)!::write(p[1], &c, 1);
        for (int i = 0; i < 600; ++i) // until the parent holds the namespace and kills it (bounded)
            ::sleep(1);
        ::_exit(0);
    }
    ::close(p[1]);
    char c = 1;
    (void)!::read(p[0], &c, 1);
    std::error_code ec;
    nskit::unique_fd ns = open_ns(pid, ns_type::mnt, ec);
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    ::close(p[0]);
    BOOST_REQUIRE_MESSAGE(c == 0, "child's tmpfs mount: " << std::strerror(c));
    BOOST_REQUIRE(!ec);
    const auto ids = listmount({0, ns.get()});
    bool found = false;
    for (auto id : ids) {
        const auto m = statmount(id, {0, ns.get()});
        if (m.point == "/tmp" && m.fs_type == "tmpfs" && m.source == "nskit-listmount") {
            found = true;
            BOOST_TEST((m.attr & 1) == 1u); // MOUNT_ATTR_RDONLY
        }
    }
    BOOST_TEST(found);
    const auto by_id = listmount({ns_get_mntns_id(ns.get()), -1});
    BOOST_TEST(by_id == ids);
    BOOST_TEST(mountinfo().size() != 0u);
}

BOOST_AUTO_TEST_SUITE_END()
