#include <nskit/ns/options.hpp>
#include <nskit/sys/error.hpp>

#include <algorithm>
#include <charconv>
#include <signal.h>
#include <unistd.h>

namespace nskit::ns {
namespace {

bool parse_u32(std::string_view& s, std::uint32_t& out)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    if (r.ec != std::errc() || r.ptr == s.data())
        return false;
    s.remove_prefix(static_cast<std::size_t>(r.ptr - s.data()));
    return true;
}

bool parse_line(std::string_view line, id_range& r)
{
    const bool colon = line.find(':') != std::string_view::npos;
    if (!parse_u32(line, r.inside))
        return false;
    if (colon) {
        if (line.empty() || line.front() != ':')
            return false;
        line.remove_prefix(1);
    }
    if (!parse_u32(line, r.outside))
        return false;
    if (colon) {
        if (line.empty() || line.front() != ':')
            return false;
        line.remove_prefix(1);
    }
    if (!parse_u32(line, r.count))
        return false;
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t'))
        line.remove_prefix(1);
    return line.empty();
}

bool overlaps(std::uint64_t a, std::uint64_t an, std::uint64_t b, std::uint64_t bn)
{
    return a < b + bn && b < a + an;
}

// What kernel/user_namespace.c's map_write takes: 1..340 extents
// (UID_GID_MAP_MAX_EXTENTS), none empty, none past 2^32, none overlapping
// another inside or outside, all in one write shorter than a page.
bool kernel_takes(const std::vector<id_range>& m)
{
    if (m.empty() || m.size() > 340)
        return false;
    for (std::size_t i = 0; i < m.size(); ++i) {
        const auto& r = m[i];
        if (r.count == 0 || std::uint64_t(r.inside) + r.count > 0x100000000ULL ||
            std::uint64_t(r.outside) + r.count > 0x100000000ULL)
            return false;
        for (std::size_t j = 0; j < i; ++j)
            if (overlaps(m[j].inside, m[j].count, r.inside, r.count) ||
                overlaps(m[j].outside, m[j].count, r.outside, r.count))
                return false;
    }
    auto digits = [](std::uint32_t v) {
        std::size_t n = 1;
        while (v >= 10) {
            v /= 10;
            ++n;
        }
        return n;
    };
    std::size_t text = 0; // format_id_map's length, without building it (validate() is noexcept)
    for (const auto& r : m)
        text += digits(r.inside) + digits(r.outside) + digits(r.count) + 3;
    return text < static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

} // namespace

std::vector<id_range> parse_id_map(std::string_view text, std::error_code& ec) noexcept
{
    ec.clear();
    std::vector<id_range> out;
    try {
        while (!text.empty()) {
            const auto end = text.find_first_of(",\n");
            std::string_view line = text.substr(0, end);
            text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
            if (line.find_first_not_of(" \t") == std::string_view::npos)
                continue;
            id_range r;
            if (!parse_line(line, r) || out.size() == 340) {
                ec = make_error_code(error::bad_id_map);
                return {};
            }
            out.push_back(r);
        }
    } catch (...) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return {};
    }
    if (!kernel_takes(out)) {
        ec = make_error_code(error::bad_id_map);
        return {};
    }
    return out;
}

std::vector<id_range> parse_id_map(std::string_view text)
{
    std::error_code ec;
    auto m = parse_id_map(text, ec);
    throw_if(ec, op_kind::input, std::string("parse_id_map(\"").append(text).append("\")"));
    return m;
}

std::string format_id_map(const std::vector<id_range>& map)
{
    std::string out;
    for (const auto& r : map)
        out.append(std::to_string(r.inside)).append(" ").append(std::to_string(r.outside)).append(" ")
            .append(std::to_string(r.count)).append("\n");
    return out;
}

sys::clone_flags options::namespaces() const noexcept
{
    using sys::clone_flag;
    sys::clone_flags f;
    if (mount || tmp || (pid && proc))
        f |= clone_flag::newns;
    if (pid)
        f |= clone_flag::newpid;
    if (net || veth)
        f |= clone_flag::newnet;
    if (ipc)
        f |= clone_flag::newipc;
    if (user)
        f |= clone_flag::newuser;
    if (uts || !hostname.empty() || !domainname.empty())
        f |= clone_flag::newuts;
    if (cgroup)
        f |= clone_flag::newcgroup;
    if (time || monotonic_offset.count() != 0 || boottime_offset.count() != 0)
        f |= clone_flag::newtime;
    return f;
}

std::error_code options::validate() const noexcept
{
    auto inval = std::make_error_code(std::errc::invalid_argument);
    if (hostname.size() > 64 || domainname.size() > 64) // __NEW_UTS_LEN
        return inval;
    if (kill_signal <= 0 || kill_signal >= NSIG || kill_grace.count() < 0)
        return inval;
    if (tmp && (tmp->mode & ~07777) != 0)
        return inval;
    // mount data is a C string: a NUL would cut it short, a ',' in size= start another option
    if (tmp && (tmp->size.find_first_of(std::string_view(",\0", 2)) != std::string::npos ||
                tmp->extra.find('\0') != std::string::npos))
        return inval;
    if (veth) {
        std::error_code ec;
        if (check_veth(*veth, ec); ec)
            return ec;
    }
    if (user) {
        auto check = [](const std::vector<id_range>& m) { return m.empty() || kernel_takes(m); };
        if (!check(user->uid_map) || !check(user->gid_map))
            return make_error_code(error::bad_id_map);
    }
    return {};
}

} // namespace nskit::ns
