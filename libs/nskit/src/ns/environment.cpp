// The program's environment, computed in the parent (never in the child).
#include <nskit/ns/environment.hpp>
#include <nskit/sys/error.hpp>

#include <algorithm>

namespace nskit::ns {
namespace {

bool good_name(std::string_view n) noexcept
{
    return !n.empty() && n.find('=') == std::string_view::npos && n.find('\0') == std::string_view::npos;
}

std::string_view name_of(std::string_view entry) noexcept { return entry.substr(0, entry.find('=')); }

} // namespace

std::error_code validate(const env_options& o, std::size_t* bad_index) noexcept
{
    for (std::size_t i = 0; i < o.edits.size(); ++i)
        if (!good_name(o.edits[i].name) || o.edits[i].value.find('\0') != std::string::npos) {
            if (bad_index)
                *bad_index = i;
            return std::make_error_code(std::errc::invalid_argument);
        }
    for (std::size_t i = 0; i < o.keep.size(); ++i)
        if (!good_name(o.keep[i])) {
            if (bad_index)
                *bad_index = o.edits.size() + i;
            return std::make_error_code(std::errc::invalid_argument);
        }
    return {};
}

std::vector<std::string> parse_name_list(std::string_view text, std::error_code& ec)
{
    ec.clear();
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i <= text.size()) {
        const std::size_t j = std::min(text.find(',', i), text.size());
        const std::string_view n = text.substr(i, j - i);
        if (!good_name(n)) {
            ec = std::make_error_code(std::errc::invalid_argument);
            return {};
        }
        out.emplace_back(n);
        i = j + 1;
    }
    return out;
}

std::vector<std::string> parse_name_list(std::string_view text)
{
    std::error_code ec;
    auto out = parse_name_list(text, ec);
    throw_if(ec, op_kind::input, "parse_name_list(\"" + std::string(text) + "\"): a name is empty or has '='");
    return out;
}

std::vector<std::string> make_environment(const env_options& o, const char* const* base, std::error_code& ec)
{
    std::vector<std::string> env;
    if ((ec = validate(o)))
        return env;
    const bool filtered = !o.keep.empty();
    for (; !o.clear && base && *base; ++base) {
        const std::string_view e(*base);
        if (!filtered || std::find(o.keep.begin(), o.keep.end(), name_of(e)) != o.keep.end())
            env.emplace_back(e);
    }
    if (o.clear && filtered) // clear and keep: the kept names still come from base
        for (; base && *base; ++base)
            if (std::find(o.keep.begin(), o.keep.end(), name_of(*base)) != o.keep.end())
                env.emplace_back(*base);
    for (const auto& ed : o.edits) {
        std::erase_if(env, [&](const std::string& e) { return name_of(e) == ed.name; });
        if (!ed.unset)
            env.push_back(ed.name + "=" + ed.value);
    }
    return env;
}

std::vector<std::string> make_environment(const env_options& o, const char* const* base)
{
    std::error_code ec;
    auto env = make_environment(o, base, ec);
    throw_if(ec, op_kind::input, "make_environment: an environment name is empty or has '=' or NUL");
    return env;
}

} // namespace nskit::ns
