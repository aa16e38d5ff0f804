// Private to the ns layer: sys's raw system calls (see
// nskit/sys/detail/raw.hpp) under the name ns's child steps use.
#pragma once

#include <nskit/sys/detail/raw.hpp>

namespace nskit::ns::detail {
namespace raw = sys::detail::raw;
} // namespace nskit::ns::detail
