// parse_tmp_options: tmpfs options as text (options.hpp).
#include <nskit/ns/options.hpp>
#include <nskit/sys/error.hpp>

#include <charconv>
#include <optional>

namespace nskit::ns {
namespace {

// Reads `text` into t; the value of the first mode= that is not an octal
// mode, if any (t is then incomplete).  May throw std::bad_alloc.
std::optional<std::string_view> read_tmp_options(std::string_view text, tmp_options& t)
{
    std::string extra;
    for (std::size_t pos = 0; !text.empty();) {
        const auto comma = text.find(',', pos);
        const std::string_view item = text.substr(pos, comma == std::string_view::npos ? comma : comma - pos);
        if (item.starts_with("size=")) {
            t.size = item.substr(5);
        } else if (item.starts_with("mode=")) {
            unsigned long m = 0; // octal digits only: no sign, no blank (strtoul takes both)
            const auto r = std::from_chars(item.data() + 5, item.data() + item.size(), m, 8);
            if (r.ec != std::errc() || r.ptr != item.data() + item.size() || m > 07777 || item.size() == 5)
                return item.substr(5);
            t.mode = static_cast<mode_t>(m);
        } else if (item == "exec") {
            t.noexec = false;
        } else if (item == "noexec") {
            t.noexec = true;
        } else if (!item.empty()) {
            extra.append(extra.empty() ? "" : ",").append(item);
        }
        if (comma == std::string_view::npos)
            break;
        pos = comma + 1;
    }
    t.extra = std::move(extra);
    return std::nullopt;
}

} // namespace

tmp_options parse_tmp_options(std::string_view text, std::error_code& ec) noexcept
{
    ec.clear();
    try {
        tmp_options t;
        if (!read_tmp_options(text, t))
            return t;
        ec = std::make_error_code(std::errc::invalid_argument);
    } catch (...) {
        ec = std::make_error_code(std::errc::not_enough_memory);
    }
    return {};
}

tmp_options parse_tmp_options(std::string_view text)
{
    tmp_options t;
    const auto bad_mode = read_tmp_options(text, t);
    if (bad_mode)
        throw_if(std::make_error_code(std::errc::invalid_argument), op_kind::input,
                 "bad tmpfs mode '" + std::string(*bad_mode) + "' (octal, e.g. 1777)");
    return t;
}

} // namespace nskit::ns
