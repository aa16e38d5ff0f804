// nsinfo against hostile and unlucky processes (issue "trust": items 7-16,
// 23-25): each case fails against the nsinfo before that work.
#include "hostile.hpp"
#include "ns_holder.hpp"
#include "strict_json.hpp"
#include "test_support.hpp"
#include "tool_runner.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <set>
#include <sstream>

namespace t = nskit::test;
namespace h = nskit::test::hostile;
namespace json = boost::json;

namespace {

constexpr int exit_partial = 3;

t::tool_result nsinfo(const std::vector<std::string>& args, const t::tool_run_options& o = {})
{
    return t::run_tool("nsinfo", args, o);
}

// Complete (0), or partial (3) and saying so: the only outcomes that are an answer.
bool answered(const t::tool_result& r)
{
    return r.status == 0 || (r.status == exit_partial && r.err.find("partial result") != std::string::npos);
}

// Every row of a (tree) document, children included.
void each_row(const json::value& v, const char* key, const std::function<void(const json::object&)>& f)
{
    std::function<void(const json::array&)> walk = [&](const json::array& a) {
        for (const auto& r : a) {
            f(r.as_object());
            if (r.as_object().contains("children"))
                walk(r.at("children").as_array());
        }
    };
    walk(v.at(key).as_array());
}

bool has_inode(const json::value& v, std::uint64_t ino)
{
    bool found = false;
    each_row(v, "namespaces", [&](const json::object& r) {
        found = found || (r.contains("inode") && r.at("inode").to_number<std::uint64_t>() == ino);
    });
    return found;
}

std::string str(const json::value& v) { return std::string(v.as_string()); }

} // namespace

BOOST_AUTO_TEST_SUITE(tools_nsinfo_trust)

