// The init: PID 1 of a new PID namespace, or the keeper of a time
// namespace.  It leaves the caller's session, starts the worker
// (worker.cpp), keeps none of the caller's fds, then reaps everything and
// forwards signals to the worker.  Raw system calls only (see raw.hpp).
#include "raw.hpp"
#include "run_internal.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <iterator>

namespace nskit::ns::detail::run_impl {

namespace {

// PID 1 (or the keeper of a time namespace): reap everything, forward
// signals to the worker, exit with the worker's status.  No handlers: the
// forwarded signals and SIGCHLD stay blocked and are taken with sigtimedwait
// (a blocked signal is queued even for PID 1, which drops unhandled ones),
// so the worker's pid is a local and nothing is shared between inits.
// Raw system calls only (see raw.hpp).
[[noreturn]] void init_loop(pid_t worker, int status_w, raw::sigmask waited) noexcept
{
    int wstatus = 0;
    int wait_failures = 0; // wait4 fails for good only with ECHILD; anything else is retried, boundedly
    for (bool done = false; !done;) {
        siginfo_t si;
        const long sig = raw::call(SYS_rt_sigtimedwait, raw::arg(&waited), raw::arg(&si), 0, sizeof waited);
        if (sig == SIGCHLD) {
            for (;;) { // one SIGCHLD may stand for several exits
                int st = 0;
                const long r = raw::call(SYS_wait4, -1, raw::arg(&st), WNOHANG | __WALL, 0);
                if (r == -EINTR)
                    continue;
                if (r == worker) {
                    wstatus = st;
                    done = true;
                } else if (r < 0 && r != -ECHILD && ++wait_failures < 3) {
                    continue; // breaking out would wait for a SIGCHLD already taken: a hang
                } else if (r < 0) {
                    // ECHILD cannot happen before the worker is reaped; after
                    // repeated failures the worker's status is lost: a setup failure
                    if (!done && r != -ECHILD) {
                        raw::call(SYS_kill, worker, SIGKILL); // a keeper's worker would outlive it
                        wstatus = setup_failed_exit << 8;
                    }
                    done = true;
                    break;
                } else if (r == 0) {
                    break;
                }
            }
        } else if (sig > 0) {
            raw::call(SYS_kill, worker, sig);
        }
    }
    raw::write_all(status_w, &wstatus, sizeof wstatus);
    raw::exit_group(WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus));
}

} // namespace

[[noreturn]] void run_as_init(const plan& p, int report_w, int status_w, std::uint64_t waited,
                              long worker_stack) noexcept
{
    // The init leaves the caller's session too: PROGRAM could reach its
    // terminal through it (ptrace) otherwise.
    setup_step step = setup_step::none;
    if (int e = session_step(p, step))
        fail(report_w, step, e);
    // The init never execs, so CLOEXEC closes nothing of what it inherited:
    // it keeps only 0-2 and its status pipe (an inherited directory fd would
    // be a way out of the sandbox through /proc/1/fd).  The worker inherits
    // everything (a program keeps 0-2 and keep_fds) and starts the payload
    // only once the init has closed its own (EOF on `ready`).
    int ready[2];
    if (const long r = raw::call(SYS_pipe2, raw::arg(ready), O_CLOEXEC); r < 0)
        fail(report_w, setup_step::pipe, static_cast<int>(-r));
    worker_args args{&p, report_w, status_w, ready[0], ready[1]};
    const long w = start_worker(p, args, report_w, worker_stack);
    if (w < 0)
        fail(report_w, setup_step::fork, static_cast<int>(-w));
    const int kept[] = {report_w, status_w, ready[1]};
    if (const long r = raw::close_all_but(kept, std::size(kept)); r < 0) {
        raw::call(SYS_kill, w, SIGKILL);
        fail(report_w, setup_step::close_fds, static_cast<int>(-r));
    }
    raw::close(report_w); // the worker holds it until exec / the callable
    raw::close(ready[1]); // the worker goes on
    init_loop(static_cast<pid_t>(w), status_w, waited);
}

} // namespace nskit::ns::detail::run_impl
