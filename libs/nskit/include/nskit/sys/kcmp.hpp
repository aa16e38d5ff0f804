// nskit/sys/kcmp.hpp — kcmp(2) (3.5, CONFIG_KCMP; EPOLL_TFD 4.13).
#pragma once

#include <sys/types.h>

#include <string_view>
#include <system_error>
#include <nskit/export.hpp>

NSKIT_API_BEGIN
namespace nskit::sys {

// Named kcmp_resource, not kcmp_type: <linux/kcmp.h> declares a global
// enum kcmp_type (and struct kcmp_epoll_slot), which a using-directive for
// nskit::sys would make ambiguous.
enum class kcmp_resource {
    file = 0,      // an fd of each: same open file description?
    vm = 1,
    files = 2,     // fd table
    fs = 3,        // root, cwd, umask
    sighand = 4,
    io = 5,
    sysvsem = 6,   // SysV semaphore undo list
    epoll_tfd = 7, // is (fd, offset) of pid2 in the epoll fd idx1 of pid1?
};
std::string_view to_string(kcmp_resource t) noexcept;

// kcmp's answer is an ordering of kernel pointers (obfuscated but consistent),
// so it can sort: equal, less (0 < 1), greater, or not orderable.
enum class kcmp_order { equal = 0, less = 1, greater = 2, unordered = 3 };
std::string_view to_string(kcmp_order o) noexcept;

// kcmp for the resource types (vm, files, fs, sighand, io, sysvsem).
kcmp_order kcmp(pid_t pid1, pid_t pid2, kcmp_resource type, std::error_code& ec) noexcept;
kcmp_order kcmp(pid_t pid1, pid_t pid2, kcmp_resource type);
// kcmp(KCMP_FILE): fd1 of pid1 vs fd2 of pid2.
kcmp_order kcmp_file(pid_t pid1, int fd1, pid_t pid2, int fd2, std::error_code& ec) noexcept;
kcmp_order kcmp_file(pid_t pid1, int fd1, pid_t pid2, int fd2);

// KCMP_EPOLL_TFD's third argument (struct kcmp_epoll_slot): an item of an
// epoll interest list in pid2 — the epoll fd, the fd number the item was
// registered under ("tfd:" in /proc/PID2/fdinfo/EPOLL_FD) and which of the
// items with that number (0 unless the same number was registered twice).
struct kcmp_epoll_target {
    unsigned epoll_fd = 0;
    unsigned target_fd = 0;
    unsigned target_offset = 0;
};
// equal when fd1 of pid1 is the file that pid2's epoll item refers to.
kcmp_order kcmp_epoll_tfd(pid_t pid1, int fd1, pid_t pid2, const kcmp_epoll_target& slot,
                          std::error_code& ec) noexcept;
kcmp_order kcmp_epoll_tfd(pid_t pid1, int fd1, pid_t pid2, const kcmp_epoll_target& slot);

} // namespace nskit::sys
NSKIT_API_END
