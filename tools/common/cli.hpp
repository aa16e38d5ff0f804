// tools/common/cli.hpp — command-line handling shared by the tools.
#pragma once

#include <boost/program_options.hpp>

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

namespace nskit::tools {

// A one-line usage error: the tool prints "TOOL: text" and exits with its
// usage status.
struct usage_error {
    std::string text;
};
[[noreturn]] void fail(std::string text);

// argv for Boost.Program_options, normalized so that
//   * a required option value given as the next word reaches the option even
//     when it starts with '-' ("-p -5", "--why -1" are that option's values,
//     to be judged there; "--why" alone is "missing argument");
//   * with `program_follows` (nsrun: PROGRAM ARGS...), the first positional
//     word ends the options: what follows is PROGRAM's, verbatim, as
//     unshare and bwrap take it ("nsrun --uts id -u" runs "id -u");
//   * an optional value is taken only after '=' (or attached to a short
//     option), never from the next word;
//   * every word that is not an option or an option's value — "-1"
//     included — is a positional argument (they come last, after "--");
//   * a long option listed in `words` with N > 1 takes the next N words
//     verbatim (bwrap's "--bind SRC DEST"): they reach the option as one
//     value, joined by a NUL byte (no argument can hold one); split_words
//     takes them apart.
struct option_words {
    std::string_view name; // without "--"
    int count;
};
std::vector<std::string> normalize_args(int argc, char** argv, const boost::program_options::options_description& d,
                                        bool program_follows = false, const std::vector<option_words>& words = {});
std::vector<std::string> split_words(const std::string& value);

// A process id as the tools take it: decimal digits only, 1..4194304
// (PID_MAX_LIMIT).  Otherwise false and `message` is the one line every tool prints:
// "'abc': not a process id (expected a number from 1 to 4194304)".
bool parse_pid_arg(std::string_view text, pid_t& pid, std::string& message);

// "NAME (nskit) VERSION", the first line of every tool's --version.
std::string version_line(std::string_view tool);

} // namespace nskit::tools
