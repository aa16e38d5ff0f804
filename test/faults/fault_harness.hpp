// test/faults/fault_harness.hpp — run a tool with one system call failing.
//
// The tool runs under a seccomp filter that hands the chosen system calls to
// a supervisor thread in the test process (SECCOMP_RET_USER_NOTIF).  The
// supervisor counts each call per (number, parent or child process) and lets
// it go on (SECCOMP_USER_NOTIF_FLAG_CONTINUE), except the one occurrence it
// was told to fail, which it answers with an errno.  The filter is inherited
// by every process the tool creates, so a failure can be injected in nsrun's
// children (before they exec PROGRAM) as well as in nsrun itself.
//
// Only calls made by the tool's own code are counted: a call whose
// instruction pointer lies in the dynamic loader (before main) or outside the
// tool's mappings (PROGRAM, after exec) is let through uncounted.
#pragma once

#include "tool_runner.hpp"

#include <cerrno>
#include <map>
#include <sys/types.h>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace nskit::test::faults {

// Where a call was made: by the tool's first process, or by a process (or
// thread) it created.
enum class where { parent, child };

struct site {
    long nr = -1;
    where in = where::parent;
    auto operator<=>(const site&) const = default;
};

// Fail occurrence `occurrence` (1-based) of `at` with errno `err`.
struct fault {
    site at;
    unsigned occurrence = 1;
    int err = 0;
};

struct traced_run {
    tool_result result;
    std::map<site, unsigned> calls; // the tool's own calls, counted
    bool injected = false;          // the fault's occurrence was reached
    std::string error;              // the harness itself failed ("" = fine)
};

// Run `tool` with args.  Without a fault every call is counted (discovery);
// with one, only the fault's system call is watched.
traced_run run_traced(const std::string& tool, const std::vector<std::string>& args,
                      const std::optional<fault>& f = std::nullopt);

// Calls whose failure a tool rightly ignores or cannot see, so failing them
// proves nothing: number -> the reason.
const std::map<long, const char*>& not_injected();

// The errnos a kernel gives for resource and permission trouble.
inline const std::vector<int> injected_errors{EPERM, ENOSPC, ENOMEM, EMFILE};

// A fault to inject, with how often the fault-free run made that call.
struct planned {
    fault f;
    unsigned of = 0;
};
// Every call counted that is not in not_injected() (with NSKIT_FAULTS_ONLY=
// NAME only that one), at its first and (last_too) last occurrence, with
// each of `errors`.
std::vector<planned> plan_faults(const std::map<site, unsigned>& calls, bool last_too, const std::vector<int>& errors);

std::string syscall_name(long nr); // "openat", or "syscall 435"
std::string errno_name(int err);   // "EPERM"
std::string describe(const fault& f); // "openat #1 in the child -> EPERM"

// What the tool left behind in this process's view: processes (this process
// must be a subreaper), mounts, links, named network namespaces, fds.
struct host_state {
    std::vector<std::string> mounts, links, netns, fds;
    std::vector<pid_t> children; // this process's own, there before the tool ran
};
host_state snapshot();
// The differences from `before`, one line each; reaps (after a bounded wait,
// then SIGKILL) any process left behind and reports it.
std::vector<std::string> left_behind(const host_state& before);

} // namespace nskit::test::faults
