// nskit/inspect/detail/proc_text.hpp — the /proc text the inspect layer reads,
// in one place: pure parsers (no I/O; fuzzed, see test/fuzz) and the few
// readers that feed them.  Private to the inspect layer.
#pragma once

#include <nskit/sys/ns_type.hpp>

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace nskit::inspect::detail {

// ---- parsers (pure) ----

// "net:[4026531840]" (the kernel's spelling of a namespace link or nsfs
// mount root) -> type + inode.  False for anything else.
bool parse_ns_link(std::string_view text, sys::ns_type& type, std::uint64_t& ino) noexcept;

// A namespace as a user names it (find_namespace): a path (any text with a
// '/'), ":ID" (an NS_GET_ID id), "TYPE:[INODE]" (TYPE in any spelling
// ns_type_from_name takes) or a bare inode.  Numbers are decimal digits
// only.  False for anything else.
struct ns_spec {
    enum class kind { path, inode, id } by = kind::inode;
    std::optional<sys::ns_type> type; // given with TYPE:[INODE]
    std::uint64_t value = 0;          // the inode or the id; 0 for a path
};
bool parse_ns_spec(std::string_view text, ns_spec& out) noexcept;

// The fields of /proc/PID/stat the inspect layer uses.  comm is between the
// first '(' and the last ')': it may itself hold spaces and parentheses.
struct stat_fields {
    std::string_view comm;
    char state = '?';
    pid_t ppid = 0;
    unsigned long flags = 0;   // PF_* (field 9)
};
bool parse_stat(std::string_view text, stat_fields& out) noexcept;
constexpr unsigned long pf_kthread = 0x00200000; // include/linux/sched.h PF_KTHREAD

// The NSpid line of /proc/PID/status: the pid at each PID-namespace level,
// outermost first.  False when the line is missing (kernels before 4.1).
bool parse_status_nspid(std::string_view status, std::vector<pid_t>& out);

// The "Pid:" line of a pidfd's fdinfo: the pid in the PID namespace of the
// procfs it was read through; -1 once reaped, 0 when not visible there.
bool parse_pidfd_fdinfo(std::string_view text, pid_t& pid) noexcept;

// One line of /proc/PID/mountinfo: "ID PARENT MAJ:MIN ROOT MOUNTPOINT ... - FSTYPE ...".
// mount_point has the kernel's octal escapes (\040 ...) undone.
struct mountinfo_entry {
    std::string_view root;
    std::string mount_point;
    std::string_view fstype;
};
bool parse_mountinfo_line(std::string_view line, mountinfo_entry& out);
std::string unescape_mount_path(std::string_view s);

// One "tfd:" line of /proc/PID/fdinfo/EPOLL_FD.
struct epoll_item {
    int target_fd = -1;
    unsigned target_offset = 0; // index among earlier items with the same target_fd
    std::uint32_t events = 0;
    std::uint64_t ino = 0;
    std::uint64_t dev = 0;      // converted to the st_dev (userspace) encoding
    bool has_inode = false;     // kernels before 3.17 print no ino:/sdev:
};
std::vector<epoll_item> parse_epoll_fdinfo(std::string_view text);

// Kernel dev_t (MKDEV: major << 20 | minor, as fdinfo prints sdev) -> st_dev.
std::uint64_t kernel_dev_to_user(std::uint64_t kdev) noexcept;

// The effective uid (second field of "Uid:") and CapEff of /proc/PID/status.
bool parse_status_credentials(std::string_view status, uid_t& euid, std::uint64_t& cap_effective) noexcept;

// /proc/PID/cmdline as one line: each NUL a space, the final NUL dropped
// ("sleep\0100\0" -> "sleep 100"); a line rewritten without one is kept whole.
std::string command_line_text(std::string raw);

// Decimal digits only, no sign; false on overflow or anything else.
bool parse_decimal(std::string_view s, std::uint64_t& out) noexcept;

// ---- readers ----

// The whole of a small /proc file `name` under `dirfd` (read to the end,
// EINTR retried).  Never follows a symlink at the last component and never
// blocks (O_NOFOLLOW | O_NONBLOCK).
std::string read_text_at(int dirfd, const char* name, std::error_code& ec);

// What `fd` reads until its end (EINTR retried), at most `limit` bytes: a
// read that would pass the limit ends the text (a file grown while read gives
// what fits).  "" with ec on a failed read.
std::string read_whole(int fd, std::size_t limit, std::error_code& ec);

// readlinkat, growing the buffer as long as the target fills it.
std::string read_link_at(int dirfd, const char* name, std::error_code& ec);

} // namespace nskit::inspect::detail
