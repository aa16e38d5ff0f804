// tools/common/text.hpp — text rules shared by nsinfo, nscmp and nsrun.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace nskit::tools {

// Text for a JSON string, always valid UTF-8, lossless:
//   * valid UTF-8 passes unchanged;
//   * each byte that is not part of a valid UTF-8 sequence (overlong forms,
//     surrogates and code points past U+10FFFF included) becomes the four
//     characters \xHH (HH: two lower-case hex digits);
//   * a backslash followed by 'x' becomes \x5c, so that every \xHH in the
//     result stands for one byte: replacing each \xHH by that byte gives
//     back the original bytes.
// ("w\xff" -> "w\\xff" in the JSON text, which decodes to w, \, x, f, f.)
std::string json_text(std::string_view bytes);

// "a,b,,c" -> {"a", "b", "c"}.
std::vector<std::string> split_list(std::string_view list, char sep = ',');
std::string upper(std::string s);
std::string lower(std::string s);

} // namespace nskit::tools