// Item 7: a mount point swapped for a symlink to a host path, or for a FIFO,
// is neither followed nor opened (the old nsinfo opened the host file and
// hung on the FIFO).
BOOST_AUTO_TEST_CASE(bind_mounts_are_opened_without_following_or_blocking, *boost::unit_test::precondition(t::privileged()))
{
    const std::string secret = "/tmp/nskit-host-only-" + std::to_string(::getpid());
    const int sf = ::open(secret.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    BOOST_TEST_REQUIRE(sf >= 0);
    ::close(sf);
    struct unlink_at_end {
        std::string p;
        ~unlink_at_end() { ::unlink(p.c_str()); }
    } cleanup{secret};
    struct fd_guard {
        int fd;
        ~fd_guard()
        {
            if (fd >= 0)
                ::close(fd);
        }
    } watch{::inotify_init1(IN_CLOEXEC | IN_NONBLOCK)};
    const int in = watch.fd;
    BOOST_TEST_REQUIRE(in >= 0);
    BOOST_TEST_REQUIRE(::inotify_add_watch(in, secret.c_str(), IN_OPEN) >= 0);
    t::ns_holder holder([&] { return h::trapped_mounts(secret); });
    BOOST_TEST_REQUIRE(holder.ok(), holder.message());
    const auto start = std::chrono::steady_clock::now();
    auto r = nsinfo({"--all", "-J", "-t", "uts", "-o", "INODE,HELD,NSFS"});
    const auto took = std::chrono::steady_clock::now() - start;
    BOOST_TEST(took < std::chrono::seconds(20), "nsinfo blocked");
    BOOST_TEST_REQUIRE(answered(r), r.status << " " << r.err);
    char buf[4096];
    BOOST_TEST(::read(in, buf, sizeof buf) < 0, "nsinfo opened a host file through the container's symlink");
    // both namespaces, held only by the trapped mounts, are listed as bind-mounted, details unknown
    std::istringstream inodes(holder.message().substr(3));
    std::uint64_t ino_a = 0, ino_b = 0;
    inodes >> ino_a >> ino_b;
    const auto v = t::strict_json(r.out);
    int found = 0;
    each_row(v, "namespaces", [&](const json::object& row) {
        const auto ino = row.at("inode").to_number<std::uint64_t>();
        if (ino != ino_a && ino != ino_b)
            return;
        ++found;
        BOOST_TEST(str(row.at("held")) == "bind_mount");
        BOOST_TEST(str(row.at("nsfs")) == (ino == ino_a ? "/tmp/a/ns" : "/tmp/b/ns"));
    });
    BOOST_TEST(found == 2, r.out);
}

// Item 8: a command name and a path that are not UTF-8: every -J output is
// valid UTF-8, lossless (\xHH).
BOOST_AUTO_TEST_CASE(json_is_utf8_for_names_that_are_not, *boost::unit_test::precondition(t::privileged()))
{
    t::ns_holder holder([] {
        if (::unshare(CLONE_NEWNS | CLONE_NEWUTS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
            ::mount("tmpfs", "/tmp", "tmpfs", 0, "size=64k") != 0)
            return h::errno_text("setup");
        const std::string at = "/tmp/w\xff";
        const int f = ::open(at.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        if (f < 0 || ::mount("/proc/self/ns/uts", at.c_str(), nullptr, MS_BIND, nullptr) != 0)
            return h::errno_text("bind");
        ::close(f);
        ::prctl(PR_SET_NAME, "w\xff\\x41");
        if (!h::set_command_line("w\xff\\x41")) // COMMAND is the command line (as lsns shows it)
            return std::string("cannot rewrite the command line");
        return "ok " + std::to_string(h::inode_of("/proc/self/ns/uts"));
    });
    BOOST_TEST_REQUIRE(holder.ok(), holder.message());
    const std::string pid = std::to_string(holder.pid());
    const std::string uts = "uts:[" + std::to_string(holder.value()) + "]";
    for (const auto& args : std::vector<std::vector<std::string>>{{pid, "-J", "-o", "TYPE,COMMAND,NSFS"},
                                                                  {"--all", "-J", "--output-all"},
                                                                  {"--tree", "-J", "-o", "NS,TYPE,COMMAND,NSFS"},
                                                                  {"--why", uts, "-J"}}) {
        auto r = nsinfo(args);
        BOOST_TEST_REQUIRE(answered(r), args[0] << ": " << r.status << " " << r.err);
        BOOST_TEST(t::strict_json_error(r.out) == "", args[0]);
        // lossless: \xff and the literal backslash-x both decode back
        BOOST_TEST(r.out.find(R"(w\\xff\\x5cx41)") != std::string::npos, args[0]);
    }
    auto why = nsinfo({"--why", uts, "-J", "-o", "KIND,PATH"});
    BOOST_TEST(why.out.find(R"(/tmp/w\\xff)") != std::string::npos, why.out);
}

// Item 9: -J with -r or -n is a usage error, never raw text with exit 0.
BOOST_AUTO_TEST_CASE(json_with_raw_or_noheadings_is_a_usage_error)
{
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"-J", "-r"}, {"-J", "-r", "-n"}, {"--all", "-J", "-r"}, {"-J", "-n"}, {"--list-columns", "-J", "-r"}}) {
        auto r = nsinfo(args);
        BOOST_TEST(r.status == 2, args.size());
        BOOST_TEST(r.out.empty());
        BOOST_TEST(r.err.find("--json does not combine") != std::string::npos, r.err);
    }
}

// Item 10: out of fds, every mode says what it could not read (exit status,
// "partial" in JSON) instead of answering less with exit 0.
BOOST_AUTO_TEST_CASE(fd_exhaustion_is_never_a_quiet_answer, *boost::unit_test::precondition(t::privileged()))
{
    t::sleeper s(CLONE_NEWUTS);
    BOOST_TEST_REQUIRE(s.pid > 0);
    const auto uts = h::inode_of("/proc/" + std::to_string(s.pid) + "/ns/uts");
    const std::string me = std::to_string(::getpid());
    for (rlim_t n = 4; n <= 9; ++n)
        for (const auto& args : std::vector<std::vector<std::string>>{
                 {"--all", "-J", "-o", "INODE"}, {"--tree", "-J", "-o", "INODE"}, {me, "-J", "-o", "TYPE,INODE,NPROCS"},
                 {"--why", "uts:[" + std::to_string(uts) + "]", "-J"}}) {
            t::tool_run_options o;
            o.before_exec = h::fd_limit(n);
            auto r = nsinfo(args, o);
            BOOST_TEST_CONTEXT("ulimit -n " << n << ": " << args[0] << " -> " << r.status << " " << r.err)
            {
                BOOST_TEST(r.status != 0, "a scan out of fds cannot be complete");
                if (r.out.empty())
                    continue;
                const auto v = t::strict_json(r.out);
                BOOST_TEST((r.status != exit_partial || v.at("partial").as_bool()));
                if (args[0] == "--all" && r.status == exit_partial)
                    BOOST_TEST(!v.at("missing").as_array().empty());
            }
        }
}

