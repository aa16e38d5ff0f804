// test/common/hostile.hpp — processes that do what a hostile (or just
// unlucky) user's processes do to a namespace tool: exit and stay unreaped,
// hide a namespace behind a bind mount and unmount it, swap a mount point
// for a symlink or a FIFO, give their pid to another process, run out of fds.
// Header-only; each fixture cleans up after itself.
#pragma once

#include "ns_holder.hpp"
#include "test_support.hpp"

#include <nskit/sys/clone.hpp>

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>

namespace nskit::test::hostile {

inline std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

inline std::uint64_t inode_of(const std::string& path)
{
    struct stat st{};
    return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

// Overwrite this process's command line (/proc/self/cmdline) in place, as
// setproctitle does: the start of its argument area, the rest NULs.  Only in
// a forked child.  False when the area is too small or cannot be found.
inline bool set_command_line(const std::string& text)
{
    std::FILE* f = std::fopen("/proc/self/stat", "re");
    if (!f)
        return false;
    char buf[4096];
    const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    buf[n] = '\0';
    const char* p = std::strrchr(buf, ')');
    unsigned long long start = 0, end = 0;
    for (int field = 2; p && field < 48; ++field) // fields 48, 49: arg_start, arg_end
        p = std::strchr(p + 1, ' ');
    if (!p || std::sscanf(p, " %llu %llu", &start, &end) != 2 || end <= start || end - start < text.size() + 1)
        return false;
    char* area = reinterpret_cast<char*>(static_cast<std::uintptr_t>(start));
    std::memset(area, 0, end - start);
    std::memcpy(area, text.data(), text.size());
    return true;
}

inline bool write_text(const char* path, const std::string& text)
{
    const int fd = ::open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ::close(fd);
    return ok;
}

// A child in a new user + PID namespace (it is that PID namespace's init)
// that exits at once and is not reaped until the fixture goes: its user and
// PID namespaces are then held by nothing but a zombie.
class zombie_holder {
public:
    zombie_holder()
    {
        nskit::sys::clone3_args a;
        a.flags = nskit::sys::clone_flag::newuser | nskit::sys::clone_flag::newpid;
        std::error_code ec;
        auto r = nskit::sys::clone3(a, ec);
        if (r.pid == 0)
            ::_exit(0);
        pid_ = ec ? -1 : r.pid;
        if (pid_ > 0) {
            user_ = inode_of("/proc/" + std::to_string(pid_) + "/ns/user");
            pid_ns_ = inode_of("/proc/" + std::to_string(pid_) + "/ns/pid");
            wait_until([&] { return zombie(); });
        }
    }
    ~zombie_holder()
    {
        if (pid_ > 0)
            ::waitpid(pid_, nullptr, 0);
    }
    zombie_holder(const zombie_holder&) = delete;
    zombie_holder& operator=(const zombie_holder&) = delete;

    pid_t pid() const noexcept { return pid_; }
    std::uint64_t user_ns() const noexcept { return user_; }
    std::uint64_t pid_ns() const noexcept { return pid_ns_; }
    bool zombie() const
    {
        const auto st = read_file("/proc/" + std::to_string(pid_) + "/stat");
        const auto c = st.rfind(')');
        return c != std::string::npos && st.size() > c + 2 && st[c + 2] == 'Z';
    }

private:
    pid_t pid_ = -1;
    std::uint64_t user_ = 0, pid_ns_ = 0;
};

// In the holder's own mount namespace: a private tmpfs on /tmp (the host's
// /tmp is hidden there), an nsfs bind mount of a new UTS namespace at
// `mount_point` (under /tmp), then that directory covered by another tmpfs
// in which the mount point's name is `replacement`: a symlink to `target`
// (a path that exists only outside), or a FIFO.  The mountinfo still lists
// the nsfs mount at the old path.  Runs in the ns_holder child.
enum class trap { symlink, fifo };
// The UTS namespace is a new one held by nothing but that mount, so a tool
// must open it through the path to learn about it.  Returns "" or an error;
// *ino: the namespace's inode.
inline std::string set_trap(const std::string& dir, trap kind, const std::string& target, std::uint64_t* ino)
{
    const std::string at = dir + "/ns";
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
        return errno_text("mkdir");
    const int f = ::open(at.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    if (f < 0)
        return errno_text("create mount point");
    ::close(f);
    const int orig = ::open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);
    if (orig < 0 || ::unshare(CLONE_NEWUTS) != 0)
        return errno_text("new uts");
    *ino = inode_of("/proc/self/ns/uts");
    const bool bound = ::mount("/proc/self/ns/uts", at.c_str(), nullptr, MS_BIND, nullptr) == 0;
    const int err = errno;
    if (::setns(orig, CLONE_NEWUTS) != 0)
        return errno_text("setns back");
    ::close(orig);
    errno = err;
    if (!bound)
        return errno_text("bind uts");
    if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=64k") != 0)
        return errno_text("cover");
    if (kind == trap::symlink ? ::symlink(target.c_str(), at.c_str()) != 0 : ::mkfifo(at.c_str(), 0600) != 0)
        return errno_text("replacement");
    return "";
}

// The ns_holder setup for set_trap: own mount namespace, private /tmp;
// /tmp/a/ns a symlink to host_target, /tmp/b/ns a FIFO.  "ok INO_A INO_B".
inline std::string trapped_mounts(const std::string& host_target)
{
    if (::unshare(CLONE_NEWNS) != 0)
        return errno_text("unshare");
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
        return errno_text("make private");
    if (::mount("tmpfs", "/tmp", "tmpfs", 0, "size=1m") != 0)
        return errno_text("tmpfs /tmp");
    std::uint64_t a = 0, b = 0;
    if (auto e = set_trap("/tmp/a", trap::symlink, host_target, &a); !e.empty())
        return e;
    if (auto e = set_trap("/tmp/b", trap::fifo, host_target, &b); !e.empty())
        return e;
    return "ok " + std::to_string(a) + " " + std::to_string(b);
}

// fd limit for a tool run (tool_run_options::before_exec).
inline std::function<void()> fd_limit(rlim_t n)
{
    return [n] {
        rlimit rl{n, n};
        ::setrlimit(RLIMIT_NOFILE, &rl);
    };
}

// A sleeping child made with clone3 set_tid = {pid} (the caller needs
// CAP_SYS_ADMIN over its PID namespace) in new UTS and network namespaces:
// the successor of a process whose pid it takes.  pid() < 0 when the pid
// was not free.
class pid_taker {
public:
    explicit pid_taker(pid_t want)
    {
        nskit::sys::clone3_args a;
        a.flags = nskit::sys::clone_flag::newuts | nskit::sys::clone_flag::newnet;
        const pid_t tid[] = {want};
        a.set_tid = tid;
        std::error_code ec;
        auto r = nskit::sys::clone3(a, ec);
        if (r.pid == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            for (int i = 0; i < 600; ++i) // bounded: at most 10 minutes
                ::sleep(1);
            ::_exit(0);
        }
        pid_ = ec ? -1 : r.pid;
        error_ = ec;
    }
    ~pid_taker()
    {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    pid_taker(const pid_taker&) = delete;
    pid_taker& operator=(const pid_taker&) = delete;
    pid_t pid() const noexcept { return pid_; }
    std::error_code error() const noexcept { return error_; }

private:
    pid_t pid_ = -1;
    std::error_code error_;
};

} // namespace nskit::test::hostile
