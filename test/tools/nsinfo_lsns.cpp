// nsinfo as a drop-in lsns: the identifiers lsns prints, its columns, and
// util-linux's tests/ts/lsns scenarios run side by side with the installed
// util-linux lsns (Debian 12: 2.38; where 2.42 differs, the case says so).
#include "test_support.hpp"
#include "tool_runner.hpp"
#include "strict_json.hpp"

#include <nskit/sys/nsfs.hpp>

#include <boost/json.hpp>

#include "hostile.hpp"
#include "ns_holder.hpp"

#include <fcntl.h>
#include <linux/net_namespace.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <sstream>
#include <string>

namespace t = nskit::test;
namespace json = boost::json;

namespace {

constexpr int exit_partial = 3;

t::tool_result nsinfo(const std::vector<std::string>& args) { return t::run_tool("nsinfo", args); }

bool answered(const t::tool_result& r) { return r.status == 0 || r.status == exit_partial; }

std::uint64_t inode_of(const std::string& path)
{
    struct stat st{};
    return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

std::string str(const json::value& v) { return v.is_string() ? std::string(v.as_string()) : std::string(); }

// lsns -J rows by NS inode (util-linux's lsns is the oracle).
std::map<std::uint64_t, json::object> lsns_rows(const std::vector<std::string>& args)
{
    std::vector<std::string> argv = {"lsns", "-J"};
    argv.insert(argv.end(), args.begin(), args.end());
    int status = -1;
    const std::string out = t::run_program(argv, &status);
    std::map<std::uint64_t, json::object> rows;
    if (status != 0 || out.empty())
        return rows;
    const json::value doc = json::parse(out);
    for (const auto& r : doc.at("namespaces").as_array())
        rows[r.at("ns").to_number<std::uint64_t>()] = r.as_object();
    return rows;
}

namespace h = nskit::test::hostile;

// nsinfo's lsns entry point (nsinfo --lsns; the lsns symlink is the same program).
t::tool_result lsns(std::vector<std::string> args)
{
    args.insert(args.begin(), "--lsns");
    return t::run_tool("nsinfo", args);
}

// util-linux's lsns (Debian 12: 2.38), stdout and status.
std::pair<std::string, int> system_lsns(const std::vector<std::string>& args)
{
    std::vector<std::string> argv = {"lsns"};
    argv.insert(argv.end(), args.begin(), args.end());
    int status = -1;
    std::string out = t::run_program(argv, &status);
    return {out, status};
}

// A whole-machine view (no --task) changes while two programs read it one after
// the other: a process started or exited between the two reads shows as a
// difference.  Compare up to three times; a real difference persists.
// `norm` strips what may differ by design.  Returns both outputs of the last try.
std::pair<std::string, std::string> compare_whole_view(const std::vector<std::string>& args,
                                                       std::string (*norm)(const std::string&) = nullptr)
{
    std::pair<std::string, std::string> last;
    for (int attempt = 0; attempt < 3; ++attempt) {
        auto ours = lsns(args).out;
        auto theirs = system_lsns(args).first;
        last = norm ? std::pair{norm(ours), norm(theirs)} : std::pair{ours, theirs};
        if (last.first == last.second)
            break;
    }
    return last;
}

// RTM_NEWNSID: give the net namespace `netns_fd` the nsid `id` in ours (what
// `ip netns set NAME ID` does).  "" or the error.
std::string assign_nsid(int netns_fd, int id)
{
    const int nl = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (nl < 0)
        return h::errno_text("socket");
    struct {
        nlmsghdr h;
        rtgenmsg g;
        char pad[3];
        rtattr fd_attr;
        std::int32_t fd;
        rtattr id_attr;
        std::int32_t id;
    } req{};
    req.h.nlmsg_len = sizeof req;
    req.h.nlmsg_type = RTM_NEWNSID;
    req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    req.g.rtgen_family = AF_UNSPEC;
    req.fd_attr = {static_cast<unsigned short>(RTA_LENGTH(4)), NETNSA_FD};
    req.fd = netns_fd;
    req.id_attr = {static_cast<unsigned short>(RTA_LENGTH(4)), NETNSA_NSID};
    req.id = id;
    std::string err;
    char buf[512];
    if (::send(nl, &req, sizeof req, 0) < 0)
        err = h::errno_text("send");
    else if (const ssize_t n = ::recv(nl, buf, sizeof buf, 0); n < static_cast<ssize_t>(NLMSG_LENGTH(sizeof(nlmsgerr))))
        err = h::errno_text("recv");
    else if (const auto* e = static_cast<const nlmsgerr*>(NLMSG_DATA(reinterpret_cast<nlmsghdr*>(buf))); e->error != 0)
        err = std::string("RTM_NEWNSID: ") + std::strerror(-e->error);
    ::close(nl);
    return err;
}

// A net namespace no process is in, held by this process's fd `held`
// (unshare, open, setns back).  Returns the fd or -1.
int unshared_net_fd()
{
    const int orig = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (orig < 0 || ::unshare(CLONE_NEWNET) != 0)
        return -1;
    const int held = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    const bool back = ::setns(orig, CLONE_NEWNET) == 0;
    ::close(orig);
    return back ? held : -1;
}

} // namespace

BOOST_AUTO_TEST_SUITE(tools_nsinfo_lsns)

// NS is the inode (as /proc/PID/ns links, stat and lsns show it), NSID the
// kernel's id, PNS/ONS inodes (0: none) — numbers in JSON, equal to lsns's.
BOOST_AUTO_TEST_CASE(ns_is_the_inode_nsid_the_id_pns_ons_as_lsns, *boost::unit_test::precondition(t::privileged()))
{
    const std::string me = std::to_string(::getpid());
    auto r = nsinfo({me, "-J", "-o", "TYPE,NS,NSID,PNS,ONS"});
    BOOST_TEST_REQUIRE(answered(r), r.err);
    const auto v = t::strict_json(r.out);
    const auto oracle = lsns_rows({"-p", me, "-o", "NS,PNS,ONS"});
    BOOST_TEST_REQUIRE(!oracle.empty(), "lsns -J -p gave nothing");
    int compared = 0;
    for (const auto& row : v.at("namespaces").as_array()) {
        const std::string type = str(row.at("type"));
        const auto ns = row.at("ns").to_number<std::uint64_t>();
        BOOST_TEST(ns == inode_of("/proc/self/ns/" + type), type);
        BOOST_TEST(row.at("pns").is_number(), type);
        BOOST_TEST(row.at("ons").is_number(), type);
        if (nskit::sys::probe_nsfs().get_id) {
            const int fd = ::open(("/proc/self/ns/" + type).c_str(), O_RDONLY | O_CLOEXEC);
            BOOST_TEST_REQUIRE(fd >= 0);
            std::error_code ec;
            const auto id = nskit::sys::ns_get_id(fd, ec);
            ::close(fd);
            BOOST_TEST(row.at("nsid").to_number<std::uint64_t>() == id, type);
        }
        if (type.find("_for_children") != std::string::npos)
            continue;
        auto it = oracle.find(ns);
        BOOST_TEST_REQUIRE((it != oracle.end()), type);
        BOOST_TEST(row.at("pns").to_number<std::uint64_t>() == it->second.at("pns").to_number<std::uint64_t>(), type);
        BOOST_TEST(row.at("ons").to_number<std::uint64_t>() == it->second.at("ons").to_number<std::uint64_t>(), type);
        ++compared;
    }
    BOOST_TEST(compared == 8);
    // the same inode is what --why takes; :NSID names it by id
    const std::string net = std::to_string(inode_of("/proc/self/ns/net"));
    for (const std::string& spec : {net, "net:[" + net + "]", std::string("/proc/self/ns/net")}) {
        auto w = nsinfo({"--why", spec, "-J", "-o", "KIND,PID"});
        BOOST_TEST(answered(w), spec << ": " << w.err);
    }
    if (nskit::sys::probe_nsfs().get_id) {
        auto ids = nsinfo({me, "-J", "-o", "TYPE,NSID", "-t", "net"});
        const auto id = t::strict_json(ids.out).at("namespaces").as_array()[0].at("nsid").to_number<std::uint64_t>();
        auto w = nsinfo({"--why", ":" + std::to_string(id), "-J", "-o", "KIND,PID"});
        BOOST_TEST(answered(w), w.err);
        auto bad = nsinfo({"--why", ":x"});
        BOOST_TEST(bad.status == 1);
    }
}

// The default view, byte for byte: util-linux's lsns and nsinfo --lsns print
// the same lines (NPROCS aside: processes come and go between the two runs).
BOOST_AUTO_TEST_CASE(default_views_are_lsns_s, *boost::unit_test::precondition(t::privileged()))
{
    auto without_counts = +[](const std::string& text) {
        std::istringstream in(text);
        std::string line, out;
        while (std::getline(in, line)) {
            std::istringstream w(line);
            std::string ns, type, nprocs, rest;
            w >> ns >> type >> nprocs;
            std::getline(w, rest);
            out += ns + " " + type + rest + "\n";
        }
        return out;
    };
    for (const auto& args : std::vector<std::vector<std::string>>{
             {}, {"-r"}, {"-l"}, {"-t", "net"}, {"-T"}, {"--tree=parent"}, {"-u", "-t", "user"}}) {
        BOOST_TEST(lsns(args).status == system_lsns(args).second);
        const auto views = compare_whole_view(args, without_counts);
        BOOST_TEST(views.first == views.second, (args.empty() ? "" : args[0]));
    }
    // exit statuses as lsns's: 1 for usage errors and a namespace not found
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"--bogus"}, {"-o", "NOPE"}, {"-t", "foo"}, {"-J", "-r"}, {"99999"}, {"-p", "abc"}, {"-T", "owner"}}) {
        BOOST_TEST(lsns(args).status == 1, args[0]);
        BOOST_TEST(system_lsns(args).second == 1, args[0]);
    }
    // invoked through a symlink named lsns: the same program, the same answer
    char dir[] = "/tmp/nskit-lsns.XXXXXX";
    BOOST_TEST_REQUIRE(::mkdtemp(dir) != nullptr);
    const std::string link = std::string(dir) + "/lsns";
    BOOST_TEST_REQUIRE(::symlink(t::tool_path("nsinfo").c_str(), link.c_str()) == 0);
    int status = -1;
    const std::string via_link = t::run_program({link, "-n", "-r", "-o", "NS,TYPE", "-t", "uts"}, &status);
    ::unlink(link.c_str());
    ::rmdir(dir);
    BOOST_TEST(status == 0);
    BOOST_TEST(via_link == lsns({"-n", "-r", "-o", "NS,TYPE", "-t", "uts"}).out);
}

