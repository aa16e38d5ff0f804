// nskit/sys/detail/text.hpp — small text helpers shared by the name tables.
#pragma once

#include <cctype>
#include <string_view>

namespace nskit::sys::detail {

inline bool iequal(std::string_view a, std::string_view b) noexcept
{
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

} // namespace nskit::sys::detail
