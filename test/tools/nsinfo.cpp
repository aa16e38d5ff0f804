// nsinfo, run as a separate process (found via NSKIT_TOOLS_DIR).
#include "test_support.hpp"
#include "tool_runner.hpp"
#include "ns_holder.hpp"

#include <boost/json.hpp>

#include <nskit/sys/nsfs.hpp>

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>
#include <sstream>

namespace t = nskit::test;
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

std::string tool() { return t::tool_path("nsinfo"); }

using result = t::tool_result;

// Runs nsinfo with args; stdout and stderr apart.
result nsinfo(const std::vector<std::string>& args) { return t::run_tool("nsinfo", args); }

constexpr int exit_partial = 3;

// Complete (0), or partial (3, PID 1 here refuses even root) and saying so.
bool answered(const result& r)
{
    return r.status == 0 || (r.status == exit_partial && r.err.find("partial result") != std::string::npos);
}

std::size_t lines(const std::string& s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')); }

std::uint64_t inode_of(const std::string& path)
{
    struct stat st{};
    return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

const json::array& rows(const json::value& v, const char* name)
{
    return v.as_object().at(name).as_array();
}

// The columns nsinfo.1 documents.
const std::vector<std::string> documented_columns = {
    "TARGET", "NS", "NSID", "TYPE", "INODE", "PATH", "NPROCS", "NTHREADS", "PID", "PPID", "COMMAND", "STATE", "UID", "USER",
    "ISOLATED", "ONS", "OUID", "OUSER", "PNS", "NETNSID", "MOUNTS", "NSFS", "HELD", "NSPID", "CONTAINER", "UNIT", "CAPS", "CAPSRULE"};
const std::vector<std::string> documented_why_columns = {"KIND", "PID",  "TID", "FD",  "COMMAND",
                                                         "MNTNS", "PATH", "NS",  "TYPE"};

std::string lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

} // namespace

BOOST_AUTO_TEST_SUITE(tools_nsinfo)

BOOST_AUTO_TEST_CASE(found_version_help)
{
    BOOST_TEST_REQUIRE(!tool().empty(), "nsinfo not built; set NSKIT_TOOLS_DIR");
    auto v = nsinfo({"--version"});
    BOOST_TEST(v.status == 0);
    BOOST_TEST(v.out.rfind("nsinfo", 0) == 0u);
    auto h = nsinfo({"--help"});
    BOOST_TEST(h.status == 0);
    for (const char* opt : {"--all", "--type", "--tree", "--why", "--json", "--raw", "--noheadings", "--output",
                            "--list-columns", "--notruncate", "--threads"})
        BOOST_TEST(h.out.find(opt) != std::string::npos, opt);
}

BOOST_AUTO_TEST_CASE(bad_pids_are_one_line_errors_before_any_work)
{
    std::vector<std::string> bad = {"abc", "-1", "0", "12 ", "4294967296", ""};
    if (::kill(999999, 0) != 0)
        bad.push_back("999999");
    for (const auto& b : bad) {
        auto r = nsinfo({b});
        BOOST_TEST(r.status == 1, "'" << b << "'");
        BOOST_TEST(r.out.empty(), "'" << b << "'");
        BOOST_TEST(lines(r.err) == 1u, "'" << b << "': " << r.err);
        BOOST_TEST(r.err.find(b == "" ? "''" : b) != std::string::npos, r.err);
    }
    // the valid pid in the same call is still reported
    const std::string me = std::to_string(::getpid());
    auto r = nsinfo({"abc", me, "-r", "-n", "-o", "TARGET,TYPE"});
    BOOST_TEST(r.status == 1);
    BOOST_TEST(lines(r.err) == 1u);
    BOOST_TEST(lines(r.out) == 10u);
    BOOST_TEST(r.out.rfind(me + " mnt", 0) == 0u, r.out);
}

BOOST_AUTO_TEST_CASE(usage_errors_exit_2)
{
    for (const auto& args : std::vector<std::vector<std::string>>{{"--bogus"},
                                                                  {"--tree=sideways"},
                                                                  {"-o", "NOPE"},
                                                                  {"--all", "-o", "NOPE"},
                                                                  {"-t", "foo"},
                                                                  {"--all", "1"},
                                                                  {"--all", "--why", "1"},
                                                                  {"--why"}}) {
        auto r = nsinfo(args);
        BOOST_TEST(r.status == 2, args.front());
        BOOST_TEST(r.out.empty());
        BOOST_TEST(r.err.rfind("nsinfo: ", 0) == 0u, r.err);
    }
}

BOOST_AUTO_TEST_CASE(pid_mode_matches_proc)
{
    const std::string me = std::to_string(::getpid());
    auto r = nsinfo({me, "-J", "-o", "TYPE,INODE,NSPID"});
    BOOST_TEST_REQUIRE(answered(r), r.err);
    auto v = json::parse(r.out);
    const auto& rs = rows(v, "namespaces");
    BOOST_TEST_REQUIRE(rs.size() == 10u);
    for (const auto& row : rs) {
        std::string type(row.at("type").as_string());
        std::string entry = type;
        BOOST_TEST(row.at("inode").as_int64() == static_cast<std::int64_t>(inode_of("/proc/self/ns/" + entry)),
                   type);
        if (type == "pid")
            BOOST_TEST(std::string(row.at("nspid").as_string()).rfind(me, 0) == 0u);
        else
            BOOST_TEST(row.at("nspid").is_null());
    }
    // default: the caller
    auto self = nsinfo({"-r", "-n", "-o", "TYPE,INODE"});
    BOOST_TEST(self.status == 0); // no column needs other processes: nothing is missing
    BOOST_TEST(self.out.find("net " + std::to_string(inode_of("/proc/self/ns/net"))) != std::string::npos);
}

// `nsinfo PID` takes each namespace from the pidfd (PIDFD_GET_<TYPE>_NAMESPACE):
// the links are the oracle (a PID namespace no process is in yet: see
// inspect_scan/explicit_pids_take_namespaces_from_pidfds).  The same output with the ioctl filtered (the
// /proc fallback) and with the links unreadable (readlink fails): then only
// the pidfd can have answered, and with both filtered nothing does.
BOOST_AUTO_TEST_CASE(pid_mode_takes_namespaces_from_the_pidfd, *boost::unit_test::precondition(t::privileged()))
{
    t::ns_holder holder([] { // its child in new namespaces of every type
        if (::unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP |
                      CLONE_NEWPID | CLONE_NEWTIME) != 0)
            return std::string("unshare: ") + std::strerror(errno);
        const pid_t c = t::fork_sleeping_child();
        return c > 0 ? "ok " + std::to_string(c) : std::string("fork: ") + std::strerror(errno);
    });
    BOOST_TEST_REQUIRE(holder.ok(), holder.message());
    const pid_t child = static_cast<pid_t>(holder.value());
    BOOST_TEST_REQUIRE(t::wait_until([&] {
        return inode_of("/proc/" + std::to_string(child) + "/ns/time") != inode_of("/proc/self/ns/time");
    }));
    const std::vector<std::string> args = {"-J", "-o", "TARGET,TYPE,NS,NSID", std::to_string(child),
                                           std::to_string(holder.pid())};
    const auto plain = nsinfo(args);
    BOOST_TEST_REQUIRE(plain.status == 0, plain.err);
    const auto v = json::parse(plain.out);
    std::size_t n = 0;
    for (const auto& row : rows(v, "namespaces")) {
        const std::string path = "/proc/" + std::to_string(row.at("target").as_int64()) + "/ns/" +
                                 std::string(row.at("type").as_string());
        auto fd = nskit::sys::open_ns_path(path.c_str());
        ++n;
        BOOST_TEST(row.at("ns").as_int64() == static_cast<std::int64_t>(nskit::sys::ns_stat(fd.get()).ino), path);
        BOOST_TEST(row.at("nsid").as_int64() == static_cast<std::int64_t>(nskit::sys::ns_get_id(fd.get())), path);
        if (row.at("target").as_int64() == child && row.at("type").as_string().find("_for_children") == std::string::npos)
            BOOST_TEST(row.at("ns").as_int64() != static_cast<std::int64_t>(inode_of("/proc/self/ns/" + std::string(row.at("type").as_string()))), path);
    }
    BOOST_TEST(n == 20u);
    auto filtered = [&](bool ioctl, bool links) {
        return t::in_child([&] {
            if ((ioctl && !t::forbid_pidfd_namespace_ioctls()) ||
                (links && (!t::forbid_syscall(SYS_readlinkat, EACCES) || !t::forbid_syscall(SYS_readlink, EACCES))))
                return std::string("seccomp: ") + std::strerror(errno);
            const auto r = nsinfo(args);
            return r.out + "\n" + std::to_string(r.status);
        });
    };
    const std::string expected = plain.out + "\n0";
    BOOST_TEST(filtered(true, false) == expected); // the fallback
    BOOST_TEST(filtered(false, true) == expected); // only the pidfd
    const std::string neither = filtered(true, true);
    BOOST_TEST(neither != expected);
    BOOST_TEST(neither.find("permission denied") != std::string::npos, neither);
}

