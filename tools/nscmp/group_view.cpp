// nscmp --group: classes of processes (or fds) sharing a kernel object.
#include "cli.hpp"
#include "json.hpp"
#include "views.hpp"
#include "views_run.hpp"

#include <nskit/inspect/group.hpp>

#include <boost/json/serialize.hpp>
#include <libsmartcols/libsmartcols.h>

#include <algorithm>
#include <iostream>

namespace nscmp {
namespace {

namespace json = boost::json;
namespace tools = nskit::tools;
using rows_t = std::vector<std::vector<std::string>>; // every group column

void report_skipped(const std::string& what, const std::vector<insp::ungrouped>& skipped)
{
    if (skipped.empty())
        return;
    std::cerr << "nscmp: " << what << ": " << skipped.size() << (skipped.size() == 1 ? " process" : " processes")
              << " left out (pid " << skipped.front().pid << ": " << skipped.front().reason << ")\n";
}

std::string joined(const std::vector<std::string>& items)
{
    std::string s;
    for (const auto& i : items)
        s += (s.empty() ? "" : ",") + i;
    return s;
}

// Processes grouped (for the exit status).
std::size_t group_files(const std::vector<pid_t>& pids, const group_request& q, rows_t& rows, json::array& doc)
{
    std::error_code ec;
    const auto r = insp::group_files(pids, insp::fd_grouping::target, ec);
    if (ec)
        tools::fail("group by open file: " + (r.error_reason.empty() ? ec.message() : r.error_reason));
    std::size_t n = 0;
    for (const auto& cls : r.classes) {
        std::vector<std::string> members;
        for (const auto& f : cls)
            members.push_back(std::to_string(f.pid) + ":" + std::to_string(f.fd.fd));
        rows.push_back({"file", std::to_string(++n), std::to_string(cls.size()), joined(members), fd_what(cls.front().fd)});
    }
    doc.push_back(json::value_from(r));
    if (!q.quiet && !q.style.json)
        report_skipped("file", r.skipped);
    return pids.size() - std::min(pids.size(), r.skipped.size());
}

std::size_t group_resource(const std::vector<pid_t>& pids, const std::string& name, const group_request& q,
                           rows_t& rows, json::array& doc)
{
    std::error_code ec;
    auto r = insp::group(pids, *insp::kcmp_resource_from_name(name), ec);
    if (ec)
        tools::fail("group by " + name + ": " + (r.error_reason.empty() ? ec.message() : r.error_reason));
    std::size_t grouped = 0, n = 0;
    for (const auto& cls : r.classes) {
        ++n;
        grouped += cls.size();
        if (q.shared_only && cls.size() < 2)
            continue;
        std::vector<std::string> members;
        for (auto p : cls)
            members.push_back(std::to_string(p));
        rows.push_back({name, std::to_string(n), std::to_string(cls.size()), joined(members), ""});
    }
    if (q.shared_only)
        std::erase_if(r.classes, [](const auto& cls) { return cls.size() < 2; });
    doc.push_back(json::value_from(r));
    if (!q.quiet && !q.style.json)
        report_skipped(name, r.skipped);
    return grouped;
}

void print_rows(const rows_t& rows, const group_request& q)
{
    std::vector<const tools::column_def*> cols;
    for (auto i : q.columns)
        cols.push_back(&group_columns()[i]);
    tools::output out("groups", cols, q.style);
    for (const auto& r : rows) {
        std::vector<tools::cell> line;
        for (auto i : q.columns)
            line.push_back({r[i].empty() ? "-" : r[i], {}});
        out.add(line);
    }
    out.print(std::cout);
}

} // namespace

const std::vector<tools::column_def>& group_columns()
{
    using tools::json_kind;
    static const std::vector<tools::column_def> cols{
        {"RESOURCE", "kcmp resource (vm, files, fs, sighand, io, sysvsem, file)"},
        {"CLASS", "class number, largest first", json_kind::number, 0, SCOLS_FL_RIGHT},
        {"SIZE", "processes (or fds, for file) in the class", json_kind::number, 0, SCOLS_FL_RIGHT},
        {"MEMBERS", "pids, or pid:fd for file", json_kind::string, 0, SCOLS_FL_WRAP},
        {"WHAT", "for file: what the fds refer to", json_kind::string, 0, SCOLS_FL_WRAP},
    };
    return cols;
}

int run_group(const std::vector<pid_t>& pids, const group_request& q)
{
    rows_t rows;
    json::array doc;
    std::size_t grouped = 0;
    for (const auto& name : q.resources)
        grouped += name == "file" ? group_files(pids, q, rows, doc) : group_resource(pids, name, q, rows, doc);
    const int status = grouped > 0 ? exit_same : exit_trouble;
    if (q.quiet)
        return status;
    if (q.style.json)
        std::cout << json::serialize(json::object{{"groups", std::move(doc)}}) << '\n';
    else
        print_rows(rows, q);
    if (status == exit_trouble)
        std::cerr << "nscmp: no process could be grouped\n";
    return status;
}

} // namespace nscmp
