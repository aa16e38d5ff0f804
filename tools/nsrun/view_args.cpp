// nsrun's bubblewrap-style options: each becomes a step of ns::fs_view,
// an edit of ns::env_options or an ns::rlimit_setting, in command-line
// order (Boost.Program_options' parsed list keeps it; its variables_map
// does not).  The library validates and does the work.
#include "view_args.hpp"
#include "values.hpp"

#include <nskit/ns/rlimit.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace po = boost::program_options;
namespace ns = nskit::ns;

namespace nskit::tools::nsrun {
namespace {

// What an option does: a view step, a view setting, or an environment edit.
enum class kind { step, root, fresh_root, perms, size, clearenv, setenv, unsetenv, keep_env, rlimit };

struct spec {
    const char* name;
    kind what;
    ns::fs_action action;
    bool if_exists;
    int words; // 0: a switch
    const char* value_name;
    const char* help;
};

using A = ns::fs_action;
constexpr spec specs[] = {
    {"bind", kind::step, A::bind, false, 2, "SRC DEST", "bind SRC (of the caller's view) on DEST, nosuid, nodev"},
    {"bind-try", kind::step, A::bind, true, 2, "SRC DEST", "as --bind; nothing when SRC does not exist"},
    {"ro-bind", kind::step, A::ro_bind, false, 2, "SRC DEST", "as --bind, read-only"},
    {"ro-bind-try", kind::step, A::ro_bind, true, 2, "SRC DEST", "as --ro-bind; nothing when SRC does not exist"},
    {"dev-bind", kind::step, A::dev_bind, false, 2, "SRC DEST", "as --bind, device nodes usable"},
    {"dev-bind-try", kind::step, A::dev_bind, true, 2, "SRC DEST", "as --dev-bind; nothing when SRC does not exist"},
    {"tmpfs", kind::step, A::tmpfs, false, 1, "DEST", "a tmpfs on DEST (mode 0755 or --perms, size --size)"},
    {"proc", kind::step, A::proc, false, 1, "DEST", "procfs of PROGRAM's PID namespace on DEST"},
    {"dev", kind::step, A::dev, false, 1, "DEST",
     "a minimal /dev on DEST: null zero full random urandom tty, pts, shm, fd links"},
    {"mqueue", kind::step, A::mqueue, false, 1, "DEST", "an mqueue filesystem on DEST"},
    {"dir", kind::step, A::dir, false, 1, "DEST", "a directory DEST (mode 0755 or --perms)"},
    {"symlink", kind::step, A::symlink, false, 2, "TARGET DEST", "a symbolic link DEST -> TARGET"},
    {"remount-ro", kind::step, A::remount_ro, false, 1, "DEST", "make the mount at DEST read-only"},
    {"chmod", kind::step, A::chmod, false, 2, "OCTAL PATH", "set PATH's mode in the view"},
    {"perms", kind::perms, A::dir, false, 1, "OCTAL", "the mode of the next --tmpfs or --dir"},
    {"size", kind::size, A::tmpfs, false, 1, "BYTES", "the size of the next --tmpfs (BYTES, or with k, m, g, %)"},
    {"root", kind::root, A::bind, false, 1, "DIR", "assemble the view on a bind of DIR and pivot_root into it"},
    {"fresh-root", kind::fresh_root, A::bind, false, 0, nullptr,
     "assemble the view on an empty tmpfs and pivot_root into it (bwrap's model; also implied by a step on /)"},
    {"clearenv", kind::clearenv, A::bind, false, 0, nullptr, "PROGRAM starts with an empty environment"},
    {"setenv", kind::setenv, A::bind, false, 2, "VAR VALUE", "set VAR to VALUE"},
    {"unsetenv", kind::unsetenv, A::bind, false, 1, "VAR", "unset VAR"},
    {"keep-env", kind::keep_env, A::bind, false, 1, "LIST", "keep only these variables (comma-separated) of nsrun's"},
    {"rlimit", kind::rlimit, A::bind, false, 1, "NAME=SOFT[:HARD]",
     "a resource limit of PROGRAM, as prlimit names them (NOFILE=1024, CORE=0, STACK=unlimited); repeatable"},
};

const spec* find_spec(std::string_view name)
{
    for (const auto& s : specs)
        if (name == s.name)
            return &s;
    return nullptr;
}

mode_t octal_mode(const char* option, const std::string& text)
{
    mode_t m = 0;
    bool ok = !text.empty() && text.size() <= 5;
    for (char c : text)
        ok = ok && c >= '0' && c <= '7' && ((m = (m << 3) | static_cast<mode_t>(c - '0')), true);
    if (!ok || m > 07777)
        throw usage_error(std::string("--") + option + ": '" + text + "': not an octal mode up to 07777");
    return m;
}

// The pending --perms / --size and what they may precede.
struct pending {
    std::optional<mode_t> perms;
    std::optional<std::string> size;
    void check_next(const spec* next) const
    {
        const bool step = next != nullptr && next->what == kind::step;
        if (perms && !(step && (next->action == A::tmpfs || next->action == A::dir)) && !(next && next->what == kind::size))
            throw usage_error("--perms must be followed by --tmpfs or --dir");
        if (size && !(step && next->action == A::tmpfs) && !(next != nullptr && next->what == kind::perms))
            throw usage_error("--size must be followed by --tmpfs");
    }
};

ns::fs_step make_step(const spec& s, const std::vector<std::string>& w, pending& p)
{
    ns::fs_step step;
    step.action = s.action;
    step.if_exists = s.if_exists;
    if (s.words == 2 && s.action != A::chmod)
        step.source = w[0];
    step.dest = w.back();
    if (s.action == A::chmod)
        step.mode = octal_mode(s.name, w[0]);
    if (p.perms)
        step.mode = *p.perms;
    if (p.size)
        step.size = *p.size;
    p = {};
    return step;
}

void apply_env(const spec& s, const std::vector<std::string>& w, ns::env_options& env)
{
    switch (s.what) {
    case kind::clearenv: // as bwrap's: what was set before is gone too
        env.clear = true;
        env.edits.clear();
        break;
    case kind::setenv: env.edits.push_back({false, w[0], w[1]}); break;
    case kind::unsetenv: env.edits.push_back({true, w[0], {}}); break;
    case kind::keep_env: {
        std::error_code ec;
        auto names = ns::parse_name_list(w[0], ec);
        if (ec)
            throw usage_error("--keep-env: '" + w[0] + "': a name is empty or has '='");
        env.keep.insert(env.keep.end(), names.begin(), names.end());
        break;
    }
    default: break;
    }
}

} // namespace

void add_view_options(po::options_description& desc)
{
    for (const auto& s : specs) {
        if (s.words == 0)
            desc.add_options()(s.name, s.help);
        else
            desc.add_options()(s.name, po::value<std::vector<std::string>>()->value_name(s.value_name), s.help);
    }
}

const std::vector<option_words>& view_option_words()
{
    static const std::vector<option_words> words = [] {
        std::vector<option_words> w;
        for (const auto& s : specs)
            if (s.words > 1)
                w.push_back({s.name, s.words});
        return w;
    }();
    return words;
}

void view_options_from(const std::vector<po::option>& parsed, ns::options& o)
{
    pending p;
    for (const auto& opt : parsed) {
        const spec* s = find_spec(opt.string_key);
        p.check_next(s);
        if (s == nullptr)
            continue;
        const auto w = opt.value.empty() ? std::vector<std::string>{} : split_words(opt.value.front());
        if (static_cast<int>(w.size()) != s->words)
            throw usage_error(std::string("--") + s->name + ": takes " + std::to_string(s->words) + " arguments");
        switch (s->what) {
        case kind::step: o.view.steps.push_back(make_step(*s, w, p)); break;
        case kind::root: o.view.root = w[0]; break;
        case kind::fresh_root: o.view.fresh_root = true; break;
        case kind::perms: p.perms = octal_mode(s->name, w[0]); break;
        case kind::size: p.size = w[0]; break;
        case kind::rlimit: {
            std::error_code ec;
            o.rlimits.push_back(ns::parse_rlimit(w[0], ec));
            if (ec)
                throw usage_error("--rlimit: '" + w[0] +
                                  "': expected NAME=SOFT[:HARD] (NOFILE, CORE, ...; a number or unlimited, soft <= hard)");
            break;
        }
        default: apply_env(*s, w, o.env);
        }
    }
    p.check_next(nullptr);
}

const char* first_view_option(const std::vector<po::option>& parsed)
{
    for (const auto& opt : parsed)
        if (const spec* s = find_spec(opt.string_key); s != nullptr && s->what != kind::clearenv &&
                                                       s->what != kind::setenv && s->what != kind::unsetenv &&
                                                       s->what != kind::keep_env && s->what != kind::rlimit)
            return s->name;
    return nullptr;
}

} // namespace nskit::tools::nsrun
