// The child after clone: its steps (each feature's child side, in order)
// up to exec or the callable, or to the init.  Only async-signal-safe
// calls: they go through raw:: (see raw.hpp): no errno, no lazy binding,
// no libc locks.  Only a callable's own code uses libc.
#include "features.hpp"
#include "raw.hpp"
#include "run_internal.hpp"

#include <poll.h>
#include <sys/prctl.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <cstdio>
#include <iostream>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2) // 5.11
#endif

extern char** environ;

namespace nskit::ns::detail::run_impl {

[[noreturn]] void fail(int report_w, setup_step s, int err, int code) noexcept
{
    const wire w{static_cast<std::int32_t>(s), err};
    raw::write_all(report_w, &w, sizeof w);
    raw::exit_group(code);
}

// A session of its own: no controlling terminal, so nothing in the sandbox
// can push input into the caller's terminal (TIOCSTI) or signal its jobs.
int session_step(const plan& p, setup_step& step) noexcept
{
    if (!p.o->new_session)
        return 0;
    step = setup_step::setsid;
    const long r = raw::call(SYS_setsid);
    return r < 0 ? static_cast<int>(-r) : 0;
}

[[noreturn]] void run_payload(const plan& p, int report_w) noexcept
{
    setup_step step = setup_step::none;
    if (int e = limits::child(p, step))
        fail_at(report_w, {static_cast<std::int32_t>(step), e, p.detail.index, 0}, p.fn != nullptr ? setup_failed_exit : 127);
    if (p.fn != nullptr) {
        if (p.envp != nullptr) // options::env: our own copy of the caller's memory, no one else reads it
            environ = const_cast<char**>(p.envp); // execve takes the same array
        if (int e = session_step(p, step))
            fail(report_w, step, e);
        raw::close(report_w); // setup done: the parent reads EOF
        int r = 255;
        try {
            r = (*p.fn)();
        } catch (...) {
            r = 255;
        }
        std::cout.flush();
        std::cerr.flush();
        (void)std::fflush(nullptr); // best effort: the status is what is reported
        ::_exit(r & 0xff);
    }
    const spawn_options& so = *p.so;
    if (!so.cwd.empty())
        if (const long r = raw::call(SYS_chdir, raw::arg(so.cwd.c_str())); r < 0)
            fail(report_w, setup_step::chdir, static_cast<int>(-r), 127);
    constexpr unsigned last_fd = ~0U; // close_range's "to the end"
    if (const long r = raw::call(SYS_close_range, 3, static_cast<long>(last_fd), CLOSE_RANGE_CLOEXEC); r < 0)
        fail(report_w, setup_step::close_fds, static_cast<int>(-r), 127);
    for (int fd : so.keep_fds)
        if (fd >= 0 && fd != report_w)
            if (const long r = raw::call(SYS_fcntl, fd, F_SETFD, 0); r < 0)
                fail(report_w, setup_step::close_fds, static_cast<int>(-r), 127);
    if (int e = session_step(p, step)) // before pre_exec: a hook may give it a terminal of its own
        fail(report_w, step, e, 127);
    if (so.pre_exec != nullptr)
        if (int e = so.pre_exec(so.pre_exec_ctx); e != 0)
            fail(report_w, setup_step::exec, e, 127);
    const long r = raw::call(SYS_execve, raw::arg(p.path), raw::arg(p.argv), raw::arg(p.envp));
    fail(report_w, setup_step::exec, static_cast<int>(-r), 127);
}

namespace {

// The caller died: so do we.  getppid() says 0 in a new PID namespace: ask
// the parent's pidfd whether it died before PDEATHSIG was armed.
void die_with_parent_step(const plan& p, int report_w, int parent_pidfd) noexcept
{
    if (!p.o->die_with_parent)
        return;
    if (const long r = raw::call(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL); r < 0)
        fail(report_w, setup_step::die_with_parent, static_cast<int>(-r));
    pollfd pf{parent_pidfd, POLLIN, 0};
    timespec now{};
    const long r = raw::call(SYS_ppoll, raw::arg(&pf), 1, raw::arg(&now), 0, sizeof(raw::sigmask));
    if (r < 0)
        fail(report_w, setup_step::parent_check, static_cast<int>(-r));
    if (r != 0)
        raw::exit_group(setup_failed_exit); // the caller is gone: nobody to report to
}

// An init keeps the forwarded signals (blocked since before clone: one
// sent meanwhile waits) and SIGCHLD blocked for its sigtimedwait; returns them.
raw::sigmask signal_step(const plan& p) noexcept
{
    raw::sigmask waited = raw::bit(SIGCHLD);
    for (int s : forwarded_signals)
        waited |= raw::bit(s);
    // CLONE_CLEAR_SIGHAND keeps an ignored SIGCHLD ignored: children would be auto-reaped.
    raw::set_default(SIGCHLD);
    raw::set_mask(p.init ? waited : 0);
    return waited;
}

// The handshake: the parent writes the maps and the veth, then `go`.
void wait_for_parent(const plan& p, int report_w, int go_r) noexcept
{
    if (!p.handshake)
        return;
    char c = 0;
    const long n = raw::read_some(go_r, &c, 1);
    if (n < 0)
        fail(report_w, setup_step::user_wait, static_cast<int>(-n));
    if (n != 1)
        raw::exit_group(setup_failed_exit); // end of file: the parent gave up and reports why
}

// The features' child sides, in the order they run.
using child_side = int (*)(const plan&, setup_step&) noexcept;
constexpr child_side feature_steps[] = {
    user_ns::child,  // uid / gid 0 first: the rest may need the capabilities
    mount_ns::child, // private, /tmp, /proc, then the working directory
    uts_ns::child,
    net_ns::child, // lo
    time_ns::child, // last: the offsets apply to the children
};

} // namespace

[[noreturn]] void child_main(const plan& p, int report_w, int go_r, int status_w, int parent_pidfd,
                            long worker_stack) noexcept
{
    die_with_parent_step(p, report_w, parent_pidfd);
    const raw::sigmask waited = signal_step(p);
    wait_for_parent(p, report_w, go_r);
    for (const child_side side : feature_steps) {
        setup_step step = setup_step::none;
        if (int e = side(p, step))
            fail_at(report_w, {static_cast<std::int32_t>(step), e, p.detail.index, p.detail.phase});
    }
    if (!p.init)
        run_payload(p, report_w);
    run_as_init(p, report_w, status_w, waited, worker_stack);
}

int shared_memory_init(void* a) noexcept
{
    const auto* i = static_cast<const init_args*>(a);
    child_main(*i->p, i->report_w, i->go_r, i->status_w, i->parent_pidfd, i->worker_stack);
}

} // namespace nskit::ns::detail::run_impl
