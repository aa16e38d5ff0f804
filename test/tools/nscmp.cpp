// nscmp, run as a program: output, exit status, bad input, degraded runs.
#include "test_support.hpp"
#include "tool_runner.hpp"

#include "../inspect/cmp_fixtures.hpp"

#include <nskit/sys/clone.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <sstream>

namespace t = nskit::test;
namespace tc = nskit::test::cmp;
namespace fs = std::filesystem;
using namespace nskit::sys;

namespace {

std::string nscmp_path() { return t::tool_path("nscmp"); }

using result = t::tool_result;

// Run nscmp with args; `before_exec` runs in the child (seccomp, ...).
result nscmp(const std::vector<std::string>& args, const std::function<void()>& before_exec = {})
{
    t::tool_run_options o;
    o.before_exec = before_exec;
    return t::run_tool("nscmp", args, o);
}

// "-r -n -o TYPE,RESULT" output -> type -> result
std::map<std::string, std::string> results(const result& r)
{
    std::map<std::string, std::string> m;
    for (const auto& l : r.out_lines()) {
        std::istringstream in(l);
        std::string type, res;
        if (in >> type >> res)
            m[type] = res;
    }
    return m;
}

std::string pid_str(pid_t p) { return std::to_string(p); }

bool one_line_error(const result& r)
{
    return r.out.empty() && r.err.rfind("nscmp: ", 0) == 0 && r.err.find('\n') == r.err.size() - 1;
}

} // namespace

BOOST_AUTO_TEST_SUITE(tools_nscmp)

BOOST_AUTO_TEST_CASE(binary_is_found)
{
    BOOST_TEST(!nscmp_path().empty(), "nscmp binary not found (NSKIT_TOOLS_DIR or bin/tools/**/release/**/nscmp)");
}

BOOST_AUTO_TEST_CASE(help_and_version)
{
    auto h = nscmp({"--help"});
    BOOST_TEST(h.status == 0);
    BOOST_TEST(h.out.find("Usage:") != std::string::npos);
    BOOST_TEST(h.out.find("--group") != std::string::npos);
    auto v = nscmp({"--version"});
    BOOST_TEST(v.status == 0);
    BOOST_TEST(v.out.rfind("nscmp (nskit) ", 0) == 0);
}

BOOST_AUTO_TEST_CASE(bad_input_is_one_line_and_exit_2)
{
    const std::string self = pid_str(::getpid());
    for (std::string bad : {"999999", "abc", "-1", "0", "12 ", "4294967296", ""}) {
        auto r = nscmp({self, bad});
        BOOST_TEST(r.status == 2, "'" << bad << "'");
        BOOST_TEST(one_line_error(r), "'" << bad << "': " << r.err);
    }
    for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
             {self},
             {self, self, self},
             {"--bogus", self, self},
             {"-t", "nope", self, self},
             {"-o", "NOPE", self, self},
             {"--group"},
             {"--group", "-R", "nope", self},
             {"--group", "--all", self},
             {"--all", self, self},
             {"-R", "vm", self, self},
             {"--group", "-t", "net", self}}) {
        auto r = nscmp(args);
        BOOST_TEST(r.status == 2, args.size() << " args: " << r.err);
        BOOST_TEST(one_line_error(r), r.err);
    }
    auto gone = nscmp({"999999", self});
    BOOST_TEST(gone.err.find("no such process") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_process_against_itself_exits_0)
{
    const std::string self = pid_str(::getpid());
    auto r = nscmp({"-r", "-n", "-o", "TYPE,RESULT", self, self});
    BOOST_TEST(r.status == 0, r.err);
    auto m = results(r);
    BOOST_TEST(m.size() >= 14u);
    for (const char* k : {"mnt", "uts", "ipc", "net", "pid", "user", "cgroup", "time", "vm", "files", "fs", "sighand",
                          "io", "sysvsem"})
        BOOST_TEST(m[k] == "same", k);
    auto q = nscmp({"-q", self, self});
    BOOST_TEST(q.status == 0);
    BOOST_TEST(q.out.empty());
}

