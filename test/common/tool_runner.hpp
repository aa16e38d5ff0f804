// test/common/tool_runner.hpp — find and run nskit's tools as programs.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace nskit::test {

// $NSKIT_TOOLS_DIR/NAME (build.sh stages every release tool there), else the
// release build under bin/tools found from the working directory or from the
// test binary's location; "" when not found.
std::string tool_path(const std::string& name);

struct tool_result {
    int status = -1;      // exit code, or 128 + signal
    std::string out, err; // stdout, stderr (stderr also in `out` with merge_stderr)
    std::vector<std::string> out_lines() const;
};

struct tool_run_options {
    std::function<void()> before_exec; // runs in the child (seccomp, setuid, ...)
    bool merge_stderr = false;          // stderr into `out`, interleaved as written
    // Stop the tool (ptrace) when its first successful system call number
    // `stop_after_syscall` returns, run `while_stopped` (in this process),
    // then let it go on: a race made deterministic (pid reuse ...).
    long stop_after_syscall = -1;
    std::function<void()> while_stopped;
};

// Run the tool with args, no shell; both streams drained with poll (30 s cap).
tool_result run_tool(const std::string& name, const std::vector<std::string>& args,
                     const tool_run_options& opts = {});

} // namespace nskit::test
