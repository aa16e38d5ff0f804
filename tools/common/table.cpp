#include "table.hpp"

#include "cli.hpp"
#include "text.hpp"

#include <boost/json/serialize.hpp>
#include <libsmartcols/libsmartcols.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <new>

namespace json = boost::json;

namespace nskit::tools {
namespace {

json::value number_or_null(const std::string& t)
{
    std::int64_t i = 0;
    if (auto [p, e] = std::from_chars(t.data(), t.data() + t.size(), i); e == std::errc() && p == t.data() + t.size())
        return i;
    std::uint64_t u = 0;
    if (auto [p, e] = std::from_chars(t.data(), t.data() + t.size(), u); e == std::errc() && p == t.data() + t.size())
        return u;
    return nullptr;
}

} // namespace

cell unknown_cell(std::string reason)
{
    cell c;
    c.text = "unknown (" + reason + ")";
    c.reason = std::move(reason);
    return c;
}

void check_style(const output_style& s)
{
    if (s.json && (s.raw || s.noheadings))
        fail("--json does not combine with --raw or --noheadings");
}

std::vector<std::size_t> pick_column_indices(const std::vector<std::string_view>& names, std::string_view defaults,
                                             std::string_view requested, bool everything)
{
    std::vector<std::size_t> out;
    if (everything) {
        for (std::size_t i = 0; i < names.size(); ++i)
            out.push_back(i);
        return out;
    }
    std::string list(requested.empty() ? defaults : requested);
    if (!requested.empty() && requested.front() == '+')
        list = std::string(defaults) + "," + std::string(requested.substr(1));
    for (const auto& name : split_list(list)) {
        const std::string u = upper(name);
        auto it = std::find(names.begin(), names.end(), u);
        if (it == names.end()) {
            std::string all;
            for (const auto& n : names)
                all += (all.empty() ? "" : ",") + std::string(n);
            fail("unknown column '" + name + "' (columns: " + all + ")");
        }
        const auto i = static_cast<std::size_t>(it - names.begin());
        if (std::find(out.begin(), out.end(), i) == out.end())
            out.push_back(i);
    }
    if (out.empty())
        fail("no columns given");
    return out;
}

output::output(std::string name, std::vector<const column_def*> columns, const output_style& style, bool tree)
    : output(std::move(name), std::move(columns), style, output_shape{tree ? 0 : output_shape::no_tree})
{
}

output::output(std::string name, std::vector<const column_def*> columns, const output_style& style,
               const output_shape& shape)
    : name_(std::move(name)), columns_(std::move(columns)), style_(style), shape_(shape)
{
    if (style_.json && !shape_.scols_json)
        return;
    table_ = scols_new_table();
    if (!table_)
        throw std::bad_alloc();
    scols_table_enable_raw(table_, style_.raw);
    scols_table_enable_noheadings(table_, style_.noheadings);
    scols_table_enable_nowrap(table_, style_.nowrap);
    if (style_.json) {
        scols_table_enable_json(table_, 1);
        scols_table_set_name(table_, shape_.json_name ? shape_.json_name : name_.c_str());
    }
    for (std::size_t i = 0; i < columns_.size(); ++i)
        add_scols_column(i);
}

void output::add_scols_column(std::size_t i)
{
    const column_def& def = *columns_[i];
    int flags = def.flags;
    if (style_.notruncate)
        flags &= ~SCOLS_FL_TRUNC;
    if (style_.nowrap)
        flags &= ~SCOLS_FL_WRAP;
    if (i == shape_.tree_column)
        flags = (flags & ~SCOLS_FL_RIGHT) | SCOLS_FL_TREE;
    auto* cl = scols_table_new_column(table_, def.name, def.width, flags);
    if (!cl)
        throw std::bad_alloc();
    if (style_.json)
        scols_column_set_json_type(cl, def.json == json_kind::number ? SCOLS_JSON_NUMBER : SCOLS_JSON_STRING);
    if (def.multiline && !style_.nowrap) { // one part per line, as lsns's NSFS
        scols_column_set_wrapfunc(cl, scols_wrapnl_chunksize, scols_wrapnl_nextchunk, nullptr);
        scols_column_set_safechars(cl, "\n");
    }
}

output::~output() { scols_unref_table(table_); }

output::row output::add(const std::vector<cell>& cells, row parent)
{
    const row r = rows_++;
    if (table_) {
        auto* ln = scols_table_new_line(table_, parent == no_parent ? nullptr : lines_[parent]);
        if (!ln)
            throw std::bad_alloc();
        for (std::size_t i = 0; i < columns_.size() && i < cells.size(); ++i) {
            const cell& c = cells[i];
            if (c.text.empty() || (c.unknown() && shape_.unknown_as_empty))
                continue;
            if (scols_line_set_data(ln, i, style_.json ? json_text(c.text).c_str() : c.text.c_str()) != 0)
                throw std::bad_alloc();
        }
        lines_.push_back(ln);
        return r;
    }
    node n;
    json::object unknown;
    for (std::size_t i = 0; i < columns_.size() && i < cells.size(); ++i) {
        const std::string key = lower(columns_[i]->name);
        const cell& c = cells[i];
        if (c.unknown())
            unknown[key] = json_text(c.reason);
        if (!c.json.is_null())
            n.cells[key] = c.json;
        else if (c.unknown() || c.text.empty())
            n.cells[key] = nullptr;
        else if (columns_[i]->json == json_kind::number)
            n.cells[key] = number_or_null(c.text);
        else
            n.cells[key] = json_text(c.text);
    }
    if (!unknown.empty())
        n.cells["unknown"] = std::move(unknown);
    nodes_.push_back(std::move(n));
    (parent == no_parent ? roots_ : nodes_[parent].children).push_back(r);
    return r;
}

void output::set(std::string_view key, json::value v)
{
    if (!shape_.scols_json)
        extra_[key] = std::move(v);
}

void output::set_title(const std::string& title)
{
    if (table_ && !style_.raw && !style_.noheadings)
        scols_cell_set_data(scols_table_get_title(table_), title.c_str());
}

json::value output::tree_json(row r)
{
    json::object o = std::move(nodes_[r].cells);
    if (!nodes_[r].children.empty()) {
        json::array kids;
        for (row c : nodes_[r].children)
            kids.push_back(tree_json(c));
        o["children"] = std::move(kids);
    }
    return o;
}

void output::print(std::ostream& out)
{
    if (table_) {
        out.flush();
        scols_print_table(table_);
        (void)std::fflush(stdout); // a failure stays in ferror(stdout), which the tool checks before exiting
        return;
    }
    json::object doc;
    json::array rows;
    for (row r : roots_)
        rows.push_back(tree_json(r));
    doc[name_] = std::move(rows);
    for (auto& [k, v] : extra_)
        doc[k] = std::move(v);
    out << json::serialize(doc) << '\n';
}

void print_column_list(const std::vector<column_set>& sets, const output_style& style, std::ostream& out)
{
    static const std::vector<column_def> cols = {
        {"NAME", "", json_kind::string, 8}, {"MODE", "", json_kind::string, 10}, {"DESCRIPTION", "", json_kind::string, 0.5}};
    output o("columns", {&cols[0], &cols[1], &cols[2]}, style);
    for (const auto& s : sets)
        for (const auto* c : s.columns)
            o.add({{c->name, {}}, {std::string(s.mode), {}}, {c->help, {}}});
    o.print(out);
}

} // namespace nskit::tools

namespace nskit::tools {

void print_holder_list(const char* table_name, const std::vector<const column_def*>& columns, output_style style,
                       std::ostream& out)
{
    static const std::vector<column_def> cols = {{"HOLDER", "", json_kind::string, 0, SCOLS_FL_RIGHT},
                                                 {"TYPE", "", json_kind::string, 0},
                                                 {"DESCRIPTION", "", json_kind::string, 0}};
    style.noheadings = true;
    output_shape shape;
    shape.scols_json = true;
    shape.json_name = table_name;
    output o(table_name, {&cols[0], &cols[1], &cols[2]}, style, shape);
    for (const auto* c : columns)
        o.add({{c->name, {}}, {c->json == json_kind::number ? "<integer>" : "<string>", {}}, {c->help, {}}});
    o.print(out);
}

} // namespace nskit::tools