BOOST_AUTO_TEST_CASE(json_has_the_documented_schema)
{
    auto lc = nsinfo({"--list-columns", "-J"});
    BOOST_TEST_REQUIRE(lc.status == 0);
    std::set<std::string> ns_cols, why_cols;
    const auto lcv = json::parse(lc.out);
    for (const auto& c : rows(lcv, "columns")) {
        std::string name(c.at("name").as_string());
        (c.at("mode").as_string() == "why" ? why_cols : ns_cols).insert(name);
        BOOST_TEST(!c.at("description").as_string().empty());
    }
    for (const auto& c : documented_columns)
        BOOST_TEST(ns_cols.count(c) == 1u, c);
    for (const auto& c : documented_why_columns)
        BOOST_TEST(why_cols.count(c) == 1u, c);
    BOOST_TEST(ns_cols.size() == documented_columns.size());
    BOOST_TEST(why_cols.size() == documented_why_columns.size());

    for (const auto& mode : std::vector<std::vector<std::string>>{{std::to_string(::getpid())}, {"--all"}, {"--tree"}}) {
        auto args = mode;
        args.insert(args.end(), {"-J", "--output-all"});
        auto r = nsinfo(args);
        BOOST_TEST_REQUIRE(answered(r), r.err);
        auto v = json::parse(r.out);
        const auto& rs = rows(v, "namespaces");
        BOOST_TEST_REQUIRE(!rs.empty());
        std::function<void(const json::object&)> check = [&](const json::object& row) {
            for (const auto& c : documented_columns)
                BOOST_TEST(row.contains(lower(c)), c);
            for (const char* n : {"inode", "nprocs"})
                BOOST_TEST((row.at(n).is_int64() || row.at(n).is_null()), n);
            BOOST_TEST(row.at("type").is_string());
            if (row.contains("children"))
                for (const auto& ch : row.at("children").as_array())
                    check(ch.as_object());
        };
        for (const auto& row : rs)
            check(row.as_object());
    }
}

