// nsrun, and run() itself (fault_run, a small program calling ns::run with
// a callable), with each system call of their setup failing, one at a time
// (issue "trust", "make the class impossible"): a first run counts the calls
// the program and its children make; then each one fails, first and last
// occurrence, with each errno a kernel gives for resource and permission
// trouble.  Every run must end in one of nsrun's own exit statuses with a
// message naming the error, or run PROGRAM in exactly the sandbox asked for;
// and leave nothing.  Scenarios: a user sandbox, a root one with a veth,
// --enter into another process's namespaces, --cgroup-dir, run() with and
// without a user namespace.
#include "fault_harness.hpp"
#include "test_support.hpp"

#include <sched.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace t = nskit::test;
namespace f = nskit::test::faults;
namespace utf = boost::unit_test;

namespace {

// PROGRAM: prints what the sandbox looks like from inside, so a run that
// exits 0 is compared with the fault-free one (a step silently skipped shows).
const char* fingerprint = "id -u; hostname; echo pid=$$; stat -f -c %T /tmp; cat /proc/self/timens_offsets; "
                          "ip -br -4 addr show up | sed 's/@[^ ]*//' | awk '{print $1, $3}'";

std::string lower(std::string s)
{
    for (auto& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string joined(const std::vector<std::string>& v, const char* sep = " ")
{
    std::string s;
    for (const auto& x : v)
        s += (s.empty() ? "" : sep) + x;
    return s;
}

// NSKIT_FAULTS_VERBOSE=1: every run's fault and outcome on stdout;
// NSKIT_FAULTS_ONLY=NAME: only that system call is failed.
bool verbose()
{
    const char* v = std::getenv("NSKIT_FAULTS_VERBOSE");
    return v != nullptr && std::strcmp(v, "1") == 0;
}

// `call` as a word of `text` ("poll", not "ppoll" or "epoll_wait").
bool named_call(const std::string& text, const std::string& call)
{
    const auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
    for (auto at = text.find(call); at != std::string::npos; at = text.find(call, at + 1))
        if ((at == 0 || !word(text[at - 1])) && (at + call.size() == text.size() || !word(text[at + call.size()])))
            return true;
    return false;
}

struct tally {
    unsigned sites = 0, runs = 0, injected = 0, failed_cleanly = 0, tolerated = 0;
    std::set<long> syscalls;
};

// What is wrong with one run (empty: nothing).
std::vector<std::string> judge(const std::string& tool, const f::traced_run& r, const f::fault& fault,
                               const std::string& expected_out)
{
    std::vector<std::string> wrong;
    if (!r.error.empty())
        wrong.push_back("harness: " + r.error);
    const int s = r.result.status;
    // PR_SET_PDEATHSIG is the only prctl nsrun's children make here: not
    // armed, PROGRAM could outlive its init.  Its failure is a failed step.
    if (s == 0 && r.injected && fault.at.in == f::where::child && f::syscall_name(fault.at.nr) == "prctl")
        wrong.push_back("prctl in a child failed and nsrun ran PROGRAM all the same");
    if (s == 0) {
        if (r.result.out != expected_out)
            wrong.push_back("exit 0 but PROGRAM saw another sandbox (or did not run): \"" + r.result.out + "\"");
    } else if (s < 121 || s > 127) {
        wrong.push_back("exit status " + std::to_string(s) + " is none of nsrun's failure statuses (121-127)");
    } else {
        const std::string& err = r.result.err;
        if (err.rfind(tool + ": ", 0) != 0)
            wrong.push_back("the message does not start with \"" + tool + ": \"");
        if (lower(err).find(lower(std::strerror(fault.err))) == std::string::npos)
            wrong.push_back(std::string("the message does not name the error (\"") + std::strerror(fault.err) + "\")");
        // A step named after a system call is that call (the report pipe's
        // read was "pipe2", supervise's poll and signalfd4 "waitid").
        const std::string failing = f::syscall_name(fault.at.nr);
        for (const char* call : {"pipe2", "waitid", "poll", "signalfd4", "ppoll", "pidfd_open"})
            if (failing != call && named_call(err, call))
                wrong.push_back(std::string("the message names ") + call + ", but " + failing + " failed");
        if (std::count(err.begin(), err.end(), '\n') != 1)
            wrong.push_back("the message is not one line");
    }
    return wrong;
}

// What else a run must not leave ("" = nothing), beyond the harness's snapshot.
using extra_check = std::function<std::string()>;

// Count, then fail each call `tool` makes for `args`.  Returns the tally.
tally inject_all(const std::string& tool, const std::vector<std::string>& args, const std::vector<int>& errors,
                 bool last_too, const extra_check& check = {})
{
    tally t;
    const auto before = f::snapshot();
    const auto clean = f::run_traced(tool, args);
    BOOST_TEST_REQUIRE(clean.error.empty(), clean.error);
    BOOST_TEST_REQUIRE(clean.result.status == 0, "fault-free run: " << clean.result.status << " " << clean.result.err);
    BOOST_TEST_REQUIRE(!clean.calls.empty());
    {
        const auto leaks = f::left_behind(before);
        BOOST_TEST_REQUIRE(leaks.empty(), "fault-free run left " << joined(leaks, "; "));
    }
    std::set<f::site> sites;
    for (const auto& [fault, count] : f::plan_faults(clean.calls, last_too, errors)) {
        sites.insert(fault.at);
        t.syscalls.insert(fault.at.nr);
        const auto state = f::snapshot();
        const auto r = f::run_traced(tool, args, fault);
        ++t.runs;
        auto wrong = judge(tool, r, fault, clean.result.out);
        for (const auto& l : f::left_behind(state))
            wrong.push_back("left behind: " + l);
        if (check)
            if (const auto left = check(); !left.empty())
                wrong.push_back("left behind: " + left);
        if (verbose())
            std::cout << "  " << f::describe(fault) << " (of " << count << "): " << (r.injected ? "" : "not reached, ")
                      << "status " << r.result.status << ": " << r.result.err << (r.result.err.empty() ? "\n" : "");
        if (r.injected) {
            ++t.injected;
            ++(r.result.status == 0 ? t.tolerated : t.failed_cleanly);
        }
        BOOST_TEST(wrong.empty(), f::describe(fault) << " (of " << count << "): " << joined(wrong, "; ") << " [status "
                                                     << r.result.status << ", stderr \"" << r.result.err << "\"]");
    }
    t.sites = static_cast<unsigned>(sites.size());
    return t;
}

void report(const char* scenario, const tally& t)
{
    std::cout << "faults: " << scenario << ": " << t.syscalls.size() << " system calls at " << t.sites
              << " sites, " << t.runs << " runs, " << t.injected << " injected (" << t.failed_cleanly
              << " failed cleanly, " << t.tolerated << " tolerated with the same sandbox)" << std::endl;
}

// Orphans of the tool become ours, so "left behind" can see and reap them.
struct subreaper {
    subreaper() { ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); }
    ~subreaper() { ::prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0); }
};

// The cgroup a --cgroup-dir case starts PROGRAM in, made in the first
// cgroup2 hierarchy mounted: empty after every run, removed at the end.
struct test_cgroup {
    std::string dir;
    test_cgroup()
    {
        std::ifstream in("/proc/self/mountinfo");
        for (std::string line; std::getline(in, line) && dir.empty();) {
            if (line.find(" - cgroup2 ") == std::string::npos)
                continue;
            std::istringstream ls(line);
            std::string field[5];
            for (auto& x : field)
                ls >> x;
            dir = field[4] + "/nskit-fault-" + std::to_string(::getpid());
        }
        if (!dir.empty() && ::mkdir(dir.c_str(), 0755) != 0)
            dir.clear();
    }
    ~test_cgroup()
    {
        if (!dir.empty())
            ::rmdir(dir.c_str());
    }
    std::string processes_left() const
    {
        std::ifstream in(dir + "/cgroup.procs");
        std::string pids, p;
        while (in >> p)
            pids += (pids.empty() ? "" : " ") + p;
        return pids.empty() ? "" : "processes in " + dir + ": " + pids;
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(faults_nsrun)

// Unprivileged: the user namespace gives the rights the rest needs.
BOOST_AUTO_TEST_CASE(user_sandbox_each_call_failing)
{
    subreaper reaper;
    const std::vector<std::string> args{"--user", "--pid", "--net", "--uts=faultbox", "--tmp", "--", "/bin/sh",
                                        "-c", fingerprint};
    report("nsrun --user --pid --net --uts --tmp", inject_all("nsrun", args, f::injected_errors, true));
}

// As root, without a user namespace: veth pair (a link in our namespace),
// time namespace offsets, IPC.
BOOST_AUTO_TEST_CASE(root_sandbox_each_call_failing, *utf::precondition(t::privileged()))
{
    subreaper reaper;
    const std::vector<std::string> args{"--pid", "--net", "--uts=faultbox", "--tmp", "--ipc", "--time",
                                        "--monotonic=100", "--veth", "nskfault0:eth0", "--addr",
                                        "10.199.0.1/30,10.199.0.2/30", "--", "/bin/sh", "-c", fingerprint};
    report("nsrun --pid --net --uts --tmp --ipc --time --veth", inject_all("nsrun", args, f::injected_errors, true));
}

// --enter: the program joins another process's namespaces (a sleeper in
// a UTS and network namespace of its own; unprivileged, in a user
// namespace of ours too, whose owner we are).
BOOST_AUTO_TEST_CASE(enter_each_call_failing)
{
    subreaper reaper;
    t::sleeper target(CLONE_NEWUTS | CLONE_NEWNET | (t::missing_privilege() ? CLONE_NEWUSER : 0));
    BOOST_TEST_REQUIRE(target.pid > 0);
    const std::vector<std::string> args{"--enter", std::to_string(target.pid), "--", "/bin/sh", "-c",
                                        "hostname; readlink /proc/self/ns/uts /proc/self/ns/net"};
    report("nsrun --enter", inject_all("nsrun", args, f::injected_errors, true));
}

// --cgroup-dir: PROGRAM starts in the cgroup (CLONE_INTO_CGROUP); the
// cgroup is empty again after every run.
BOOST_AUTO_TEST_CASE(cgroup_dir_each_call_failing, *utf::precondition(t::privileged()))
{
    subreaper reaper;
    test_cgroup cg;
    BOOST_TEST_REQUIRE(!cg.dir.empty(), "no cgroup2 hierarchy to make a cgroup in");
    const std::vector<std::string> args{"--pid", "--cgroup-dir", cg.dir, "--", "/bin/sh", "-c",
                                        "grep '^0::' /proc/self/cgroup"};
    report("nsrun --pid --cgroup-dir", inject_all("nsrun", args, f::injected_errors, true,
                                                  [&] { return cg.processes_left(); }));
}

// run() with a callable, no program: user, PID, network, UTS namespaces
// and /tmp (any uid; the fork strategy, the init, the callable's report).
BOOST_AUTO_TEST_CASE(run_user_sandbox_each_call_failing)
{
    subreaper reaper;
    report("run() user,pid,net,uts,tmp", inject_all("fault_run", {"user"}, f::injected_errors, true));
}

// run() as root: PID, network, UTS, IPC and time namespaces, /tmp, a veth.
BOOST_AUTO_TEST_CASE(run_root_sandbox_each_call_failing, *utf::precondition(t::privileged()))
{
    subreaper reaper;
    report("run() pid,net,uts,ipc,time,tmp,veth", inject_all("fault_run", {"root"}, f::injected_errors, true));
}

BOOST_AUTO_TEST_SUITE_END()
