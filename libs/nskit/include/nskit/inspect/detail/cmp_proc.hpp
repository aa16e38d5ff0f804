// nskit/inspect/detail/cmp_proc.hpp — the /proc readers compare/group need:
// a process's fds (with the device/inode each refers to) and the interest
// list of an epoll fd.  Private to the inspect layer's compare and group.
#pragma once

#include <nskit/inspect/compare.hpp>
#include <nskit/sys/unique_fd.hpp>

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace nskit::inspect::detail::cmp {

// One entry of /proc/PID/fd, with stat() of what it refers to.
struct fd_entry {
    int fd = -1;
    std::uint64_t dev = 0; // st_dev (userspace encoding)
    std::uint64_t ino = 0;
};

// Every fd of pid, sorted by fd.  An fd closed while listing is skipped.
// EACCES/EPERM without ptrace read access, ENOENT/ESRCH once the process is gone.
std::vector<fd_entry> list_fds(pid_t pid, std::error_code& ec);

// Just the fd numbers of pid (readdir only: no per-fd syscall), sorted.
std::vector<int> list_fd_numbers(pid_t pid, std::error_code& ec);

// /proc/PID/fd as an O_PATH directory fd: the *_at readers below then walk
// one path component per fd instead of four (measurably cheaper per fd).
unique_fd open_fd_dir(pid_t pid) noexcept;
std::string fd_target_at(int fd_dir, int fd, std::error_code& ec);
bool stat_fd_at(int fd_dir, int fd, std::uint64_t& dev, std::uint64_t& ino) noexcept;

// stat() of what /proc/PID/fd/FD refers to; false if it cannot be read.
bool stat_fd(pid_t pid, int fd, std::uint64_t& dev, std::uint64_t& ino) noexcept;

// readlink /proc/PID/fd/FD ("" with ec when it cannot be read).
std::string fd_target(pid_t pid, int fd, std::error_code& ec);
fd_kind classify_fd_target(std::string_view target) noexcept;

// One "tfd:" line of /proc/PID/fdinfo/EPOLL_FD.
struct epoll_item {
    int target_fd = -1;
    unsigned target_offset = 0; // index among earlier items with the same target_fd
    std::uint32_t events = 0;
    std::uint64_t ino = 0;
    std::uint64_t dev = 0;      // converted to the st_dev (userspace) encoding
    bool has_inode = false;     // kernels before 3.17? print no ino:/sdev:
};

// Parse the text of an epoll fd's fdinfo (pure: no I/O).
std::vector<epoll_item> parse_epoll_fdinfo(std::string_view text);
std::vector<epoll_item> read_epoll_items(pid_t pid, int epoll_fd, std::error_code& ec);

// Kernel dev_t (MKDEV: major << 20 | minor, as fdinfo prints sdev) -> st_dev.
std::uint64_t kernel_dev_to_user(std::uint64_t kdev) noexcept;

} // namespace nskit::inspect::detail::cmp
