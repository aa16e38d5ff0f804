// nskit/inspect/compare.hpp — what do two processes share?
//
// compare(a, b) answers, for two processes:
//   * each namespace type: same or different, and how the two are related
//     (parent/child/ancestor/descendant for pid and user namespaces via
//     NS_GET_PARENT; which user namespace owns each one via NS_GET_USERNS);
//   * each kcmp(2) resource (vm, files, fs, sighand, io, sysvsem): shared or not;
//   * the fds of a and b that are the same open file description
//     (KCMP_FILE), found by sorting, not by testing all pairs;
//   * the fds of one process that are in the interest list of an epoll fd of
//     the other (KCMP_EPOLL_TFD).
// Nothing fails half-way: a field that cannot be determined (kcmp EPERM,
// ENOSYS, a process exiting mid-way, /proc unreadable) is `unknown` with the
// error and a one-line reason; the other fields are still filled in.
#pragma once

#include <nskit/sys/error.hpp>
#include <nskit/sys/kcmp.hpp>
#include <nskit/sys/ns_type.hpp>
#include <nskit/sys/nsfs.hpp>
#include <nskit/sys/pidref.hpp>
#include <nskit/sys/unique_fd.hpp>

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>
#include <nskit/export.hpp>

NSKIT_API_BEGIN
namespace nskit::inspect {

// The outcome of one comparison.
enum class sharing {
    same,      // one and the same kernel object
    different,
    unknown,   // could not be determined: see the field's error and reason
};
std::string_view to_string(sharing s) noexcept;

// How a's namespace relates to b's in the pid or user namespace tree.
enum class ns_relation {
    none,       // the same namespace, unrelated, or not hierarchical
    parent,     // a's namespace is the parent of b's
    child,      // a's namespace is a child of b's
    ancestor,   // a's is an ancestor of b's, 2 or more levels up
    descendant, // a's is a descendant of b's, 2 or more levels down
};
std::string_view to_string(ns_relation r) noexcept;

// One namespace type.
struct ns_comparison {
    sys::ns_type type = sys::ns_type::mnt;
    sharing state = sharing::unknown;
    ns_relation relation = ns_relation::none; // pid and user namespaces only
    unsigned distance = 0;                    // levels between them when related
    sys::ns_inode a_inode{}, b_inode{};       // nsfs dev/inode ("net:[4026531840]")
    std::uint64_t a_id = 0, b_id = 0;         // NS_GET_ID (6.18), 0 when unavailable
    // NS_GET_USERNS: is a's namespace owned by b's user namespace (and the
    // reverse)?  nullopt when the owner could not be read (e.g. EPERM: the
    // owner is outside the caller's user namespace).  For type user the
    // owner is the parent user namespace.
    std::optional<bool> a_owned_by_b_user{}, b_owned_by_a_user{};
    std::error_code error{}; // set when state == unknown
    std::string reason{};  // one line: what failed and why
};

// One kcmp resource (sys::kcmp_resource vm, files, fs, sighand, io, sysvsem).
// Note that the kernel allocates io contexts and SysV undo lists lazily: two
// processes that have neither compare `same` (two NULL pointers).
struct resource_comparison {
    sys::kcmp_resource resource = sys::kcmp_resource::vm;
    sharing state = sharing::unknown;
    std::error_code error{};
    std::string reason{};
};

// What an fd refers to, from readlink /proc/PID/fd/N.
enum class fd_kind { path, socket, pipe, anon_inode, other };
std::string_view to_string(fd_kind k) noexcept;

struct fd_description {
    int fd = -1;
    fd_kind kind = fd_kind::other;
    std::string target{};     // "/etc/passwd", "socket:[1234]", "pipe:[99]", "anon_inode:[eventpoll]"
    std::error_code target_error{}; // why target is empty: the readlink failed (EMFILE, EACCES ...)
};

// fd `a.fd` of process a and fd `b.fd` of b are one open file description
// (offset, flags, lock owner are shared: inherited over fork, passed by
// SCM_RIGHTS or pidfd_getfd, or a dup of such an fd).
struct shared_fd {
    fd_description a{}, b{};
};

// An epoll fd of one process (`owner`) watches a file that an fd of the
// other process refers to.
struct epoll_watch {
    enum class side { a, b };
    side owner = side::a;
    int epoll_fd = -1;          // in the owner
    int target_fd = -1;         // the fd number the item was added under ("tfd:"), in the owner
    unsigned target_offset = 0; // which of several items with that number
    std::uint32_t events = 0;   // EPOLLIN | ...
    fd_description other{};     // the other process's fd that is the watched file
};

// The six kcmp resource types, in kcmp's order.
const std::vector<sys::kcmp_resource>& kcmp_resources();
// The eight namespace types, in sys::ns_types() order.
std::vector<sys::ns_type> all_namespace_types();

struct compare_options {
    std::vector<sys::ns_type> namespaces = all_namespace_types(); // types to compare
    std::vector<sys::kcmp_resource> resources = kcmp_resources(); // vm, files, fs, sighand, io, sysvsem
    bool shared_fds = true;
    bool epoll = true;
    // How the fds are pre-grouped before sorting each group with KCMP_FILE
    // as the comparator (doc/nscmp.md; measured in doc/performance.md):
    //   target: by readlink of /proc/PID/fd/N, which the report needs anyway
    //           (one open file description always reads the same; a rename
    //           between the two readlinks can hide a pair);
    //   inode:  by stat() of /proc/PID/fd/N (dev, ino): immune to renames,
    //           one more syscall per fd;
    //   none:   every fd of both in one sort: no per-fd syscall, but about
    //           (|A|+|B|) log2 K kcmp calls; epoll items are then found by
    //           binary search in that order.
    enum class fd_grouping { target, inode, none };
    fd_grouping grouping = fd_grouping::target;
};

// "vm" ... "sysvsem" (sys::to_string's names) -> the resource; nullopt for
// anything else (file and epoll_tfd are not resources).
std::optional<sys::kcmp_resource> kcmp_resource_from_name(std::string_view name) noexcept;

struct comparison {
    pid_t a = 0, b = 0;
    std::vector<ns_comparison> namespaces{};    // in the order asked for
    std::vector<resource_comparison> resources{}; // in the order asked for

    std::vector<shared_fd> shared_fds{};        // sorted by a's fd, then b's
    bool shared_fds_compared = false;           // false: see fds_error/fds_reason
    std::error_code fds_error{};
    std::string fds_reason{};

    std::vector<epoll_watch> epoll{};           // a's epoll fds first
    bool epoll_compared = false;
    std::error_code epoll_error{};
    std::string epoll_reason{};

    std::size_t kcmp_calls = 0;                 // every kcmp(2) made

    // Summary over namespaces and resources (the fd sections are facts, not a verdict):
    bool anything_compared() const noexcept;    // at least one field is not unknown
    bool something_differs() const noexcept;    // at least one field is different
};

// Compare two processes.  ec is set only when a process cannot be used at
// all (no pidfd, or it has already exited: ESRCH); everything else degrades
// to unknown fields.
comparison compare(const sys::pidref& a, const sys::pidref& b, const compare_options& options,
                   std::error_code& ec) noexcept;
comparison compare(const sys::pidref& a, const sys::pidref& b, const compare_options& options = {});
// Same, opening the pidfds first (pid_t can be a thread id).
comparison compare(pid_t a, pid_t b, const compare_options& options, std::error_code& ec) noexcept;
comparison compare(pid_t a, pid_t b, const compare_options& options = {});

} // namespace nskit::inspect
NSKIT_API_END
