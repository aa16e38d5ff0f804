// Parsers and readers of /proc text, shared by scan, compare and group.
#include <nskit/inspect/detail/proc_text.hpp>

#include <nskit/sys/detail/proc_status.hpp>
#include <nskit/sys/error.hpp>
#include <nskit/sys/unique_fd.hpp>

#include <fcntl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <map>

namespace nskit::inspect::detail {
namespace {

// The value after `key` in `line` ("tfd:" -> "  5"), parsed in `base`.
template <class T>
bool field(std::string_view line, std::string_view key, int base, T& out) noexcept
{
    auto k = line.find(key);
    if (k == std::string_view::npos)
        return false;
    auto rest = line.substr(k + key.size());
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t'))
        rest.remove_prefix(1);
    auto [p, e] = std::from_chars(rest.data(), rest.data() + rest.size(), out, base);
    return e == std::errc() && p != rest.data();
}

// Next word of `rest` (which loses it), separated by spaces or tabs.
std::string_view next_word(std::string_view& rest) noexcept
{
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t'))
        rest.remove_prefix(1);
    const auto sp = rest.find_first_of(" \t");
    const auto w = rest.substr(0, sp);
    rest = sp == std::string_view::npos ? std::string_view{} : rest.substr(sp + 1);
    return w;
}

} // namespace

bool parse_status_credentials(std::string_view status, uid_t& euid, std::uint64_t& cap_effective) noexcept
{
    bool uid = false, caps = false;
    while (!status.empty()) {
        const auto eol = status.find('\n');
        std::string_view line = status.substr(0, eol);
        status = eol == std::string_view::npos ? std::string_view{} : status.substr(eol + 1);
        if (line.starts_with("Uid:")) {
            line.remove_prefix(4);
            std::uint64_t v = 0;
            for (int field = 0; field < 2; ++field) { // real, then effective
                while (!line.empty() && (line.front() == '\t' || line.front() == ' '))
                    line.remove_prefix(1);
                const auto end = line.find_first_of("\t ");
                if (!parse_decimal(line.substr(0, end), v) || v > 0xffffffffu)
                    return false;
                line = end == std::string_view::npos ? std::string_view{} : line.substr(end);
            }
            euid = static_cast<uid_t>(v);
            uid = true;
        } else if (line.starts_with("CapEff:")) {
            if (!sys::detail::parse_status_hex(line.substr(7), cap_effective))
                return false;
            caps = true;
        }
    }
    return uid && caps;
}

std::string command_line_text(std::string raw)
{
    if (!raw.empty() && raw.back() == '\0')
        raw.pop_back();
    for (auto& c : raw)
        if (c == '\0')
            c = ' ';
    return raw;
}

bool parse_decimal(std::string_view s, std::uint64_t& out) noexcept
{
    if (s.empty() || s.front() < '0' || s.front() > '9')
        return false;
    auto [p, e] = std::from_chars(s.data(), s.data() + s.size(), out, 10);
    return e == std::errc() && p == s.data() + s.size();
}

bool parse_ns_link(std::string_view s, sys::ns_type& type, std::uint64_t& ino) noexcept
{
    const auto colon = s.find(':');
    if (colon == std::string_view::npos || s.size() < colon + 4 || s[colon + 1] != '[' || s.back() != ']')
        return false;
    const std::string_view name = s.substr(0, colon); // the kernel's spelling only (ns_common's ops->name)
    for (const auto& i : sys::ns_types())
        if (i.name == name) {
            std::uint64_t v = 0;
            if (!parse_decimal(s.substr(colon + 2, s.size() - colon - 3), v))
                return false;
            type = i.type;
            ino = v;
            return true;
        }
    return false;
}

bool parse_ns_spec(std::string_view s, ns_spec& out) noexcept
{
    out = ns_spec{};
    if (s.find('/') != std::string_view::npos) {
        out.by = ns_spec::kind::path;
        return true;
    }
    std::string_view digits = s;
    if (s.starts_with(':')) {
        out.by = ns_spec::kind::id;
        digits.remove_prefix(1);
    } else if (const auto colon = s.find(":["); colon != std::string_view::npos && s.back() == ']') {
        out.type = sys::ns_type_from_name(s.substr(0, colon));
        if (!out.type)
            return false;
        digits = s.substr(colon + 2, s.size() - colon - 3);
    }
    return parse_decimal(digits, out.value);
}

bool parse_stat(std::string_view text, stat_fields& out) noexcept
{
    const auto open = text.find('(');
    const auto close = text.rfind(')');
    if (open == std::string_view::npos || close == std::string_view::npos || close < open || close + 2 >= text.size())
        return false;
    out.comm = text.substr(open + 1, close - open - 1);
    out.state = text[close + 2];
    // after the state: ppid pgrp session tty_nr tpgid flags
    std::string_view rest = text.substr(close + 3);
    long long v[6] = {};
    for (auto& x : v) {
        const auto w = next_word(rest);
        auto [p, e] = std::from_chars(w.data(), w.data() + w.size(), x);
        if (e != std::errc() || p != w.data() + w.size())
            return false;
    }
    if (v[0] > 0x7fffffff) // no pid is that large: not the kernel's text (the cast would wrap)
        return false;
    out.ppid = v[0] > 0 ? static_cast<pid_t>(v[0]) : 0;
    out.flags = static_cast<unsigned long>(v[5]);
    return true;
}

bool parse_status_nspid(std::string_view status, std::vector<pid_t>& out)
{
    out.clear();
    const auto at = status.starts_with("NSpid:") ? 0 : status.find("\nNSpid:");
    if (at == std::string_view::npos)
        return false;
    std::string_view line = status.substr(at + (at == 0 ? 6 : 7));
    line = line.substr(0, line.find('\n'));
    while (!line.empty()) {
        const auto w = next_word(line);
        if (w.empty())
            break;
        std::uint64_t v = 0;
        if (!parse_decimal(w, v) || v > 0x7fffffff)
            return false;
        out.push_back(static_cast<pid_t>(v));
    }
    return true;
}

bool parse_pidfd_fdinfo(std::string_view text, pid_t& pid) noexcept
{
    const auto at = text.starts_with("Pid:") ? 0 : text.find("\nPid:");
    if (at == std::string_view::npos)
        return false;
    std::string_view line = text.substr(at + (at == 0 ? 4 : 5));
    line = line.substr(0, line.find('\n'));
    const auto w = next_word(line);
    long long v = 0;
    auto [p, e] = std::from_chars(w.data(), w.data() + w.size(), v);
    if (e != std::errc() || p != w.data() + w.size() || v < -1 || v > 0x7fffffff)
        return false;
    pid = static_cast<pid_t>(v);
    return true;
}

std::string unescape_mount_path(std::string_view s)
{
    std::string out;
    out.reserve(s.size());
    auto octal = [](char c) { return c >= '0' && c <= '7'; };
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '3' && octal(s[i + 2]) &&
            octal(s[i + 3])) {
            out.push_back(static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
            i += 3;
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

bool parse_mountinfo_line(std::string_view line, mountinfo_entry& out)
{
    const auto sep = line.find(" - ");
    if (sep == std::string_view::npos)
        return false;
    std::string_view rest = line.substr(0, sep);
    std::string_view f[5];
    for (auto& x : f)
        if ((x = next_word(rest)).empty())
            return false;
    std::string_view tail = line.substr(sep + 3);
    out.fstype = next_word(tail);
    out.root = f[3];
    out.mount_point = unescape_mount_path(f[4]);
    return !out.fstype.empty();
}

std::uint64_t kernel_dev_to_user(std::uint64_t kdev) noexcept
{
    return static_cast<std::uint64_t>(
        ::makedev(static_cast<unsigned>(kdev >> 20), static_cast<unsigned>(kdev & 0xfffff)));
}

std::vector<epoll_item> parse_epoll_fdinfo(std::string_view text)
{
    // Each watched item (fs/eventpoll.c, ep_show_fdinfo):
    // "tfd: %8d events: %8x data: %16llx  pos:%lli ino:%lx sdev:%x"
    // in the order the kernel walks its tree: the same order KCMP_EPOLL_TFD
    // counts `toff` in.
    std::vector<epoll_item> out;
    std::map<int, unsigned> seen;
    while (!text.empty()) {
        auto nl = text.find('\n');
        auto line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        if (!line.starts_with("tfd:"))
            continue;
        epoll_item it;
        if (!field(line, "tfd:", 10, it.target_fd) || it.target_fd < 0)
            continue;
        field(line, "events:", 16, it.events);
        std::uint64_t sdev = 0;
        it.has_inode = field(line, " ino:", 16, it.ino) && field(line, "sdev:", 16, sdev);
        it.ino = it.has_inode ? it.ino : 0; // an ino: without its sdev: identifies nothing
        it.dev = it.has_inode ? kernel_dev_to_user(sdev) : 0;
        it.target_offset = seen[it.target_fd]++;
        out.push_back(it);
    }
    return out;
}

std::string read_whole(int fd, std::size_t limit, std::error_code& ec)
{
    ec.clear();
    std::string text;
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ec = nskit::detail::last_error();
            text.clear();
            return text;
        }
        if (n == 0 || static_cast<std::size_t>(n) > limit - text.size())
            return text;
        text.append(buf, static_cast<std::size_t>(n));
    }
}

std::string read_text_at(int dirfd, const char* name, std::error_code& ec)
{
    ec.clear();
    const unique_fd fd(::openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY));
    if (!fd) {
        ec = nskit::detail::last_error();
        return {};
    }
    return read_whole(fd.get(), static_cast<std::size_t>(-1), ec);
}

std::string read_link_at(int dirfd, const char* name, std::error_code& ec)
{
    ec.clear();
    std::string buf(128, '\0');
    for (int tries = 0; tries < 8; ++tries) { // targets can be up to PATH_MAX and beyond
        const ssize_t n = ::readlinkat(dirfd, name, buf.data(), buf.size());
        if (n < 0) {
            ec = nskit::detail::last_error();
            return {};
        }
        if (static_cast<std::size_t>(n) < buf.size()) {
            buf.resize(static_cast<std::size_t>(n));
            return buf;
        }
        buf.resize(buf.size() * 4);
    }
    ec = std::make_error_code(std::errc::filename_too_long);
    return {};
}

} // namespace nskit::inspect::detail
