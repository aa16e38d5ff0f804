// nsinfo's modes: PIDs, --all, --tree, --why, and lsns's entry point.
#pragma once

#include "table.hpp"

#include <string>
#include <vector>

namespace nsinfo {

// Exit statuses (nsinfo.1).  lsns's entry point uses lsns's: 0, and 1 for
// every error, usage errors included; it never says "partial".
constexpr int exit_ok = 0;
constexpr int exit_error = 1;   // a bad or vanished PID, no such namespace, no /proc
constexpr int exit_usage = 2;
constexpr int exit_partial = 3; // something could not be read: the answer is incomplete

struct request {
    enum class mode { pids, all, tree, why, lsns, caps };
    mode what = mode::pids;
    std::vector<std::string> pid_args;
    std::vector<std::string> types;
    std::string why, tree = "owner", output, filter; // why: also --caps's NS
    bool tree_given = false;    // -T (lsns: --tree; else its default)
    bool filter_given = false;  // -Q, even with an empty expression (which does not parse)
    bool output_all = false, threads = false, persistent = false, force_list = false;
    std::string mounts;         // --mounts TARGET
    std::string lsns_task;      // lsns -p PID: only namespaces this process is in
    std::string lsns_namespace; // lsns NS: the processes in that namespace
    nskit::tools::output_style style;
};

// Runs one mode; returns the exit status.  Usage errors throw tools::usage_error.
int run(const request& q);
// --mounts TARGET (mounts.cpp)
int run_mounts(const request& q);

// --list-columns (lsns: its HOLDER/TYPE/DESCRIPTION table)
void list_columns(const nskit::tools::output_style& style, bool lsns);

} // namespace nsinfo
