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

#include <algorithm>
#include <atomic>
#include <thread>
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

// Processes in known groups: each group a leader (a fork-like clone) and
// members cloned from it with `share`.  Build in a child that is a subreaper,
// so that destroy() reaps every one of them.
struct population {
    std::vector<std::vector<pid_t>> groups; // each sorted
    std::vector<pid_t> all;
};

inline std::string build(population& pop, sys::clone_flags share, const std::vector<int>& sizes, bool prime)
{
    if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
        return "PR_SET_CHILD_SUBREAPER failed";
    int rp[2];
    if (::pipe2(rp, O_CLOEXEC) != 0)
        return "pipe2 failed";
    const int wr = rp[1];
    for (int size : sizes) {
        std::error_code ec;
        sys::clone(
            [wr, size, share, prime] {
                std::vector<pid_t> pids{::getpid()};
                std::vector<sys::cloned_child> members; // CLONE_VM members run on stacks these own
                if (!prime || prime_lazy_resources()) {
                    for (int k = 1; k < size; ++k) {
                        std::error_code e;
                        members.push_back(sys::clone([] { return idle(); }, {.flags = share, .stack_size = 64 * 1024}, e));
                        if (e)
                            break;
                        pids.push_back(members.back().pid());
                    }
                }
                if (static_cast<int>(pids.size()) != size)
                    pids.clear(); // tells the parent something failed
                const int n = static_cast<int>(pids.size());
                std::vector<int> record{n};
                record.insert(record.end(), pids.begin(), pids.end());
                ::syscall(SYS_write, wr, record.data(), record.size() * sizeof(int)); // <= PIPE_BUF: atomic
                return idle();
            },
            {.flags = {}, .stack_size = 256 * 1024}, ec);
        if (ec)
            return "clone leader: " + ec.message();
    }
    std::string err;
    for (std::size_t g = 0; g < sizes.size(); ++g) {
        int n = 0;
        if (::read(rp[0], &n, sizeof n) != sizeof n) {
            err = "leader record missing";
            break;
        }
        std::vector<pid_t> pids(static_cast<std::size_t>(n));
        if (n > 0 && ::read(rp[0], pids.data(), pids.size() * sizeof(pid_t)) != static_cast<ssize_t>(pids.size() * sizeof(pid_t))) {
            err = "short leader record";
            break;
        }
        if (n == 0)
            err = "a leader could not make its members";
        std::sort(pids.begin(), pids.end());
        pop.all.insert(pop.all.end(), pids.begin(), pids.end());
        pop.groups.push_back(std::move(pids));
    }
    ::close(rp[0]);
    ::close(rp[1]);
    return err;
}

// Kill every descendant and reap them all (we are their subreaper).
inline void destroy(population& pop)
{
    for (pid_t p : pop.all)
        ::kill(p, SIGKILL);
    for (std::size_t i = 0; i < pop.all.size() + 64; ++i)
        if (::waitpid(-1, nullptr, __WALL) < 0 && errno == ECHILD)
            break;
}

// A thread of the caller that sleeps (at most 6 s) until destroyed; tid() is its id.
class idle_thread {
public:
    idle_thread()
        : th_([this] {
              tid_ = static_cast<pid_t>(::syscall(SYS_gettid));
              for (int i = 0; i < 600 && !stop_; ++i)
                  ::usleep(10000);
          })
    {
        while (tid_ == 0)
            ::usleep(1000);
    }
    ~idle_thread()
    {
        stop_ = true;
        th_.join();
    }
    idle_thread(const idle_thread&) = delete;
    idle_thread& operator=(const idle_thread&) = delete;
    pid_t tid() const noexcept { return tid_; }

private:
    std::atomic<pid_t> tid_{0};
    std::atomic<bool> stop_{false};
    std::thread th_;
};

} // namespace nskit::test::cmp
