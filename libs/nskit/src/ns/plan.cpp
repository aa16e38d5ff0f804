// make_plan: the options checked, then each feature's prepare side; what
// the child needs is allocated here, before the clone.
#include "features.hpp"
#include "run_internal.hpp"

#include <linux/magic.h>
#include <signal.h>
#include <sys/statfs.h>

#include <cerrno>

namespace nskit::ns::detail::run_impl {

namespace {

// The first step that reaches a process through the caller's /proc (the
// maps and the veth's inner end: /proc/PID, time offsets: /proc/self).
setup_step first_proc_step(const options& o) noexcept
{
    if (o.user)
        return o.user->deny_setgroups ? setup_step::setgroups : setup_step::gid_map;
    if (o.veth)
        return setup_step::veth;
    return o.namespaces().contains(sys::clone_flag::newtime) ? setup_step::timens_offsets : setup_step::none;
}

} // namespace

bool proc_missing() noexcept
{
    struct statfs s{};
    if (::statfs("/proc", &s) != 0)
        return errno == ENOENT; // cannot tell otherwise: the step's own error will say
    return s.f_type != PROC_SUPER_MAGIC;
}

std::error_code make_plan(const options& o, plan& p)
{
    if (auto ec = o.validate())
        return ec;
    // Before any side effect: without procfs such a step fails half-way (ENOENT).
    if (const auto step = first_proc_step(o); step != setup_step::none && proc_missing())
        return make_setup_error(step, ENOENT);
    p.o = &o;
    p.ns = o.namespaces();
    user_ns::prepare(o, p);
    if (auto ec = mount_ns::prepare(o, p))
        return ec;
    time_ns::prepare(o, p);
    p.handshake = o.user.has_value() || o.veth.has_value();
    p.init = o.pid || p.ns.contains(sys::clone_flag::newtime);
    // A caller ignoring SIGCHLD would have the child auto-reaped and its
    // status lost: then the child gets no exit signal (waited with __WALL).
    // exec resets the exit signal to SIGCHLD, so a program then runs under
    // a keeper (the init) that never execs and reports its status.
    struct sigaction sa{};
    ::sigaction(SIGCHLD, nullptr, &sa);
    p.exit_signal = (sa.sa_handler == SIG_IGN || (sa.sa_flags & SA_NOCLDWAIT)) ? 0 : SIGCHLD;
    if (p.exit_signal == 0 && p.fn == nullptr)
        p.init = true;
    return {};
}

} // namespace nskit::ns::detail::run_impl
