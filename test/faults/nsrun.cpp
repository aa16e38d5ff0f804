// nsrun with each system call of its setup failing, one at a time (issue
// "trust", "make the class impossible"): a first run counts the calls nsrun
// and its children make; then each one fails, first and last occurrence,
// with each errno a kernel gives for resource and permission trouble.  Every
// run must end in one of nsrun's own exit statuses with a message naming the
// error, or run PROGRAM in exactly the sandbox asked for; and leave nothing.
#include "fault_harness.hpp"
#include "test_support.hpp"

#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <iostream>
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
std::vector<std::string> judge(const f::traced_run& r, const f::fault& fault, const std::string& expected_out)
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
        if (err.rfind("nsrun: ", 0) != 0)
            wrong.push_back("the message does not start with \"nsrun: \"");
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

// Count, then fail each call nsrun makes for `args`.  Returns the tally.
tally inject_all(const std::vector<std::string>& args, const std::vector<int>& errors, bool last_too)
{
    tally t;
    const auto before = f::snapshot();
    const auto clean = f::run_traced("nsrun", args);
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
        const auto r = f::run_traced("nsrun", args, fault);
        ++t.runs;
        auto wrong = judge(r, fault, clean.result.out);
        for (const auto& l : f::left_behind(state))
            wrong.push_back("left behind: " + l);
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
    std::cout << "faults: nsrun " << scenario << ": " << t.syscalls.size() << " system calls at " << t.sites
              << " sites, " << t.runs << " runs, " << t.injected << " injected (" << t.failed_cleanly
              << " failed cleanly, " << t.tolerated << " tolerated with the same sandbox)" << std::endl;
}

// Orphans of the tool become ours, so "left behind" can see and reap them.
struct subreaper {
    subreaper() { ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); }
    ~subreaper() { ::prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0); }
};

} // namespace

BOOST_AUTO_TEST_SUITE(faults_nsrun)

// Unprivileged: the user namespace gives the rights the rest needs.
BOOST_AUTO_TEST_CASE(user_sandbox_each_call_failing)
{
    subreaper reaper;
    const std::vector<std::string> args{"--user", "--pid", "--net", "--uts=faultbox", "--tmp", "--", "/bin/sh",
                                        "-c", fingerprint};
    report("--user --pid --net --uts --tmp", inject_all(args, f::injected_errors, true));
}

// As root, without a user namespace: veth pair (a link in our namespace),
// time namespace offsets, IPC.
BOOST_AUTO_TEST_CASE(root_sandbox_each_call_failing, *utf::precondition(t::privileged()))
{
    subreaper reaper;
    const std::vector<std::string> args{"--pid", "--net", "--uts=faultbox", "--tmp", "--ipc", "--time",
                                        "--monotonic=100", "--veth", "nskfault0:eth0", "--addr",
                                        "10.199.0.1/30,10.199.0.2/30", "--", "/bin/sh", "-c", fingerprint};
    report("--pid --net --uts --tmp --ipc --time --veth", inject_all(args, f::injected_errors, true));
}

BOOST_AUTO_TEST_SUITE_END()
