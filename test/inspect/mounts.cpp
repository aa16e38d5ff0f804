#include <nskit/inspect/mounts.hpp>

#include "test_support.hpp"

#include <nskit/sys/nsfs.hpp>

#include <sched.h>
#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <sstream>

namespace t = nskit::test;
using nskit::inspect::mount_info;

namespace {

struct info_line {
    std::string target, vfs, propagation, fstype, source, super;
};

// /proc/self/mountinfo (proc(5)): old id -> fields.
std::map<std::uint32_t, info_line> mountinfo()
{
    std::map<std::uint32_t, info_line> m;
    std::istringstream in(t::read_file("/proc/self/mountinfo"));
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream f(line);
        std::uint32_t id = 0, parent = 0;
        std::string devno, root, word;
        info_line l;
        f >> id >> parent >> devno >> root >> l.target >> l.vfs;
        while (f >> word && word != "-")
            l.propagation += (l.propagation.empty() ? "" : " ") + word;
        if (l.propagation.empty())
            l.propagation = "private";
        f >> l.fstype >> l.source >> l.super;
        m[id] = l;
    }
    return m;
}

// The caller's mounts from listmount/statmount, field by field against mountinfo.
std::string agree_with_mountinfo()
{
    auto fd = nskit::sys::open_ns(0, nskit::sys::ns_type::mnt);
    std::error_code ec;
    const auto got = nskit::inspect::mounts(fd.get(), ec);
    if (ec)
        return "mounts: " + ec.message();
    const auto want = mountinfo();
    if (got.size() != want.size())
        return std::to_string(got.size()) + " mounts, mountinfo has " + std::to_string(want.size());
    for (const auto& m : got) {
        const auto it = want.find(m.old_id);
        if (it == want.end())
            return "mount " + std::to_string(m.old_id) + " not in mountinfo";
        const auto& w = it->second;
        const std::string where = "mount " + std::to_string(m.old_id) + " " + w.target + ": ";
        if (w.target.find('\\') == std::string::npos && m.target != w.target)
            return where + "target " + m.target;
        if (m.vfs_options != w.vfs)
            return where + "options " + m.vfs_options + " != " + w.vfs;
        if (m.propagation != w.propagation)
            return where + "propagation " + m.propagation + " != " + w.propagation;
        if (m.fstype != w.fstype.substr(0, w.fstype.find('.')))
            return where + "fstype " + m.fstype + " != " + w.fstype;
        if (w.source.find('\\') == std::string::npos && m.source != w.source)
            return where + "source " + m.source + " != " + w.source;
        if (m.fs_options.substr(0, 2) != w.super.substr(0, 2))
            return where + "superblock " + m.fs_options + " != " + w.super;
    }
    return "";
}

} // namespace

BOOST_AUTO_TEST_SUITE(inspect_mounts)

BOOST_AUTO_TEST_CASE(own_namespace_agrees_with_mountinfo)
{
    BOOST_TEST(agree_with_mountinfo() == "");
    std::error_code ec;
    auto user = nskit::sys::open_ns(0, nskit::sys::ns_type::user);
    nskit::inspect::mounts(user.get(), ec); // not a mount namespace
    BOOST_TEST(!!ec);
    BOOST_CHECK_THROW(nskit::inspect::mounts(-1), std::system_error);
}

// tmpfs, shared, a read-only bind overmounting it, a slave, unbindable: each
// as mountinfo says, in a child's private mount namespace.
BOOST_AUTO_TEST_CASE(built_namespace_agrees_with_mountinfo, *boost::unit_test::precondition(t::privileged()))
{
    BOOST_TEST(t::in_child([] {
        auto fail = [](const char* step) { return std::string(step) + ": " + std::strerror(errno); };
        if (::unshare(CLONE_NEWNS) != 0)
            return fail("unshare");
        if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
            return fail("private /");
        if (::mount("nskit-mounts", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=1m") != 0)
            return fail("tmpfs");
        if (::mount(nullptr, "/tmp", nullptr, MS_SHARED, nullptr) != 0)
            return fail("shared");
        if (::mount("/tmp", "/tmp", nullptr, MS_BIND, nullptr) != 0) // overmount, a peer
            return fail("bind");
        if (::mount(nullptr, "/tmp", nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOEXEC, nullptr) != 0)
            return fail("read-only");
        if (::mount(nullptr, "/tmp", nullptr, MS_SLAVE, nullptr) != 0)
            return fail("slave");
        if (::mount("nskit-unbindable", "/mnt", "tmpfs", MS_NOATIME, "size=1m") != 0 ||
            ::mount(nullptr, "/mnt", nullptr, MS_UNBINDABLE, nullptr) != 0)
            return fail("unbindable");
        return agree_with_mountinfo();
    }) == "");
}

BOOST_AUTO_TEST_SUITE_END()
