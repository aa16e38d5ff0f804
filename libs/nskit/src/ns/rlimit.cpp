// Resource limits: parsing in the parent; the child's prlimit64 is raw
// (fs_plan.hpp's neighbour detail::apply_rlimits).
#include <nskit/ns/rlimit.hpp>
#include <nskit/ns/detail/rlimits.hpp>
#include <nskit/sys/error.hpp>

#include "raw.hpp"

#include <sys/resource.h>

#include <charconv>
#include <iterator>

namespace nskit::ns {
namespace {

struct named {
    const char* name;
    int resource;
};
constexpr named resources[] = {
    {"AS", RLIMIT_AS},           {"CORE", RLIMIT_CORE},         {"CPU", RLIMIT_CPU},
    {"DATA", RLIMIT_DATA},       {"FSIZE", RLIMIT_FSIZE},       {"LOCKS", RLIMIT_LOCKS},
    {"MEMLOCK", RLIMIT_MEMLOCK}, {"MSGQUEUE", RLIMIT_MSGQUEUE}, {"NICE", RLIMIT_NICE},
    {"NOFILE", RLIMIT_NOFILE},   {"NPROC", RLIMIT_NPROC},       {"RSS", RLIMIT_RSS},
    {"RTPRIO", RLIMIT_RTPRIO},   {"RTTIME", RLIMIT_RTTIME},     {"SIGPENDING", RLIMIT_SIGPENDING},
    {"STACK", RLIMIT_STACK},
};

bool same_name(std::string_view a, std::string_view b) noexcept
{
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char c = a[i];
        if (c >= 'a' && c <= 'z')
            c = static_cast<char>(c - 'a' + 'A');
        if (c != b[i])
            return false;
    }
    return true;
}

bool parse_value(std::string_view s, std::uint64_t& out) noexcept
{
    if (s == "unlimited" || s == "infinity") {
        out = RLIM_INFINITY;
        return true;
    }
    auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    return r.ec == std::errc() && r.ptr == s.data() + s.size() && !s.empty();
}

} // namespace

std::string_view rlimit_name(int resource) noexcept
{
    for (const auto& n : resources)
        if (n.resource == resource)
            return n.name;
    return {};
}

rlimit_setting parse_rlimit(std::string_view text, std::error_code& ec) noexcept
{
    ec = std::make_error_code(std::errc::invalid_argument);
    const auto eq = text.find('=');
    if (eq == std::string_view::npos)
        return {};
    std::string_view name = text.substr(0, eq), value = text.substr(eq + 1);
    if (name.size() > 7 && same_name(name.substr(0, 7), "RLIMIT_"))
        name.remove_prefix(7);
    rlimit_setting out{};
    const named* found = nullptr;
    for (const auto& n : resources)
        if (same_name(name, n.name))
            found = &n;
    if (!found)
        return {};
    out.resource = found->resource;
    const auto colon = value.find(':');
    if (!parse_value(value.substr(0, colon), out.soft))
        return {};
    out.hard = out.soft;
    if (colon != std::string_view::npos && !parse_value(value.substr(colon + 1), out.hard))
        return {};
    if (out.soft > out.hard)
        return {};
    ec.clear();
    return out;
}

rlimit_setting parse_rlimit(std::string_view text)
{
    std::error_code ec;
    auto r = parse_rlimit(text, ec);
    throw_if(ec, op_kind::input,
             "parse_rlimit(\"" + std::string(text) + "\"): expected NAME=SOFT[:HARD], a known name, soft <= hard");
    return r;
}

namespace detail {

std::size_t apply_rlimits(const std::vector<rlimit_setting>& limits, int& err) noexcept
{
    for (std::size_t i = 0; i < limits.size(); ++i) {
        const std::uint64_t v[2] = {limits[i].soft, limits[i].hard};
        if (const long r = raw::call(SYS_prlimit64, 0, limits[i].resource, raw::arg(v), 0); r < 0) {
            err = static_cast<int>(-r);
            return i;
        }
    }
    err = 0;
    return limits.size();
}

} // namespace detail
} // namespace nskit::ns
