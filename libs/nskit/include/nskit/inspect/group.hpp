// nskit/inspect/group.hpp — partition processes by a kernel resource they share.
//
// kcmp(2) answers with an ordering of (obfuscated) kernel pointers, so a set
// of processes can be sorted with kcmp as the comparator and the processes
// sharing a resource end up next to each other: about N log2 N kcmp calls
// (fewer when the classes are large) instead of N(N-1)/2 for every pair, the
// way CRIU finds shared resources.  When kcmp answers "unordered" (3) the
// sort falls back to comparing each process with one member of every class.
//
// Processes that cannot be compared (EPERM: no ptrace read access; ESRCH:
// exited meanwhile) are left out and listed with the reason; the others are
// still grouped.  Each process is held by a pidfd for the duration, so a pid
// reused during the run is detected and reported as exited, never misgrouped.
#pragma once

#include <nskit/inspect/compare.hpp>
#include <nskit/sys/kcmp.hpp>

#include <sys/types.h>

#include <cstddef>
#include <span>
#include <string>
#include <system_error>
#include <vector>
#include <nskit/export.hpp>

NSKIT_API_BEGIN
namespace nskit::inspect {

// A process (or fd) that could not be placed in a class.
struct ungrouped {
    pid_t pid = 0;
    int fd = -1;              // group_files only
    std::error_code error{};
    std::string reason{};
};

struct group_result {
    sys::kcmp_resource resource = sys::kcmp_resource::vm;
    // Each class: pids sharing the resource, ascending.  Largest class first,
    // ties by smallest pid.  Singletons included.
    std::vector<std::vector<pid_t>> classes{};
    std::vector<ungrouped> skipped{}; // ascending pid
    std::size_t kcmp_calls = 0;       // including the probes that find who failed
    bool pairwise_fallback = false;   // kcmp answered "unordered": compared pairwise
    std::string error_reason{};       // when ec is set: the call that failed, and why
};

// Group `pids` (duplicates ignored) by `resource`: one of vm, files, fs,
// sighand, io, sysvsem (file and epoll_tfd: EINVAL; see group_files).
// ec: bad input (a pid <= 0: nskit::error::bad_pid), or nothing can be
// compared at all (ENOSYS: no kcmp; out of fds for the pidfds: EMFILE).
group_result group(std::span<const pid_t> pids, sys::kcmp_resource resource, std::error_code& ec) noexcept;
group_result group(std::span<const pid_t> pids, sys::kcmp_resource resource);

// One fd of one process.
struct fd_ref {
    pid_t pid = 0;
    fd_description fd{};
};

struct file_group_result {
    // Open file descriptions held by two or more of the processes: each class
    // lists every (pid, fd) that refers to it, by pid then fd.  Largest first.
    std::vector<std::vector<fd_ref>> classes{};
    std::vector<ungrouped> skipped{}; // processes whose fds could not be read or compared
    std::size_t kcmp_calls = 0;
    std::size_t fds_examined = 0;
    bool pairwise_fallback = false;
    std::string error_reason{};       // when ec is set: the call that failed, and why
};

// Group the open fds of `pids` by open file description: pre-grouped as
// `grouping` says (by readlink target, by inode, or not at all: see
// compare_options::fd_grouping), each group sorted with KCMP_FILE.
using fd_grouping = compare_options::fd_grouping;
file_group_result group_files(std::span<const pid_t> pids, fd_grouping grouping, std::error_code& ec) noexcept;
file_group_result group_files(std::span<const pid_t> pids, fd_grouping grouping = fd_grouping::target);

} // namespace nskit::inspect
NSKIT_API_END