BOOST_AUTO_TEST_CASE(all_and_type_filter_find_a_new_namespace, *boost::unit_test::precondition(t::privileged()))
{
    t::sleeper s(CLONE_NEWUTS | CLONE_NEWNET);
    BOOST_TEST_REQUIRE(s.pid > 0);
    const auto uts = inode_of("/proc/" + std::to_string(s.pid) + "/ns/uts");
    auto r = nsinfo({"--all", "-J", "-o", "NS,TYPE,INODE,NPROCS,PID,HELD,ISOLATED"});
    BOOST_TEST_REQUIRE(answered(r), r.err);
    bool found = false;
    const auto rv = json::parse(r.out);
    for (const auto& row : rows(rv, "namespaces")) {
        if (row.at("inode").as_int64() != static_cast<std::int64_t>(uts))
            continue;
        found = true;
        BOOST_TEST(row.at("type").as_string() == "uts");
        BOOST_TEST(row.at("nprocs").as_int64() == 1);
        BOOST_TEST(row.at("pid").as_int64() == s.pid);
        BOOST_TEST(row.at("held").as_string() == "process");
        BOOST_TEST(row.at("isolated").as_string() == "yes");
    }
    BOOST_TEST(found);
    auto only = nsinfo({"--all", "-t", "net", "-r", "-n", "-o", "TYPE,INODE"});
    BOOST_TEST(answered(only));
    std::istringstream in(only.out);
    std::string type;
    std::uint64_t ino;
    bool sleeper_net = false;
    while (in >> type >> ino) {
        BOOST_TEST(type == "net");
        sleeper_net = sleeper_net || ino == inode_of("/proc/" + std::to_string(s.pid) + "/ns/net");
    }
    BOOST_TEST(sleeper_net);
}