BOOST_AUTO_TEST_CASE(a_fork_child_differs_exit_1)
{
    NSKIT_CHECK_CHILD(t::in_child([]() -> std::string {
        int p[2], ready[2];
        NSKIT_EXPECT(::pipe2(p, O_CLOEXEC) == 0 && ::pipe2(ready, O_CLOEXEC) == 0);
        tc::idle_child kid(clone_flags(), ready[1]);
        tc::idle_child vm_kid(clone_flag::vm, ready[1]);
        NSKIT_EXPECT(tc::await_ready(ready[0], 2).empty());
        const std::string self = pid_str(::getpid()), k = pid_str(kid.pid());

        auto r = nscmp({"-r", "-n", "-o", "TYPE,RESULT", self, k});
        NSKIT_EXPECT(r.status == 1);
        auto m = results(r);
        NSKIT_EXPECT(m["vm"] == "different" && m["files"] == "different" && m["net"] == "same");
        // the shared open files table: the pipe, inherited by the clone
        NSKIT_EXPECT(r.out.find(std::to_string(p[0]) + " " + std::to_string(p[0]) + " pipe pipe:[") != std::string::npos);

        auto v = nscmp({"-r", "-n", "-o", "TYPE,RESULT", "-t", "vm,net", self, pid_str(vm_kid.pid())});
        NSKIT_EXPECT(v.status == 0); // everything asked about is shared
        NSKIT_EXPECT(results(v) == (std::map<std::string, std::string>{{"net", "same"}, {"vm", "same"}}));

        auto q = nscmp({"-q", self, k});
        NSKIT_EXPECT(q.status == 1 && q.out.empty() && q.err.empty());

        auto j = nscmp({"-J", self, k});
        NSKIT_EXPECT(j.status == 1);
        NSKIT_EXPECT(j.out.find("\"type\":\"vm\",\"result\":\"different\"") != std::string::npos);
        NSKIT_EXPECT(j.out.find("\"type\":\"net\",\"result\":\"same\",\"a\":\"net:[") != std::string::npos);
        NSKIT_EXPECT(j.out.find("{\"a-fd\":" + std::to_string(p[0]) + ",\"b-fd\":" + std::to_string(p[0]) +
                                ",\"kind\":\"pipe\"") != std::string::npos);
        NSKIT_EXPECT(j.out.find("\"kcmp-calls\":") != std::string::npos);
        NSKIT_EXPECT(j.out.find('\n') == j.out.size() - 1);

        auto o = nscmp({"-J", "-o", "type,kind", "-t", "fs", self, k});
        NSKIT_EXPECT(o.out.find("\"comparisons\":[{\"type\":\"fs\",\"kind\":\"resource\"}]") != std::string::npos);
        kid.stop();
        vm_kid.stop();
        for (int fd : {p[0], p[1], ready[0], ready[1]})
            ::close(fd);
        return std::string();
    }));
}

BOOST_AUTO_TEST_CASE(namespaces_and_relations, *boost::unit_test::precondition(t::privileged()))
{
    NSKIT_CHECK_CHILD(t::in_child([]() -> std::string {
        int ready[2];
        NSKIT_EXPECT(::pipe2(ready, O_CLOEXEC) == 0);
        tc::idle_child kid(clone_flag::newnet | clone_flag::newuts | clone_flag::newpid, ready[1]);
        NSKIT_EXPECT(tc::await_ready(ready[0], 1).empty());
        auto r = nscmp({"-r", "-n", "-o", "TYPE,RESULT", "-t", "net,uts,pid,mnt", pid_str(::getpid()), pid_str(kid.pid())});
        NSKIT_EXPECT(r.status == 1);
        NSKIT_EXPECT(results(r) == (std::map<std::string, std::string>{
                                       {"mnt", "same"}, {"net", "different"}, {"pid", "parent"}, {"uts", "different"}}));
        auto d = nscmp({"-o", "TYPE,RELATION,DETAIL", "-t", "pid", pid_str(kid.pid()), pid_str(::getpid())});
        NSKIT_EXPECT(d.out.find("child") != std::string::npos && d.out.find("a's is a child of b's") != std::string::npos);
        kid.stop();
        ::close(ready[0]);
        ::close(ready[1]);
        return std::string();
    }));
}

