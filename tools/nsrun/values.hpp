// tools/nsrun/values.hpp — nsrun's option values that are not the library's
// to parse (numbers, signals, time offsets), each parsed whole,
// range-checked, refused with the option's name; and --tmp's, which the
// library parses.  Apart from main.cpp so that test/fuzz reaches them.
#pragma once

#include <nskit/ns/options.hpp>

#include <chrono>
#include <stdexcept>
#include <string>
#include <system_error>

namespace nskit::tools::nsrun {

// A refused value: nsrun prints "nsrun: what()" and exits 120.
struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A whole decimal number within [lo, hi].
unsigned long whole_number(const std::string& option, const std::string& s, unsigned long lo, unsigned long hi);

// --kill-child: a signal name (TERM, SIGTERM) or number (1..NSIG-1).
int signal_number(const std::string& s);

// --monotonic, --boottime: decimal seconds with an optional fraction
// ("3600", "-1.5", "2e3"), within what the kernel takes for `clock` now
// (ns::check_time_offset: the clock plus the offset within 0..KTIME_SEC_MAX/2).
std::chrono::nanoseconds seconds_offset(const std::string& option, const std::string& s, int clock);

// --tmp=OPTS: ns::parse_tmp_options, its refusal a usage error.
ns::tmp_options tmp_options_from(const std::string& text);

// A library error's text without the ": strerror" std::system_error adds,
// for a message that names the option first.
std::string reason(const std::system_error& e);

} // namespace nskit::tools::nsrun
