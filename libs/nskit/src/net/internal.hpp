// Private to the net layer's sources.
#pragma once

#include <string_view>

namespace nskit::net::detail {
// Replace the text last_error_detail() returns in this thread.
void set_error_detail(std::string_view text) noexcept;
} // namespace nskit::net::detail
