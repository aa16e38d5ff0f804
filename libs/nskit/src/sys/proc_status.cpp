#include <nskit/sys/detail/proc_status.hpp>
#include <nskit/sys/error.hpp>
#include <nskit/sys/unique_fd.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace nskit::sys::detail {

bool parse_status_hex(std::string_view value, std::uint64_t& out) noexcept
{
    while (!value.empty() && (value.front() == '\t' || value.front() == ' '))
        value.remove_prefix(1);
    if (value.empty() || value.size() > 16)
        return false;
    std::uint64_t v = 0;
    for (char c : value) {
        const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0)
            return false;
        v = v << 4 | static_cast<std::uint64_t>(d);
    }
    out = v;
    return true;
}

std::uint64_t own_status_mask(std::string_view key, std::error_code& ec) noexcept
{
    ec.clear();
    unique_fd fd(::open("/proc/self/status", O_RDONLY | O_CLOEXEC));
    if (!fd) {
        ec = nskit::detail::last_error();
        return 0;
    }
    // One line at a time in `line`; a line longer than it is not the one.
    char buf[4096], line[64];
    std::size_t len = 0;
    bool too_long = false;
    for (;;) {
        const ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ec = nskit::detail::last_error();
            return 0;
        }
        if (n == 0)
            break;
        for (ssize_t i = 0; i < n; ++i) {
            if (buf[i] != '\n') {
                if (len < sizeof line)
                    line[len++] = buf[i];
                else
                    too_long = true;
                continue;
            }
            const std::string_view l(line, len);
            if (!too_long && l.starts_with(key)) {
                std::uint64_t v = 0;
                if (!parse_status_hex(l.substr(key.size()), v)) {
                    ec = std::make_error_code(std::errc::protocol_error);
                    return 0;
                }
                return v;
            }
            len = 0;
            too_long = false;
        }
    }
    ec = std::make_error_code(std::errc::no_such_file_or_directory);
    return 0;
}

} // namespace nskit::sys::detail