// util-linux tests/ts/lsns/filedesc: a net namespace held only by an open fd
// (2.42: "net 0 root"; Debian's 2.38 does not list such namespaces at all).
BOOST_AUTO_TEST_CASE(scenario_filedesc, *boost::unit_test::precondition(t::privileged()))
{
    t::ns_holder holder([] {
        const int fd = unshared_net_fd();
        struct stat st{};
        return fd < 0 || ::fstat(fd, &st) != 0 ? h::errno_text("netns") : "ok " + std::to_string(st.st_ino);
    });
    BOOST_TEST_REQUIRE(holder.ok(), holder.message());
    const std::string ino = std::to_string(holder.value());
    auto r = lsns({"--noheadings", "--raw", "--output", "TYPE,NPROCS,USER", "-Q", "NS == " + ino});
    BOOST_TEST(r.status == 0, r.err);
    BOOST_TEST(r.out == "net 0 root\n");
    BOOST_TEST(system_lsns({"-n", "-r", "-l", "-o", "NS"}).first.find(ino) == std::string::npos); // 2.38 misses it
}

// lsns reads no *_for_children link, and the lsns view skips them too; a
// time namespace held by a process and by its parent's time_for_children is
// listed as lsns lists it, and HELD (nsinfo's column) still names both.
BOOST_AUTO_TEST_CASE(for_children_references_in_the_lsns_view, *boost::unit_test::precondition(t::privileged()))
{
    t::ns_holder holder([] {
        if (::unshare(CLONE_NEWTIME) != 0)
            return h::errno_text("unshare(CLONE_NEWTIME)");
        const pid_t c = t::fork_sleeping_child();
        return c > 0 ? "ok " + std::to_string(inode_of("/proc/self/ns/time_for_children")) : h::errno_text("fork");
    });
    BOOST_TEST_REQUIRE(holder.ok(), holder.message());
    const std::string ino = std::to_string(holder.value());
    const auto held = lsns({"-n", "-r", "-o", "NS,HELD", "-t", "time"});
    BOOST_TEST(held.status == 0, held.err);
    BOOST_TEST(held.out.find(ino + " for_children,process\n") != std::string::npos, held.out);
    const auto ours = lsns({"-n", "-r", "-o", "NS,TYPE,NPROCS", "-t", "time"});
    BOOST_TEST(ours.out.find(ino + " time 1\n") != std::string::npos, ours.out);
    const auto view = compare_whole_view({"-t", "time"});
    BOOST_TEST(view.first == view.second);
}