// Without kcmp the namespaces still compare: exit 0/1 by them, resources unknown.
BOOST_AUTO_TEST_CASE(kcmp_enosys_still_compares_namespaces)
{
    const std::string self = pid_str(::getpid());
    auto r = nscmp({"-r", "-n", "-o", "TYPE,RESULT,DETAIL", self, self}, [] { t::forbid_syscall(SYS_kcmp, ENOSYS); });
    BOOST_TEST(r.status == 0, r.err);
    auto m = results(r);
    BOOST_TEST(m["net"] == "same");
    BOOST_TEST(m["vm"] == "unknown");
    BOOST_TEST(r.out.find("CONFIG_KCMP") != std::string::npos);
    BOOST_TEST(r.err.find("open files not compared") != std::string::npos);
    t::sleeper other;
    auto g = nscmp({"--group", "-R", "vm", self, pid_str(other.pid)}, [] { t::forbid_syscall(SYS_kcmp, ENOSYS); });
    BOOST_TEST(g.status == 2);
    BOOST_TEST(one_line_error(g), g.err);
    BOOST_TEST(g.err.find("CONFIG_KCMP") != std::string::npos);
}

// Nothing can be read about a root process as nobody: exit 2, every row says why.
BOOST_AUTO_TEST_CASE(nobody_against_a_root_process_exits_2)
{
    t::sleeper own;
    const pid_t target = ::geteuid() == 0 ? own.pid : 1;
    NSKIT_CHECK_CHILD(t::as_nobody([target]() -> std::string {
        auto r = nscmp({"-r", "-n", "-o", "TYPE,RESULT", pid_str(::getpid()), pid_str(target)});
        NSKIT_EXPECT(r.status == 2);
        auto m = results(r);
        NSKIT_EXPECT(m.size() == 14u);
        for (const auto& [k, v] : m)
            NSKIT_EXPECT(v == "unknown");
        NSKIT_EXPECT(r.err.find("nothing could be compared") != std::string::npos);
        return std::string();
    }));
}

BOOST_AUTO_TEST_CASE(group_classes_largest_first)
{
    NSKIT_CHECK_CHILD(t::in_child([]() -> std::string {
        int ready[2];
        NSKIT_EXPECT(::pipe2(ready, O_CLOEXEC) == 0);
        tc::idle_child a(clone_flag::vm, ready[1]), b(clone_flag::vm, ready[1]), c(clone_flags(), ready[1]);
        NSKIT_EXPECT(tc::await_ready(ready[0], 3).empty());
        const pid_t self = ::getpid();
        std::vector<pid_t> vm{self, a.pid(), b.pid()};
        std::sort(vm.begin(), vm.end());
        const std::string vm_members = pid_str(vm[0]) + "," + pid_str(vm[1]) + "," + pid_str(vm[2]);
        auto r = nscmp({"--group", "-R", "vm", "-r", "-n", "-o", "SIZE,MEMBERS", pid_str(c.pid()), pid_str(a.pid()),
                        pid_str(self), pid_str(b.pid())});
        NSKIT_EXPECT(r.status == 0);
        NSKIT_EXPECT(r.out_lines() == (std::vector<std::string>{"3 " + vm_members, "1 " + pid_str(c.pid())}));
        auto s = nscmp({"--group", "-R", "vm", "-s", "-r", "-n", "-o", "MEMBERS", pid_str(c.pid()), pid_str(a.pid()),
                        pid_str(self), pid_str(b.pid())});
        NSKIT_EXPECT(s.out_lines() == (std::vector<std::string>{vm_members}));
        auto j = nscmp({"--group", "-R", "vm", "-J", pid_str(c.pid()), pid_str(a.pid()), pid_str(self), pid_str(b.pid())});
        NSKIT_EXPECT(j.out.find("\"classes\":[[" + vm_members + "],[" + pid_str(c.pid()) + "]]") != std::string::npos);
        // open files: the ready pipe is held by all four (by fork, and by sharing our fd table)
        auto f = nscmp({"--group", "-R", "file", "-r", "-n", "-o", "RESOURCE,WHAT", pid_str(c.pid()), pid_str(self)});
        NSKIT_EXPECT(f.status == 0);
        NSKIT_EXPECT(f.out.find("file pipe:[") != std::string::npos);
        // every process: at least this test's processes are grouped
        auto all = nscmp({"--group", "--all", "-R", "vm", "-s", "-r", "-n", "-o", "MEMBERS"});
        NSKIT_EXPECT(all.status == 0);
        NSKIT_EXPECT(all.out.find(vm_members) != std::string::npos);
        // only processes that do not exist: nothing grouped
        auto none = nscmp({"--group", "-R", "vm", "999999"});
        NSKIT_EXPECT(none.status == 2);
        a.stop();
        b.stop();
        c.stop();
        ::close(ready[0]);
        ::close(ready[1]);
        return std::string();
    }));
}

BOOST_AUTO_TEST_SUITE_END()
