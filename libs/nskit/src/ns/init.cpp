// The child after clone: its setup, and when it is an init (PID 1 of a new
// PID namespace, or the keeper of a time namespace) the worker it starts
// and the loop that reaps and forwards signals.  Raw system calls only.
#include "network.hpp"
#include "raw.hpp"
#include "run_internal.hpp"

#include <nskit/sys/detail/clone_args.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <iterator>

namespace nskit::ns::detail::run_impl {

namespace {

// A callable's worker shares the init's memory (CLONE_VM, no page tables
// copied) where the init's calls leave it alone; under ASan it is forked:
// ASan does not know the worker's stack and may report false positives.
#if NSKIT_NS_RAW_SYSCALLS && !defined(__SANITIZE_ADDRESS__)
constexpr bool callable_shares_memory = true;
#else
constexpr bool callable_shares_memory = false;
#endif


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

struct worker_args {
    const plan* p;
    int report_w, status_w;
    int ready_r, ready_w; // the worker waits for EOF on ready_r: the init has closed the caller's fds
};

// The worker: on its own stack in the init's memory (CLONE_VM), or forked.
[[noreturn]] int worker_main(void* a) noexcept
{
    const auto* w = static_cast<const worker_args*>(a);
    // Dispositions are the init's: default, or ignored where our caller
    // ignores them (inherited like across fork and exec: nohup keeps working).
    raw::set_mask(0); // the init keeps them blocked for its sigtimedwait
    // The init died: so do we.  Not armed, the worker could outlive its
    // namespace's keeper: a failed step like any other.
    if (const long r = raw::call(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL); r < 0)
        fail(w->report_w, setup_step::die_with_parent, static_cast<int>(-r));
    raw::close(w->status_w); // our own fd table (no CLONE_FILES)
    raw::close(w->ready_w);
    char c; // nothing of the payload runs while the init still holds the caller's fds
    while (raw::read_some(w->ready_r, &c, 1) > 0) {
    }
    raw::close(w->ready_r);
    run_payload(*w->p, w->report_w);
}

// Maps `size` bytes for a stack (with a guard page below when `guard`);
// returns the lowest usable address, or -errno.
long map_stack(std::size_t size, bool guard) noexcept
{
    const std::size_t page = 4096, total = size + (guard ? page : 0);
    const long m = raw::call(SYS_mmap, 0, static_cast<long>(total), PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
    if (static_cast<unsigned long>(m) > -4096UL)
        return m;
    if (guard)
        if (const long r = raw::call(SYS_mprotect, m, static_cast<long>(page), PROT_NONE); r < 0)
            return r;
    return m + static_cast<long>(guard ? page : 0);
}

// Starts fn(arg) in a child on [stack, stack + size): clone3 where
// clone3_start exists, else libc's clone.  Returns its pid or -errno.
long start_on_stack(int (*fn)(void*), void* arg, long stack, std::size_t size, std::uint64_t flags) noexcept
{
    sys::detail::kernel_clone_args k{};
    k.flags = flags;
    k.exit_signal = SIGCHLD;
    k.stack = static_cast<std::uint64_t>(stack);
    k.stack_size = size;
    long r = sys::detail::clone3_start(&k, fn, arg);
    if (r == -ENOSYS) {
        r = ::clone(fn, reinterpret_cast<char*>(stack) + size, static_cast<int>(flags) | SIGCHLD, arg);
        if (r < 0)
            r = -errno;
    }
    return r;
}

// Every step before the payload; returns the signals an init waits for.
raw::sigmask child_prepare(const plan& p, int report_w, int go_r, int parent_pidfd) noexcept
{
    const auto& o = *p.o;
    if (o.die_with_parent) {
        if (const long r = raw::call(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL); r < 0)
            fail(report_w, setup_step::die_with_parent, static_cast<int>(-r));
        // getppid() says 0 in a new PID namespace: ask the parent's pidfd
        // whether it died before PDEATHSIG was armed.
        pollfd pf{parent_pidfd, POLLIN, 0};
        timespec now{};
        const long r = raw::call(SYS_ppoll, raw::arg(&pf), 1, raw::arg(&now), 0, sizeof(raw::sigmask));
        if (r < 0)
            fail(report_w, setup_step::parent_check, static_cast<int>(-r));
        if (r != 0)
            raw::exit_group(setup_failed_exit); // the caller is gone: nobody to report to
    }
    // An init keeps the forwarded signals (blocked since before clone: one
    // sent meanwhile waits) and SIGCHLD blocked for init_loop's sigtimedwait.
    raw::sigmask waited = raw::bit(SIGCHLD);
    for (int s : forwarded_signals)
        waited |= raw::bit(s);
    // CLONE_CLEAR_SIGHAND keeps an ignored SIGCHLD ignored: children would be auto-reaped.
    raw::set_default(SIGCHLD);
    raw::set_mask(p.init ? waited : 0);
    if (p.handshake) {
        char c = 0;
        const long n = raw::read_some(go_r, &c, 1);
        if (n < 0)
            fail(report_w, setup_step::user_wait, static_cast<int>(-n));
        if (n != 1)
            raw::exit_group(setup_failed_exit); // end of file: the parent gave up and reports why
    }
    // raw: glibc's setresuid would signal the parent's threads.  The gid
    // first: it needs CAP_SETGID, which a uid change could drop.
    if (p.become_gid0)
        if (const long r = raw::call(SYS_setresgid, 0, 0, 0); r < 0)
            fail(report_w, setup_step::become_root, static_cast<int>(-r));
    if (p.become_uid0)
        if (const long r = raw::call(SYS_setresuid, 0, 0, 0); r < 0)
            fail(report_w, setup_step::become_root, static_cast<int>(-r));
    setup_step step = setup_step::none;
    if (int e = mount_steps(p, step))
        fail(report_w, step, e);
    if (o.pid && o.proc)
        if (const long r = raw::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr); r < 0)
            fail(report_w, setup_step::mount_proc, static_cast<int>(-r));
    if (const wire w = view_step(p); w.step != 0)
        fail_at(report_w, w);
    if (int e = cwd_step(p, step)) // the mounts are done: look the working directory up again
        fail(report_w, step, e);
    if (int e = uts_steps(p, step))
        fail(report_w, step, e);
    if (p.ns.contains(sys::clone_flag::newnet))
        if (int e = detail::loopback_up_async_signal_safe())
            fail(report_w, setup_step::loopback, e);
    if (p.ns.contains(sys::clone_flag::newtime))
        if (int e = time_steps(p, step))
            fail(report_w, step, e);
    return waited;
}

// Starts the worker (PID 2 in a new PID namespace; it enters
// time_for_children): returns its pid or -errno.
long start_worker(const plan& p, worker_args& args, int report_w, long worker_stack) noexcept
{
    long w;
    if (p.fn == nullptr) {
        // A program: the worker borrows our memory until its exec, which
        // spares copying the page tables.  Not vfork: it waits for us to
        // close our fds first.  Its stack: below ours where we share the
        // caller's memory (the caller frees both once we are reaped), else
        // a mapping of ours that goes with us.
        long stack = worker_stack;
        if (stack == 0)
            stack = map_stack(program_worker_stack, false);
        if (static_cast<unsigned long>(stack) > -4096UL)
            fail(report_w, setup_step::fork, static_cast<int>(-stack));
        w = start_on_stack(worker_main, &args, stack, program_worker_stack, CLONE_VM);
    } else if (callable_shares_memory && !p.ns.contains(sys::clone_flag::newtime)) {
        // A callable: shares our memory for its whole life (no vfork wait,
        // so we keep forwarding signals).  The stack is as large as a main
        // thread's, reserved lazily, with a guard page below it.  (A task
        // sharing memory stays in our time namespace: then it is forked.)
        constexpr std::size_t stack_size = std::size_t{8} * 1024 * 1024;
        const long stack = map_stack(stack_size, true);
        if (static_cast<unsigned long>(stack) > -4096UL)
            fail(report_w, setup_step::fork, static_cast<int>(-stack));
        w = start_on_stack(worker_main, &args, stack, stack_size, CLONE_VM);
    } else {
        w = ::_Fork();
        if (w < 0)
            w = -errno;
        if (w == 0)
            worker_main(&args); // the same steps in a copy of our memory
    }
    return w;
}
} // namespace

[[noreturn]] void child_main(const plan& p, int report_w, int go_r, int status_w, int parent_pidfd,
                            long worker_stack) noexcept
{
    const raw::sigmask waited = child_prepare(p, report_w, go_r, parent_pidfd);
    if (!p.init)
        run_payload(p, report_w);
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

int shared_memory_init(void* a) noexcept
{
    const auto* i = static_cast<const init_args*>(a);
    child_main(*i->p, i->report_w, i->go_r, i->status_w, i->parent_pidfd, i->worker_stack);
}

} // namespace nskit::ns::detail::run_impl
