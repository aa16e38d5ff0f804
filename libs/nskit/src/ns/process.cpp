#include <nskit/ns/process.hpp>
#include <nskit/ns/run.hpp>
#include <nskit/sys/error.hpp>

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

namespace nskit::ns {

using nskit::detail::last_error;

namespace {

long long now_ms() noexcept
{
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<long long>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// __WALL: children started with exit signal 0 (when the caller ignores
// SIGCHLD) are "clone children" that plain WEXITED misses.
sys::exit_status wait_pidfd(int pidfd, bool nohang, std::error_code& ec) noexcept
{
    return sys::pidfd_wait(pidfd, ec, {.nohang = nohang, .all_children = true});
}

} // namespace

sigset_t forwarded_signal_set() noexcept
{
    sigset_t set;
    ::sigemptyset(&set);
    for (int s : forwarded_signals)
        ::sigaddset(&set, s);
    return set;
}

process process::attach(pid_t pid, std::error_code& ec) noexcept
{
    if (pid <= 0) {
        ec = make_error_code(error::bad_pid);
        return {};
    }
    auto ref = sys::pidref::open(pid, ec);
    if (ec)
        return {};
    process p;
    p.ref_ = std::move(ref);
    p.reaped_ = true; // not ours to kill: the destructor leaves it alone
    return p;
}

process process::attach(pid_t pid)
{
    std::error_code ec;
    auto p = attach(pid, ec);
    throw_if(ec, op_kind::pidfd, "pidfd_open(" + std::to_string(pid) + ")");
    return p;
}

process::process(process&& o) noexcept
    : ref_(std::move(o.ref_)), reaped_(std::exchange(o.reaped_, false)),
      forwarded_(o.forwarded_), status_fd_(std::move(o.status_fd_)), init_stack_(std::move(o.init_stack_)),
      on_reaped_(std::exchange(o.on_reaped_, nullptr)), cleanup_note_(std::move(o.cleanup_note_))
{
}

process& process::operator=(process&& o) noexcept
{
    if (this != &o) {
        this->~process();
        ref_ = std::move(o.ref_);
        reaped_ = std::exchange(o.reaped_, false);
        forwarded_ = o.forwarded_;
        status_fd_ = std::move(o.status_fd_);
        init_stack_ = std::move(o.init_stack_);
        on_reaped_ = std::exchange(o.on_reaped_, nullptr);
        cleanup_note_ = std::move(o.cleanup_note_);
    }
    return *this;
}

process::~process()
{
    if (ref_.valid() && !reaped_) {
        std::error_code ec;
        ref_.send_signal(SIGKILL, ec);
        wait_pidfd(ref_.pidfd(), false, ec); // ECHILD when not our child: nothing to reap
    }
    ref_ = sys::pidref();
    status_fd_.reset();
    // A shared-memory init that could not be reaped (not our child any
    // more: someone else reaped it) is gone all the same.
    init_stack_ = sys::clone_stack();
    if (auto f = std::exchange(on_reaped_, nullptr))
        f();
}

// An init (PID 1) cannot die of its worker's signal (the kernel drops
// signals PID 1 has no handler for), so it reports the worker's wait status.
sys::exit_status process::reap_status(sys::exit_status s) noexcept
{
    reaped_ = true;
    init_stack_ = sys::clone_stack(); // the init is gone: its stack in our memory is free
    if (auto f = std::exchange(on_reaped_, nullptr))
        cleanup_note_ = f(); // a move: remove_veth never throws

    if (status_fd_.valid()) {
        int wstatus = 0;
        ssize_t n;
        do
            n = ::read(status_fd_.get(), &wstatus, sizeof wstatus);
        while (n < 0 && errno == EINTR);
        if (n == static_cast<ssize_t>(sizeof wstatus))
            s = sys::decode_wait_status(wstatus);
        status_fd_.reset();
    }
    return s;
}

void process::signal(int sig, std::error_code& ec) noexcept
{
    ref_.send_signal(sig, ec);
}

void process::signal(int sig)
{
    std::error_code ec;
    signal(sig, ec);
    throw_if(ec, op_kind::pidfd, "pidfd_send_signal(" + std::to_string(ref_.pid()) + ", " + std::to_string(sig) + ")");
}

sys::exit_status process::wait(std::error_code& ec) noexcept
{
    if (!ref_.valid()) {
        ec = std::make_error_code(std::errc::bad_file_descriptor);
        return {};
    }
    auto s = wait_pidfd(ref_.pidfd(), false, ec);
    if (!ec)
        s = reap_status(s);
    return s;
}

sys::exit_status process::wait()
{
    std::error_code ec;
    auto s = wait(ec);
    throw_if(ec, op_kind::pidfd, "waitid(pidfd of " + std::to_string(ref_.pid()) + ")");
    return s;
}

sys::exit_status process::try_wait(std::error_code& ec) noexcept
{
    if (!ref_.valid()) {
        ec = std::make_error_code(std::errc::bad_file_descriptor);
        return {};
    }
    auto s = wait_pidfd(ref_.pidfd(), true, ec);
    if (!ec && s.how != sys::exit_status::kind::running)
        s = reap_status(s);
    return s;
}

sys::exit_status process::try_wait()
{
    std::error_code ec;
    auto s = try_wait(ec);
    throw_if(ec, op_kind::pidfd, "waitid(pidfd of " + std::to_string(ref_.pid()) + ", WNOHANG)");
    return s;
}

std::optional<sys::exit_status> process::wait_for(std::chrono::milliseconds timeout, std::error_code& ec) noexcept
{
    if (!ref_.valid()) {
        ec = std::make_error_code(std::errc::bad_file_descriptor);
        return std::nullopt;
    }
    const long long deadline = now_ms() + timeout.count();
    for (;;) {
        pollfd p{ref_.pidfd(), POLLIN, 0};
        const long long left = deadline - now_ms();
        int r = ::poll(&p, 1, static_cast<int>(left < 0 ? 0 : left));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            ec = last_error();
            return std::nullopt;
        }
        if (r == 0)
            return std::nullopt;
        return wait(ec);
    }
}

sys::exit_status process::supervise(bool kill_child, int kill_signal, std::chrono::milliseconds grace,
                                    std::error_code& ec) noexcept
{
    ec.clear();
    if (!ref_.valid()) {
        ec = std::make_error_code(std::errc::bad_file_descriptor);
        return {};
    }
    const sigset_t set = forwarded_signal_set();
    sigset_t old;
    ::pthread_sigmask(SIG_BLOCK, &set, &old);
    // Errors name the call that failed (setup steps signalfd, poll, wait).
    unique_fd sfd(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!sfd) {
        ec = make_setup_error(setup_step::signalfd, errno);
        ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
        return {};
    }
    long long kill_at = -1;
    bool killed = false;
    sys::exit_status result;
    for (;;) {
        pollfd p[2] = {{ref_.pidfd(), POLLIN, 0}, {sfd.get(), POLLIN, 0}};
        int timeout = -1;
        if (kill_at >= 0 && !killed) {
            const long long left = kill_at - now_ms();
            timeout = static_cast<int>(left < 0 ? 0 : left);
        }
        int r = ::poll(p, 2, timeout);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            ec = make_setup_error(setup_step::poll, errno);
            break;
        }
        if (p[0].revents & POLLIN) {
            result = wait(ec);
            if (ec && ec.category() == std::system_category())
                ec = make_setup_error(setup_step::wait, ec.value());
            break;
        }
        if (p[1].revents & POLLIN) {
            signalfd_siginfo si{};
            while (::read(sfd.get(), &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
                const int sig = static_cast<int>(si.ssi_signo);
                if (forwarded_ == 0)
                    forwarded_ = sig;
                std::error_code ignore;
                sys::pidfd_send_signal(ref_.pidfd(), sig, ignore);
                if (kill_child && kill_at < 0) {
                    if (sig != kill_signal)
                        sys::pidfd_send_signal(ref_.pidfd(), kill_signal, ignore);
                    kill_at = now_ms() + grace.count();
                }
            }
        }
        if (r == 0 && kill_at >= 0 && !killed) {
            std::error_code ignore;
            sys::pidfd_send_signal(ref_.pidfd(), SIGKILL, ignore);
            killed = true;
        }
    }
    sfd.reset();
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    return result;
}

namespace_handle process::ns(sys::ns_type type, std::error_code& ec) const noexcept
{
    return namespace_handle::from_pidref(ref_, type, ec);
}

namespace_handle process::ns(sys::ns_type type) const
{
    std::error_code ec;
    auto h = ns(type, ec);
    throw_if(ec, op_kind::namespace_open, "ns_open(pid " + std::to_string(ref_.pid()) + ", " + std::string(sys::to_string(type)) + ")");
    return h;
}

unique_fd process::detach() noexcept
{
    if (init_stack_.valid())
        return {};
    reaped_ = true;
    on_reaped_ = nullptr;
    return ref_.release();
}

} // namespace nskit::ns
