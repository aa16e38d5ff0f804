// nskit/sys/detail/proc_status.hpp — /proc/PID/status, the parts more than
// one layer reads: ns its own capabilities (enter), inspect every process's
// (the scan's credentials).  No allocation, nothing thrown.
#pragma once

#include <cstdint>
#include <string_view>
#include <system_error>

namespace nskit::sys::detail {

// The value of a mask line ("CapEff:\t000001ffffffffff"): blanks, then 1 to
// 16 lowercase hex digits and nothing else, as the kernel prints it.
bool parse_status_hex(std::string_view value, std::uint64_t& out) noexcept;

// The mask on line `key` ("CapEff:") of the caller's /proc/self/status,
// read in pieces (the Groups line before it may be long).  ENOENT when the
// line is missing, EPROTO when its value is not a mask.
std::uint64_t own_status_mask(std::string_view key, std::error_code& ec) noexcept;

} // namespace nskit::sys::detail
