// test/common/terminal.hpp — a pseudo-terminal the test owns, made the
// controlling terminal of a forked child: what a shell that starts nsrun
// gives it.  A program that can type into it (TIOCSTI) could run commands
// in that shell.  Header-only.
#pragma once

#include "test_support.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <string>

namespace nskit::test {

// dev.tty.legacy_tiocsti (6.2): 1 when TIOCSTI works at all without CAP_SYS_ADMIN.
inline bool legacy_tiocsti()
{
    return read_file("/proc/sys/dev/tty/legacy_tiocsti").rfind("1", 0) == 0;
}

class pty {
public:
    pty()
    {
        master_ = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master_ >= 0 && ::grantpt(master_) == 0 && ::unlockpt(master_) == 0)
            if (const char* name = ::ptsname(master_))
                slave_ = name;
    }
    ~pty()
    {
        if (master_ >= 0)
            ::close(master_);
    }
    pty(const pty&) = delete;
    pty& operator=(const pty&) = delete;

    bool valid() const { return !slave_.empty(); }
    const std::string& slave() const { return slave_; }

    // In a forked child only: a session of its own whose controlling
    // terminal is the slave, which becomes stdin.  False on failure.
    bool become_controlling_stdin() const
    {
        if (::setsid() < 0)
            return false;
        const int fd = ::open(slave_.c_str(), O_RDWR | O_NOCTTY);
        if (fd < 0 || ::ioctl(fd, TIOCSCTTY, 0) != 0 || ::dup2(fd, 0) != 0)
            return false;
        if (fd != 0)
            ::close(fd);
        return true;
    }

private:
    int master_ = -1;
    std::string slave_;
};

} // namespace nskit::test
