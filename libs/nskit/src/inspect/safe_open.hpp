// Opening a namespace file that another process can tamper with: under
// /proc/PID/root (its mount namespace), through /proc/PID/fd/N, or a path a
// user typed.  Private to the inspect layer.
//
// The rule: never follow a symlink out of the other process's root, never
// block, never open anything but an nsfs file for reading.  So the path is
// opened O_PATH first (no open() side effects: a FIFO does not block, a
// device is not opened), checked to be nsfs (statfs NSFS_MAGIC) and, when
// asked, the expected inode, and only then reopened readable through
// /proc/self/fd (the ioctls need a real fd).
#pragma once

#include <nskit/sys/unique_fd.hpp>

#include <cstdint>
#include <string_view>
#include <system_error>

namespace nskit::inspect::detail {

enum class path_rule {
    follow,          // a path the caller typed, in the caller's own namespace
    magic_link,      // /proc/PID/fd/N or /proc/PID/ns/X: the link itself, nothing beyond
    ns_link,         // /proc/PID/ns/X only: always an nsfs file (proc_ns_get_link),
                     // so opened at once, not through O_PATH and a reopen
    in_root,         // a path inside another root: no symlink at all (openat2
                     // RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS, or O_NOFOLLOW step by step)
};

// Open `path` relative to `dirfd` under `rule`; an nsfs file, readable.
// expected_ino != 0: must be that inode (else ESTALE: it was replaced).
// proc_dirfd: procfs, for the reopen through self/fd (AT_FDCWD: "/proc").
// Errors: ELOOP (a symlink on the way), nskit::error::not_a_namespace, errno.
unique_fd open_nsfs(int dirfd, std::string_view path, path_rule rule, std::uint64_t expected_ino, int proc_dirfd,
                    std::error_code& ec) noexcept;

// The O_NOFOLLOW walk used where openat2 is missing (ENOSYS): each component
// opened O_PATH|O_NOFOLLOW, ".." refused.  Exposed so tests can force it.
unique_fd open_path_no_symlinks(int dirfd, std::string_view path, std::error_code& ec) noexcept;

} // namespace nskit::inspect::detail
