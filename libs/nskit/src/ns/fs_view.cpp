// The filesystem view's prepare side: validation, the plan, the messages.
// No side effects here; the child side is fs_view_child.cpp.
#include <nskit/ns/fs_view.hpp>
#include <nskit/ns/detail/fs_plan.hpp>

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace nskit::ns {

std::string_view to_string(fs_action a) noexcept
{
    switch (a) {
    case fs_action::bind: return "bind";
    case fs_action::ro_bind: return "ro-bind";
    case fs_action::dev_bind: return "dev-bind";
    case fs_action::tmpfs: return "tmpfs";
    case fs_action::proc: return "proc";
    case fs_action::dev: return "dev";
    case fs_action::mqueue: return "mqueue";
    case fs_action::dir: return "dir";
    case fs_action::symlink: return "symlink";
    case fs_action::remount_ro: return "remount-ro";
    case fs_action::chmod: return "chmod";
    }
    return "unknown";
}

std::string_view to_string(fs_phase p) noexcept
{
    switch (p) {
    case fs_phase::none: return "none";
    case fs_phase::bad_dest: return "the destination must be an absolute path without '..' or NUL bytes";
    case fs_phase::bad_source: return "the source must be a non-empty path without NUL bytes";
    case fs_phase::bad_mode: return "the mode must be an octal number up to 07777";
    case fs_phase::bad_size: return "the size must be NUMBER with an optional k, m, g or %";
    case fs_phase::stage: return "stage the new root on /tmp";
    case fs_phase::new_root: return "mount the new root";
    case fs_phase::open_source: return "open the source";
    case fs_phase::clone_source: return "clone the source's mounts";
    case fs_phase::set_flags: return "set the mount flags";
    case fs_phase::create_dest: return "create the destination";
    case fs_phase::make_fs: return "make the filesystem";
    case fs_phase::attach: return "mount on the destination";
    case fs_phase::make_node: return "populate the minimal /dev";
    case fs_phase::make_link: return "create the symbolic link";
    case fs_phase::change_mode: return "change the mode";
    case fs_phase::remount: return "remount read-only";
    case fs_phase::detach_old: return "detach the old root";
    case fs_phase::pivot: return "pivot_root into the new root";
    case fs_phase::chdir: return "change to the working directory";
    }
    return "unknown phase";
}

bool fs_view::new_root() const noexcept
{
    if (fresh_root || !root.empty())
        return true;
    for (const auto& s : steps)
        if (s.dest.find_first_not_of('/') == std::string::npos && !s.dest.empty())
            return true;
    return false;
}

namespace {

bool has_nul(const std::string& s) noexcept { return s.find('\0') != std::string::npos; }

// "/a//b/./c" -> {"a", "b", "c"}; false for a relative path or "..".
bool split_dest(const std::string& dest, std::vector<std::string>* names)
{
    if (dest.empty() || dest.front() != '/' || has_nul(dest))
        return false;
    std::size_t i = 0;
    while (i < dest.size()) {
        const std::size_t j = std::min(dest.find('/', i), dest.size());
        const std::string_view c(dest.data() + i, j - i);
        if (c == "..")
            return false;
        if (!c.empty() && c != "." && names)
            names->emplace_back(c);
        i = j + 1;
    }
    return true;
}

bool valid_size(const std::string& s) noexcept
{
    if (s.empty())
        return true;
    std::size_t digits = 0;
    while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9')
        ++digits;
    if (digits == 0 || digits + 1 < s.size())
        return false;
    return digits == s.size() || std::strchr("kKmMgG%", s[digits]) != nullptr;
}

bool takes_source(fs_action a) noexcept
{
    return a == fs_action::bind || a == fs_action::ro_bind || a == fs_action::dev_bind || a == fs_action::symlink;
}

fs_phase check(const fs_step& s) noexcept
{
    if (!split_dest(s.dest, nullptr))
        return fs_phase::bad_dest;
    if (takes_source(s.action) && (s.source.empty() || has_nul(s.source)))
        return fs_phase::bad_source;
    if (s.mode > 07777)
        return fs_phase::bad_mode;
    if (s.action == fs_action::tmpfs && (!valid_size(s.size) || has_nul(s.size)))
        return fs_phase::bad_size;
    return fs_phase::none;
}

std::string lowercase_first(std::string s)
{
    if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z' && !(s.size() > 1 && s[1] >= 'A' && s[1] <= 'Z'))
        s[0] = static_cast<char>(s[0] - 'A' + 'a');
    return s;
}

std::string octal(mode_t m)
{
    char buf[8];
    int i = 7;
    buf[i] = '\0';
    do {
        buf[--i] = static_cast<char>('0' + (m & 7));
        m >>= 3;
    } while (m != 0 && i > 1);
    buf[--i] = '0';
    return buf + i;
}

std::string absolute(const std::string& path)
{
    if (path.front() == '/')
        return path;
    char cwd[4096];
    if (::getcwd(cwd, sizeof cwd) == nullptr)
        return path; // opening it will say why
    std::string out(cwd);
    if (out.back() != '/')
        out += '/';
    return out + path;
}

} // namespace

fs_failure validate(const fs_view& view) noexcept
{
    if (has_nul(view.root) || has_nul(view.chdir))
        return {view.steps.size(), fs_phase::bad_source, EINVAL};
    for (std::size_t i = 0; i < view.steps.size(); ++i)
        if (const fs_phase p = check(view.steps[i]); p != fs_phase::none)
            return {i, p, EINVAL};
    return {};
}

std::string describe(const fs_view& view, const fs_failure& f)
{
    std::string out;
    if (f.step < view.steps.size()) {
        const fs_step& s = view.steps[f.step];
        out.append(to_string(s.action)).append(" ");
        if (takes_source(s.action))
            out.append(s.source).append(" -> ");
        out.append(s.dest);
    } else {
        out = view.root.empty() ? std::string("new root") : "root " + view.root;
        if (f.phase == fs_phase::chdir)
            out = "chdir " + view.chdir;
    }
    out.append(": ").append(to_string(f.phase));
    if (f.error != 0 && f.phase > fs_phase::bad_size)
        out.append(": ").append(lowercase_first(std::system_category().message(f.error))); // strerror's text, thread-safe
    return out;
}

namespace detail {

fs_plan prepare(const fs_view& view, fs_failure& failure)
{
    failure = validate(view);
    fs_plan plan;
    if (failure)
        return plan;
    plan.pivot = view.new_root();
    plan.root = view.root.empty() ? std::string() : absolute(view.root);
    plan.chdir = view.chdir;
    plan.steps.reserve(view.steps.size());
    for (const auto& s : view.steps) {
        fs_plan_step p;
        p.action = s.action;
        p.if_exists = s.if_exists;
        p.mode = s.mode;
        if (takes_source(s.action))
            p.source = s.action == fs_action::symlink ? s.source : absolute(s.source);
        p.mode_text = octal(s.mode);
        p.size = s.size;
        split_dest(s.dest, &p.names);
        std::string prefix;
        for (const auto& n : p.names)
            p.prefixes.push_back(prefix += "/" + n);
        plan.steps.push_back(std::move(p));
    }
    return plan;
}

} // namespace detail
} // namespace nskit::ns
