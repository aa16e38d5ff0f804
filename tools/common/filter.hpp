// tools/common/filter.hpp — row filters in libsmartcols's scols-filter(5)
// grammar (what `lsns -Q` takes), for libsmartcols 2.38, which has no filter
// API.  Parsed with Boost.Spirit X3; evaluated with libsmartcols 2.42's rules
// (filter-expr.c, filter-param.c): holders take their column's type (number
// columns compare as unsigned 64-bit, the others as strings), a literal's
// type wins over a holder's, float over number; an empty cell is false and
// compares false as a number, lowest as a string; =~ and !~ take a POSIX
// extended regular expression in a string literal on the right.
// Precedence as libsmartcols's parser has it: || and && are one level, left
// to right, below the comparisons, which are one level, left to right; !
// binds tightest.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nskit::tools {

// A filter that does not parse: where (1-based character column) and what.
struct filter_syntax_error {
    std::size_t column = 0;
    std::string what;
};

// A cell the filter cannot compare as its type needs ("root" as a number).
struct filter_eval_error {
    std::string text;
};

class filter {
public:
    enum class holder_type { string, number };

    // Throws filter_syntax_error.
    static filter parse(std::string_view expression);

    filter(filter&&) noexcept;
    filter& operator=(filter&&) noexcept;
    ~filter();

    // Column names the expression uses (as written), each once, in order.
    std::vector<std::string> holders() const;

    // Where holder `name` first appears (1-based column), for error messages.
    std::size_t holder_column(std::string_view name) const;

    // The value of holder `i` (index into holders()) for the row being
    // tested: its text, or nullopt for an empty cell.
    using cell_fn = std::function<std::optional<std::string>(std::size_t holder)>;
    // Each holder's type: its column's.  Throws filter_eval_error.
    bool matches(const std::vector<holder_type>& types, const cell_fn& cell) const;

private:
    struct impl;
    explicit filter(std::unique_ptr<impl> p);
    std::unique_ptr<impl> impl_;
};

} // namespace nskit::tools
