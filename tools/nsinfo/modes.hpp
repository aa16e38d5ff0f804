// nsinfo's four modes: PIDs, --all, --tree, --why.
#pragma once

#include "table.hpp"

#include <string>
#include <vector>

namespace nsinfo {

// Exit statuses (nsinfo.1).
constexpr int exit_ok = 0;
constexpr int exit_error = 1;   // a bad or vanished PID, no such namespace, no /proc
constexpr int exit_usage = 2;
constexpr int exit_partial = 3; // something could not be read: the answer is incomplete

struct request {
    enum class mode { pids, all, tree, why };
    mode what = mode::pids;
    std::vector<std::string> pid_args;
    std::string why, tree = "owner", types, output;
    bool output_all = false, threads = false;
    nskit::tools::output_style style;
};

// Runs one mode; returns the exit status.  Usage errors throw tools::usage_error.
int run(const request& q);

// --list-columns
void list_columns(const nskit::tools::output_style& style);

} // namespace nsinfo