// Item 11: the pid reused (between nsinfo's pidfd_open and its reading of
// /proc) by a process in other namespaces: nsinfo must not answer with the
// successor's namespaces.
BOOST_AUTO_TEST_CASE(a_pid_reused_after_pidfd_open_is_not_answered_for, *boost::unit_test::precondition(t::privileged()))
{
    const pid_t victim = ::fork();
    if (victim == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        for (int i = 0; i < 600; ++i)
            ::sleep(1);
        ::_exit(0);
    }
    BOOST_TEST_REQUIRE(victim > 0);
    std::unique_ptr<h::pid_taker> successor;
    t::tool_run_options o;
    o.stop_after_syscall = SYS_pidfd_open;
    o.while_stopped = [&] {
        ::kill(victim, SIGKILL);
        ::waitpid(victim, nullptr, 0);
        successor = std::make_unique<h::pid_taker>(victim);
    };
    auto r = nsinfo({std::to_string(victim), "-J", "-o", "TYPE,INODE"}, o);
    BOOST_TEST_REQUIRE(successor != nullptr);
    BOOST_TEST_REQUIRE(successor->pid() == victim, "pid not reusable: " << successor->error().message());
    const auto q_uts = h::inode_of("/proc/" + std::to_string(victim) + "/ns/uts");
    BOOST_TEST(r.status == 1, r.status << " " << r.out);
    BOOST_TEST(r.out.find(std::to_string(q_uts)) == std::string::npos, "reported the successor's namespaces");
    BOOST_TEST(r.err.find("exited") != std::string::npos, r.err);
}

// Item 12: util-linux's lsns/filedesc: a namespace held only by an fd that
// was opened through a bind mount, which is then gone.
BOOST_AUTO_TEST_CASE(an_fd_opened_through_a_bind_mount_is_found, *boost::unit_test::precondition(t::privileged()))
{
    t::ns_holder holder([] {
        if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
            ::mount("tmpfs", "/tmp", "tmpfs", 0, "size=64k") != 0)
            return h::errno_text("setup");
        const int orig = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        const int f = ::open("/tmp/netns-x", O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        if (orig < 0 || f < 0 || ::unshare(CLONE_NEWNET) != 0 ||
            ::mount("/proc/self/ns/net", "/tmp/netns-x", nullptr, MS_BIND, nullptr) != 0)
            return h::errno_text("bind");
        const int held = ::open("/tmp/netns-x", O_RDONLY); // kept on purpose
        const auto ino = h::inode_of("/tmp/netns-x");
        if (held < 0 || ::setns(orig, CLONE_NEWNET) != 0 || ::umount2("/tmp/netns-x", MNT_DETACH) != 0)
            return h::errno_text("hold");
        return "ok " + std::to_string(ino);
    });
    BOOST_TEST_REQUIRE(holder.ok(), holder.message());
    auto r = nsinfo({"--all", "-J", "-t", "net", "-o", "INODE,HELD"});
    BOOST_TEST_REQUIRE(answered(r), r.err);
    BOOST_TEST(has_inode(t::strict_json(r.out), holder.value()), "the fd-held namespace is missing");
    auto w = nsinfo({"--why", "net:[" + std::to_string(holder.value()) + "]", "-J"});
    BOOST_TEST_REQUIRE(answered(w), w.err);
    const auto wv = t::strict_json(w.out);
    BOOST_TEST_REQUIRE(wv.at("references").as_array().size() == 1u);
    BOOST_TEST(str(wv.at("references").as_array()[0].at("kind")) == "fd");
}

