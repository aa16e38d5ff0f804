#include <nskit/ns/options.hpp>
#include <nskit/sys/error.hpp>

#include "net.hpp"

#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>

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

// One id map's problem: "" when the kernel would take it.
std::string map_problem(const char* which, const std::vector<id_range>& m)
{
    const auto range = [](const id_range& r) {
        return std::to_string(r.inside) + ":" + std::to_string(r.outside) + ":" + std::to_string(r.count);
    };
    if (m.size() > 340) // UID_GID_MAP_MAX_EXTENTS (4.15)
        return std::string(which) + " map has " + std::to_string(m.size()) + " ranges; the kernel's limit is 340";
    for (std::size_t i = 0; i < m.size(); ++i) {
        const auto& r = m[i];
        if (r.count == 0)
            return std::string(which) + " map range " + range(r) + ": a zero count";
        if (std::uint64_t(r.inside) + r.count > 0x100000000ULL || std::uint64_t(r.outside) + r.count > 0x100000000ULL)
            return std::string(which) + " map range " + range(r) + ": goes beyond id 4294967295";
        for (std::size_t j = 0; j < i; ++j) {
            if (overlaps(m[j].inside, m[j].count, r.inside, r.count))
                return std::string(which) + " map ranges " + range(m[j]) + " and " + range(r) + " overlap inside";
            if (overlaps(m[j].outside, m[j].count, r.outside, r.count))
                return std::string(which) + " map ranges " + range(m[j]) + " and " + range(r) + " overlap outside";
        }
    }
    // map_write() (kernel/user_namespace.c) takes one write shorter than a page
    const auto bytes = format_id_map(m).size();
    const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    if (bytes >= page)
        return std::string(which) + " map: its " + std::to_string(m.size()) + " ranges are " + std::to_string(bytes) +
               " bytes as written; the kernel takes one write of at most " + std::to_string(page - 1) + " bytes";
    return {};
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
            if (!parse_line(line, r) || r.count == 0 ||
                std::uint64_t(r.inside) + r.count > 0x100000000ULL ||
                std::uint64_t(r.outside) + r.count > 0x100000000ULL) {
                ec = make_error_code(error::bad_id_map);
                return {};
            }
            for (const auto& o : out)
                if (overlaps(o.inside, o.count, r.inside, r.count) || overlaps(o.outside, o.count, r.outside, r.count)) {
                    ec = make_error_code(error::bad_id_map);
                    return {};
                }
            out.push_back(r);
        }
        // map_write (kernel/user_namespace.c) takes one write shorter than a page
        if (format_id_map(out).size() >= static_cast<std::size_t>(::sysconf(_SC_PAGESIZE))) {
            ec = make_error_code(error::bad_id_map);
            return {};
        }
    } catch (...) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return {};
    }
    if (out.empty() || out.size() > 340) { // 340: the kernel's UID_GID_MAP_MAX_EXTENTS
        ec = make_error_code(error::bad_id_map);
        return {};
    }
    return out;
}

