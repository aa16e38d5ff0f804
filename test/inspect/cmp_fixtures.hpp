// Processes with known sharing, for the compare/group/nscmp tests.
// Header-only so that test/inspect and test/tools can both use it.
#pragma once

#include <nskit/sys/clone.hpp>
#include <nskit/sys/pidfd.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/prctl.h>
#include <sys/sem.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

namespace nskit::test::cmp {

// The kernel allocates io contexts and SysV undo lists lazily, and two NULL
// pointers compare equal under kcmp: give the caller both, so that "not
// shared" really shows as different.  Raw syscalls only: safe in a CLONE_VM
// child on a small stack.
inline bool prime_lazy_resources()
{
    if (::syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, (2 << 13) | 4 /* best effort, 4 */) != 0)
        return false;
    const long sem = ::syscall(SYS_semget, IPC_PRIVATE, 1, 0600);
    if (sem < 0)
        return false;
    sembuf up{0, 1, SEM_UNDO};
    const bool ok = ::syscall(SYS_semop, sem, &up, 1) == 0;
    ::syscall(SYS_semctl, sem, 0, IPC_RMID, 0); // the undo list stays allocated
    return ok;
}

// Sleep until killed, at most `seconds`; dies with the parent.  Raw syscalls only.
inline int idle(int seconds = 60)
{
    ::syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    timespec slice{0, 100'000'000};
    for (int i = 0; i < seconds * 10; ++i)
        ::syscall(SYS_nanosleep, &slice, nullptr);
    return 0;
}

// A child made with nskit::sys::clone(flags) that (optionally) primes its
// lazy resources, reports 'R' (or 'E' on failure) on `ready_fd`, then idles.
// The destructor kills and reaps it.
class idle_child {
public:
    idle_child(sys::clone_flags flags, int ready_fd, bool prime = true, std::size_t stack = 256 * 1024)
    {
        child_ = sys::clone(
            [ready_fd, prime] {
                const char c = !prime || prime_lazy_resources() ? 'R' : 'E';
                ::syscall(SYS_write, ready_fd, &c, 1);
                return idle();
            },
            {.flags = flags | sys::clone_flag::pidfd, .stack_size = stack});
    }
    ~idle_child() { stop(); }
    idle_child(const idle_child&) = delete;
    idle_child& operator=(const idle_child&) = delete;
    pid_t pid() const { return child_.pid(); }
    int pidfd() { return child_.pidfd().get(); }
    void stop()
    {
        if (child_.pidfd()) {
            std::error_code ec;
            sys::pidfd_send_signal(child_.pidfd().get(), SIGKILL, ec);
            sys::pidfd_wait(child_.pidfd().get(), ec);
            child_.pidfd().reset();
        }
    }

private:
    sys::cloned_child child_;
};

// Wait for `n` ready bytes; "" or what went wrong.
inline std::string await_ready(int fd, int n)
{
    for (int got = 0; got < n;) {
        char c;
        ssize_t r = ::read(fd, &c, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r != 1)
            return "ready pipe closed after " + std::to_string(got) + " of " + std::to_string(n);
        if (c != 'R')
            return "a child could not prime its io context / SysV undo list";
        ++got;
    }
    return {};
}

} // namespace nskit::test::cmp