// Item 13: user and PID namespaces held only by a zombie are found, and
// `nsinfo ZOMBIE` shows what the kernel still answers.
BOOST_AUTO_TEST_CASE(a_zombie_holds_its_user_and_pid_namespaces, *boost::unit_test::precondition(t::privileged()))
{
    h::zombie_holder z;
    BOOST_TEST_REQUIRE(z.pid() > 0);
    BOOST_TEST_REQUIRE(z.zombie());
    auto a = nsinfo({"--all", "-J", "-o", "INODE,TYPE,HELD"});
    BOOST_TEST_REQUIRE(answered(a), a.err);
    const auto av = t::strict_json(a.out);
    BOOST_TEST(has_inode(av, z.user_ns()));
    BOOST_TEST(has_inode(av, z.pid_ns()));
    auto p = nsinfo({std::to_string(z.pid()), "-J", "-o", "TYPE,INODE"});
    BOOST_TEST_REQUIRE(answered(p), p.err);
    const auto pv = t::strict_json(p.out);
    int known = 0;
    for (const auto& row : pv.at("namespaces").as_array()) {
        const auto type = str(row.at("type"));
        if (type == "user" || type == "pid") {
            BOOST_TEST(row.at("inode").to_number<std::uint64_t>() == (type == "user" ? z.user_ns() : z.pid_ns()));
            ++known;
        } else {
            BOOST_TEST(row.at("inode").is_null(), type);
            BOOST_TEST(str(row.at("unknown").at("inode")) == "released: the process is a zombie", type);
        }
    }
    BOOST_TEST(known == 2);
}

