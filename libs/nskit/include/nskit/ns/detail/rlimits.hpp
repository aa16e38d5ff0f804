// nskit/ns/detail/rlimits.hpp — the child side of resource limits.
#pragma once

#include <nskit/ns/rlimit.hpp>

#include <cstddef>
#include <vector>

namespace nskit::ns::detail {

// prlimit64 on the calling process for each limit in order (raw system
// calls only, async-signal-safe).  Returns the index of the first refused
// one with its errno in err, or limits.size() with err 0.
std::size_t apply_rlimits(const std::vector<rlimit_setting>& limits, int& err) noexcept;

} // namespace nskit::ns::detail