// util-linux tests/ts/lsns/filter: -Q and --filter pick the process alone in
// its user namespace.
BOOST_AUTO_TEST_CASE(scenario_filter, *boost::unit_test::precondition(t::privileged()))
{
    t::sleeper s(CLONE_NEWUSER);
    BOOST_TEST_REQUIRE(s.pid > 0);
    const std::string ino = std::to_string(inode_of("/proc/" + std::to_string(s.pid) + "/ns/user"));
    for (const char* opt : {"-Q", "--filter"}) {
        auto r = lsns({"-n", "--raw", "-o", "PID", opt, "NS == " + ino + " && NPROCS == 1"});
        BOOST_TEST(r.status == 0, r.err);
        BOOST_TEST(r.out == std::to_string(s.pid) + "\n", opt);
    }
    // the 2.38 oracle agrees on the row (it has no -Q)
    const auto all = system_lsns({"-n", "-r", "-l", "-o", "NS,NPROCS,PID", "-t", "user"}).first;
    BOOST_TEST(all.find(ino + " 1 " + std::to_string(s.pid) + "\n") != std::string::npos, all);
}

// util-linux tests/ts/lsns/ioctl_ns: NS, PNS, ONS of a child user and PID
// namespace, listed by namespace argument ("lsns NS").
BOOST_AUTO_TEST_CASE(scenario_ioctl_ns, *boost::unit_test::precondition(t::privileged()))
{
    t::sleeper s(CLONE_NEWUSER | CLONE_NEWPID);
    BOOST_TEST_REQUIRE(s.pid > 0);
    const std::string proc = "/proc/" + std::to_string(s.pid) + "/ns/";
    const std::string child_user = std::to_string(inode_of(proc + "user")), child_pid = std::to_string(inode_of(proc + "pid"));
    const std::string my_user = std::to_string(inode_of("/proc/self/ns/user")), my_pid = std::to_string(inode_of("/proc/self/ns/pid"));
    auto uniq = [](const std::string& text) {
        std::istringstream in(text);
        std::set<std::string> lines;
        std::string l;
        while (std::getline(in, l))
            lines.insert(l);
        return lines;
    };
    const std::set<std::string> want_user = {child_user + " " + my_user + " " + my_user};
    const std::set<std::string> want_pid = {child_pid + " " + my_pid + " " + child_user};
    auto u = lsns({"--type", "user", "--noheadings", "--output", "NS,PNS,ONS", child_user});
    BOOST_TEST(u.status == 0, u.err);
    BOOST_TEST((uniq(u.out) == want_user), u.out);
    BOOST_TEST((uniq(system_lsns({"--type", "user", "--noheadings", "--output", "NS,PNS,ONS", child_user}).first) == want_user));
    auto p = lsns({"-t", "pid", "-n", "-o", "NS,PNS,ONS", child_pid});
    BOOST_TEST((uniq(p.out) == want_pid), p.out);
    BOOST_TEST((uniq(system_lsns({"-t", "pid", "-n", "-o", "NS,PNS,ONS", child_pid}).first) == want_pid));
}

