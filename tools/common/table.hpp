// tools/common/table.hpp — every table, tree and JSON document the tools
// print: columns picked with -o (a list, or +LIST to add to the defaults),
// rows of cells; text through libsmartcols (as lsns), JSON through Boost.JSON.
//
// JSON rules (the tools' man pages state them): keys are the lower-case
// column names, each once; a number column is a number or null; every string
// goes through json_text() (valid UTF-8, lossless); a cell that is unknown is
// null, with its reason under the row's "unknown" object, keyed by column;
// tree children nest under "children".
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

struct libscols_table;
struct libscols_line;

namespace nskit::tools {

enum class json_kind { string, number, object }; // object: the cell gives its JSON, else its text

struct column_def {
    const char* name;
    const char* help;
    json_kind json = json_kind::string;
    double width = 0;   // libsmartcols width hint
    int flags = 0;      // SCOLS_FL_*
    bool multiline = false; // cells hold '\n'-separated parts, one per line (unless nowrap)
};

// One cell: text ("" = nothing), or unknown with the reason.
struct cell {
    std::string text;
    std::string reason; // non-empty: unknown; text is then "unknown (REASON)"
    boost::json::value json{}; // non-null: the cell's JSON (an object), instead of the text
    bool unknown() const noexcept { return !reason.empty(); }
};
cell unknown_cell(std::string reason);

struct output_style {
    bool json = false, raw = false, noheadings = false, notruncate = false, nowrap = false;
};
// -J with -r or -n is a usage error (fail()): JSON has no raw form or headings.
void check_style(const output_style& s);

// Columns from a -o value: "A,B" replaces `defaults`, "+A,B" adds to them.
// Names are case-insensitive; a name given twice is shown once; an unknown
// one is a usage error that names it.  Indices into `names`.
std::vector<std::size_t> pick_column_indices(const std::vector<std::string_view>& names, std::string_view defaults,
                                             std::string_view requested, bool everything = false);
// The same over any column type with a `name` (column_def or one derived from it).
template <class Col>
std::vector<const Col*> pick_columns(const std::vector<Col>& all, std::string_view defaults,
                                     std::string_view requested, bool everything = false)
{
    std::vector<std::string_view> names;
    for (const auto& c : all)
        names.emplace_back(c.name);
    std::vector<const Col*> out;
    for (auto i : pick_column_indices(names, defaults, requested, everything))
        out.push_back(&all[i]);
    return out;
}
template <class Col>
std::vector<const column_def*> definitions(const std::vector<const Col*>& cols)
{
    return {cols.begin(), cols.end()};
}

// How a table is drawn beyond the style.
struct output_shape {
    static constexpr std::size_t no_tree = static_cast<std::size_t>(-1);
    std::size_t tree_column = no_tree; // the column that draws the tree
    // JSON written by libsmartcols, as util-linux's tools write it (strings
    // still through json_text()); no "unknown" objects.
    bool scols_json = false;
    bool unknown_as_empty = false; // unknown cells print nothing (as lsns)
    const char* json_name = nullptr; // libsmartcols table name (scols_json)
};

class output {
public:
    // `name`: the JSON key of the rows ("namespaces"); tree: the first column draws it.
    output(std::string name, std::vector<const column_def*> columns, const output_style& style, bool tree = false);
    output(std::string name, std::vector<const column_def*> columns, const output_style& style, const output_shape& shape);
    ~output();
    output(const output&) = delete;
    output& operator=(const output&) = delete;

    using row = std::size_t;
    static constexpr row no_parent = static_cast<row>(-1);
    // cells in the order of the columns.
    row add(const std::vector<cell>& cells, row parent = no_parent);
    // A top-level JSON member beside the rows (ignored in text mode).
    void set(std::string_view key, boost::json::value v);
    void set_title(const std::string& title); // text mode only
    bool json() const noexcept { return style_.json; }
    bool empty() const noexcept { return rows_ == 0; }
    void print(std::ostream& out);

private:
    struct node {
        boost::json::object cells;
        std::vector<row> children;
    };
    boost::json::value tree_json(row r);

    void add_scols_column(std::size_t i);

    std::string name_;
    std::vector<const column_def*> columns_;
    output_style style_;
    output_shape shape_;
    libscols_table* table_ = nullptr;
    std::vector<libscols_line*> lines_;
    std::vector<node> nodes_;
    std::vector<row> roots_;
    boost::json::object extra_;
    std::size_t rows_ = 0;
};

// --list-columns: NAME, MODE, DESCRIPTION of each set of columns.
struct column_set {
    std::string_view mode;
    std::vector<const column_def*> columns;
};
void print_column_list(const std::vector<column_set>& sets, const output_style& style, std::ostream& out);
// util-linux's --list-columns: HOLDER, TYPE (<integer>, <string>), DESCRIPTION, no headings.
void print_holder_list(const char* table_name, const std::vector<const column_def*>& columns, output_style style,
                       std::ostream& out);

} // namespace nskit::tools
