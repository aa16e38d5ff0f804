#include <nskit/ns/run.hpp>
#include <nskit/ns/detail/threads.hpp>
#include <nskit/sys/clone.hpp>
#include <nskit/sys/error.hpp>
#include <nskit/sys/nsfs.hpp>
#include <nskit/sys/pidfd.hpp>
#include <nskit/sys/detail/clone_args.hpp>
#include <nskit/sys/detail/syscall.hpp>

#include "network.hpp"
#include "raw.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2) // 5.11
#endif

extern char** environ;

namespace nskit::ns {

struct detail::process_access {
    static void set_status_fd(process& p, unique_fd fd) noexcept { p.status_fd_ = std::move(fd); }
    static void set_init_stack(process& p, sys::clone_stack s) noexcept { p.init_stack_ = std::move(s); }
    static void set_on_reaped(process& p, std::function<void()> f) noexcept { p.on_reaped_ = std::move(f); }
};

// ---------------------------------------------------------------- errors

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
    case setup_step::die_with_parent: return "die with parent";
    case setup_step::signals: return "signal setup";
    case setup_step::close_fds: return "close_range";
    case setup_step::chdir: return "chdir";
    case setup_step::exec: return "execve";
    case setup_step::enter_userns: return "setns user";
    case setup_step::setns: return "setns";
    case setup_step::chroot: return "chroot";
    case setup_step::become_root: return "setresuid/setresgid 0";
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
    case setup_step::mount_proc: return op_kind::mount;
    case setup_step::hostname:
    case setup_step::domainname: return op_kind::set_hostname;
    case setup_step::loopback:
    case setup_step::veth: return op_kind::netlink;
    case setup_step::timens_offsets: return op_kind::timens_offsets;
    case setup_step::exec: return op_kind::exec;
    case setup_step::enter_userns:
    case setup_step::setns: return op_kind::namespace_enter;
    default: return op_kind::other;
    }
}

// Advice for a step that knows more than its kind.
std::string_view step_hint(setup_step s, int e) noexcept
{
    switch (s) {
    case setup_step::setgroups:
        if (e == EACCES)
            return "cannot open the child's /proc files: make the caller dumpable (prctl PR_SET_DUMPABLE)";
        break;
    case setup_step::uid_map:
    case setup_step::gid_map:
        if (e == EINVAL)
            return "the kernel refused the map (overlapping ranges, zero count, or ids not mapped in the parent)";
        if (e == EPERM)
            return "mapping ids other than your own needs CAP_SETUID/CAP_SETGID (run as root, or map only your "
                   "own id)";
        break;
    case setup_step::tmp_check:
        if (e == ELOOP)
            return "/tmp is a symbolic link: refusing to mount over it";
        break;
    case setup_step::veth:
        if (e == ENOTSUP || e == ENOSYS)
            return "net layer not merged";
        break;
    case setup_step::exec:
        if (e == EACCES)
            return "not executable";
        break;
    default: break;
    }
    return hint(std::error_code(e, std::system_category()), step_kind(s));
}

} // namespace

std::string setup_category_impl::message(int v) const
{
    const auto s = static_cast<setup_step>(v >> 16);
    const int e = v & 0xffff;
    std::string out(to_string(s));
    if (auto h = step_hint(s, e); !h.empty())
        out.append(": ").append(h);
    return out.append(": ").append(std::strerror(e));
}

std::string explain(const std::error_code& ec)
{
    return ec.category() == setup_category() ? ec.message() : describe(ec, op_kind::other);
}

// ---------------------------------------------------------------- the plan