// Item 14: NSFS in `nsinfo PID`, not only --all.
BOOST_AUTO_TEST_CASE(nsfs_column_in_pid_mode, *boost::unit_test::precondition(t::privileged()))
{
    t::ns_holder holder([] {
        if (::unshare(CLONE_NEWNS | CLONE_NEWUTS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
            ::mount("tmpfs", "/tmp", "tmpfs", 0, "size=64k") != 0)
            return h::errno_text("setup");
        const int f = ::open("/tmp/uts-here", O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        if (f < 0 || ::mount("/proc/self/ns/uts", "/tmp/uts-here", nullptr, MS_BIND, nullptr) != 0)
            return h::errno_text("bind");
        ::close(f);
        return std::string("ok");
    });
    BOOST_TEST_REQUIRE(holder.ok(), holder.message());
    auto r = nsinfo({std::to_string(holder.pid()), "-J", "-o", "TYPE,NSFS"});
    BOOST_TEST_REQUIRE(answered(r), r.err);
    bool found = false;
    each_row(t::strict_json(r.out), "namespaces", [&](const json::object& row) {
        if (str(row.at("type")) == "uts")
            found = !row.at("nsfs").is_null() && str(row.at("nsfs")) == "/tmp/uts-here";
    });
    BOOST_TEST(found, r.out);
}

// Item 15: inside a user + PID namespace the parents and owners beyond reach
// are unknown, with the reason: never an empty cell that reads "no parent".
BOOST_AUTO_TEST_CASE(parents_beyond_reach_are_unknown_not_empty, *boost::unit_test::precondition(t::privileged()))
{
    NSKIT_CHECK_CHILD(t::in_child([] {
        NSKIT_EXPECT(::unshare(CLONE_NEWUSER) == 0);
        NSKIT_EXPECT(h::write_text("/proc/self/setgroups", "deny") && h::write_text("/proc/self/uid_map", "0 0 1") &&
                     h::write_text("/proc/self/gid_map", "0 0 1"));
        NSKIT_EXPECT(::unshare(CLONE_NEWPID) == 0);
        auto r = nsinfo({"-J", "-o", "TYPE,PNS,ONS"}); // the tool runs as the new PID namespace's init
        NSKIT_EXPECT(r.status == 0 || r.status == exit_partial);
        const auto v = t::strict_json(r.out);
        int checked = 0;
        for (const auto& row : v.at("namespaces").as_array()) {
            const auto type = str(row.at("type"));
            if (type != "user" && type != "pid")
                continue;
            NSKIT_EXPECT(row.at("pns").is_null()); // a number column: null, and why
            NSKIT_EXPECT(row.as_object().contains("unknown") && row.at("unknown").as_object().contains("pns"));
            ++checked;
        }
        NSKIT_EXPECT(checked == 2);
        return std::string();
    }));
    NSKIT_CHECK_CHILD(t::in_child([] { // one more run needs a new PID namespace: its init has exited
        NSKIT_EXPECT(::unshare(CLONE_NEWUSER) == 0);
        NSKIT_EXPECT(h::write_text("/proc/self/setgroups", "deny") && h::write_text("/proc/self/uid_map", "0 0 1") &&
                     h::write_text("/proc/self/gid_map", "0 0 1"));
        NSKIT_EXPECT(::unshare(CLONE_NEWPID) == 0);
        auto text = nsinfo({"-n", "-o", "TYPE,PNS", "-t", "user"});
        NSKIT_EXPECT(text.out.find("user") == 0 && text.out.find("unknown (operation not permitted)") != std::string::npos);
        return std::string();
    }));
}

// Item 16: unprivileged, --all -J says it is incomplete, in the JSON and the exit status.
BOOST_AUTO_TEST_CASE(unprivileged_all_says_it_is_partial)
{
    NSKIT_CHECK_CHILD(t::as_nobody([] {
        auto r = nsinfo({"--all", "-J"});
        NSKIT_EXPECT(r.status == exit_partial);
        const auto v = t::strict_json(r.out);
        NSKIT_EXPECT(v.at("partial").as_bool());
        NSKIT_EXPECT(!v.at("missing").as_array().empty());
        NSKIT_EXPECT(r.err.find("partial result") != std::string::npos);
        return std::string();
    }));
}

// Item 23: no duplicate keys; ids are numbers everywhere (NS, PNS, ONS, --why NS and MNTNS).
BOOST_AUTO_TEST_CASE(json_keys_are_unique_and_ids_are_numbers, *boost::unit_test::precondition(t::privileged()))
{
    auto dup = nsinfo({"-J", "-o", "TYPE,TYPE,ns,NS"});
    BOOST_TEST_REQUIRE(answered(dup), dup.err);
    BOOST_TEST(t::strict_json_error(dup.out) == "");
    auto r = nsinfo({"-J", "-o", "TYPE,NS,PNS,ONS"});
    BOOST_TEST_REQUIRE(answered(r), r.err);
    const auto rv = t::strict_json(r.out);
    for (const auto& row : rv.at("namespaces").as_array()) {
        BOOST_TEST(row.at("ns").is_number());
        for (const char* k : {"pns", "ons"})
            BOOST_TEST((row.at(k).is_number() || row.at(k).is_null()), k);
    }
    t::sleeper s(CLONE_NEWUSER | CLONE_NEWPID);
    BOOST_TEST_REQUIRE(s.pid > 0);
    auto w = nsinfo({"--why", "user:[4026531837]", "-J", "-o", "KIND,NS,MNTNS"});
    BOOST_TEST_REQUIRE(answered(w), w.err);
    bool child = false;
    const auto wv = t::strict_json(w.out);
    for (const auto& ref : wv.at("references").as_array())
        if (str(ref.at("kind")) == "child" || str(ref.at("kind")) == "owner") {
            BOOST_TEST(ref.at("ns").is_number());
            child = true;
        }
    BOOST_TEST(child);
}

// Item 24: negative numbers reach the option they belong to.
BOOST_AUTO_TEST_CASE(negative_numbers_get_the_right_error)
{
    auto w = nsinfo({"--why", "-1"});
    BOOST_TEST(w.status == 1);
    BOOST_TEST(w.err.find("'-1': not a namespace") != std::string::npos, w.err);
    auto p = nsinfo({"-p", "-5"});
    BOOST_TEST(p.status == 1);
    BOOST_TEST(p.err.find("'-5': not a process id") != std::string::npos, p.err);
    auto missing = nsinfo({"--why"});
    BOOST_TEST(missing.status == 2);
    BOOST_TEST(missing.err.find("'--why' is missing") != std::string::npos, missing.err);
    // an optional value is taken only with '='
    auto tree = nsinfo({"--tree", "parent"});
    BOOST_TEST(tree.status == 2, tree.err);
}

// Item 25: messages name the operation, the input and the cause.
BOOST_AUTO_TEST_CASE(messages_name_input_and_cause)
{
    if (::kill(999999, 0) == 0)
        return;
    auto r = nsinfo({"999999"});
    BOOST_TEST(r.status == 1);
    BOOST_TEST(r.err == "nsinfo: process 999999: no such process\n");
    auto w = nsinfo({"--why", "/nonexistent/ns"});
    BOOST_TEST(w.status == 1);
    BOOST_TEST(w.err.find("/nonexistent/ns") != std::string::npos);
    BOOST_TEST(w.err.find("No such file or directory") != std::string::npos, w.err);
    auto f = nsinfo({"--why", "/etc/passwd"});
    BOOST_TEST(f.status == 1);
    BOOST_TEST(f.err.find("not a namespace") != std::string::npos, f.err);
}

BOOST_AUTO_TEST_SUITE_END()
