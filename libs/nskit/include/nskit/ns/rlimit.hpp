// nskit/ns/rlimit.hpp — resource limits for the program, "NAME=SOFT[:HARD]"
// as prlimit(1) and bwrap name them, set in the child before exec.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <nskit/export.hpp>

NSKIT_API_BEGIN
namespace nskit::ns {

struct rlimit_setting {
    int resource = 0;                     // RLIMIT_NOFILE, ...
    std::uint64_t soft = 0, hard = 0;     // RLIM_INFINITY for "unlimited"
    friend bool operator==(const rlimit_setting&, const rlimit_setting&) = default;
};

// "NOFILE=1024", "nofile=512:1024", "CORE=0", "STACK=unlimited"; names
// case-insensitive, with or without "RLIMIT_".  HARD defaults to SOFT.
// Refused (std::errc::invalid_argument): an unknown name, a value that is
// not a number or "unlimited"/"infinity", beyond 64 bits, soft above hard.
rlimit_setting parse_rlimit(std::string_view text, std::error_code& ec) noexcept;
rlimit_setting parse_rlimit(std::string_view text);
std::string_view rlimit_name(int resource) noexcept; // "NOFILE"; "" if unknown

} // namespace nskit::ns
NSKIT_API_END
