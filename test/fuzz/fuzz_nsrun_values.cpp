// fuzz-sources: tools/nsrun/values.cpp libs/nskit/src/ns/options.cpp libs/nskit/src/ns/tmp_options.cpp
// libFuzzer target: any text as the values nsrun parses itself: --tmp=OPTS
// (tmpfs options), --monotonic/--boottime (time offsets), --grace (a whole
// number) and --kill-child (a signal).  Each is refused with nsrun's usage
// error or read whole: the canonical spelling of what was read reads back
// the same, and the result passes ns::options::validate().
#include "values.hpp"

#include "fuzz_support.hpp"

#include <signal.h>
#include <string.h>
#include <time.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace ns = nskit::ns;
namespace nr = nskit::tools::nsrun;

namespace {

void check_tmp(const std::string& text)
{
    ns::tmp_options t;
    try {
        t = nr::tmp_options_from(text);
    } catch (const nr::usage_error& e) {
        FUZZ_CHECK(std::string(e.what()).starts_with("--tmp: "));
        std::error_code ec; // the library's two forms agree
        ns::parse_tmp_options(text, ec);
        FUZZ_CHECK(ec == std::errc::invalid_argument);
        return;
    }
    std::error_code ec;
    const auto same = ns::parse_tmp_options(text, ec);
    FUZZ_CHECK(!ec && same.size == t.size && same.mode == t.mode && same.extra == t.extra && same.noexec == t.noexec);
    FUZZ_CHECK((t.mode & ~07777u) == 0);
    FUZZ_CHECK(t.size.find(',') == std::string::npos);
    // what was read, written the way the man page spells it, reads back the same
    char mode[16];
    std::snprintf(mode, sizeof mode, "%o", static_cast<unsigned>(t.mode));
    std::string again = "mode=" + std::string(mode) + (t.noexec ? ",noexec" : ",exec");
    if (!t.size.empty())
        again += ",size=" + t.size;
    if (!t.extra.empty())
        again += "," + t.extra;
    const auto u = nr::tmp_options_from(again);
    FUZZ_CHECK(u.size == t.size && u.mode == t.mode && u.extra == t.extra && u.noexec == t.noexec);
    ns::options o;
    o.tmp = t;
    // argv cannot hold a NUL; where one reaches the options, the library refuses it
    const bool nul = t.size.find('\0') != std::string::npos || t.extra.find('\0') != std::string::npos;
    FUZZ_CHECK(!o.validate() == !nul);
}

void check_offset(const std::string& text)
{
    std::chrono::nanoseconds v{};
    try {
        v = nr::seconds_offset("--monotonic", text, CLOCK_MONOTONIC);
    } catch (const nr::usage_error& e) {
        FUZZ_CHECK(std::string(e.what()).starts_with("--monotonic: "));
        return;
    }
    FUZZ_CHECK(v.count() >= -9'000'000'000'000'000'000LL && v.count() <= 9'000'000'000'000'000'000LL);
    for (char c : text) // decimal only: no blanks, hex, inf or nan
        FUZZ_CHECK((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E');
    const long long ns_ = v.count();
    if (ns_ > -1'000'000'000'000'000LL && ns_ < 1'000'000'000'000'000LL) { // exact in a double
        char buf[48];
        std::snprintf(buf, sizeof buf, "%s%lld.%09lld", ns_ < 0 ? "-" : "", std::llabs(ns_) / 1'000'000'000,
                      std::llabs(ns_) % 1'000'000'000);
        const auto back = nr::seconds_offset("--monotonic", buf, CLOCK_MONOTONIC).count();
        FUZZ_CHECK(back - ns_ <= 1 && ns_ - back <= 1);
    }
    ns::options o; // accepted now: validate() agrees (the clock has moved on by less than a second)
    o.monotonic_offset = v - std::chrono::seconds(v.count() > 0 ? 1 : 0);
    FUZZ_CHECK(!o.validate());
}

void check_numbers(const std::string& text)
{
    try {
        const auto g = nr::whole_number("--grace", text, 0, 86400000);
        FUZZ_CHECK(g <= 86400000);
        const auto first = text.find_first_not_of('0');
        FUZZ_CHECK(std::to_string(g) == (first == std::string::npos ? "0" : text.substr(first)));
    } catch (const nr::usage_error& e) {
        FUZZ_CHECK(std::string(e.what()).starts_with("--grace: "));
    }
    try {
        const int s = nr::signal_number(text);
        FUZZ_CHECK(s >= 1 && s < NSIG);
        ns::options o;
        o.kill_signal = s;
        FUZZ_CHECK(!o.validate());
        if (const char* abbrev = ::sigabbrev_np(s); abbrev && !(text[0] >= '0' && text[0] <= '9'))
            FUZZ_CHECK(text == abbrev || text == std::string("SIG") + abbrev);
    } catch (const nr::usage_error& e) {
        FUZZ_CHECK(std::string(e.what()).starts_with("--kill-child: "));
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string text(reinterpret_cast<const char*>(data), size);
    check_tmp(text);
    check_offset(text);
    check_numbers(text);
    return 0;
}
