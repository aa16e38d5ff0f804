// The parsed form of a tools::filter (filter.hpp), shared by its parser
// (filter_parse.cpp, Boost.Spirit X3) and its evaluator (filter.cpp).
#pragma once

#include "filter.hpp"

#include <regex.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace nskit::tools::detail {

enum class value_kind { none, string, number, floating, boolean };

// A literal or a holder's value, as libsmartcols's filter_param has it.
struct value {
    value_kind kind = value_kind::none;
    bool empty = true;
    std::string str;
    std::uint64_t num = 0;
    long double fnum = 0;
    bool boolean = false;
};

enum class op { and_, or_, not_, eq, ne, le, lt, ge, gt, reg, nreg };

struct regex_holder {
    regex_t re{};
    ~regex_holder() { ::regfree(&re); }
};

struct node {
    enum class kind { literal, holder, expr } k = kind::literal;
    value literal;               // kind::literal
    std::size_t holder = 0;      // kind::holder: index into ast::holders
    op oper = op::and_;          // kind::expr
    int left = -1, right = -1;   // kind::expr (not_: right only)
    std::shared_ptr<regex_holder> re; // reg/nreg: compiled right side
};

struct ast {
    std::vector<node> nodes;
    int root = -1;
    std::vector<std::string> holders;
    std::vector<std::size_t> holder_columns;
};

// Throws filter_syntax_error.
ast parse_filter(std::string_view text);

} // namespace nskit::tools::detail
