// nsrun's own option values (values.hpp).
#include "values.hpp"

#include <signal.h>
#include <string.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace nskit::tools::nsrun {
namespace {

// "-1.5", "3600", "2e3", ".5": what strtod reads as decimal, without the
// rest it also takes (leading blanks, hex, "inf", "nan").
bool decimal_text(std::string_view s)
{
    std::size_t i = 0, digits = 0;
    if (i < s.size() && (s[i] == '+' || s[i] == '-'))
        ++i;
    for (; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i)
        ++digits;
    if (i < s.size() && s[i] == '.')
        for (++i; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i)
            ++digits;
    if (digits == 0)
        return false;
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        if (++i < s.size() && (s[i] == '+' || s[i] == '-'))
            ++i;
        const std::size_t start = i;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])))
            ++i;
        if (i == start)
            return false;
    }
    return i == s.size();
}

} // namespace

// A whole decimal number within [lo, hi], or a usage error naming the option.
unsigned long whole_number(const std::string& option, const std::string& s, unsigned long lo, unsigned long hi)
{
    unsigned long v = 0;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size() || v < lo || v > hi)
        throw usage_error(option + ": '" + s + "' is not a number from " + std::to_string(lo) + " to " +
                          std::to_string(hi));
    return v;
}

int signal_number(const std::string& s)
{
    if (!s.empty() && std::isdigit(static_cast<unsigned char>(s[0])))
        return static_cast<int>(whole_number("--kill-child", s, 1, NSIG - 1));
    std::string name = s.rfind("SIG", 0) == 0 ? s.substr(3) : s;
    for (int i = 1; i < NSIG && !name.empty(); ++i)
        if (const char* abbrev = ::sigabbrev_np(i); abbrev && name == abbrev)
            return i;
    throw usage_error("--kill-child: bad signal '" + s + "' (a name like TERM or a number from 1 to " +
                      std::to_string(NSIG - 1) + ")");
}

// SECONDS, whole or fractional, within the range the kernel accepts for
// `clock` now (ns::check_time_offset), or a usage error naming the option.
std::chrono::nanoseconds seconds_offset(const std::string& option, const std::string& s, int clock)
{
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(s.c_str(), &end);
    if (!decimal_text(s) || *end != '\0' || errno != 0 || !std::isfinite(v))
        throw usage_error(option + ": bad offset '" + s + "' (seconds, e.g. 3600 or -1.5)");
    if (std::fabs(v) > 9e9) { // beyond any allowed range, and the nanoseconds' 9.2e9 s
        std::error_code ec;
        const auto lim = ns::time_offset_limits(clock, ec);
        throw usage_error(option + ": offset " + s + " s out of range" +
                          (ec ? std::string()
                              : " " + std::to_string(std::chrono::duration_cast<std::chrono::seconds>(lim.min).count()) +
                                    " s to " +
                                    std::to_string(std::chrono::duration_cast<std::chrono::seconds>(lim.max).count()) +
                                    " s (the clock plus the offset within 0..4611686018 s)"));
    }
    // chrono::round, not llround: nsrun then needs no libm (one library less to load)
    const auto off = std::chrono::round<std::chrono::nanoseconds>(std::chrono::duration<double>(v));
    try {
        ns::check_time_offset(clock, off);
    } catch (const std::system_error& e) {
        throw usage_error(option + ": " + e.what());
    }
    return off;
}

std::string reason(const std::system_error& e)
{
    std::string what = e.what();
    const std::string tail = ": " + e.code().message();
    if (what.size() >= tail.size() && what.compare(what.size() - tail.size(), tail.size(), tail) == 0)
        what.resize(what.size() - tail.size());
    return what;
}

ns::tmp_options tmp_options_from(const std::string& text)
{
    try {
        return ns::parse_tmp_options(text);
    } catch (const std::system_error& e) {
        throw usage_error("--tmp: " + reason(e));
    }
}

} // namespace nskit::tools::nsrun
