// nsinfo --mounts: the same mounts as findmnt -N PID (the oracle), from
// listmount/statmount, also for a mount namespace no process is in.
#include "test_support.hpp"
#include "tool_runner.hpp"

#include <boost/json.hpp>

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <string>

namespace t = nskit::test;
namespace json = boost::json;

namespace {

using entry = std::tuple<std::string, std::string, std::string>; // target, fstype, VFS options

// Rows of a findmnt-style JSON tree ("filesystems", children nested), flattened.
void flatten(const json::array& rows, const char* options_key, std::set<entry>& out)
{
    for (const auto& r : rows) {
        const auto& o = r.as_object();
        out.emplace(std::string(o.at("target").as_string()), std::string(o.at("fstype").as_string()),
                    std::string(o.at(options_key).as_string()));
        if (const auto* c = o.if_contains("children"))
            flatten(c->as_array(), options_key, out);
    }
}

std::set<entry> nsinfo_mounts(const std::string& target)
{
    const auto r = t::run_tool("nsinfo", {"--mounts", target, "-J", "-o", "TARGET,FSTYPE,OPTIONS"});
    BOOST_TEST_REQUIRE(r.status == 0, r.err);
    std::set<entry> out;
    flatten(json::parse(r.out).at("filesystems").as_array(), "options", out);
    return out;
}

std::set<entry> findmnt_mounts(pid_t pid)
{
    int status = -1;
    const auto text = t::run_program({"findmnt", "-N", std::to_string(pid), "-J", "-o", "TARGET,FSTYPE,VFS-OPTIONS"}, &status);
    BOOST_TEST_REQUIRE(status == 0);
    std::set<entry> out;
    flatten(json::parse(text).at("filesystems").as_array(), "vfs-options", out);
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(tools_nsinfo_mounts)

BOOST_AUTO_TEST_CASE(own_namespace_as_findmnt_says)
{
    const auto got = nsinfo_mounts(std::to_string(::getpid()));
    BOOST_TEST(got.size() > 1u);
    BOOST_TEST((got == findmnt_mounts(::getpid())));
    const auto r = t::run_tool("nsinfo", {"--mounts", "/proc/self/ns/net"});
    BOOST_TEST(r.status == 1);
    BOOST_TEST(r.err.find("--mounts '/proc/self/ns/net'") != std::string::npos);
    BOOST_TEST(t::run_tool("nsinfo", {"--mounts", "1", "--all"}).status == 2);
}

// A namespace with a tmpfs, a read-only bind overmount and an unbindable
// mount: as findmnt -N says while its process lives, the same once only a
// bind-mounted nsfs file holds it.
BOOST_AUTO_TEST_CASE(built_namespace_then_no_process, *boost::unit_test::precondition(t::privileged()))
{
    BOOST_TEST(t::in_child([] {
        int p[2];
        if (::pipe2(p, O_CLOEXEC) != 0)
            return std::string("pipe");
        const pid_t pid = ::fork();
        if (pid == 0) {
            char c = 0;
            if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
                ::mount("nskit-mounts", "/tmp", "tmpfs", MS_NOSUID, "size=1m") != 0 ||
                ::mount("/tmp", "/tmp", nullptr, MS_BIND, nullptr) != 0 ||
                ::mount(nullptr, "/tmp", nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0 ||
                ::mount(nullptr, "/tmp", nullptr, MS_UNBINDABLE, nullptr) != 0)
                c = static_cast<char>(errno);
            (void)!::write(p[1], &c, 1);
            for (int i = 0; i < 600; ++i) // until killed (bounded)
                ::sleep(1);
            ::_exit(0);
        }
        ::close(p[1]);
        char c = 1;
        (void)!::read(p[0], &c, 1);
        ::close(p[0]);
        std::string err;
        const std::string proc = "/proc/" + std::to_string(pid) + "/ns/mnt";
        // The holder: a file in the test's mount namespace, older than the
        // held one (the kernel refuses a bind into a newer one, against
        // loops); unmounted and removed below on every path.
        char path_buf[] = "/tmp/nskit-mntns-XXXXXX";
        const int tmp = c == 0 ? ::mkostemp(path_buf, O_CLOEXEC) : -1;
        const std::string path = path_buf;
        if (c != 0)
            err = std::string("child's mounts: ") + std::strerror(c);
        else if (tmp < 0 || ::close(tmp) != 0)
            err = std::string("mkstemp: ") + std::strerror(errno);
        else if (::mount(proc.c_str(), path.c_str(), nullptr, MS_BIND, nullptr) != 0)
            err = std::string("bind-mount the namespace: ") + std::strerror(errno);
        std::set<entry> live, oracle;
        if (err.empty()) {
            live = nsinfo_mounts(std::to_string(pid));
            oracle = findmnt_mounts(pid);
        }
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        auto cleanup = [&] {
            if (tmp >= 0) {
                ::umount2(path.c_str(), MNT_DETACH);
                ::unlink(path.c_str());
            }
        };
        if (!err.empty()) {
            cleanup();
            return err;
        }
        const auto held = nsinfo_mounts(path);
        cleanup();
        if (live != oracle)
            return std::string("nsinfo --mounts PID differs from findmnt -N PID");
        if (!live.count({"/tmp", "tmpfs", "ro,relatime"}) || !live.count({"/tmp", "tmpfs", "rw,nosuid,relatime"}))
            return std::string("the tmpfs or its read-only bind overmount is missing");
        if (held != oracle)
            return std::string("with no process left, the mounts differ");
        return std::string();
    }) == "");
}

BOOST_AUTO_TEST_SUITE_END()
