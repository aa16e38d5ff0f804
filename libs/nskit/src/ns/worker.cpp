// The init's worker and where it runs: a program's borrows the init's
// memory until exec, on a stack below the init's; a callable's shares it
// for life on a mapped stack with a guard page; otherwise it is forked.
#include "raw.hpp"
#include "run_internal.hpp"

#include <nskit/sys/detail/clone_args.hpp>

#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#ifndef NSKIT_RAW_SYSCALLS
#error "nskit/sys/detail/raw.hpp defines NSKIT_RAW_SYSCALLS: without it the worker would never share memory"
#endif

namespace nskit::ns::detail::run_impl {

namespace {

// A callable's worker shares the init's memory (CLONE_VM, no page tables
// copied) where the init's calls leave it alone; under ASan it is forked:
// ASan does not know the worker's stack and may report false positives.
#if NSKIT_RAW_SYSCALLS && !defined(__SANITIZE_ADDRESS__)
constexpr bool callable_shares_memory = true;
#else
constexpr bool callable_shares_memory = false;
#endif

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

} // namespace

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

} // namespace nskit::ns::detail::run_impl
