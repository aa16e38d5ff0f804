// test/common/ns_holder.hpp — a child process that sets up namespaces, says
// so, and then waits to be killed (header-only; used by inspect and tools tests).
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <string>

namespace nskit::test {

// fork(); the child runs `setup` (returning "ok ..." text on success, anything
// else is an error), writes the result to the parent and sleeps (bounded)
// until killed.  The destructor kills and reaps it.  `message()` is what the
// setup returned.
class ns_holder {
public:
    explicit ns_holder(const std::function<std::string()>& setup)
    {
        int p[2];
        if (::pipe2(p, O_CLOEXEC) != 0) {
            message_ = std::string("pipe2: ") + std::strerror(errno);
            return;
        }
        pid_ = ::fork();
        if (pid_ == 0) {
            ::close(p[0]);
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            std::string msg;
            try {
                msg = setup();
            } catch (const std::exception& e) {
                msg = std::string("exception: ") + e.what();
            }
            if (msg.empty())
                msg = "ok";
            if (::write(p[1], msg.data(), msg.size()) < 0)
                ::_exit(1);
            for (int i = 0; i < 600; ++i) // bounded: at most 10 minutes
                ::sleep(1);
            ::_exit(0);
        }
        ::close(p[1]);
        char buf[512];
        ssize_t n;
        while ((n = ::read(p[0], buf, sizeof buf)) < 0 && errno == EINTR) {
        }
        message_ = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "holder died before reporting";
        ::close(p[0]);
    }
    ~ns_holder()
    {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
            }
        }
    }
    ns_holder(const ns_holder&) = delete;
    ns_holder& operator=(const ns_holder&) = delete;

    pid_t pid() const noexcept { return pid_; }
    bool ok() const { return message_.rfind("ok", 0) == 0; }
    const std::string& message() const noexcept { return message_; }
    // The number after "ok " (0 if none).
    unsigned long long value() const { return ok() && message_.size() > 3 ? std::stoull(message_.substr(3)) : 0; }

private:
    pid_t pid_ = -1;
    std::string message_;
};

// From an ns_holder's setup: a child that sleeps (bounded) until killed or
// its parent dies.  Its pid, or -1.
inline pid_t fork_sleeping_child()
{
    const pid_t c = ::fork();
    if (c == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        for (int i = 0; i < 600; ++i)
            ::sleep(1);
        ::_exit(0);
    }
    return c;
}

// Sleep until `pred` holds, at most ~5 s.
inline bool wait_until(const std::function<bool()>& pred)
{
    for (int i = 0; i < 500; ++i) {
        if (pred())
            return true;
        ::usleep(10000);
    }
    return pred();
}

} // namespace nskit::test
