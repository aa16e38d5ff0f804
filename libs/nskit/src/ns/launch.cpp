// The parent side of run() and spawn(): pipes, clone (one function per
// strategy), the user namespace maps and veth, the child's report.
#include "network.hpp"
#include "raw.hpp" // NSKIT_NS_RAW_SYSCALLS
#include "run_internal.hpp"

#include <nskit/sys/error.hpp>
#include <nskit/sys/nsfs.hpp>
#include <nskit/sys/pidfd.hpp>
#include <nskit/sys/detail/clone_args.hpp>
#include <nskit/sys/detail/syscall.hpp>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>

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
#if NSKIT_NS_RAW_SYSCALLS && defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
constexpr bool child_can_share_memory = true;
#else
constexpr bool child_can_share_memory = false;
#endif

std::error_code write_proc(pid_t pid, const char* file, const std::string& text)
{
    const std::string path = "/proc/" + std::to_string(pid) + "/" + file;
    unique_fd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd)
        return last_error();
    // uid_map and gid_map take the whole map in one write at offset 0
    const ssize_t n = ::write(fd.get(), text.data(), text.size());
    if (n < 0)
        return last_error();
    if (static_cast<std::size_t>(n) != text.size())
        return std::make_error_code(std::errc::io_error);
    return {};
}


} // namespace

std::error_code write_maps(pid_t pid, const plan& p)
{
    if (p.o->user->deny_setgroups)
        if (auto ec = write_proc(pid, "setgroups", "deny"))
            return make_setup_error(setup_step::setgroups, ec.value());
    if (auto ec = write_proc(pid, "gid_map", p.gid_text))
        return make_setup_error(setup_step::gid_map, ec.value());
    if (auto ec = write_proc(pid, "uid_map", p.uid_text))
        return make_setup_error(setup_step::uid_map, ec.value());
    return {};
}

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

// The outer veth end would outlive the child until the kernel's
// asynchronous namespace cleanup: the process deletes it when it reaps
// the child, so the same name can be used again at once, by the index
// connect_veth records in `made` (a name may be someone else's by then).
// The socket it deletes with is opened now, in the outer namespace.
std::function<std::string()> veth_cleanup(const options& o, detail::outer_veth*& made, std::error_code& ec) noexcept
{
    std::function<std::string()> delete_veth;
    made = nullptr;
    if (!o.veth)
        return delete_veth;
    auto outer = detail::prepare_outer_veth(*o.veth, ec);
    if (ec) {
        ec = as_setup_error(setup_step::veth, ec);
        return delete_veth;
    }
    try {
        delete_veth = [outer] { return detail::remove_veth(*outer); };
        made = outer.get();
    } catch (...) {
        ec = std::make_error_code(std::errc::not_enough_memory);
    }
    return delete_veth;
}

// Clone sharing our memory, on its own stack: vfork-like for a program
// without an init or handshake.  Returns false where clone3 is missing.
bool clone_sharing_memory(const plan& p, const sys::clone3_args& a, init_args& ia, sys::clone_result& r,
                          sys::clone_stack& child_stack, std::error_code& ec) noexcept
{
    // The child runs on its own stack in our memory.  Until the program
    // is exec'd we are suspended (vfork) or blocked reading the report,
    // except during a handshake, when it is blocked reading `go`; an
    // init then makes raw system calls only: the two never use shared
    // state at once.
    const bool vfork = !p.init && !p.handshake;
    // 256 KiB: for pre_exec.  An init runs on the top 64 KiB, its program's
    // worker below (freed with it once the init is reaped).
    constexpr std::size_t init_part = std::size_t{64} * 1024;
    child_stack = sys::clone_stack(p.init ? init_part + program_worker_stack : std::size_t{256} * 1024, ec);
    if (ec) {
        ec = as_setup_error(setup_step::clone, ec);
        return false;
    }
    sys::clone3_args shared = a;
    shared.flags |= sys::clone_flag::vm;
    if (vfork)
        shared.flags |= sys::clone_flag::vfork;
    char* const base = static_cast<char*>(child_stack.top()) - child_stack.size();
    shared.stack = p.init ? base + program_worker_stack : base;
    shared.stack_size = p.init ? init_part : child_stack.size();
    if (p.init)
        ia.worker_stack = reinterpret_cast<long>(base);
    int pidfd = -1;
    auto k = sys::detail::to_kernel(shared, &pidfd);
    const long pid = sys::detail::clone3_run(&k, shared_memory_init, &ia);
    if (pid >= 0) {
        r.pid = static_cast<pid_t>(pid);
        r.pidfd.reset(pidfd);
        return true;
    }
    if (errno != ENOSYS)
        ec = as_setup_error(setup_step::clone, nskit::detail::last_error());
    else
        child_stack = sys::clone_stack(); // no clone3: forked below
    return false;
}

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

bool release_child(const plan& p, pid_t pid, process& proc, std::function<std::string()>& delete_veth,
                   detail::outer_veth* made, pipe_pair& go, std::error_code& ec) noexcept
{
    const auto& o = *p.o;
    if (o.user && (ec = write_maps(pid, p)))
        return false; // ~process kills and reaps the waiting child
    if (o.veth) {
        auto inner = sys::open_ns(pid, sys::ns_type::net, ec);
        if (!ec)
            detail::connect_veth(*o.veth, o.veth->peer_netns_fd, inner.get(), ec, made);
        if (ec) {
            ec = as_setup_error(setup_step::veth, ec);
            return false;
        }
        detail::process_access::set_on_reaped(proc, std::move(delete_veth));
    }
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
    if (p.o->cgroup_fd >= 0) {
        a.flags |= sys::clone_flag::into_cgroup;
        a.cgroup_fd = p.o->cgroup_fd;
    }
    return a;
}

// Clones the child, sharing our memory where it may (see
// child_can_share_memory), else forked; in the child, never returns.
bool start_child(const plan& p, init_args& ia, sys::clone_result& r, sys::clone_stack& child_stack,
                 std::error_code& ec) noexcept
{
    const auto a = clone_args(p);
    const bool share = child_can_share_memory && p.fn == nullptr &&
                       (!p.init || (p.so->share_memory_with_init && !p.o->user &&
                                    !p.ns.contains(sys::clone_flag::newtime)));
    if (share) {
        if (clone_sharing_memory(p, a, ia, r, child_stack, ec))
            return true;
        if (ec)
            return false; // else no clone3: forked
    }
    r = sys::clone3(a, ec);
    if (ec) {
        ec = as_setup_error(setup_step::clone, ec);
        return false;
    }
    if (r.pid == 0)
        child_main(p, ia.report_w, ia.go_r, ia.status_w, ia.parent_pidfd);
    return true;
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
    std::function<std::string()> delete_veth = veth_cleanup(o, made_veth, ec);
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
