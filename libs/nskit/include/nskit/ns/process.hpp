// nskit/ns/process.hpp — a child process held by its pidfd, so a recycled
// pid is never signalled, waited on or entered by mistake.
#pragma once

#include <nskit/ns/handle.hpp>
#include <nskit/sys/clone.hpp>
#include <nskit/sys/pidfd.hpp>
#include <nskit/sys/pidref.hpp>
#include <nskit/sys/unique_fd.hpp>

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <system_error>
#include <nskit/export.hpp>

NSKIT_API_BEGIN
namespace nskit::ns {

namespace detail { struct process_access; }

// The signals supervise() forwards to the child, and a PID-1 init (or a
// time namespace's keeper) to its worker.  Constant data: the child reads
// it between clone and exec, where no library call is made.
inline constexpr int forwarded_signals[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
// forwarded_signals as a set.  Block it before spawn() (as run() does) and
// one that arrives before supervise() is forwarded, not fatal to the caller.
sigset_t forwarded_signal_set() noexcept;

class process {
public:
    process() noexcept = default;
    process(pid_t pid, unique_fd pidfd) noexcept : ref_(pid, std::move(pidfd)) {}
    // Opens a pidfd to an existing process (not necessarily our child:
    // wait() then needs it to be one).  Its destructor never kills it.
    static process attach(pid_t pid, std::error_code& ec) noexcept;
    static process attach(pid_t pid);
    process(process&& o) noexcept;
    process& operator=(process&& o) noexcept;
    // A child that was neither waited for nor detached is killed and reaped:
    // no zombie, no orphan.
    ~process();

    pid_t pid() const noexcept { return ref_.pid(); }
    int pidfd() const noexcept { return ref_.pidfd(); }
    const sys::pidref& ref() const noexcept { return ref_; }
    bool valid() const noexcept { return ref_.valid(); }

    void signal(int sig, std::error_code& ec) noexcept;
    void signal(int sig);
    // Waits (waitid P_PIDFD, __WALL: also clone children with no exit signal).
    sys::exit_status wait(std::error_code& ec) noexcept;
    sys::exit_status wait();
    // exit_status{running} while it runs.
    sys::exit_status try_wait(std::error_code& ec) noexcept;
    sys::exit_status try_wait();
    // Waits up to `timeout`; nullopt if still running.
    std::optional<sys::exit_status> wait_for(std::chrono::milliseconds timeout, std::error_code& ec) noexcept;
    // Waits while forwarding forwarded_signals received by the caller to
    // the child; with kill_child, after a
    // forwarded signal sends kill_signal, then SIGKILL after `grace`.
    // Blocks those signals in the calling thread while it waits.  A failure
    // is a setup error naming the call: setup_step::signalfd, poll or wait.
    sys::exit_status supervise(bool kill_child, int kill_signal, std::chrono::milliseconds grace,
                               std::error_code& ec) noexcept;
    // The signal supervise() forwarded first (0 if none).
    int forwarded_signal() const noexcept { return forwarded_; }
    // Once reaped: what undoing the child's leftovers did not do, and why;
    // empty when it did it all.  The outer end of a veth pair spawn() made
    // is deleted by its index, and only while that link is still that end:
    // renamed, or its index taken by another link, it is left alone, e.g.
    // "veth delete(7, nsv0): link 7 is now 'x' (kind dummy, peer 0): the
    // link is no longer the one created (renamed or replaced): left alone".
    const std::string& cleanup_note() const noexcept { return cleanup_note_; }

    // A namespace of the process (race-free: checked through the pidfd).
    namespace_handle ns(sys::ns_type type, std::error_code& ec) const noexcept;
    namespace_handle ns(sys::ns_type type) const;

    // Stop owning: the destructor will neither kill nor reap (nor delete a
    // veth pair spawn() made: the kernel does, once the namespace is gone).  Refused (an
    // empty fd, ownership kept) for an init that shares our memory
    // (spawn_options::share_memory_with_init): its stack is freed on reaping.
    unique_fd detach() noexcept;

private:
    friend struct detail::process_access;
    sys::exit_status reap_status(sys::exit_status s) noexcept;
    sys::pidref ref_;
    bool reaped_ = false;
    int forwarded_ = 0;
    unique_fd status_fd_; // an init child writes the real wait status of its worker here
    sys::clone_stack init_stack_; // the stack of an init sharing our memory, until it is reaped
    std::function<std::string()> on_reaped_; // undoes what outlives the child (the outer veth end); "" or why not
    std::string cleanup_note_;
};

} // namespace nskit::ns
NSKIT_API_END
