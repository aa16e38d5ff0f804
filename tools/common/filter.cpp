// Evaluation of a parsed filter, with libsmartcols 2.42's casting and
// comparison rules (filter-expr.c, filter-param.c), so that lsns's -Q
// expressions select the same rows here.
#include "filter_ast.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <strings.h>

namespace nskit::tools {
namespace {

using detail::node;
using detail::op;
using detail::value;
using detail::value_kind;

struct evaluation {
    const detail::ast& tree;
    const std::vector<filter::holder_type>& types;
    const filter::cell_fn& cell;

    bool truth(int index) const;
    value operand(int index, value_kind want) const;
    value holder_value(const node& n) const;
    bool compare(const node& n) const;
};

[[noreturn]] void cannot(const std::string& what, const std::string& text, const char* as)
{
    throw filter_eval_error{what + " \"" + text + "\" is not " + as};
}

// A value converted to `want` (libsmartcols's cast_param on a copy: only a
// string keeps being empty).
value cast(value v, value_kind want, const std::string& what)
{
    if (v.kind == want)
        return v;
    value out;
    out.kind = want;
    out.empty = v.kind == value_kind::string && v.empty;
    switch (v.kind) {
    case value_kind::string: {
        const bool has = !v.empty;
        if (want == value_kind::number && has) {
            char* end = nullptr;
            errno = 0;
            out.num = std::strtoull(v.str.c_str(), &end, 10);
            if (v.str.empty() || *end != '\0' || errno != 0 || v.str.front() == '-')
                cannot(what, v.str, "a number");
        } else if (want == value_kind::floating && has) {
            char* end = nullptr;
            errno = 0;
            out.fnum = std::strtold(v.str.c_str(), &end);
            if (v.str.empty() || *end != '\0' || errno != 0)
                cannot(what, v.str, "a number");
        } else if (want == value_kind::boolean) {
            out.boolean = has && (v.str == "1" || ::strcasecmp(v.str.c_str(), "true") == 0 ||
                                  v.str == "y" || v.str == "Y" || ::strcasecmp(v.str.c_str(), "yes") == 0);
        }
        break;
    }
    case value_kind::number:
        out.str = std::to_string(v.num);
        out.fnum = static_cast<long double>(v.num);
        out.boolean = v.num > 0;
        break;
    case value_kind::floating: {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%Lg", v.fnum);
        out.str = buf;
        // saturated: a cast of a negative, NaN or too large value is undefined
        out.num = !(v.fnum > 0) ? 0
                  : v.fnum >= 18446744073709551616.0L ? std::numeric_limits<std::uint64_t>::max()
                                                      : static_cast<std::uint64_t>(v.fnum);
        out.boolean = v.fnum > 0;
        break;
    }
    case value_kind::boolean:
        out.str = v.boolean ? "true" : "false";
        out.num = v.boolean ? 1 : 0;
        out.fnum = v.boolean ? 1 : 0;
        break;
    case value_kind::none: break;
    }
    return out;
}

value evaluation::holder_value(const node& n) const
{
    value v;
    v.kind = value_kind::string;
    if (auto text = cell(n.holder)) {
        const auto first = text->find_first_not_of(" \t\n\v\f\r");
        if (first != std::string::npos) {
            v.str = text->substr(first, text->find_last_not_of(" \t\n\v\f\r") - first + 1);
            v.empty = false;
        }
    }
    const bool number = types[n.holder] == filter::holder_type::number;
    return number ? cast(v, value_kind::number, tree.holders[n.holder]) : v;
}

value_kind static_kind(const detail::ast& tree, const std::vector<filter::holder_type>& types, int index)
{
    const node& n = tree.nodes[static_cast<std::size_t>(index)];
    switch (n.k) {
    case node::kind::expr: return value_kind::boolean;
    case node::kind::literal: return n.literal.kind;
    case node::kind::holder:
        return types[n.holder] == filter::holder_type::number ? value_kind::number : value_kind::string;
    }
    return value_kind::none;
}

value evaluation::operand(int index, value_kind want) const
{
    const node& n = tree.nodes[static_cast<std::size_t>(index)];
    if (n.k == node::kind::expr) {
        value b;
        b.kind = value_kind::boolean;
        b.empty = false;
        b.boolean = truth(index);
        return cast(b, want, "an expression");
    }
    if (n.k == node::kind::literal)
        return cast(n.literal, want, "the value");
    return cast(holder_value(n), want, tree.holders[n.holder]);
}

template <class T>
bool ordered(op o, const T& a, const T& b)
{
    switch (o) {
    case op::eq: return a == b;
    case op::ne: return a != b;
    case op::le: return a <= b;
    case op::lt: return a < b;
    case op::ge: return a >= b;
    case op::gt: return a > b;
    default: return false;
    }
}

bool evaluation::compare(const node& n) const
{
    const value_kind l = static_kind(tree, types, n.left), r = static_kind(tree, types, n.right);
    value_kind kind = l;
    if (l != r) {
        const bool lh = tree.nodes[static_cast<std::size_t>(n.left)].k == node::kind::holder;
        const bool rh = tree.nodes[static_cast<std::size_t>(n.right)].k == node::kind::holder;
        kind = lh && !rh ? r : l; // a literal's type wins over a holder's
        if (kind == value_kind::number && (l == value_kind::floating || r == value_kind::floating))
            kind = value_kind::floating;
    }
    const value a = operand(n.left, kind), b = operand(n.right, kind);
    if (n.oper == op::reg || n.oper == op::nreg) {
        if (kind != value_kind::string) // only a string literal's right side gets here as a string
            throw filter_eval_error{"=~ needs a string on its left"};
        const bool hit = ::regexec(&n.re->re, a.empty ? "" : a.str.c_str(), 0, nullptr, 0) == 0;
        return n.oper == op::reg ? hit : !hit;
    }
    switch (kind) {
    case value_kind::string: // empty (NULL in libsmartcols) sorts before everything
        if (a.empty || b.empty)
            return ordered(n.oper, !a.empty, !b.empty);
        return ordered(n.oper, std::strcmp(a.str.c_str(), b.str.c_str()), 0);
    case value_kind::number: return !a.empty && !b.empty && ordered(n.oper, a.num, b.num);
    case value_kind::floating: return !a.empty && !b.empty && ordered(n.oper, a.fnum, b.fnum);
    case value_kind::boolean: return !a.empty && !b.empty && ordered(n.oper, a.boolean, b.boolean);
    case value_kind::none: break;
    }
    return false;
}

bool evaluation::truth(int index) const
{
    const node& n = tree.nodes[static_cast<std::size_t>(index)];
    if (n.k != node::kind::expr) {
        const value v = n.k == node::kind::literal ? n.literal : holder_value(n);
        if (v.empty)
            return false;
        switch (v.kind) {
        case value_kind::string: return !v.str.empty();
        case value_kind::number: return v.num != 0;
        case value_kind::floating: return v.fnum != 0;
        case value_kind::boolean: return v.boolean;
        case value_kind::none: return false;
        }
    }
    switch (n.oper) {
    case op::and_: return truth(n.left) && truth(n.right);
    case op::or_: return truth(n.left) || truth(n.right);
    case op::not_: return !truth(n.right);
    default: return compare(n);
    }
}

} // namespace

struct filter::impl {
    detail::ast tree;
};

filter::filter(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
filter::filter(filter&&) noexcept = default;
filter& filter::operator=(filter&&) noexcept = default;
filter::~filter() = default;

filter filter::parse(std::string_view expression)
{
    auto p = std::make_unique<impl>();
    p->tree = detail::parse_filter(expression);
    return filter(std::move(p));
}

std::vector<std::string> filter::holders() const { return impl_->tree.holders; }

std::size_t filter::holder_column(std::string_view name) const
{
    const auto& hs = impl_->tree.holders;
    for (std::size_t i = 0; i < hs.size(); ++i)
        if (hs[i] == name)
            return impl_->tree.holder_columns[i];
    return 0;
}

bool filter::matches(const std::vector<holder_type>& types, const cell_fn& cell) const
{
    return evaluation{impl_->tree, types, cell}.truth(impl_->tree.root);
}

} // namespace nskit::tools