// util-linux tests/ts/lsns/netns-from-sock: a net namespace held only by a
// socket; each column as lsns 2.42 gives it.
BOOST_AUTO_TEST_CASE(scenario_netns_from_sock, *boost::unit_test::precondition(t::privileged()))
{
    t::ns_holder holder([] {
        const int orig = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        if (orig < 0 || ::unshare(CLONE_NEWNET) != 0)
            return h::errno_text("unshare");
        const std::uint64_t ino = h::inode_of("/proc/self/ns/net");
        const int sock = ::socket(AF_INET, SOCK_DGRAM, 0); // kept open on purpose: it holds the namespace
        if (sock < 0 || ::setns(orig, CLONE_NEWNET) != 0)
            return h::errno_text("socket/setns");
        return "ok " + std::to_string(ino);
    });
    BOOST_TEST_REQUIRE(holder.ok(), holder.message());
    const std::string ino = std::to_string(holder.value());
    const std::map<std::string, std::string> expected = {{"COMMAND", ""}, {"NPROCS", "0"}, {"NS", ino},
                                                         {"PID", ""},     {"TYPE", "net"},  {"USER", "root"}};
    for (const auto& [column, want] : expected) {
        auto r = lsns({"--noheadings", "--raw", "--output", column, "--filter", "NS == " + ino});
        BOOST_TEST(r.status == 0, column);
        BOOST_TEST(r.out == want + "\n", column << ": '" << r.out << "'");
    }
}

