// nscmp PID1 PID2: the comparison as tables (libsmartcols) or JSON (json.hpp).
#include "cli.hpp"
#include "json.hpp"
#include "text.hpp"
#include "views.hpp"
#include "views_run.hpp"

#include <nskit/sys/error.hpp>

#include <boost/json/serialize.hpp>
#include <libsmartcols/libsmartcols.h>

#include <iostream>

namespace nscmp {
namespace {

namespace json = boost::json;
namespace tools = nskit::tools;
using tools::cell;

std::string lower(const char* s) { return tools::lower(s); }

// The requested columns of a conversion's row, in order.
json::object pick(const json::object& all, const std::vector<std::size_t>& columns)
{
    json::object o;
    for (auto i : columns) {
        const std::string key = lower(compare_columns()[i].name);
        o[key] = all.at(key);
    }
    return o;
}

json::value section(bool compared, const auto& items, json::object& doc, const char* unknown_key,
                    const std::string& reason)
{
    if (compared)
        return json::value_from(items);
    doc[unknown_key] = tools::json_text(reason);
    return nullptr;
}

void print_json(const insp::comparison& c, const compare_request& q)
{
    json::object doc{{"a", c.a}, {"b", c.b}};
    json::array rows;
    for (const auto& n : c.namespaces)
        rows.push_back(pick(json::value_from(n).as_object(), q.columns));
    for (const auto& r : c.resources)
        rows.push_back(pick(json::value_from(r).as_object(), q.columns));
    doc["comparisons"] = std::move(rows);
    if (q.options.shared_fds)
        doc["shared-fds"] = section(c.shared_fds_compared, c.shared_fds, doc, "shared-fds-unknown", c.fds_reason);
    if (q.options.epoll)
        doc["epoll"] = section(c.epoll_compared, c.epoll, doc, "epoll-unknown", c.epoll_reason);
    doc["kcmp-calls"] = c.kcmp_calls;
    std::cout << json::serialize(doc) << '\n';
}

// The text of every compare column for a row, from the same conversion as JSON ("-": none).
std::vector<cell> text_row(const json::object& all, const std::vector<std::size_t>& columns)
{
    std::vector<cell> out;
    for (auto i : columns) {
        const auto& v = all.at(lower(compare_columns()[i].name));
        out.push_back({v.is_null() ? "-" : v.is_string() ? std::string(v.as_string()) : json::serialize(v), {}});
    }
    return out;
}

void print_rows(const insp::comparison& c, const compare_request& q)
{
    if (c.namespaces.empty() && c.resources.empty())
        return;
    std::vector<const tools::column_def*> cols;
    for (auto i : q.columns)
        cols.push_back(&compare_columns()[i]);
    tools::output out("comparisons", cols, q.style);
    out.set_title("process a = " + std::to_string(c.a) + ", b = " + std::to_string(c.b));
    for (const auto& n : c.namespaces)
        out.add(text_row(json::value_from(n).as_object(), q.columns));
    for (const auto& r : c.resources)
        out.add(text_row(json::value_from(r).as_object(), q.columns));
    out.print(std::cout);
}

// A titled table after the first, separated by a blank line.
void print_section(const std::vector<tools::column_def>& cols, const std::vector<std::vector<cell>>& rows,
                   const tools::output_style& style, const char* title)
{
    if (rows.empty())
        return;
    std::cout << (style.raw || style.noheadings ? "" : "\n");
    tools::output out("", tools::definitions(tools::pick_columns(cols, "", "", true)), style);
    out.set_title(title);
    for (const auto& r : rows)
        out.add(r);
    out.print(std::cout);
}

void print_fds(const insp::comparison& c, const compare_request& q)
{
    static const std::vector<tools::column_def> cols = {
        {"A-FD", "", tools::json_kind::number, 0, SCOLS_FL_RIGHT}, {"B-FD", "", tools::json_kind::number, 0, SCOLS_FL_RIGHT},
        {"KIND", ""}, {"WHAT", "", tools::json_kind::string, 0, SCOLS_FL_WRAP}};
    if (!c.shared_fds_compared) {
        std::cerr << "nscmp: open files not compared: " << c.fds_reason << '\n';
        return;
    }
    std::vector<std::vector<cell>> rows;
    for (const auto& s : c.shared_fds)
        rows.push_back({{std::to_string(s.a.fd), {}}, {std::to_string(s.b.fd), {}},
                        {std::string(insp::to_string(s.a.kind)), {}}, {fd_what(s.a), {}}});
    print_section(cols, rows, q.style, "open files shared (one open file description)");
}

void print_epoll(const insp::comparison& c, const compare_request& q)
{
    static const std::vector<tools::column_def> cols = {
        {"OWNER", ""}, {"EPFD", "", tools::json_kind::number, 0, SCOLS_FL_RIGHT},
        {"TFD", "", tools::json_kind::number, 0, SCOLS_FL_RIGHT}, {"EVENTS", ""},
        {"FD", "", tools::json_kind::number, 0, SCOLS_FL_RIGHT}, {"WHAT", "", tools::json_kind::string, 0, SCOLS_FL_WRAP}};
    if (!c.epoll_compared) {
        std::cerr << "nscmp: epoll interest lists not compared: " << c.epoll_reason << '\n';
        return;
    }
    std::vector<std::vector<cell>> rows;
    for (const auto& w : c.epoll)
        rows.push_back({{side_name(w.owner), {}},
                        {std::to_string(w.epoll_fd), {}},
                        {std::to_string(w.target_fd) + (w.target_offset ? "+" + std::to_string(w.target_offset) : ""), {}},
                        {hex(w.events), {}},
                        {std::to_string(w.other.fd), {}},
                        {fd_what(w.other), {}}});
    print_section(cols, rows, q.style, "epoll fds of one watching files of the other (FD: the other's fd)");
}

nskit::sys::pidref open_process(pid_t pid)
{
    std::error_code ec;
    auto p = nskit::sys::pidref::open(pid, ec, {.allow_thread = true});
    if (ec)
        tools::fail(std::to_string(pid) + ": " + (ec == std::errc::no_such_process ? "no such process" : ec.message()));
    return p;
}

int status_of(const insp::comparison& c, const compare_request& q)
{
    const auto& o = q.options;
    const bool rows_asked = !o.namespaces.empty() || !o.resources.empty();
    const bool sections_ok = (!o.shared_fds || c.shared_fds_compared) && (!o.epoll || c.epoll_compared);
    if (rows_asked ? !c.anything_compared() : !sections_ok)
        return exit_trouble;
    return c.something_differs() ? exit_differ : exit_same;
}

} // namespace

const std::vector<tools::column_def>& compare_columns()
{
    using tools::json_kind;
    static const std::vector<tools::column_def> cols{
        {"TYPE", "namespace type or kcmp resource"},
        {"KIND", "namespace or resource"},
        {"RESULT", "same, different, parent, child, ancestor, descendant, or unknown"},
        {"RELATION", "a's namespace relative to b's (pid and user namespaces)"},
        {"A", "a's namespace (type:[inode])"},
        {"B", "b's namespace (type:[inode])"},
        {"A-ID", "a's namespace id (NS_GET_ID, 6.18)", json_kind::number, 0, SCOLS_FL_RIGHT},
        {"B-ID", "b's namespace id", json_kind::number, 0, SCOLS_FL_RIGHT},
        {"DETAIL", "how they relate, who owns them, or why unknown", json_kind::string, 0, SCOLS_FL_WRAP},
    };
    return cols;
}

int run_compare(pid_t pa, pid_t pb, const compare_request& q)
{
    const auto a = open_process(pa), b = open_process(pb);
    std::error_code ec;
    const auto c = insp::compare(a, b, q.options, ec);
    if (ec == std::errc::no_such_process)
        tools::fail(std::to_string(a.alive() ? pb : pa) + ": the process has exited");
    if (ec)
        tools::fail(nskit::describe(ec, nskit::op_kind::proc_read,
                                    "compare(" + std::to_string(pa) + ", " + std::to_string(pb) + ")"));
    const int status = status_of(c, q);
    if (q.quiet)
        return status;
    if (q.style.json) {
        print_json(c, q);
        return status;
    }
    print_rows(c, q);
    if (q.options.shared_fds)
        print_fds(c, q);
    if (q.options.epoll)
        print_epoll(c, q);
    if (status == exit_trouble)
        std::cerr << "nscmp: nothing could be compared between " << pa << " and " << pb << '\n';
    return status;
}

} // namespace nscmp
