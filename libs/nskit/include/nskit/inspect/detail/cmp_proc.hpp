// nskit/inspect/detail/cmp_proc.hpp — the /proc readers compare/group need:
// a process's fds (with the device/inode each refers to) and the interest
// list of an epoll fd.  Private to the inspect layer's compare and group.
#pragma once

#include <nskit/inspect/compare.hpp>
#include <nskit/inspect/detail/proc_text.hpp>
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
// A target without the " (deleted)" the kernel may add between two readlinks
// of one open file description.
std::string without_deleted(std::string target);

// The parsers live with the other /proc text (proc_text.hpp).
using inspect::detail::epoll_item;
using inspect::detail::kernel_dev_to_user;
using inspect::detail::parse_epoll_fdinfo;
std::vector<epoll_item> read_epoll_items(pid_t pid, int epoll_fd, std::error_code& ec);

} // namespace nskit::inspect::detail::cmp
