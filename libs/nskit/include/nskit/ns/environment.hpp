// nskit/ns/environment.hpp — the environment a program gets: the caller's,
// cleared, filtered to a list of names, edited in order (set, unset), as
// bwrap's --clearenv/--setenv/--unsetenv and unshare's --keep-env do.
#pragma once

#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <nskit/export.hpp>

NSKIT_API_BEGIN
namespace nskit::ns {

struct env_edit {
    bool unset = false;      // false: set name=value
    std::string name{};
    std::string value{};
};

struct env_options {
    bool clear = false;              // start from an empty environment
    std::vector<std::string> keep{}; // start from these names of the base only (implies clear)
    std::vector<env_edit> edits{};   // then applied in order
};

// Names: non-empty, no '=' and no NUL byte; values: no NUL byte.  The
// first bad one: std::errc::invalid_argument, *bad_index names the edit
// (edits.size() + i for keep[i]).
std::error_code validate(const env_options& o, std::size_t* bad_index = nullptr) noexcept;

// "A,B,C" -> {"A", "B", "C"}; empty items refused (std::errc::invalid_argument).
std::vector<std::string> parse_name_list(std::string_view text, std::error_code& ec);
std::vector<std::string> parse_name_list(std::string_view text);

// The "NAME=VALUE" strings for execve from `base` (a NULL-terminated
// array such as environ; nullptr: empty), in base's order, names set by an edit last.
std::vector<std::string> make_environment(const env_options& o, const char* const* base, std::error_code& ec);
std::vector<std::string> make_environment(const env_options& o, const char* const* base);

} // namespace nskit::ns
NSKIT_API_END
