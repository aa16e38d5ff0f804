// make_plan: the options checked, then each feature's prepare side; what
// the child needs is allocated here, before the clone.
#include "features.hpp"
#include "run_internal.hpp"

#include <signal.h>

namespace nskit::ns::detail::run_impl {

std::error_code make_plan(const options& o, plan& p)
{
    if (auto ec = o.validate())
        return ec;
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