namespace {

using nskit::detail::last_error;

struct wire {
    std::int32_t step;
    std::int32_t err;
};

constexpr int setup_failed_exit = 125;

std::string octal(unsigned v)
{
    char b[16];
    std::snprintf(b, sizeof b, "%o", v);
    return b;
}

std::string offset_line(int clock_id, std::chrono::nanoseconds off)
{
    long long ns = off.count();
    long long s = ns / 1000000000LL;
    long long rem = ns % 1000000000LL;
    if (rem < 0) {
        rem += 1000000000LL;
        --s;
    }
    return std::to_string(clock_id) + " " + std::to_string(s) + " " + std::to_string(rem) + "\n";
}

// Everything the child needs, computed (and allocated) before clone: the
// child makes system calls only.
struct plan {
    const options* o = nullptr;
    sys::clone_flags ns;
    std::string uid_text, gid_text;
    std::string tmp_data;
    unsigned long tmp_flags = 0;
    std::string timens_text;
    bool handshake = false, init = false;
    bool become_root = false; // inside ids 0 are mapped: switch to them, like unshare -r
    int exit_signal = SIGCHLD;
    // payload: a callable, or a program
    const std::function<int()>* fn = nullptr;
    const char* path = nullptr;
    char* const* argv = nullptr;
    char* const* envp = nullptr;
    const spawn_options* so = nullptr;
};

std::error_code make_plan(const options& o, plan& p)
{
    if (auto ec = o.validate())
        return ec;
    p.o = &o;
    p.ns = o.namespaces();
    if (o.user) {
        auto uid = o.user->uid_map.empty() ? std::vector<id_range>{{0, static_cast<std::uint32_t>(::geteuid()), 1}}
                                           : o.user->uid_map;
        auto gid = o.user->gid_map.empty() ? std::vector<id_range>{{0, static_cast<std::uint32_t>(::getegid()), 1}}
                                           : o.user->gid_map;
        auto maps_zero = [](const std::vector<id_range>& m) {
            for (const auto& r : m)
                if (r.inside == 0)
                    return true;
            return false;
        };
        p.become_root = maps_zero(uid) && maps_zero(gid);
        p.uid_text = format_id_map(uid);
        p.gid_text = format_id_map(gid);
    }
    if (o.tmp) {
        p.tmp_data = "mode=" + octal(o.tmp->mode);
        if (!o.tmp->size.empty())
            p.tmp_data += ",size=" + o.tmp->size;
        if (!o.tmp->extra.empty())
            p.tmp_data += "," + o.tmp->extra;
        p.tmp_flags = (o.tmp->nosuid ? static_cast<unsigned long>(MS_NOSUID) : 0UL) |
                      (o.tmp->nodev ? static_cast<unsigned long>(MS_NODEV) : 0UL) |
                      (o.tmp->noexec ? static_cast<unsigned long>(MS_NOEXEC) : 0UL);
    }
    if (p.ns.contains(sys::clone_flag::newtime))
        p.timens_text = offset_line(CLOCK_MONOTONIC, o.monotonic_offset) + offset_line(CLOCK_BOOTTIME, o.boottime_offset);
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

// ---------------------------------------------------------------- child side
// Only async-signal-safe calls from here to exec / the callable.

constexpr int forwarded_signals[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

// The child's calls go through raw:: (see raw.hpp): no errno, no lazy
// binding, no libc locks.  Only a callable's own code uses libc.
namespace raw = detail::raw;

// A callable's worker shares the init's memory (CLONE_VM, no page tables
// copied) where the init's calls leave it alone; under ASan it is forked:
// ASan does not know the worker's stack and may report false positives.
#if NSKIT_NS_RAW_SYSCALLS && !defined(__SANITIZE_ADDRESS__)
constexpr bool callable_shares_memory = true;
#else
constexpr bool callable_shares_memory = false;
#endif

[[noreturn]] void fail(int report_w, setup_step s, int err, int code = setup_failed_exit) noexcept
{
    const wire w{static_cast<std::int32_t>(s), err};
    raw::write_all(report_w, &w, sizeof w);
    raw::exit_group(code);
}

// Steps that both setup() and a child run (no allocation).
int mount_steps(const plan& p, setup_step& step) noexcept
{
    const auto& o = *p.o;
    if (p.ns.contains(sys::clone_flag::newns)) {
        step = setup_step::make_private;
        if (const long r = raw::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr); r < 0)
            return static_cast<int>(-r);
    }
    if (o.tmp) {
        step = setup_step::tmp_check;
        const long type = raw::file_type("/tmp");
        if (type < 0)
            return static_cast<int>(-type);
        if (type == S_IFLNK)
            return ELOOP;
        if (type != S_IFDIR)
            return ENOTDIR;
        step = setup_step::mount_tmp;
        if (const long r = raw::mount("tmpfs", "/tmp", "tmpfs", p.tmp_flags, p.tmp_data.c_str()); r < 0)
            return static_cast<int>(-r);
    }
    return 0;
}

int uts_steps(const plan& p, setup_step& step) noexcept
{
    const auto& o = *p.o;
    if (!o.hostname.empty()) {
        step = setup_step::hostname;
        if (const long r = raw::call(SYS_sethostname, raw::arg(o.hostname.data()), static_cast<long>(o.hostname.size()));
            r < 0)
            return static_cast<int>(-r);
    }
    if (!o.domainname.empty()) {
        step = setup_step::domainname;
        if (const long r =
                raw::call(SYS_setdomainname, raw::arg(o.domainname.data()), static_cast<long>(o.domainname.size()));
            r < 0)
            return static_cast<int>(-r);
    }
    return 0;
}

int time_steps(const plan& p, setup_step& step) noexcept
{
    step = setup_step::unshare;
    if (const long r = raw::call(SYS_unshare, CLONE_NEWTIME); r < 0)
        return static_cast<int>(-r);
    step = setup_step::timens_offsets;
    const long fd = raw::call(SYS_openat, AT_FDCWD, raw::arg("/proc/self/timens_offsets"), O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return static_cast<int>(-fd);
    const long r = raw::write_all(static_cast<int>(fd), p.timens_text.data(), p.timens_text.size());
    raw::close(static_cast<int>(fd));
    return static_cast<int>(-r);
}

[[noreturn]] void run_payload(const plan& p, int report_w) noexcept
{
    if (p.fn != nullptr) {
        raw::close(report_w); // setup done: the parent reads EOF
        int r = 255;
        try {
            r = (*p.fn)();
        } catch (...) {
            r = 255;
        }
        std::cout.flush();
        std::cerr.flush();
        std::fflush(nullptr);
        ::_exit(r & 0xff);
    }
    const spawn_options& so = *p.so;
    if (!so.cwd.empty())
        if (const long r = raw::call(SYS_chdir, raw::arg(so.cwd.c_str())); r < 0)
            fail(report_w, setup_step::chdir, static_cast<int>(-r), 127);
    if (const long r = raw::call(SYS_close_range, 3, static_cast<long>(~0U), CLOSE_RANGE_CLOEXEC); r < 0)
        fail(report_w, setup_step::close_fds, static_cast<int>(-r), 127);
    for (int fd : so.keep_fds)
        if (fd >= 0 && fd != report_w)
            if (const long r = raw::call(SYS_fcntl, fd, F_SETFD, 0); r < 0)
                fail(report_w, setup_step::close_fds, static_cast<int>(-r), 127);
    if (so.pre_exec != nullptr)
        if (int e = so.pre_exec(so.pre_exec_ctx); e != 0)
            fail(report_w, setup_step::exec, e, 127);
    const long r = raw::call(SYS_execve, raw::arg(p.path), raw::arg(p.argv), raw::arg(p.envp));
    fail(report_w, setup_step::exec, static_cast<int>(-r), 127);
}

// PID 1 (or the keeper of a time namespace): reap everything, forward
// signals to the worker, exit with the worker's status.  No handlers: the
// forwarded signals and SIGCHLD stay blocked and are taken with sigtimedwait
// (a blocked signal is queued even for PID 1, which drops unhandled ones),
// so the worker's pid is a local and nothing is shared between inits.
// Raw system calls only (see raw.hpp).
[[noreturn]] void init_loop(pid_t worker, int status_w, raw::sigmask waited) noexcept
{
    int wstatus = 0;
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
                } else if (r < 0) {
                    done = done || r == -ECHILD; // cannot happen before the worker is reaped
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
};

// The worker: on its own stack in the init's memory (CLONE_VM), or forked.
[[noreturn]] int worker_main(void* a) noexcept
{
    const auto* w = static_cast<const worker_args*>(a);
    // Dispositions are the init's: default, or ignored where our caller
    // ignores them (inherited like across fork and exec: nohup keeps working).
    raw::set_mask(0);                               // the init keeps them blocked for its sigtimedwait
    raw::call(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL); // the init died: so do we
    raw::close(w->status_w);                        // our own fd table (no CLONE_FILES)
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

[[noreturn]] void child_main(const plan& p, int report_w, int go_r, int status_w, int parent_pidfd) noexcept
{
    const auto& o = *p.o;
    if (o.die_with_parent) {
        if (const long r = raw::call(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL); r < 0)
            fail(report_w, setup_step::die_with_parent, static_cast<int>(-r));
        // getppid() says 0 in a new PID namespace: ask the parent's pidfd
        // whether it died before PDEATHSIG was armed.
        pollfd pf{parent_pidfd, POLLIN, 0};
        timespec now{};
        if (raw::call(SYS_ppoll, raw::arg(&pf), 1, raw::arg(&now), 0, sizeof(raw::sigmask)) != 0)
            raw::exit_group(setup_failed_exit);
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
        if (raw::read_some(go_r, &c, 1) != 1)
            raw::exit_group(setup_failed_exit); // the parent gave up and reports why
    }
    if (p.become_root) { // raw: glibc's setresuid would signal the parent's threads
        long r = raw::call(SYS_setresgid, 0, 0, 0);
        if (r == 0)
            r = raw::call(SYS_setresuid, 0, 0, 0);
        if (r < 0)
            fail(report_w, setup_step::become_root, static_cast<int>(-r));
    }
    setup_step step = setup_step::none;
    if (int e = mount_steps(p, step))
        fail(report_w, step, e);
    if (o.pid && o.proc)
        if (const long r = raw::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr); r < 0)
            fail(report_w, setup_step::mount_proc, static_cast<int>(-r));
    if (int e = uts_steps(p, step))
        fail(report_w, step, e);
    if (p.ns.contains(sys::clone_flag::newnet))
        if (int e = detail::loopback_up_async_signal_safe())
            fail(report_w, setup_step::loopback, e);
    if (p.ns.contains(sys::clone_flag::newtime))
        if (int e = time_steps(p, step))
            fail(report_w, step, e);
    if (!p.init)
        run_payload(p, report_w);

    // The worker enters time_for_children; it is PID 2 in a new PID namespace.
    long w;
    worker_args args{&p, report_w, status_w};
    if (p.fn == nullptr) {
        // A program: the worker borrows our memory until its exec (vfork
        // semantics: we wait), which spares copying the page tables.
        constexpr std::size_t stack_size = 256 * 1024;
        const long stack = map_stack(stack_size, false);
        if (static_cast<unsigned long>(stack) > -4096UL)
            fail(report_w, setup_step::fork, static_cast<int>(-stack));
        w = start_on_stack(worker_main, &args, stack, stack_size, CLONE_VM | CLONE_VFORK);
        raw::call(SYS_munmap, stack, stack_size); // exec'd or gone: an init sharing the caller's memory must not keep it
    } else if (callable_shares_memory && !p.ns.contains(sys::clone_flag::newtime)) {
        // A callable: shares our memory for its whole life (no vfork wait,
        // so we keep forwarding signals).  The stack is as large as a main
        // thread's, reserved lazily, with a guard page below it.  (A task
        // sharing memory stays in our time namespace: then it is forked.)
        constexpr std::size_t stack_size = 8 * 1024 * 1024;
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
    if (w < 0)
        fail(report_w, setup_step::fork, static_cast<int>(-w));
    raw::close(report_w); // the worker holds it until exec / the callable
    init_loop(static_cast<pid_t>(w), status_w, waited);
}

struct init_args {
    const plan* p;
    int report_w, go_r, status_w, parent_pidfd;
};

int shared_memory_init(void* a) noexcept
{
    const auto* i = static_cast<const init_args*>(a);
    child_main(*i->p, i->report_w, i->go_r, i->status_w, i->parent_pidfd);
}

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

// ---------------------------------------------------------------- parent side

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

struct pipe_pair {
    unique_fd r, w;
    std::error_code open() noexcept
    {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0)
            return make_setup_error(setup_step::pipe, errno);
        r.reset(fds[0]);
        w.reset(fds[1]);
        return {};
    }
};

// Reads the child's report: EOF means every step passed.
std::error_code read_report(int fd) noexcept
{
    wire w{};
    ssize_t n;
    do
        n = ::read(fd, &w, sizeof w);
    while (n < 0 && errno == EINTR);
    if (n == static_cast<ssize_t>(sizeof w))
        return make_setup_error(static_cast<setup_step>(w.step), w.err);
    if (n != 0)
        return make_setup_error(setup_step::pipe, n < 0 ? errno : EPROTO);
    return {};
}

// With `report_out`, returns as soon as the child is released and hands the
// report pipe to the caller (read it after the child exits: run() saves a
// round trip); without, waits for the setup verdict (spawn: the exec).
process launch(const plan& p, std::error_code& ec, unique_fd* report_out = nullptr) noexcept
{
    const auto& o = *p.o;
    pipe_pair report, go, status;
    if ((ec = report.open()))
        return {};
    if (p.handshake && (ec = go.open()))
        return {};
    if (p.init && (ec = status.open()))
        return {};
    // The outer veth end would outlive the child until the kernel's
    // asynchronous namespace cleanup: the process deletes it when it reaps
    // the child, so the same name can be used again at once.
    std::function<void()> delete_veth;
    if (o.veth) {
        try {
            std::shared_ptr<unique_fd> outer;
            if (o.veth->peer_netns_fd >= 0) {
                outer = std::make_shared<unique_fd>(::fcntl(o.veth->peer_netns_fd, F_DUPFD_CLOEXEC, 3));
                if (!*outer) {
                    ec = make_setup_error(setup_step::veth, errno);
                    return {};
                }
            }
            delete_veth = [v = *o.veth, outer] { detail::remove_veth(v, outer ? outer->get() : -1); };
        } catch (...) {
            ec = std::make_error_code(std::errc::not_enough_memory);
            return {};
        }
    }
    unique_fd parent_pidfd;
    if (o.die_with_parent) {
        parent_pidfd = sys::pidfd_open(::getpid(), ec);
        if (ec) {
            ec = as_setup_error(setup_step::die_with_parent, ec);
            return {};
        }
    }
    sys::clone3_args a;
    a.flags = (p.ns - sys::clone_flag::newtime) | sys::clone_flag::pidfd | sys::clone_flag::clear_sighand;
    a.exit_signal = p.exit_signal;
    if (o.cgroup_fd >= 0) {
        a.flags |= sys::clone_flag::into_cgroup;
        a.cgroup_fd = o.cgroup_fd;
    }
    std::cout.flush();
    std::cerr.flush();
    std::fflush(nullptr); // nothing buffered twice
    sys::clone_result r;
    bool cloned = false;
    sys::clone_stack child_stack; // outlives `proc` below: freed after the child is reaped or has exec'd
    init_args ia{&p, report.w.get(), go.r.get(), status.w.get(), parent_pidfd.get()};
    if (child_can_share_memory && p.fn == nullptr &&
        (!p.init || (p.so->share_memory_with_init && !o.user && !p.ns.contains(sys::clone_flag::newtime)))) {
        // The child runs on its own stack in our memory.  Until the program
        // is exec'd we are suspended (vfork) or blocked reading the report,
        // except during a handshake, when it is blocked reading `go`; an
        // init then makes raw system calls only: the two never use shared
        // state at once.
        const bool vfork = !p.init && !p.handshake;
        child_stack = sys::clone_stack(p.init ? 64 * 1024 : 256 * 1024, ec); // 256 KiB: for pre_exec
        if (ec) {
            ec = as_setup_error(setup_step::clone, ec);
            return {};
        }
        sys::clone3_args shared = a;
        shared.flags |= sys::clone_flag::vm;
        if (vfork)
            shared.flags |= sys::clone_flag::vfork;
        shared.stack = static_cast<char*>(child_stack.top()) - child_stack.size();
        shared.stack_size = child_stack.size();
        int pidfd = -1;
        auto k = sys::detail::to_kernel(shared, &pidfd);
        const long pid = sys::detail::clone3_run(&k, shared_memory_init, &ia);
        if (pid >= 0) {
            r.pid = static_cast<pid_t>(pid);
            r.pidfd.reset(pidfd);
            cloned = true;
        } else if (errno != ENOSYS) {
            ec = as_setup_error(setup_step::clone, nskit::detail::last_error());
            return {};
        } else {
            child_stack = sys::clone_stack(); // no clone3: forked below
        }
    }
    if (!cloned) {
        r = sys::clone3(a, ec);
        if (ec) {
            ec = as_setup_error(setup_step::clone, ec);
            return {};
        }
        if (r.pid == 0)
            child_main(p, report.w.get(), go.r.get(), status.w.get(), parent_pidfd.get());
    }

    report.w.reset();
    go.r.reset();
    status.w.reset();
    process proc(r.pid, std::move(r.pidfd));
    if (p.init)
        detail::process_access::set_status_fd(proc, std::move(status.r));
    if (p.init && child_stack.valid()) // the init lives on: freed once it is reaped
        detail::process_access::set_init_stack(proc, std::move(child_stack));
    if (p.handshake) {
        if (o.user && (ec = write_maps(r.pid, p)))
            return {}; // ~process kills and reaps the waiting child
        if (o.veth) {
            auto inner = sys::open_ns(r.pid, sys::ns_type::net, ec);
            if (!ec)
                detail::connect_veth(*o.veth, o.veth->peer_netns_fd, inner.get(), ec);
            if (ec) {
                ec = as_setup_error(setup_step::veth, ec);
                return {};
            }
            detail::process_access::set_on_reaped(proc, std::move(delete_veth));
        }
        if (::write(go.w.get(), "g", 1) != 1) {
            ec = make_setup_error(setup_step::user_wait, errno);
            return {};
        }
        go.w.reset();
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

std::string op_name(const char* what, const options& o)
{
    return std::string(what) + "(" + sys::to_string(o.namespaces()) + ")";
}

using detail::count_threads;

} // namespace

// ---------------------------------------------------------------- run

sys::exit_status run(const std::function<int()>& fn, const options& opts, std::error_code& ec) noexcept
{
    plan p;
    p.fn = &fn;
    try {
        if ((ec = make_plan(opts, p)))
            return {};
    } catch (...) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return {};
    }
    // Block the forwarded signals from before the clone (the child unblocks
    // them): one arriving before supervise() is forwarded, not fatal to us.
    sigset_t set, old;
    ::sigemptyset(&set);
    for (int s : forwarded_signals)
        ::sigaddset(&set, s);
    ::pthread_sigmask(SIG_BLOCK, &set, &old);
    unique_fd report;
    auto proc = launch(p, ec, &report);
    sys::exit_status status;
    if (!ec) {
        status = proc.supervise(opts.kill_child, opts.kill_signal, opts.kill_grace, ec);
        // The child is gone: its report (if a step failed) is in the pipe.
        if (auto setup_ec = read_report(report.get())) {
            ec = setup_ec;
            status = {};
        }
    }
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    return status;
}

sys::exit_status run(const std::function<int()>& fn, const options& opts)
{
    std::error_code ec;
    auto s = run(fn, opts, ec);
    throw_if(ec, op_kind::other, op_name("run", opts));
    return s;
}

// ---------------------------------------------------------------- spawn

std::string find_program(const std::string& program, std::error_code& ec)
{
    ec.clear();
    if (program.empty()) {
        ec = std::make_error_code(std::errc::no_such_file_or_directory);
        return {};
    }
    if (program.find('/') != std::string::npos)
        return program;
    const char* path = std::getenv("PATH");
    std::string_view dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
    int first_err = ENOENT;
    while (true) {
        const auto colon = dirs.find(':');
        std::string dir(dirs.substr(0, colon));
        std::string cand = (dir.empty() ? std::string(".") : dir) + "/" + program;
        if (::access(cand.c_str(), X_OK) == 0) {
            struct stat st{};
            if (::stat(cand.c_str(), &st) == 0 && S_ISREG(st.st_mode))
                return cand;
        } else if (errno == EACCES) {
            first_err = EACCES;
        }
        if (colon == std::string_view::npos)
            break;
        dirs.remove_prefix(colon + 1);
    }
    ec = std::error_code(first_err, std::system_category());
    return {};
}

process spawn(const std::string& program, const std::vector<std::string>& args, const options& opts,
              const spawn_options& so, std::error_code& ec) noexcept
{
    try {
        plan p;
        if ((ec = make_plan(opts, p)))
            return {};
        std::string path = so.search_path ? find_program(program, ec) : program;
        if (ec) {
            ec = make_setup_error(setup_step::exec, ec.value());
            return {};
        }
        std::vector<std::string> argv_s;
        argv_s.push_back(program);
        argv_s.insert(argv_s.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (auto& s : argv_s)
            argv.push_back(s.data());
        argv.push_back(nullptr);
        std::vector<std::string> env_s;
        if (so.inherit_env)
            for (char** e = environ; e && *e; ++e) {
                std::string_view kv(*e);
                const auto key = kv.substr(0, kv.find('=') + 1);
                bool overridden = false;
                for (const auto& x : so.env)
                    overridden = overridden || std::string_view(x).substr(0, x.find('=') + 1) == key;
                if (!overridden)
                    env_s.emplace_back(kv);
            }
        env_s.insert(env_s.end(), so.env.begin(), so.env.end());
        std::vector<char*> envp;
        for (auto& s : env_s)
            envp.push_back(s.data());
        envp.push_back(nullptr);
        p.path = path.c_str();
        p.argv = argv.data();
        p.envp = envp.data();
        p.so = &so;
        return launch(p, ec);
    } catch (...) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return {};
    }
}

process spawn(const std::string& program, const std::vector<std::string>& args, const options& opts,
              const spawn_options& so)
{
    std::error_code ec;
    auto proc = spawn(program, args, opts, so, ec);
    throw_if(ec, op_kind::other, op_name("spawn", opts) + " " + program);
    return proc;
}

// ---------------------------------------------------------------- setup

namespace {

// Writes the maps of the caller's new user namespace: a helper forked
// before unshare stays in the parent namespace, where it has the right to.
std::error_code setup_user(const plan& p)
{
    pipe_pair go, report;
    if (auto ec = go.open())
        return ec;
    if (auto ec = report.open())
        return ec;
    const pid_t self = ::getpid();
    const pid_t h = ::fork();
    if (h < 0)
        return make_setup_error(setup_step::fork, errno);
    if (h == 0) {
        go.w.reset();
        report.r.reset();
        char c;
        if (::read(go.r.get(), &c, 1) != 1)
            ::_exit(0);
        std::error_code ec = write_maps(self, p);
        if (ec)
            fail(report.w.get(), failed_step(ec), failed_errno(ec));
        ::_exit(0);
    }
    go.r.reset();
    report.w.reset();
    std::error_code result;
    if (::unshare(CLONE_NEWUSER) != 0)
        result = make_setup_error(setup_step::unshare, errno);
    else if (::write(go.w.get(), "g", 1) != 1)
        result = make_setup_error(setup_step::user_wait, errno);
    go.w.reset();
    wire w{};
    if (::read(report.r.get(), &w, sizeof w) == static_cast<ssize_t>(sizeof w) && !result)
        result = make_setup_error(static_cast<setup_step>(w.step), w.err);
    while (::waitpid(h, nullptr, 0) < 0 && errno == EINTR) {
    }
    return result;
}

} // namespace

void setup(const options& opts, std::error_code& ec) noexcept
{
    try {
        plan p;
        if ((ec = make_plan(opts, p)))
            return;
        if (opts.pid) { // the caller cannot become PID 1; its children would, with no init
            ec = make_setup_error(setup_step::validate, EINVAL);
            return;
        }
        if (p.ns.intersects(sys::clone_flag::newuser | sys::clone_flag::newns) && count_threads() > 1) {
            ec = make_error_code(error::thread_unsafe);
            return;
        }
        unique_fd outer_net;
        if (opts.veth) {
            outer_net = sys::open_ns(0, sys::ns_type::net, ec);
            if (ec) {
                ec = as_setup_error(setup_step::veth, ec);
                return;
            }
        }
        if (opts.user && (ec = setup_user(p)))
            return;
        if (p.become_root && (::setresgid(0, 0, 0) != 0 || ::setresuid(0, 0, 0) != 0)) {
            ec = make_setup_error(setup_step::become_root, errno);
            return;
        }
        const auto rest = p.ns - sys::clone_flag::newuser;
        if (!rest.empty() && ::unshare(static_cast<int>(rest.bits())) != 0) {
            ec = make_setup_error(setup_step::unshare, errno);
            return;
        }
        if (opts.sysvsem && ::unshare(CLONE_SYSVSEM) != 0) {
            ec = make_setup_error(setup_step::sysvsem, errno);
            return;
        }
        setup_step step = setup_step::none;
        if (int e = mount_steps(p, step); e || (e = uts_steps(p, step))) {
            ec = make_setup_error(step, e);
            return;
        }
        if (p.ns.contains(sys::clone_flag::newnet)) {
            detail::configure_loopback(ec);
            if (ec) {
                ec = as_setup_error(setup_step::loopback, ec);
                return;
            }
        }
        if (opts.veth) {
            // We moved in: our end is the inner one, the peer goes back out.
            veth_options v = *opts.veth;
            veth_options swapped{v.peer.empty() ? "eth0" : v.peer, v.name, v.peer_address, v.address, -1, v.routes};
            detail::connect_veth(swapped, -1, v.peer_netns_fd >= 0 ? v.peer_netns_fd : outer_net.get(), ec);
            if (ec) {
                ec = as_setup_error(setup_step::veth, ec);
                return;
            }
        }
        if (p.ns.contains(sys::clone_flag::newtime)) {
            unique_fd fd(::open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC));
            if (!fd) {
                ec = make_setup_error(setup_step::timens_offsets, errno);
                return;
            }
            if (const long r = raw::write_all(fd.get(), p.timens_text.data(), p.timens_text.size()); r < 0) {
                ec = make_setup_error(setup_step::timens_offsets, static_cast<int>(-r));
                return;
            }
        }
        ec.clear();
    } catch (...) {
        ec = std::make_error_code(std::errc::not_enough_memory);
    }
}

void setup(const options& opts)
{
    std::error_code ec;
    setup(opts, ec);
    throw_if(ec, op_kind::other, op_name("setup", opts));
}

} // namespace nskit::ns
