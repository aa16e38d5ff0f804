// scols-filter(5) expressions parsed with Boost.Spirit X3 into filter_ast.
// The tokens are libsmartcols's scanner's (filter-scanner.l), the grammar its
// parser's (filter-parser.y); where the scanner silently skips a character it
// does not know (and writes it to stdout), this is a syntax error instead.
#include "filter_ast.hpp"

#include <boost/fusion/include/at_c.hpp>
#include <boost/spirit/home/x3.hpp>

#include <algorithm>
#include <cstdlib>

#include <limits>

namespace x3 = boost::spirit::x3;

namespace nskit::tools::detail {
namespace {

using iterator = std::string_view::const_iterator;

// The AST being built, reached from the semantic actions through the context.
struct builder {
    ast& out;
    iterator begin;
    int add(node n)
    {
        out.nodes.push_back(std::move(n));
        return static_cast<int>(out.nodes.size() - 1);
    }
    std::size_t column(iterator at) const { return static_cast<std::size_t>(at - begin) + 1; }
};
struct builder_tag;
template <class Ctx>
builder& the_builder(const Ctx& ctx)
{
    return x3::get<builder_tag>(ctx).get();
}

[[noreturn]] void fail_at(std::size_t column, std::string what) { throw filter_syntax_error{column, std::move(what)}; }

// ---- tokens ----
// The grammar is static objects, as X3 has it; their constructors allocate
// only at start-up, where running out of memory ends the tool anyway.
// NOLINTBEGIN(cert-err58-cpp)
const auto id_char = x3::alnum | x3::char_("_.%:/-");
template <class P>
auto word(P p) { return x3::lexeme[p >> !id_char]; }
const auto keyword = word(x3::lit("and") | "AND" | "or" | "OR" | "not" | "NOT" | "eq" | "EQ" | "ne" | "NE" | "le" |
                          "LE" | "lt" | "LT" | "ge" | "GE" | "gt" | "GT" | "true" | "TRUE" | "false" | "FALSE");
const auto identifier = x3::raw[x3::lexeme[x3::alpha >> *id_char]];

const auto not_op = x3::lexeme[x3::lit('!') >> !x3::lit('=') >> !x3::lit('~')] | word(x3::lit("not") | "NOT");

struct cmp_ops : x3::symbols<op> {
    cmp_ops() { add("==", op::eq)("!=", op::ne)("<=", op::le)("<", op::lt)(">=", op::ge)(">", op::gt)("=~", op::reg)("!~", op::nreg); }
} const cmp_symbol;
struct cmp_words : x3::symbols<op> {
    cmp_words()
    {
        add("eq", op::eq)("EQ", op::eq)("ne", op::ne)("NE", op::ne)("le", op::le)("LE", op::le)("lt", op::lt)("LT", op::lt);
        add("ge", op::ge)("GE", op::ge)("gt", op::gt)("GT", op::gt);
    }
} const cmp_word;
const auto cmp_op = x3::rule<struct cmp_op_id, op>{"an operator"} = cmp_symbol | word(cmp_word);
struct logic_ops : x3::symbols<op> {
    logic_ops() { add("&&", op::and_)("||", op::or_); }
} const logic_symbol;
struct logic_words : x3::symbols<op> {
    logic_words() { add("and", op::and_)("AND", op::and_)("or", op::or_)("OR", op::or_); }
} const logic_word;
const auto logic_op = x3::rule<struct logic_op_id, op>{"an operator"} = logic_symbol | word(logic_word);

// Text that trims like libsmartcols's param_set_data (blanks at both ends).
std::string trimmed(std::string s)
{
    const auto first = s.find_first_not_of(" \t\n\v\f\r");
    if (first == std::string::npos)
        return {};
    return s.substr(first, s.find_last_not_of(" \t\n\v\f\r") - first + 1);
}

// ---- literals ----
auto make_string = [](auto& ctx) {
    node n;
    n.literal.kind = value_kind::string;
    n.literal.empty = false;
    n.literal.str = trimmed(x3::_attr(ctx));
    x3::_val(ctx) = the_builder(ctx).add(std::move(n));
};
auto make_bool = [](bool v) {
    return [v](auto& ctx) {
        node n;
        n.literal.kind = value_kind::boolean;
        n.literal.empty = false;
        n.literal.boolean = v;
        x3::_val(ctx) = the_builder(ctx).add(std::move(n));
    };
};
// "12", "4K", "4KiB" (powers of 1024, as strtosize), "1.5"
auto make_number = [](auto& ctx) {
    const auto range = x3::_attr(ctx);
    const std::string text(range.begin(), range.end());
    auto& b = the_builder(ctx);
    node n;
    n.literal.empty = false;
    if (text.find('.') != std::string::npos) {
        n.literal.kind = value_kind::floating;
        n.literal.fnum = std::strtold(text.c_str(), nullptr);
    } else {
        n.literal.kind = value_kind::number;
        std::uint64_t v = 0;
        std::size_t i = 0;
        for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
            const auto d = static_cast<std::uint64_t>(text[i] - '0');
            if (v > (std::numeric_limits<std::uint64_t>::max() - d) / 10)
                fail_at(b.column(range.begin()), "number " + text + " is too large");
            v = v * 10 + d;
        }
        if (i < text.size()) {
            const int power = static_cast<int>(std::string_view("KMGTPEZY").find(text[i])) + 1;
            for (int p = 0; p < power; ++p) {
                if (v > std::numeric_limits<std::uint64_t>::max() / 1024)
                    fail_at(b.column(range.begin()), "number " + text + " is too large");
                v *= 1024;
            }
        }
        n.literal.num = v;
    }
    x3::_val(ctx) = b.add(std::move(n));
};
auto make_holder = [](auto& ctx) {
    const auto range = x3::_attr(ctx);
    auto& b = the_builder(ctx);
    const std::string name(range.begin(), range.end());
    node n;
    n.k = node::kind::holder;
    auto& hs = b.out.holders;
    auto it = std::find(hs.begin(), hs.end(), name);
    n.holder = static_cast<std::size_t>(it - hs.begin());
    if (it == hs.end()) {
        hs.push_back(name);
        b.out.holder_columns.push_back(b.column(range.begin()));
    }
    x3::_val(ctx) = b.add(std::move(n));
};

// ---- expressions ----
auto pass = [](auto& ctx) { x3::_val(ctx) = x3::_attr(ctx); };
auto make_not = [](auto& ctx) {
    node n;
    n.k = node::kind::expr;
    n.oper = op::not_;
    n.right = x3::_attr(ctx);
    x3::_val(ctx) = the_builder(ctx).add(std::move(n));
};
// glibc's regcomp copies a subexpression once per repetition, so stacked or
// nested repetitions (a+++..., (a{99}){99}{99}) grow exponentially and can
// exhaust memory: estimate the expanded size first and refuse what is too big.
constexpr double regex_size_limit = 100000;

std::size_t skip_bracket(std::string_view re, std::size_t i) // i at '['; returns the index of its ']'
{
    std::size_t j = i + 1;
    if (j < re.size() && re[j] == '^')
        ++j;
    if (j < re.size() && re[j] == ']')
        ++j;
    for (; j < re.size() && re[j] != ']'; ++j)
        if (re[j] == '[' && j + 1 < re.size() && (re[j + 1] == ':' || re[j + 1] == '.' || re[j + 1] == '=')) {
            const auto close = re.find(std::string{re[j + 1], ']'}, j + 2);
            if (close == std::string_view::npos)
                return re.size();
            j = close + 1;
        }
    return j;
}

bool interval_bound(std::string_view re, std::size_t& i, double& upper) // i at '{'
{
    std::size_t j = i + 1;
    double m = 0, n = -1;
    bool digits = false;
    for (; j < re.size() && re[j] >= '0' && re[j] <= '9'; ++j, digits = true)
        m = m * 10 + (re[j] - '0');
    if (j < re.size() && re[j] == ',') {
        n = 0;
        bool upper_digits = false;
        for (++j; j < re.size() && re[j] >= '0' && re[j] <= '9'; ++j, upper_digits = true)
            n = n * 10 + (re[j] - '0');
        if (!upper_digits)
            n = m + 1;
    }
    if (!digits || j >= re.size() || re[j] != '}')
        return false;
    upper = n < 0 ? m : n;
    i = j;
    return true;
}

double expanded_regex_size(std::string_view re)
{
    struct frame {
        double size = 0, last = 0;
    };
    std::vector<frame> stack(1);
    auto atom = [&](double s) {
        stack.back().size += s;
        stack.back().last = s;
    };
    auto repeat = [&](double times) {
        frame& f = stack.back();
        f.size += f.last * times;
        f.last *= times + 1;
    };
    for (std::size_t i = 0; i < re.size() && stack.front().size <= regex_size_limit; ++i) {
        double upper = 0;
        switch (re[i]) {
        case '\\': ++i; atom(1); break;
        case '[': i = skip_bracket(re, i); atom(1); break;
        case '(': stack.emplace_back(); break;
        case ')':
            if (stack.size() > 1) {
                const double s = std::max(1.0, stack.back().size);
                stack.pop_back();
                atom(s);
            }
            break;
        case '*': case '+': case '?': repeat(1); break;
        case '{':
            if (interval_bound(re, i, upper))
                repeat(std::max(1.0, upper));
            else
                atom(1);
            break;
        default: atom(1);
        }
    }
    double total = 0;
    for (const frame& f : stack)
        total += f.size;
    return total;
}

// The right side of =~ / !~ is a string literal, compiled now (REG_EXTENDED).
void compile_regex(builder& b, node& n, iterator at)
{
    const node& r = b.out.nodes[static_cast<std::size_t>(n.right)];
    if (r.k != node::kind::literal || r.literal.kind != value_kind::string)
        fail_at(b.column(at), "the right side of =~ and !~ must be a string (\"...\" or '...')");
    if (expanded_regex_size(r.literal.str) > regex_size_limit)
        fail_at(b.column(at), "bad regular expression: its repetitions would expand it to more than 100000 parts "
                              "(stacked or nested repetitions); simplify it");
    n.re = std::make_shared<regex_holder>();
    if (const int rc = ::regcomp(&n.re->re, r.literal.str.c_str(), REG_EXTENDED | REG_NOSUB); rc != 0) {
        char msg[256];
        ::regerror(rc, &n.re->re, msg, sizeof msg);
        fail_at(b.column(at), std::string("bad regular expression: ") + msg);
    }
}
auto make_binary = [](auto& ctx) {
    auto& b = the_builder(ctx);
    const op oper = boost::fusion::at_c<0>(x3::_attr(ctx));
    const int right = boost::fusion::at_c<1>(x3::_attr(ctx));
    node n;
    n.k = node::kind::expr;
    n.oper = oper;
    n.left = x3::_val(ctx);
    n.right = right;
    if (oper == op::reg || oper == op::nreg)
        compile_regex(b, n, x3::_where(ctx).begin());
    x3::_val(ctx) = b.add(std::move(n));
};

const x3::rule<struct string_id, std::string> string_literal = "a string";
const x3::rule<struct primary_id, int> primary = "a value, a column name or '('";
const x3::rule<struct unary_id, int> unary = "a value, a column name, '(' or '!'";
const x3::rule<struct comparison_id, int> comparison = "a comparison";
const x3::rule<struct logic_id, int> logic = "an expression";

const auto string_literal_def = x3::lexeme['"' > *(x3::char_ - '"' - '\n') > '"'] |
                         x3::lexeme['\'' > *(x3::char_ - '\'' - '\n') > '\''];
const auto number_text = x3::lexeme[x3::raw[(+x3::digit >> '.' >> +x3::digit) |
                                            (+x3::digit >> -(x3::char_("KMGTPEZY") >> -x3::lit("iB")))] >>
                                    !id_char];

const auto primary_def = string_literal[make_string] | number_text[make_number] |
                         word(x3::lit("true") | "TRUE")[make_bool(true)] |
                         word(x3::lit("false") | "FALSE")[make_bool(false)] | (!keyword >> identifier)[make_holder] |
                         ('(' > logic > ')')[pass];
const auto unary_def = (not_op > unary)[make_not] | primary[pass];
const auto comparison_def = unary[pass] >> *(cmp_op > unary)[make_binary];
const auto logic_def = comparison[pass] >> *(logic_op > comparison)[make_binary];
// NOLINTEND(cert-err58-cpp)

// cppcheck-suppress unknownMacro ; Boost's headers are not analysed (system headers)
BOOST_SPIRIT_DEFINE(string_literal, primary, unary, comparison, logic)

std::string expected(const std::string& which)
{
    if (which == "N5boost6spirit2x311eoi_parserE" || which.find("eoi") != std::string::npos)
        return "expected an operator or the end of the expression";
    if (which.size() == 3 && which.front() == '\'')
        return "expected " + which + (which == "'\"'" || which == "'''" ? " (the string is not closed)" : "");
    return "expected " + which;
}

} // namespace

ast parse_filter(std::string_view text)
{
    ast out;
    builder b{out, text.begin()};
    iterator first = text.begin();
    const auto grammar = x3::with<builder_tag>(std::ref(b))[x3::expect[logic] > x3::eoi];
    try {
        if (!x3::phrase_parse(first, text.end(), grammar, x3::space, out.root))
            fail_at(b.column(first), "expected a value, a column name, '(' or '!'");
    } catch (const x3::expectation_failure<iterator>& e) {
        if (e.where() == text.end() && e.which().find("eoi") == std::string::npos)
            fail_at(text.size() + 1, "the expression ends too early: " + expected(e.which()));
        fail_at(b.column(e.where()), expected(e.which()));
    }
    return out;
}

} // namespace nskit::tools::detail
