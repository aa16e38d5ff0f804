#include <nskit/sys/clone_flags.hpp>
#include <nskit/sys/error.hpp>
#include <nskit/sys/ns_type.hpp>

#include <nskit/sys/detail/text.hpp>

#include <array>
#include <cctype>
#include <cstdio>

namespace nskit::sys {
namespace {

using F = clone_flag;
// name, short (lsns) name, kernel, unshare accepts, clone3 only
constexpr std::array<clone_flag_info, 27> table{{
    {F::newtime, "newtime", "time", "5.6", true, false},
    {F::vm, "vm", "vm", "2.0", true, false},
    {F::fs, "fs", "fs", "2.0", true, false},
    {F::files, "files", "files", "2.0", true, false},
    {F::sighand, "sighand", "sighand", "2.0", true, false},
    {F::pidfd, "pidfd", "pidfd", "5.2", false, false},
    {F::ptrace, "ptrace", "ptrace", "2.2", false, false},
    {F::vfork, "vfork", "vfork", "2.2", false, false},
    {F::parent, "parent", "parent", "2.3.12", false, false},
    {F::thread, "thread", "thread", "2.4.0", true, false},
    {F::newns, "newns", "mnt", "2.4.19", true, false},
    {F::sysvsem, "sysvsem", "sysvsem", "2.5.10", true, false},
    {F::settls, "settls", "settls", "2.5.32", false, false},
    {F::parent_settid, "parent_settid", "parent_settid", "2.5.49", false, false},
    {F::child_cleartid, "child_cleartid", "child_cleartid", "2.5.49", false, false},
    {F::detached, "detached", "detached", "2.5.32", false, false},
    {F::untraced, "untraced", "untraced", "2.5.46", false, false},
    {F::child_settid, "child_settid", "child_settid", "2.5.49", false, false},
    {F::newcgroup, "newcgroup", "cgroup", "4.6", true, false},
    {F::newuts, "newuts", "uts", "2.6.19", true, false},
    {F::newipc, "newipc", "ipc", "2.6.19", true, false},
    {F::newuser, "newuser", "user", "2.6.23", true, false},
    {F::newpid, "newpid", "pid", "2.6.24", true, false},
    {F::newnet, "newnet", "net", "2.6.24", true, false},
    {F::io, "io", "io", "2.6.25", false, false},
    {F::clear_sighand, "clear_sighand", "clear_sighand", "5.5", false, true},
    {F::into_cgroup, "into_cgroup", "into_cgroup", "5.7", false, true},
}};

using detail::iequal;

std::string_view trim(std::string_view s) noexcept
{
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
        s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
        s.remove_suffix(1);
    return s;
}

std::optional<clone_flags> lookup(std::string_view word) noexcept
{
    if (auto t = ns_type_from_name(word))
        return clone_flags(info(*t).flag);
    if (word.size() > 6 && iequal(word.substr(0, 6), "CLONE_"))
        word.remove_prefix(6);
    for (const auto& i : table)
        if (iequal(word, i.name))
            return clone_flags(i.flag);
    return std::nullopt;
}

std::error_code conflict() noexcept { return make_error_code(error::flag_conflict); }

} // namespace

std::span<const clone_flag_info> all_clone_flags() noexcept { return table; }

const clone_flag_info* find_clone_flag(clone_flag f) noexcept
{
    for (const auto& i : table)
        if (i.flag == f)
            return &i;
    return nullptr;
}

clone_flags parse_clone_flags(std::string_view text, std::error_code& ec) noexcept
{
    ec.clear();
    clone_flags out;
    while (!text.empty()) {
        auto cut = text.find_first_of(",|");
        auto word = trim(text.substr(0, cut));
        const bool separator_follows = cut != std::string_view::npos;
        text = separator_follows ? text.substr(cut + 1) : std::string_view{};
        if (word.empty() || (separator_follows && trim(text).empty())) {
            if (!separator_follows && out.empty())
                break; // all blank: the empty set
            ec = make_error_code(error::bad_flag_name);
            return {};
        }
        auto f = lookup(word);
        if (!f) {
            ec = make_error_code(error::bad_flag_name);
            return {};
        }
        out |= *f;
    }
    return out;
}

clone_flags parse_clone_flags(std::string_view text)
{
    std::error_code ec;
    auto f = parse_clone_flags(text, ec);
    throw_if(ec, op_kind::input, std::string("parse_clone_flags(\"").append(text).append("\")"));
    return f;
}

std::string to_string(clone_flags flags)
{
    std::string out;
    for (const auto& i : table) {
        if (flags.contains(i.flag)) {
            if (!out.empty())
                out += ',';
            out += i.short_name;
        }
    }
    if (auto u = flags.unknown(); !u.empty()) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%#llx", static_cast<unsigned long long>(u.bits()));
        if (!out.empty())
            out += ',';
        out += buf;
    }
    return out;
}

std::error_code check_unshare_flags(clone_flags flags) noexcept
{
    if (!flags.unknown().empty())
        return make_error_code(error::flag_not_for_unshare);
    for (const auto& i : table)
        if (flags.contains(i.flag) && !i.unshare_accepts)
            return make_error_code(error::flag_not_for_unshare);
    return {};
}

std::error_code check_clone_flags(clone_flags f, bool via_clone3) noexcept
{
    if (!f.unknown().empty())
        return std::make_error_code(std::errc::invalid_argument);
    if (f.contains(F::newns) && f.contains(F::fs))
        return conflict();
    if (f.contains(F::newuser) && f.contains(F::fs))
        return conflict();
    if (f.contains(F::thread) && !f.contains(F::sighand))
        return conflict();
    if (f.contains(F::sighand) && !f.contains(F::vm))
        return conflict();
    if (f.contains(F::thread) && (f.intersects(F::newuser | F::newpid)))
        return conflict();
    if (f.contains(F::sighand) && f.contains(F::clear_sighand))
        return conflict();
    if (f.contains(F::pidfd) && f.contains(F::detached))
        return conflict();
    if (!via_clone3 && f.intersects(F::newtime | F::clear_sighand | F::into_cgroup))
        return make_error_code(error::needs_clone3);
    return {};
}

} // namespace nskit::sys