BOOST_AUTO_TEST_CASE(why_and_all_show_an_fd_holder, *boost::unit_test::precondition(t::privileged()))
{
    t::ns_holder h([] {
        int orig = ::open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);
        if (orig < 0 || ::unshare(CLONE_NEWUTS) != 0)
            return std::string("unshare: ") + std::strerror(errno);
        int held = ::open("/proc/self/ns/uts", O_RDONLY); // kept open on purpose
        struct stat st{};
        if (held < 0 || ::fstat(held, &st) != 0 || ::setns(orig, CLONE_NEWUTS) != 0)
            return std::string("setup: ") + std::strerror(errno);
        return "ok " + std::to_string(st.st_ino);
    });
    BOOST_TEST_REQUIRE(h.ok(), h.message());
    const std::string ino = std::to_string(h.value());
    auto w = nsinfo({"--why", "uts:[" + ino + "]", "-J"});
    BOOST_TEST_REQUIRE(answered(w), w.err);
    const auto wv = json::parse(w.out);
    const auto& refs = rows(wv, "references");
    BOOST_TEST_REQUIRE(refs.size() == 1u);
    BOOST_TEST(refs[0].at("kind").as_string() == "fd");
    BOOST_TEST(refs[0].at("pid").as_int64() == h.pid());
    BOOST_TEST(refs[0].at("fd").is_int64());
    auto a = nsinfo({"--all", "-r", "-n", "-o", "INODE,NPROCS,HELD", "-t", "uts"});
    BOOST_TEST(a.out.find(ino + " 0 fd") != std::string::npos, a.out);
    auto none = nsinfo({"--why", "99"});
    BOOST_TEST(none.status == 1);
    BOOST_TEST(lines(none.err) == 1u);
}

BOOST_AUTO_TEST_CASE(trees, *boost::unit_test::precondition(t::privileged()))
{
    t::sleeper s(CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWUTS);
    BOOST_TEST_REQUIRE(s.pid > 0);
    const auto user = static_cast<std::int64_t>(inode_of("/proc/" + std::to_string(s.pid) + "/ns/user"));
    const auto uts = static_cast<std::int64_t>(inode_of("/proc/" + std::to_string(s.pid) + "/ns/uts"));
    const auto pid = static_cast<std::int64_t>(inode_of("/proc/" + std::to_string(s.pid) + "/ns/pid"));
    // Find a node by inode anywhere in the tree; return its children's inodes.
    std::function<const json::object*(const json::array&, std::int64_t)> find =
        [&](const json::array& a, std::int64_t ino) -> const json::object* {
        for (const auto& v : a) {
            const auto& o = v.as_object();
            if (o.at("inode").as_int64() == ino)
                return &o;
            if (o.contains("children"))
                if (auto* f = find(o.at("children").as_array(), ino))
                    return f;
        }
        return nullptr;
    };
    auto kids = [](const json::object* o) {
        std::set<std::int64_t> out;
        if (o && o->contains("children"))
            for (const auto& c : o->at("children").as_array())
                out.insert(c.at("inode").as_int64());
        return out;
    };
    auto owner = nsinfo({"--tree", "-J", "-o", "NS,TYPE,INODE"});
    BOOST_TEST_REQUIRE(answered(owner), owner.err);
    auto ov = json::parse(owner.out);
    auto* u = find(rows(ov, "namespaces"), user);
    BOOST_TEST_REQUIRE(u != nullptr);
    BOOST_TEST(kids(u).count(uts) == 1u);
    BOOST_TEST(kids(u).count(pid) == 1u);
    auto parent = nsinfo({"--tree=parent", "-J", "-o", "NS,TYPE,INODE"});
    BOOST_TEST_REQUIRE(answered(parent), parent.err);
    auto pv = json::parse(parent.out);
    const auto my_pid = static_cast<std::int64_t>(inode_of("/proc/self/ns/pid"));
    BOOST_TEST(kids(find(rows(pv, "namespaces"), my_pid)).count(pid) == 1u);
    BOOST_TEST(find(rows(pv, "namespaces"), uts) == nullptr); // only pid and user namespaces
}