std::vector<id_range> parse_id_map(std::string_view text)
{
    std::error_code ec;
    auto m = parse_id_map(text, ec);
    if (!ec)
        return m;
    // Why, for the text: the first range that does not parse, or what the kernel would refuse.
    std::string why = "no ranges";
    std::vector<id_range> ranges;
    for (std::string_view rest = text; !rest.empty();) {
        const auto end = rest.find_first_of(",\n");
        const std::string_view line = rest.substr(0, end);
        rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
        if (line.find_first_not_of(" \t") == std::string_view::npos)
            continue;
        id_range r;
        if (!parse_line(line, r)) {
            why = "range '" + std::string(line) + "' is not INSIDE:OUTSIDE:COUNT (or 'inside outside count')";
            ranges.clear();
            break;
        }
        ranges.push_back(r);
    }
    if (!ranges.empty())
        if (auto p = map_problem("the", ranges); !p.empty())
            why = std::move(p);
    const std::string shown = text.size() > 60 ? std::string(text.substr(0, 60)) + "..." : std::string(text);
    throw_if(ec, op_kind::input, "id map '" + shown + "': " + why);
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
    if (mount || tmp || (pid && proc) || !view.empty())
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

namespace {

// kernel/time/namespace.c (5.6): the host clock plus the offset must stay
// within 0..KTIME_SEC_MAX / 2 seconds (KTIME_SEC_MAX = KTIME_MAX / NSEC_PER_SEC).
constexpr long long ktime_sec_max_half = 9223372036LL / 2;
constexpr long long ns_per_s = 1000000000LL;

const char* clock_label(int clock) noexcept
{
    return clock == CLOCK_MONOTONIC ? "monotonic" : "boottime";
}

// The caller's own time namespace offset for `clock` (0 in the initial one,
// or when /proc cannot tell): what clock_gettime adds to the host's clock.
long long own_offset_ns(int clock) noexcept
{
    const int fd = ::open("/proc/self/timens_offsets", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    char buf[256];
    const ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    // "monotonic  S  NS\nboottime  S  NS\n" (names since 5.6's release; ids before)
    // (from_chars, not sscanf/atoi: a field that is not a number is no match)
    const std::string_view name = clock_label(clock);
    const auto number = [](std::string_view w, auto& v) {
        const auto r = std::from_chars(w.data(), w.data() + w.size(), v);
        return !w.empty() && r.ec == std::errc() && r.ptr == w.data() + w.size();
    };
    std::string_view text(buf, static_cast<std::size_t>(n));
    while (!text.empty()) {
        const auto eol = text.find('\n');
        std::string_view line = text.substr(0, eol);
        text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
        std::string_view field[3];
        for (auto& w : field) {
            const auto start = line.find_first_not_of(" \t");
            line = start == std::string_view::npos ? std::string_view{} : line.substr(start);
            const auto stop = line.find_first_of(" \t");
            w = line.substr(0, stop);
            line = stop == std::string_view::npos ? std::string_view{} : line.substr(stop);
        }
        long long sec = 0, nsec = 0;
        int id = -1;
        if (number(field[1], sec) && number(field[2], nsec) &&
            (field[0] == name || (number(field[0], id) && id == clock)))
            return sec * ns_per_s + nsec;
    }
    return 0;
}

// "-610.72318": seconds, to `digits` decimals (9: nanoseconds), trailing zeros dropped.
std::string seconds_text(long long ns, int digits = 9)
{
    const bool neg = ns < 0;
    const unsigned long long a = neg ? 0ULL - static_cast<unsigned long long>(ns) : static_cast<unsigned long long>(ns);
    std::string out = (neg ? "-" : "") + std::to_string(a / ns_per_s);
    if (const auto frac = a % ns_per_s) {
        char b[16];
        std::snprintf(b, sizeof b, ".%09llu", frac);
        std::string f(b, static_cast<std::size_t>(1 + digits));
        while (f.back() == '0')
            f.pop_back();
        if (f.size() > 1)
            out += f;
    }
    return out;
}

// check_time_offset's work; with `why`, its text.
std::error_code offset_problem(int clock, std::chrono::nanoseconds off, std::string* why)
{
    std::error_code ec;
    const auto lim = time_offset_limits(clock, ec);
    if (ec) {
        if (why)
            *why = "time offset for clock " + std::to_string(clock) + ": only CLOCK_MONOTONIC (1) and CLOCK_BOOTTIME (7)";
        return ec;
    }
    if (off >= lim.min && off <= lim.max)
        return {};
    if (why)
        *why = std::string(clock_label(clock)) + " offset " + seconds_text(off.count()) + " s: the clock would be " +
               seconds_text(off.count() - lim.min.count(), 3) + " s; allowed " + seconds_text(lim.min.count(), 3) +
               " s to " + seconds_text(lim.max.count(), 3) + " s (the clock plus the offset within 0.." +
               std::to_string(ktime_sec_max_half) + " s)";
    return std::make_error_code(std::errc::result_out_of_range);
}

} // namespace

time_offset_range time_offset_limits(int clock, std::error_code& ec) noexcept
{
    ec.clear();
    if (clock != CLOCK_MONOTONIC && clock != CLOCK_BOOTTIME) {
        ec = std::make_error_code(std::errc::invalid_argument);
        return {};
    }
    timespec ts{};
    if (::clock_gettime(clock, &ts) != 0) {
        ec = nskit::detail::last_error();
        return {};
    }
    const long long host = static_cast<long long>(ts.tv_sec) * ns_per_s + ts.tv_nsec - own_offset_ns(clock);
    return {std::chrono::nanoseconds(-host), std::chrono::nanoseconds((ktime_sec_max_half + 1) * ns_per_s - 1 - host)};
}

time_offset_range time_offset_limits(int clock)
{
    std::error_code ec;
    const auto r = time_offset_limits(clock, ec);
    throw_if(ec, op_kind::input, "time_offset_limits(clock " + std::to_string(clock) + ")");
    return r;
}

void check_time_offset(int clock, std::chrono::nanoseconds offset, std::error_code& ec) noexcept
{
    try {
        ec = offset_problem(clock, offset, nullptr);
    } catch (...) {
        ec = std::make_error_code(std::errc::not_enough_memory);
    }
}

void check_time_offset(int clock, std::chrono::nanoseconds offset)
{
    std::string why;
    const auto ec = offset_problem(clock, offset, &why);
    throw_if(ec, op_kind::input, why);
}

options::problem_t options::problem() const
{
    const auto inval = std::make_error_code(std::errc::invalid_argument);
    for (const auto* name : {&hostname, &domainname})
        if (name->size() > 64) // __NEW_UTS_LEN
            return {inval, name == &hostname ? "hostname" : "domainname",
                    std::string(name == &hostname ? "hostname '" : "domainname '") + name->substr(0, 16) + "...' is " +
                        std::to_string(name->size()) + " bytes; the kernel's limit is 64"};
    if (kill_signal <= 0 || kill_signal >= NSIG)
        return {inval, "kill_signal", "kill signal " + std::to_string(kill_signal) + ": not a signal (1.." +
                                          std::to_string(NSIG - 1) + ")"};
    if (kill_grace.count() < 0)
        return {inval, "kill_grace", "kill grace " + std::to_string(kill_grace.count()) + " ms: negative"};
    if (tmp && (tmp->mode & ~07777) != 0)
        return {inval, "tmp.mode", "tmpfs mode " + std::to_string(tmp->mode) + ": beyond 07777"};
    if (tmp && tmp->size.find(',') != std::string::npos)
        return {inval, "tmp.size", "tmpfs size '" + tmp->size + "': a ',' (options go in tmp.extra)"};
    if (tmp && tmp->extra.find('\0') != std::string::npos)
        return {inval, "tmp.extra", "tmpfs options: a NUL byte"};
    if (tmp && tmp->size.find('\0') != std::string::npos) // mount data is a C string: the NUL would cut it short
        return {inval, "tmp.size", "tmpfs size: a NUL byte"};
    if (veth) {
        std::string why;
        if (auto ec = detail::veth_problem(*veth, &why))
            return {ec, "veth", why};
    }
    if (user) {
        for (const auto* m : {&user->uid_map, &user->gid_map})
            if (auto why = map_problem(m == &user->uid_map ? "uid" : "gid", *m); !why.empty())
                return {make_error_code(error::bad_id_map), m == &user->uid_map ? "user.uid_map" : "user.gid_map",
                        why};
    }
    for (const auto& [clock, off] : {std::pair{CLOCK_MONOTONIC, monotonic_offset}, std::pair{CLOCK_BOOTTIME, boottime_offset}})
        if (off.count() != 0) {
            std::string why;
            if (auto ec = offset_problem(clock, off, &why))
                return {ec, clock == CLOCK_MONOTONIC ? "monotonic_offset" : "boottime_offset", why};
        }
    if (const fs_failure f = ns::validate(view))
        return {inval, "view", describe(view, f)};
    std::size_t bad = 0;
    if (ns::validate(env, &bad))
        return {inval, "env", bad < env.edits.size()
                                  ? "environment variable '" + env.edits[bad].name + "': the name must be non-empty "
                                    "without '=' or NUL bytes, the value without NUL bytes"
                                  : "environment name '" + env.keep[bad - env.edits.size()] +
                                        "' to keep: it must be non-empty without '=' or NUL bytes"};
    for (const auto& l : rlimits)
        if (rlimit_name(l.resource).empty() || l.soft > l.hard)
            return {inval, "rlimits", rlimit_name(l.resource).empty()
                                          ? "resource limit " + std::to_string(l.resource) + ": not a known resource"
                                          : "resource limit " + std::string(rlimit_name(l.resource)) + ": soft " +
                                                std::to_string(l.soft) + " above hard " + std::to_string(l.hard)};
    return {};
}

std::error_code options::validate() const noexcept
{
    try {
        return problem().ec;
    } catch (...) {
        return std::make_error_code(std::errc::not_enough_memory);
    }
}

void options::check() const
{
    const auto p = problem();
    throw_if(p.ec, op_kind::input, p.reason);
}

} // namespace nskit::ns
