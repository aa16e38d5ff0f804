// fuzz-sources: tools/common/filter.cpp tools/common/filter_parse.cpp
// libFuzzer target: any text as a -Q expression (nsinfo -Q, lsns -Q).  It
// parses, or fails with filter_syntax_error at a column inside the text (or
// just past it); a parsed filter names its columns where they are written and
// evaluates over any cells to true, false or filter_eval_error, nothing else.
#include "filter.hpp"

#include "fuzz_support.hpp"

#include <optional>
#include <string>
#include <vector>

namespace tools = nskit::tools;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size < 1)
        return 0;
    // First byte: which cells and column types the rows get; the rest is the expression.
    const std::uint8_t pick = data[0];
    const auto text = nskit_fuzz::text(data + 1, size - 1);
    std::optional<tools::filter> f;
    try {
        f.emplace(tools::filter::parse(text));
    } catch (const tools::filter_syntax_error& e) {
        FUZZ_CHECK(e.column >= 1 && e.column <= text.size() + 1);
        FUZZ_CHECK(!e.what.empty());
        return 0;
    }
    const auto holders = f->holders();
    for (std::size_t i = 0; i < holders.size(); ++i) {
        FUZZ_CHECK(!holders[i].empty());
        for (std::size_t j = 0; j < i; ++j)
            FUZZ_CHECK(holders[i] != holders[j]);
        const auto col = f->holder_column(holders[i]);
        FUZZ_CHECK(col >= 1 && text.substr(col - 1).starts_with(holders[i]));
    }
    static const std::optional<std::string> cells[] = {std::nullopt, "",   "0",    "12",  " 7 ", "root",
                                                       "1.5",        "-3", "true", "4K",  "18446744073709551616"};
    constexpr std::size_t ncells = sizeof cells / sizeof cells[0];
    for (unsigned row = 0; row < 4; ++row) {
        std::vector<tools::filter::holder_type> types;
        for (std::size_t i = 0; i < holders.size(); ++i)
            types.push_back(((pick >> ((i + row) % 8)) & 1) ? tools::filter::holder_type::number
                                                            : tools::filter::holder_type::string);
        const auto cell = [&](std::size_t h) { return cells[(h * 7 + row * 3 + pick) % ncells]; };
        try {
            const bool first = f->matches(types, cell);
            FUZZ_CHECK(f->matches(types, cell) == first); // no state kept between rows
        } catch (const tools::filter_eval_error& e) {
            FUZZ_CHECK(!e.text.empty());
        }
    }
    return 0;
}
