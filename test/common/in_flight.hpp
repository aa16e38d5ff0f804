// test/common/in_flight.hpp — a mount namespace that no process, fd table
// or mount refers to: its fd is in flight over a unix socket (sent, never
// received), so only the kernel's own list of mount namespaces shows it.
// Header-only; used by the inspect and tools tests.  Independent of nskit:
// the oracle walks the list with raw ioctls.
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace nskit::test {

struct raw_mnt_ns_info { // struct mnt_ns_info (Linux 6.12)
    std::uint32_t size;
    std::uint32_t nr_mounts;
    std::uint64_t mnt_ns_id;
};
inline constexpr unsigned long raw_ns_mnt_get_next = _IOR(0xb7, 11, raw_mnt_ns_info); // Linux 6.12
inline constexpr unsigned long raw_ns_mnt_get_prev = _IOR(0xb7, 12, raw_mnt_ns_info); // Linux 6.12
inline constexpr unsigned long raw_ns_get_id = _IOR(0xb7, 0xd, std::uint64_t);        // NS_GET_ID, Linux 6.18

// The ids of every mount namespace the kernel lists, walked both ways from
// the caller's own; `err` is the errno of a failed walk (0: complete).
inline std::vector<std::uint64_t> kernel_mount_namespaces(int& err)
{
    std::vector<std::uint64_t> ids;
    err = 0;
    const int self = ::open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
    if (self < 0) {
        err = errno;
        return ids;
    }
    raw_mnt_ns_info info{16, 0, 0};
    if (::ioctl(self, _IOR(0xb7, 10, raw_mnt_ns_info), &info) != 0) // NS_MNT_GET_INFO
        err = errno;
    else
        ids.push_back(info.mnt_ns_id);
    for (unsigned long req : {raw_ns_mnt_get_next, raw_ns_mnt_get_prev}) {
        int at = ::dup(self);
        while (err == 0 && at >= 0) {
            info = {16, 0, 0};
            const int next = ::ioctl(at, req, &info);
            if (next < 0) {
                if (errno != ENOENT) // ENOENT: the end
                    err = errno;
                break;
            }
            ids.push_back(info.mnt_ns_id);
            ::close(at);
            at = next;
        }
        if (at >= 0)
            ::close(at);
    }
    ::close(self);
    return ids;
}

// The same list, twice alike (namespaces come and go on a busy machine):
// up to 20 tries; empty with `err` set when it cannot be read.
inline std::vector<std::uint64_t> stable_kernel_mount_namespaces(int& err)
{
    std::vector<std::uint64_t> last = kernel_mount_namespaces(err);
    for (int i = 0; i < 20 && err == 0; ++i) {
        auto now = kernel_mount_namespaces(err);
        if (now == last)
            return now;
        last = std::move(now);
        ::usleep(50000);
    }
    return last;
}

// A setup for in_flight_mntns: in the new mount namespace, a private tmpfs
// on /tmp with a new UTS namespace bind-mounted on /tmp/uts.
inline int bind_a_uts_namespace_on_tmp()
{
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        ::mount("nskit-in-flight", "/tmp", "tmpfs", MS_NOSUID, "size=64k") != 0)
        return errno;
    const int f = ::open("/tmp/uts", O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    if (f < 0 || ::close(f) != 0 || ::unshare(CLONE_NEWUTS) != 0 ||
        ::mount("/proc/self/ns/uts", "/tmp/uts", nullptr, MS_BIND, nullptr) != 0)
        return errno;
    return 0;
}

// A child unshares its mount namespace, sends /proc/self/ns/mnt over a
// socketpair this object keeps, and exits: the namespace lives on only in
// the socket's queue.  release() (or the destructor) closes the sockets.
// `setup` runs in the child in the new mount namespace first (async-signal-
// safe calls only; returns 0 or an errno).
class in_flight_mntns {
public:
    explicit in_flight_mntns(int (*setup)() = nullptr)
    {
        int report[2];
        if (::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv_) != 0 || ::pipe2(report, O_CLOEXEC) != 0) {
            error_ = std::string("socketpair/pipe2: ") + std::strerror(errno);
            return;
        }
        const pid_t pid = ::fork();
        if (pid == 0) { // async-signal-safe calls only
            ::close(report[0]);
            std::uint64_t out[4] = {0, 0, 0, 0}; // errno, inode, id, uts inode
            int fd = -1;
            if (::unshare(CLONE_NEWNS) != 0)
                out[0] = static_cast<std::uint64_t>(errno);
            else if (setup != nullptr)
                out[0] = static_cast<std::uint64_t>(setup());
            if (out[0] == 0)
                fd = ::open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
            struct stat st{}, uts{};
            if (out[0] != 0) {
            } else if (fd < 0 || ::fstat(fd, &st) != 0 || ::ioctl(fd, raw_ns_get_id, &out[2]) != 0 ||
                       ::stat("/proc/self/ns/uts", &uts) != 0) {
                out[0] = static_cast<std::uint64_t>(errno);
            } else {
                out[1] = st.st_ino;
                out[3] = uts.st_ino;
                char byte = 'm';
                struct iovec iov{&byte, 1};
                alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))];
                std::memset(control, 0, sizeof control);
                struct msghdr msg{};
                msg.msg_iov = &iov;
                msg.msg_iovlen = 1;
                msg.msg_control = control;
                msg.msg_controllen = sizeof control;
                struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int));
                std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
                if (::sendmsg(sv_[1], &msg, 0) != 1)
                    out[0] = static_cast<std::uint64_t>(errno);
            }
            (void)!::write(report[1], out, sizeof out);
            ::_exit(0);
        }
        ::close(report[1]);
        std::uint64_t in[4] = {0, 0, 0, 0};
        const ssize_t n = pid > 0 ? ::read(report[0], in, sizeof in) : -1;
        ::close(report[0]);
        if (pid > 0)
            ::waitpid(pid, nullptr, 0); // it has exited: no process is in the namespace
        if (pid < 0 || n != static_cast<ssize_t>(sizeof in))
            error_ = "the child did not report";
        else if (in[0] != 0)
            error_ = std::string("child: ") + std::strerror(static_cast<int>(in[0]));
        inode = in[1];
        id = in[2];
        uts_inode = in[3];
    }
    ~in_flight_mntns() { release(); }
    in_flight_mntns(const in_flight_mntns&) = delete;
    in_flight_mntns& operator=(const in_flight_mntns&) = delete;

    void release()
    {
        for (int& fd : sv_)
            if (fd >= 0) {
                ::close(fd);
                fd = -1;
            }
    }
    bool ok() const noexcept { return error_.empty(); }
    const std::string& error() const noexcept { return error_; }

    std::uint64_t inode = 0; // of the namespace in flight
    std::uint64_t id = 0;    // its NS_GET_ID
    std::uint64_t uts_inode = 0; // the child's UTS namespace, after `setup`

private:
    int sv_[2] = {-1, -1};
    std::string error_;
};

} // namespace nskit::test
