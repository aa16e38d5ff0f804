// The setup-step error category: step names, hints, what the failed step
// used, and the texts run(), spawn() and setup() throw with.
#include <nskit/ns/run.hpp>
#include <nskit/sys/error.hpp>

#include "features.hpp"
#include "net.hpp"
#include "run_internal.hpp"

#include <sys/resource.h>

#include <cerrno>
#include <cstring>

namespace nskit::ns {

std::string_view to_string(setup_step s) noexcept
{
    switch (s) {
    case setup_step::none: return "none";
    case setup_step::validate: return "validate options";
    case setup_step::threads: return "check threads";
    case setup_step::pipe: return "pipe2";
    case setup_step::clone: return "clone3";
    case setup_step::fork: return "fork";
    case setup_step::user_wait: return "wait for the user namespace maps";
    case setup_step::setgroups: return "write setgroups";
    case setup_step::gid_map: return "write gid_map";
    case setup_step::uid_map: return "write uid_map";
    case setup_step::unshare: return "unshare";
    case setup_step::make_private: return "make / private (MS_REC | MS_PRIVATE)";
    case setup_step::tmp_check: return "check /tmp";
    case setup_step::mount_tmp: return "mount tmpfs on /tmp";
    case setup_step::mount_proc: return "mount proc on /proc";
    case setup_step::hostname: return "sethostname";
    case setup_step::domainname: return "setdomainname";
    case setup_step::loopback: return "bring up lo";
    case setup_step::veth: return "create veth";
    case setup_step::timens_offsets: return "write timens_offsets";
    case setup_step::sysvsem: return "unshare sysvsem";
    case setup_step::die_with_parent: return "prctl PR_SET_PDEATHSIG";
    case setup_step::signals: return "signal setup";
    case setup_step::close_fds: return "close_range";
    case setup_step::chdir: return "chdir";
    case setup_step::exec: return "execve";
    case setup_step::enter_userns: return "setns user";
    case setup_step::setns: return "setns";
    case setup_step::chroot: return "chroot";
    case setup_step::become_root: return "setresuid/setresgid 0";
    case setup_step::setsid: return "setsid";
    case setup_step::report: return "read the child's report";
    case setup_step::signalfd: return "signalfd4 for the forwarded signals";
    case setup_step::poll: return "poll the child's pidfd and the signals";
    case setup_step::wait: return "waitid on the child's pidfd";
    case setup_step::parent_pidfd: return "pidfd_open of the caller (die_with_parent)";
    case setup_step::parent_check: return "ppoll the caller's pidfd (die_with_parent)";
    case setup_step::fs_view: return "build the filesystem view";
    case setup_step::rlimit: return "set a resource limit (prlimit64)";
    }
    return "unknown step";
}

namespace {

class setup_category_impl final : public std::error_category {
public:
    const char* name() const noexcept override { return "nskit.ns.setup"; }
    std::string message(int v) const override; // "step: hint: strerror"
    std::error_condition default_error_condition(int v) const noexcept override
    {
        return {v & 0xffff, std::generic_category()};
    }
};

} // namespace

const std::error_category& setup_category() noexcept
{
    static const setup_category_impl c;
    return c;
}

std::error_code make_setup_error(setup_step step, int err) noexcept
{
    return {(static_cast<int>(step) << 16) | (err & 0xffff), setup_category()};
}

setup_step failed_step(const std::error_code& ec) noexcept
{
    return ec.category() == setup_category() ? static_cast<setup_step>(ec.value() >> 16) : setup_step::none;
}

int failed_errno(const std::error_code& ec) noexcept
{
    return ec.category() == setup_category() ? (ec.value() & 0xffff) : ec.value();
}

namespace {

// What kind of operation a step is, for nskit::hint.
op_kind step_kind(setup_step s) noexcept
{
    switch (s) {
    case setup_step::clone:
    case setup_step::fork:
    case setup_step::unshare:
    case setup_step::sysvsem: return op_kind::namespace_create;
    case setup_step::setgroups:
    case setup_step::gid_map:
    case setup_step::uid_map: return op_kind::id_map_write;
    case setup_step::make_private:
    case setup_step::tmp_check:
    case setup_step::mount_tmp:
    case setup_step::mount_proc:
    case setup_step::fs_view: return op_kind::mount;
    case setup_step::hostname:
    case setup_step::domainname: return op_kind::set_hostname;
    case setup_step::loopback:
    case setup_step::veth: return op_kind::netlink;
    case setup_step::timens_offsets: return op_kind::timens_offsets;
    case setup_step::exec: return op_kind::exec;
    case setup_step::wait:
    case setup_step::parent_pidfd:
    case setup_step::parent_check: return op_kind::pidfd;
    case setup_step::enter_userns:
    case setup_step::setns: return op_kind::namespace_enter;
    default: return op_kind::other;
    }
}

constexpr std::string_view proc_needed =
    "/proc is not mounted (procfs): the user namespace's maps are written to /proc/PID of the child";

// Advice for a step that knows more than its kind.
std::string_view step_hint(setup_step s, int e) noexcept
{
    switch (s) {
    case setup_step::validate:
        if (e == EINVAL) // setup()'s only refusal of this kind
            return "setup() cannot make a PID namespace: the caller cannot become its PID 1 (run() and spawn() "
                   "start an init in one)";
        break;
    case setup_step::setgroups:
        if (e == EACCES)
            return "cannot open the child's /proc files: make the caller dumpable (prctl PR_SET_DUMPABLE)";
        if (e == ENOENT)
            return proc_needed;
        break;
    case setup_step::uid_map:
    case setup_step::gid_map:
        if (e == ENOENT) // the plan checks /proc first; a vanished child is ESRCH
            return proc_needed;
        if (e == EINVAL)
            return "the kernel refused the map (overlapping ranges, zero count, or ids not mapped in the parent)";
        if (e == EPERM)
            return "mapping ids other than your own needs CAP_SETUID/CAP_SETGID (run as root, or map only your "
                   "own id)";
        break;
    case setup_step::veth:
        if (e == ENOTSUP || e == ENOSYS)
            return "the kernel has no veth driver (CONFIG_VETH; is the veth module loaded?)";
        if (e == ENOENT)
            return "/proc is not mounted (procfs): the child's network namespace is opened as /proc/PID/ns/net";
        break;
    case setup_step::timens_offsets:
        if (e == ENOENT)
            return "/proc is not mounted (procfs): the offsets are written to /proc/PID/timens_offsets";
        break;
    case setup_step::tmp_check:
        if (e == ELOOP)
            return "/tmp is a symbolic link: refusing to mount over it";
        if (e == ENOENT || e == ENOTDIR)
            return "there is no directory /tmp in this mount namespace to mount the tmpfs on";
        break;
    case setup_step::exec:
        if (e == EACCES)
            return "not executable";
        break;
    case setup_step::chdir:
        if (e == ENOENT || e == ENOTDIR)
            return "no such directory (looked up after the new namespaces' mounts)";
        break;
    default: break;
    }
    return hint(std::error_code(e, std::system_category()), step_kind(s));
}

std::string limit_text(std::uint64_t v)
{
    return v == RLIM_INFINITY ? std::string("unlimited") : std::to_string(v);
}

} // namespace

std::string setup_category_impl::message(int v) const
{
    const auto s = static_cast<setup_step>(v >> 16);
    const int e = v & 0xffff;
    std::string out(to_string(s));
    if (auto h = step_hint(s, e); !h.empty())
        out.append(": ").append(h);
    return out.append(": ").append(std::system_category().message(e)); // strerror's text, thread-safe
}

std::string explain(const std::error_code& ec)
{
    return ec.category() == setup_category() ? ec.message() : describe(ec, op_kind::other);
}

std::string failed_input(const std::error_code& ec, const options& o, const spawn_options& so)
{
    const auto quoted = [](const std::string& s) { return "'" + s + "'"; };
    const auto map = [](const char* which, const std::optional<user_options>& u) {
        if (!u)
            return std::string();
        const auto& m = which[0] == 'u' ? u->uid_map : u->gid_map;
        if (m.empty())
            return std::string(which) + " map: the caller's id as 0";
        std::string text;
        for (const auto& r : m) {
            if (text.size() > 60) {
                text += ",...";
                break;
            }
            if (!text.empty()) // appended piece by piece: g++ 12 warns (-Wrestrict) on the one expression
                text += ',';
            text.append(std::to_string(r.inside)).append(":").append(std::to_string(r.outside)).append(":");
            text.append(std::to_string(r.count));
        }
        return std::string(which) + " map '" + text + "'";
    };
    const auto seconds = [](std::chrono::nanoseconds n) {
        return std::to_string(std::chrono::duration<double>(n).count());
    };
    switch (failed_step(ec)) {
    case setup_step::chdir: return so.cwd.empty() ? "" : "directory " + quoted(so.cwd); // "": the caller's own
    case setup_step::mount_tmp: return o.tmp ? "options " + quoted(detail::run_impl::mount_ns::tmp_data(*o.tmp)) : "";
    case setup_step::hostname: return quoted(o.hostname);
    case setup_step::domainname: return quoted(o.domainname);
    case setup_step::uid_map: return map("uid", o.user);
    case setup_step::gid_map: return map("gid", o.user);
    case setup_step::timens_offsets:
        return "monotonic " + seconds(o.monotonic_offset) + " s, boottime " + seconds(o.boottime_offset) + " s";
    case setup_step::veth: {
        if (!o.veth)
            return {};
        std::string names =
            quoted(o.veth->local_name) + " / " + quoted(o.veth->peer_name.empty() ? "eth0" : o.veth->peer_name);
        if (const auto d = detail::last_net_detail(); !d.empty())
            names += ": " + d;
        return names;
    }
    case setup_step::fs_view: {
        const auto w = detail::run_impl::last_failure();
        if (w.step != static_cast<std::int32_t>(setup_step::fs_view))
            return {};
        return describe(o.view, {static_cast<std::size_t>(w.index), static_cast<fs_phase>(w.phase), 0});
    }
    case setup_step::rlimit: {
        const auto w = detail::run_impl::last_failure();
        if (w.step != static_cast<std::int32_t>(setup_step::rlimit) || static_cast<std::size_t>(w.index) >= o.rlimits.size())
            return {};
        const auto& l = o.rlimits[static_cast<std::size_t>(w.index)];
        return std::string(rlimit_name(l.resource)) + "=" + limit_text(l.soft) + ":" + limit_text(l.hard);
    }
    default: return {};
    }
}

std::string explain(const std::error_code& ec, const options& o, const spawn_options& so)
{
    if (failed_step(ec) == setup_step::fs_view) { // the view's own line: "bind /a -> /b: open the source: ..."
        const auto w = detail::run_impl::last_failure();
        if (w.step == static_cast<std::int32_t>(setup_step::fs_view))
            return describe(o.view, {static_cast<std::size_t>(w.index), static_cast<fs_phase>(w.phase),
                                     failed_errno(ec)});
    }
    std::string text = explain(ec);
    const auto input = failed_input(ec, o, so);
    const auto step = to_string(failed_step(ec));
    if (input.empty() || text.compare(0, step.size(), step) != 0)
        return text;
    return text.insert(step.size(), " (" + input + ")");
}

namespace detail::run_impl {

std::string op_name(const char* what, const options& o)
{
    return std::string(what) + "(" + sys::to_string(o.namespaces()) + ")";
}

std::string with_input(std::string op, const std::error_code& ec, const options& o, const spawn_options& so)
{
    if (!ec)
        return op;
    if (const auto input = failed_input(ec, o, so); !input.empty())
        op += " (" + input + ")";
    return op;
}

void check_options(const std::string& op, const options& o)
{
    if (auto p = o.problem(); p.ec)
        throw_error(p.ec, op_kind::input, op + ": " + p.reason);
}

} // namespace detail::run_impl

} // namespace nskit::ns
