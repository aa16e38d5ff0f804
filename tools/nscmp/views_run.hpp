// nscmp's two modes: compare two processes, or group many.
#pragma once

#include "table.hpp"

#include <nskit/inspect/compare.hpp>

#include <string>
#include <vector>

namespace nscmp {

// Exit statuses, like cmp(1).
constexpr int exit_same = 0, exit_differ = 1, exit_trouble = 2;

const std::vector<nskit::tools::column_def>& compare_columns();
const std::vector<nskit::tools::column_def>& group_columns();
constexpr const char* default_compare_columns = "TYPE,RESULT,A,B,DETAIL";
constexpr const char* default_group_columns = "RESOURCE,CLASS,SIZE,MEMBERS,WHAT";

struct compare_request {
    nskit::inspect::compare_options options;
    std::vector<std::size_t> columns; // indices into compare_columns()
    nskit::tools::output_style style;
    bool quiet = false;
};
int run_compare(pid_t a, pid_t b, const compare_request& q);

struct group_request {
    std::vector<std::string> resources; // names, "file" included
    std::vector<std::size_t> columns;   // indices into group_columns()
    nskit::tools::output_style style;
    bool quiet = false, shared_only = false;
};
int run_group(const std::vector<pid_t>& pids, const group_request& q);

} // namespace nscmp