BOOST_AUTO_TEST_CASE(unprivileged_run_is_partial)
{
    NSKIT_CHECK_CHILD(t::as_nobody([] {
        // others' processes are unreadable: the answer says it is partial (exit 3)
        auto r = nsinfo({"1"});
        NSKIT_EXPECT(r.status == exit_partial);
        NSKIT_EXPECT(r.out.find("unknown (permission denied)") != std::string::npos);
        auto a = nsinfo({"--all", "-J"});
        NSKIT_EXPECT(a.status == exit_partial);
        const auto av = json::parse(a.out);
        NSKIT_EXPECT(!rows(av, "namespaces").empty());
        auto self = nsinfo({"-J", "-o", "TYPE,NS"});
        NSKIT_EXPECT(self.status == 0);
        const auto sv = json::parse(self.out);
        for (const auto& row : rows(sv, "namespaces"))
            NSKIT_EXPECT(!row.at("ns").is_null());
        return std::string();
    }));
}

BOOST_AUTO_TEST_CASE(raw_noheadings_and_zombie)
{
    pid_t z = ::fork();
    if (z == 0)
        ::_exit(0);
    BOOST_TEST_REQUIRE(z > 0);
    t::wait_until([&] {
        auto st = t::read_file("/proc/" + std::to_string(z) + "/stat");
        auto c = st.rfind(')');
        return c != std::string::npos && st.size() > c + 2 && st[c + 2] == 'Z';
    });
    auto r = nsinfo({std::to_string(z), "-r", "-n", "-o", "TYPE,NS"});
    BOOST_TEST(r.status == 0); // no column needs other processes
    BOOST_TEST(lines(r.out) == 10u);
    BOOST_TEST(r.out.find("mnt unknown") == 0u, r.out);
    ::waitpid(z, nullptr, 0);
}

BOOST_AUTO_TEST_CASE(proc_not_mounted_is_a_clear_error, *boost::unit_test::precondition(t::privileged()))
{
    NSKIT_CHECK_CHILD(t::in_child([] {
        NSKIT_EXPECT(!tool().empty()); // found while /proc is still there
        NSKIT_EXPECT(::unshare(CLONE_NEWNS) == 0);
        NSKIT_EXPECT(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0);
        NSKIT_EXPECT(::umount2("/proc", MNT_DETACH) == 0);
        for (const auto& args : std::vector<std::vector<std::string>>{{}, {"--all"}}) {
            auto r = nsinfo(args);
            NSKIT_EXPECT(r.status == 1);
            NSKIT_EXPECT(r.out.empty());
            NSKIT_EXPECT(lines(r.err) == 1);
            NSKIT_EXPECT(r.err.find("/proc is not mounted") != std::string::npos);
        }
        return std::string();
    }));
}

// Namespaces whose last process leaves between the scan's two phases have no
// NS_GET_ID; their NS cell must still be valid JSON (null), not "dev:minor:inode".
BOOST_AUTO_TEST_CASE(json_stays_valid_while_namespaces_come_and_go, *boost::unit_test::precondition(t::privileged()))
{
    const pid_t churn = ::fork();
    if (churn == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        for (int i = 0; i < 3000; ++i) { // bounded: ~3000 short-lived namespaces
            const pid_t c = ::fork();
            if (c == 0) {
                ::unshare(CLONE_NEWUTS | CLONE_NEWIPC);
                ::usleep(static_cast<useconds_t>((i % 5) * 1000));
                ::_exit(0);
            }
            if (c > 0 && i % 8 == 7)
                while (::waitpid(-1, nullptr, WNOHANG) > 0) {
                }
        }
        while (::wait(nullptr) > 0) {
        }
        ::_exit(0);
    }
    BOOST_TEST_REQUIRE(churn > 0);
    struct reap_churn {
        pid_t pid;
        ~reap_churn()
        {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
    } guard{churn};
    for (int i = 0; i < 15; ++i) {
        auto r = nsinfo({"--all", "-J", "--output-all"});
        BOOST_TEST_REQUIRE(answered(r), r.err);
        boost::system::error_code ec;
        json::parse(r.out, ec);
        BOOST_TEST_REQUIRE(!ec, "run " << i << ": " << ec.message());
    }
}

BOOST_AUTO_TEST_SUITE_END()