// util-linux tests/ts/lsns/netnsid: NETNSID of a process's net namespace is
// the nsid the caller's namespace gave it, as util-linux's lsns says.
BOOST_AUTO_TEST_CASE(scenario_netnsid, *boost::unit_test::precondition(t::privileged()))
{
    NSKIT_CHECK_CHILD(t::in_child([] {
        t::sleeper s(CLONE_NEWNET);
        NSKIT_EXPECT(s.pid > 0);
        const int fd = ::open(("/proc/" + std::to_string(s.pid) + "/ns/net").c_str(), O_RDONLY | O_CLOEXEC);
        NSKIT_EXPECT(fd >= 0);
        const std::string err = assign_nsid(fd, 4242);
        ::close(fd);
        NSKIT_EXPECT(err.empty());
        const std::vector<std::string> args = {"-n", "-o", "NETNSID", "--type", "net", "--task", std::to_string(s.pid)};
        auto ours = lsns(args);
        NSKIT_EXPECT(ours.status == 0);
        NSKIT_EXPECT(ours.out == "   4242\n" || ours.out.find("4242") != std::string::npos);
        NSKIT_EXPECT(ours.out == system_lsns(args).first);
        return std::string();
    }));
}

// util-linux tests/ts/lsns/netnsid-for-persistent-namespaces: a net namespace
// no process is in, bind-mounted, with an nsid: NETNSID, TYPE and NSFS
// through a filter on NETNSID (2.42 behaviour; 2.38 lists no such namespace).
BOOST_AUTO_TEST_CASE(scenario_netnsid_for_persistent_namespaces, *boost::unit_test::precondition(t::privileged()))
{
    NSKIT_CHECK_CHILD(t::in_child([] {
        NSKIT_EXPECT(::unshare(CLONE_NEWNS) == 0 && ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0);
        NSKIT_EXPECT(::mount("tmpfs", "/tmp", "tmpfs", 0, "size=64k") == 0);
        const int held = unshared_net_fd();
        NSKIT_EXPECT(held >= 0);
        const int f = ::open("/tmp/LSNS-TEST-NETNSID-NS-FOR-PN", O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        NSKIT_EXPECT(f >= 0);
        ::close(f);
        const std::string src = "/proc/self/fd/" + std::to_string(held);
        NSKIT_EXPECT(::mount(src.c_str(), "/tmp/LSNS-TEST-NETNSID-NS-FOR-PN", nullptr, MS_BIND, nullptr) == 0);
        NSKIT_EXPECT(assign_nsid(held, 4343).empty());
        ::close(held); // only the bind mount holds it now
        const std::map<std::string, std::string> expected = {
            {"NETNSID", "4343"}, {"TYPE", "net"}, {"NSFS", "/tmp/LSNS-TEST-NETNSID-NS-FOR-PN"}};
        for (const auto& [column, want] : expected) {
            auto r = lsns({"--raw", "--noheadings", "--filter", "NETNSID == '4343'", "--output", column});
            NSKIT_EXPECT(r.status == 0);
            NSKIT_EXPECT(r.out == want + "\n");
        }
        auto persistent = lsns({"-P", "-n", "-r", "-o", "NETNSID"});
        NSKIT_EXPECT(persistent.out.find("4343\n") != std::string::npos);
        return std::string();
    }));
}

// util-linux tests/ts/lsns/nsfs: a net namespace bind-mounted twice: NSFS
// multi-line, and one line with --nowrap, as util-linux's lsns prints it.
BOOST_AUTO_TEST_CASE(scenario_nsfs, *boost::unit_test::precondition(t::privileged()))
{
    NSKIT_CHECK_CHILD(t::in_child([] {
        NSKIT_EXPECT(::unshare(CLONE_NEWNS) == 0 && ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0);
        NSKIT_EXPECT(::mount("tmpfs", "/tmp", "tmpfs", 0, "size=64k") == 0);
        t::sleeper s(CLONE_NEWNET);
        NSKIT_EXPECT(s.pid > 0);
        const std::string ns = "/proc/" + std::to_string(s.pid) + "/ns/net";
        for (const char* at : {"/tmp/ABC", "/tmp/XYZ"}) {
            const int f = ::open(at, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
            NSKIT_EXPECT(f >= 0 && ::mount(ns.c_str(), at, nullptr, MS_BIND, nullptr) == 0);
            ::close(f);
        }
        const std::string pid = std::to_string(s.pid);
        auto lines = lsns({"-n", "-o", "NSFS", "--type", "net", "--task", pid});
        NSKIT_EXPECT(lines.out == "/tmp/ABC\n/tmp/XYZ\n");
        NSKIT_EXPECT(lines.out == system_lsns({"-n", "-o", "NSFS", "--type", "net", "--task", pid}).first);
        auto one = lsns({"-n", "-o", "NSFS", "--nowrap", "--type", "net", "--task", pid});
        NSKIT_EXPECT(one.out == "/tmp/ABC,/tmp/XYZ\n");
        NSKIT_EXPECT(one.out == system_lsns({"-n", "-o", "NSFS", "--nowrap", "--type", "net", "--task", pid}).first);
        const auto full = compare_whole_view({"--type", "net"});
        NSKIT_EXPECT(full.first == full.second);
        const auto json = compare_whole_view({"-J", "--type", "net", "-o", "NS,NSFS,NETNSID"});
        NSKIT_EXPECT(json.first == json.second);
        for (const char* at : {"/tmp/ABC", "/tmp/XYZ"})
            ::umount2(at, MNT_DETACH);
        return std::string();
    }));
}

// -Q: lsns's grammar and casting rules; a filter that does not parse is a
// usage error pointing at the column; an unknown column is named.
BOOST_AUTO_TEST_CASE(filter_grammar_and_errors)
{
    auto count = [](const std::vector<std::string>& args) {
        auto r = nsinfo(args);
        return std::make_pair(r.status, static_cast<int>(std::count(r.out.begin(), r.out.end(), '\n')));
    };
    const std::string uts = std::to_string(inode_of("/proc/self/ns/uts"));
    const std::string net = std::to_string(inode_of("/proc/self/ns/net"));
    for (const auto& [expr, rows] : std::vector<std::pair<std::string, int>>{
             {"NS == " + uts, 1},
             {"ns eq " + uts + " OR NS == " + net, 2},          // words, any case of column names
             {"NS == " + uts + " || NS == " + net + " && TYPE == 'net'", 1}, // || and && one level, left to right
             {"(NS == " + uts + ") && !(TYPE != \"uts\")", 1},
             {"TYPE =~ \"^ut\" && NS == " + uts, 1},
             {"TYPE !~ \"^ut\" && NS == " + uts, 0},
             {"NS == \"" + uts + "\"", 1},                      // a string literal: compared as text
             {"NS > 1K && NS == " + uts, 1},                    // 1K = 1024
             {"NS >= 4026531838.5 && NS == " + uts, 0},         // float wins: 4026531838 < 4026531838.5
             {"NETNSID == \"unassigned\" && NS == " + net, 1},
             {"NETNSID && NS == " + uts, 0}}) {                 // an empty cell is false
        const auto [status, lines] = count({"--all", "-n", "-r", "-o", "NS", "-Q", expr});
        BOOST_TEST((status == 0 || status == exit_partial), expr);
        BOOST_TEST(lines == rows, expr);
    }
    for (const auto& [expr, column] : std::vector<std::pair<std::string, std::string>>{
             {"NS ==", "column 6"}, {"NS = 4", "column 4"}, {"(NS == 1", "column 9"}, {"TYPE == \"net", "column 13"},
             {"NS == 1 $", "column 9"}, {"TYPE =~ 5", "column"}, {"TYPE =~ \"(\"", "regular expression"},
             // glibc's regcomp would copy these past any memory limit
             {"TYPE =~ \"a++++++++++++++++++++++++++++++++++++++++\"", "repetitions would expand it"},
             {"TYPE =~ \"((a{99}){99}){99}\"", "repetitions would expand it"},
             {"NS == 99999999999999999999", "too large"}, {"", "column 1"}}) {
        auto r = nsinfo({"--all", "-Q", expr});
        BOOST_TEST(r.status == 2, expr);
        BOOST_TEST(r.out.empty());
        BOOST_TEST(r.err.find(column) != std::string::npos, expr << ": " << r.err);
    }
    // found by test/fuzz/fuzz_normalize_args: "-Q ''" took the next word ("--") as its expression
    auto empty = nsinfo({"-Q", "", "1"});
    BOOST_TEST(empty.status == 2);
    BOOST_TEST(empty.err.find("--filter '': column 1") != std::string::npos, empty.err);
    auto unknown = nsinfo({"--all", "-Q", "NOPE == 1 && ALSO"});
    BOOST_TEST(unknown.status == 2);
    BOOST_TEST(unknown.err.find("NOPE") != std::string::npos);
    BOOST_TEST(unknown.err.find("ALSO") != std::string::npos);
    BOOST_TEST(lsns({"-Q", "NS =="}).status == 1); // lsns's status for the same
    auto cast = nsinfo({"--all", "-Q", "USER == 5"}); // "root" is no number: an error, not a silent no
    BOOST_TEST(cast.status == 1);
    BOOST_TEST(cast.err.find("USER \"") != std::string::npos, cast.err);
    BOOST_TEST(cast.err.find("is not a number") != std::string::npos, cast.err);
}

BOOST_AUTO_TEST_SUITE_END()
