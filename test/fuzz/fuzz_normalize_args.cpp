// fuzz-sources: tools/common/cli.cpp
// fuzz-libs: -lboost_program_options
// libFuzzer target: any argv through the tools' argument normalisation
// (normalize_args) and Boost.Program_options, with options of every kind the
// tools have: flags, required values (short and long), optional values
// (implicit, '=' only), positional words.  What the normalised argv says is
// positional reaches the program as those same words, in order; with
// program_follows (nsrun) everything after the first positional word is
// PROGRAM's, verbatim; the only failures are the documented usage errors.
#include "cli.hpp"

#include "fuzz_support.hpp"

#include <boost/program_options.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace po = boost::program_options;
namespace tools = nskit::tools;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size < 1)
        return 0;
    const bool program_follows = data[0] & 1;
    // argv: the rest, split at NUL bytes (as the kernel hands argv over)
    std::vector<std::string> words{"tool"};
    std::string w;
    for (std::size_t i = 1; i < size; ++i) {
        if (data[i] == 0) {
            words.push_back(w);
            w.clear();
        } else {
            w += static_cast<char>(data[i]);
        }
    }
    if (size > 1)
        words.push_back(w);
    if (words.size() > 64)
        return 0;
    std::vector<char*> argv;
    for (auto& s : words)
        argv.push_back(s.data());
    argv.push_back(nullptr);

    std::string value;
    std::vector<std::string> command;
    po::options_description all;
    all.add_options()("help,h", "h")("all,a", "a")("json,J", "J")("output,o", po::value(&value), "o")(
        "pid,p", po::value(&value), "p")("why", po::value(&value), "w")(
        "tmp", po::value(&value)->implicit_value(""), "t")("user,U", po::value(&value)->implicit_value(""), "U")(
        "uts,u", po::value(&value)->implicit_value(""), "u");
    all.add_options()("command", po::value(&command)); // the positional words' option: no help text, as in the tools
    po::positional_options_description pos;
    pos.add("command", -1);

    std::vector<std::string> out;
    try {
        out = tools::normalize_args(static_cast<int>(words.size()), argv.data(), all, program_follows);
    } catch (const tools::usage_error& e) {
        FUZZ_CHECK(!e.text.empty());
        return 0;
    } catch (const po::error&) { // an ambiguous abbreviation
        return 0;
    }
    const auto sep = std::find(out.begin(), out.end(), "--");
    FUZZ_CHECK(sep != out.end());
    const std::vector<std::string> positional(sep + 1, out.end());
    for (auto it = out.begin(); it != sep; ++it) // options, each with its value attached, or empty after it
        FUZZ_CHECK((it->size() > 1 && (*it)[0] == '-') || (it->empty() && it != out.begin()));

    // the positional words are input words, in their order
    std::size_t k = 1;
    for (const auto& p : positional) {
        while (k < words.size() && words[k] != p)
            ++k;
        FUZZ_CHECK(k < words.size());
        ++k;
    }
    if (program_follows && !positional.empty()) { // PROGRAM and its arguments: the input's tail, verbatim
        FUZZ_CHECK(positional.size() <= words.size() - 1);
        FUZZ_CHECK(std::equal(positional.begin() + 1, positional.end(), words.end() - (positional.size() - 1)));
    }

    po::variables_map vm;
    try {
        po::store(po::command_line_parser(out).options(all).positional(pos).run(), vm);
        po::notify(vm);
    } catch (const po::error&) {
        return 0;
    }
    FUZZ_CHECK(command == positional);
    return 0;
}
