// The parent side of run() and spawn() as a list of steps: pipes, what
// lives outside (the veth's socket), the clone (the way chosen here, each in
// a launch_*.cpp), the features' parent sides while the child waits, the
// child's report.
#include "features.hpp"
#include "raw.hpp" // NSKIT_RAW_SYSCALLS
#include "run_internal.hpp"

#include <nskit/sys/error.hpp>
#include <nskit/sys/pidfd.hpp>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>

#ifndef NSKIT_RAW_SYSCALLS
#error "nskit/sys/detail/raw.hpp defines NSKIT_RAW_SYSCALLS: without it the child would never share memory"
#endif

namespace nskit::ns {

struct detail::process_access {
    static void set_status_fd(process& p, unique_fd fd) noexcept { p.status_fd_ = std::move(fd); }
    static void set_init_stack(process& p, sys::clone_stack s) noexcept { p.init_stack_ = std::move(s); }
    static void set_on_reaped(process& p, std::function<std::string()> f) noexcept { p.on_reaped_ = std::move(f); }
};

namespace detail::run_impl {

using nskit::detail::last_error;

namespace {

// A program's child shares our memory until it execs, like posix_spawn's:
// nothing is copied at clone (~0.4 ms per sandbox here), and nothing else
// is in the sandbox yet to reach it.  An init for a program may keep
// sharing it (spawn_options::share_memory_with_init), then nothing is torn
// down at its exit either; not with a user namespace (the sandbox has other
// credentials then, and must not reach our memory by ptracing its PID 1)
// nor a time namespace (a task sharing memory stays in the old one).
// Not under ASan (it does not know the child's stack), and only where
// clone3_run exists.
#if NSKIT_RAW_SYSCALLS && defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
constexpr bool child_can_share_memory = true;
#else
constexpr bool child_can_share_memory = false;
#endif

} // namespace

std::error_code as_setup_error(setup_step s, const std::error_code& ec)
{
    if (ec.category() == std::system_category() || ec.category() == std::generic_category())
        return make_setup_error(s, ec.value());
    return ec;
}

// Reads the child's report: EOF means every step passed.
std::error_code read_report(int fd) noexcept
{
    wire w{};
    ssize_t n;
    do
        n = ::read(fd, &w, sizeof w);
    while (n < 0 && errno == EINTR);
    if (n == static_cast<ssize_t>(sizeof w)) {
        note_failure(w);
        return make_setup_error(static_cast<setup_step>(w.step), w.err);
    }
    if (n != 0)
        return make_setup_error(setup_step::report, n < 0 ? errno : EPROTO);
    return {};
}

namespace {

// The handshake: maps and veth written while the child waits on `go`.
// write(2) to a pipe whose reader may have died (a child that failed its
// setup): EPIPE, not the SIGPIPE that would kill the caller before it cleans up.
ssize_t write_without_sigpipe(int fd, const void* data, std::size_t len) noexcept
{
    sigset_t pipe_only, old, pending;
    ::sigemptyset(&pipe_only);
    ::sigaddset(&pipe_only, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
    ::sigpending(&pending);
    const bool pending_before = ::sigismember(&pending, SIGPIPE) == 1;
    const ssize_t n = ::write(fd, data, len);
    const int err = errno;
    if (n < 0 && err == EPIPE && !pending_before) {
        const timespec now{};
        ::sigtimedwait(&pipe_only, nullptr, &now); // take ours, leave anyone else's
    }
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    errno = err;
    return n;
}

// The features' parent sides, then `go`.
bool release_child(const plan& p, pid_t pid, process& proc, std::function<std::string()>& delete_veth,
                   detail::outer_veth* made, pipe_pair& go, std::error_code& ec) noexcept
{
    try {
        if ((ec = user_ns::parent(pid, p)))
            return false; // ~process kills and reaps the waiting child
    } catch (...) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return false;
    }
    if ((ec = net_ns::parent(pid, p, made)))
        return false;
    if (p.o->veth)
        detail::process_access::set_on_reaped(proc, std::move(delete_veth));
    if (write_without_sigpipe(go.w.get(), "g", 1) != 1) {
        ec = make_setup_error(setup_step::user_wait, errno);
        return false;
    }
    go.w.reset();
    return true;
}

// The pipes of one launch: the child's report, the handshake's `go`, an
// init's status (the real wait status of its worker).
struct launch_pipes {
    pipe_pair report, go, status;
    std::error_code open(const plan& p) noexcept
    {
        if (auto ec = report.open())
            return ec;
        if (p.handshake)
            if (auto ec = go.open())
                return ec;
        return p.init ? status.open() : std::error_code{};
    }
};

sys::clone3_args clone_args(const plan& p) noexcept
{
    sys::clone3_args a;
    a.flags = (p.ns - sys::clone_flag::newtime) | sys::clone_flag::pidfd | sys::clone_flag::clear_sighand;
    a.exit_signal = p.exit_signal;
    cgroup_ns::clone_args(p, a);
    return a;
}

enum class strategy { vfork_like, shared_memory, fork };

// Sharing our memory where it may (see child_can_share_memory): vfork-like
// for a program without an init or handshake; else forked.
strategy choose(const plan& p) noexcept
{
    const bool share = child_can_share_memory && p.fn == nullptr &&
                       (!p.init || (p.so->share_memory_with_init && !p.o->user &&
                                    !p.ns.contains(sys::clone_flag::newtime)));
    if (!share)
        return strategy::fork;
    return !p.init && !p.handshake ? strategy::vfork_like : strategy::shared_memory;
}

// Clones the child the chosen way (forked where clone3 is missing); in the
// child, never returns.
bool start_child(const plan& p, init_args& ia, sys::clone_result& r, sys::clone_stack& child_stack,
                 std::error_code& ec) noexcept
{
    const auto a = clone_args(p);
    bool started = false;
    switch (choose(p)) {
    case strategy::vfork_like: started = clone_vfork_like(p, a, ia, r, child_stack, ec); break;
    case strategy::shared_memory: started = clone_shared_memory(p, a, ia, r, child_stack, ec); break;
    case strategy::fork: break;
    }
    if (started || ec)
        return started;
    return clone_forked(p, a, ia, r, ec);
}

// The parent's side of the pipes closed, the child held by its pidfd, with
// what lives as long as it does.
process adopt(const plan& p, sys::clone_result& r, launch_pipes& pipes, sys::clone_stack& child_stack) noexcept
{
    pipes.report.w.reset();
    pipes.go.r.reset();
    pipes.status.w.reset();
    process proc(r.pid, std::move(r.pidfd));
    if (p.init)
        detail::process_access::set_status_fd(proc, std::move(pipes.status.r));
    if (p.init && child_stack.valid()) // the init lives on: freed once it is reaped
        detail::process_access::set_init_stack(proc, std::move(child_stack));
    return proc;
}

} // namespace

// With `report_out`, returns as soon as the child is released and hands the
// report pipe to the caller (read it after the child exits: run() saves a
// round trip); without, waits for the setup verdict (spawn: the exec).
process launch(const plan& p, std::error_code& ec, unique_fd* report_out) noexcept
{
    const auto& o = *p.o;
    launch_pipes pipes;
    if ((ec = pipes.open(p)))
        return {};
    auto& [report, go, status] = pipes;
    detail::outer_veth* made_veth = nullptr;
    std::function<std::string()> delete_veth = net_ns::before_clone(o, made_veth, ec);
    if (ec)
        return {};
    unique_fd parent_pidfd;
    if (o.die_with_parent) {
        parent_pidfd = sys::pidfd_open(::getpid(), ec);
        if (ec) {
            ec = as_setup_error(setup_step::parent_pidfd, ec);
            return {};
        }
    }
    std::cout.flush();
    std::cerr.flush();
    (void)std::fflush(nullptr); // nothing buffered twice (best effort: the caller's streams are its own)
    sys::clone_result r;
    sys::clone_stack child_stack; // outlives `proc` below: freed after the child is reaped or has exec'd
    init_args ia{&p, report.w.get(), go.r.get(), status.w.get(), parent_pidfd.get()};
    if (!start_child(p, ia, r, child_stack, ec))
        return {};
    process proc = adopt(p, r, pipes, child_stack);
    if (p.handshake) {
        if (!release_child(p, r.pid, proc, delete_veth, made_veth, go, ec)) {
            // A child that failed first (its map writes or go then fail:
            // EPIPE, EPERM) has reported why: once it is gone (it holds the
            // report pipe) the report is read; without one the parent's
            // reason stands.
            std::error_code ignore;
            proc.signal(SIGKILL, ignore);
            proc.wait(ignore);
            if (auto why = read_report(report.r.get()); why && failed_step(why) != setup_step::report)
                ec = why;
            return {};
        }
    }
    if (report_out != nullptr) {
        *report_out = std::move(report.r);
        ec.clear();
        return proc;
    }
    if ((ec = read_report(report.r.get()))) {
        std::error_code ignore;
        proc.wait(ignore);
        return {};
    }
    return proc;
}

} // namespace detail::run_impl

} // namespace nskit::ns
