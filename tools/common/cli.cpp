#include "cli.hpp"

#include <nskit/inspect/process.hpp>

#include <algorithm>

namespace po = boost::program_options;

namespace nskit::tools {
namespace {

bool negative_number(std::string_view a) noexcept
{
    return a.size() > 1 && a[0] == '-' && std::all_of(a.begin() + 1, a.end(), [](char c) { return c >= '0' && c <= '9'; });
}

const po::option_description* find(const po::options_description& d, const std::string& name)
{
    return d.find_nothrow(name, true);
}

bool takes_value(const po::option_description& o) { return o.semantic()->max_tokens() > 0; }
bool value_optional(const po::option_description& o) { return o.semantic()->min_tokens() == 0; }

// A cluster of short options ("-Jo", "-oTYPE", "-p"): how many words it
// takes, including itself (2 when its last option wants the next word).
int short_cluster_words(const po::options_description& d, std::string_view a)
{
    for (std::size_t j = 1; j < a.size(); ++j) {
        const auto* o = find(d, std::string("-") + a[j]);
        if (o == nullptr)
            return 1; // the parser reports it
        if (takes_value(*o))
            return j + 1 == a.size() && !value_optional(*o) ? 2 : 1;
    }
    return 1;
}

// How many words the long option `name` takes after itself (1: po's own rule).
int words_of(const std::vector<option_words>& words, std::string_view name)
{
    for (const auto& w : words)
        if (w.name == name)
            return w.count;
    return 1;
}

} // namespace

[[noreturn]] void fail(std::string text) { throw usage_error{std::move(text)}; }

std::vector<std::string> split_words(const std::string& value)
{
    std::vector<std::string> out;
    std::size_t i = 0;
    for (std::size_t j; (j = value.find('\0', i)) != std::string::npos; i = j + 1)
        out.push_back(value.substr(i, j - i));
    out.push_back(value.substr(i));
    return out;
}

std::vector<std::string> normalize_args(int argc, char** argv, const po::options_description& d, bool program_follows,
                                        const std::vector<option_words>& words)
{
    std::vector<std::string> opts, pos;
    bool only_positional = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (only_positional || a == "-" || a.empty() || a[0] != '-' || negative_number(a)) {
            pos.push_back(a);
            only_positional = program_follows;
        } else if (a == "--") {
            only_positional = true;
        } else if (a.starts_with("--")) {
            // "--=X" and "--pid=X" (the positional words' hidden option, the
            // one without help text) would reach the positional arguments
            const auto name = a.substr(2, a.find('=') - 2);
            const auto* o = name.empty() ? nullptr : find(d, name);
            if (name.empty() || (o != nullptr && o->description().empty()))
                fail("unrecognised option '" + a + "'");
            const bool attached = a.find('=') != std::string::npos;
            const bool join = o != nullptr && !attached && takes_value(*o) && !value_optional(*o);
            const int w = o != nullptr && takes_value(*o) ? words_of(words, o->long_name()) : 1;
            const int n = join ? w : (attached ? w - 1 : 0); // words still to take
            if (n > 0 && i + n >= argc)
                fail(w == 1 ? "the required argument for option '" + a + "' is missing"
                            : "option '" + a.substr(0, a.find('=')) + "' needs " + std::to_string(w) + " arguments");
            std::string word = join ? a + "=" + argv[++i] : a;
            for (int k = join ? 1 : 0; k < n; ++k)
                word.append(1, '\0').append(argv[++i]);
            opts.push_back(std::move(word));
        } else {
            const bool join = short_cluster_words(d, a) == 2;
            if (join && i + 1 == argc)
                fail("the required argument for option '" + a + "' is missing");
            if (!join)
                opts.push_back(a);
            else if (const std::string v = argv[++i]; !v.empty())
                opts.push_back(a + v);
            else { // "-o ''": an empty value cannot be attached; as its own word it is still -o's
                opts.push_back(a);
                opts.push_back(v);
            }
        }
    }
    opts.emplace_back("--");
    opts.insert(opts.end(), pos.begin(), pos.end());
    return opts;
}

bool parse_pid_arg(std::string_view text, pid_t& pid, std::string& message)
{
    std::error_code ec;
    pid = inspect::parse_pid(text, ec);
    if (!ec)
        return true;
    message = "'" + std::string(text) + "': not a process id (expected a number from 1 to 4194304)";
    return false;
}

std::string version_line(std::string_view tool)
{
    return std::string(tool) + " (nskit) " NSKIT_VERSION_STRING; // from Jamroot
}

} // namespace nskit::tools
