// nskit/inspect/scan.hpp — a consistent snapshot of every process and every
// namespace on the system, including namespaces no process is in.
#pragma once

#include <nskit/inspect/namespace.hpp>
#include <nskit/inspect/process.hpp>
#include <nskit/sys/pidref.hpp>

#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>
#include <system_error>
#include <vector>
#include <nskit/export.hpp>

NSKIT_API_BEGIN
namespace nskit::inspect {

struct scan_options {
    bool threads = false;   // also /proc/PID/task/TID/ns of every non-leader thread
    // pid_for_children and time_for_children too.  Without them a namespace
    // only those entries reach is not found, and process_info's
    // pid_for_children/time_for_children stay `none` with no error: for
    // views that never show such namespaces (lsns's); two links fewer per process.
    bool for_children = true;
    bool fds = true;        // namespaces held by open fds (/proc/PID/fd -> nsfs)
    bool sockets = true;    // net namespaces held by sockets (pidfd_getfd + SIOCGSKNS)
    bool mounts = true;     // nsfs bind mounts in every mount namespace
    bool netnsid = true;    // RTM_GETNSID for every net namespace
    // command/ppid/state of every process (one more read per process).  When
    // false, only of the lowest-pid process of each namespace, PID 1 and 2,
    // and processes whose namespaces could not be read (zombies).
    bool details = true;
    // With the details, the command line too (process_info::command_line).
    bool command_lines = false;
    // With the details, euid and effective capabilities (process_info::euid, cap_effective).
    bool credentials = false;
    // /proc/PID/cgroup of every process (process_info::cgroup).
    bool cgroups = false;
    // Empty: every process.  Otherwise only these (plus PID 1 and 2, to know
    // the initial namespaces); process counts then cover only them.
    std::vector<pid_t> pids{};
    // Processes held by pidfd whose answers must be theirs (a tool's PID
    // arguments): read (also when `pids` restricts the scan: it need not
    // list them) and checked against the pidfd after reading.  One
    // reaped meanwhile — its pid may name another process now — is listed in
    // snapshot::lost_targets, never answered for.  Must outlive the scan.
    std::span<const sys::pidref> targets{};
    bool targets_only = false; // read only `pids` and `targets` (plus PID 1 and 2)
    // Check the scan against the kernel's own list of mount namespaces
    // (NS_MNT_GET_NEXT/PREV, 6.12): one the scan could not attribute is added
    // with a holder_kind::unseen reference (snapshot::kernel_mount_list).
    // Only in a whole scan with `fds` and `mounts` (else what they hold would
    // read as unseen): not with `pids` or `targets_only`.
    bool kernel_mount_list = true;
    unsigned workers = 0;   // threads reading /proc (0: one per CPU, at most 4; 1: none)
    const char* proc = "/proc"; // where procfs is mounted
};

// What a scan could not read.  Each gap may hide namespaces or references:
// a result with gaps is partial.
enum class gap_kind {
    namespaces, // a process's /proc/PID/ns (or the process itself) could not be read
    threads,    // its threads could not be listed or read
    fds,        // its fd table could not be read
    sockets,    // a socket's net namespace could not be asked (pidfd_getfd, SIOCGSKNS)
    mounts,     // a mount namespace's mountinfo could not be read
    kernel_list, // the kernel's list of mount namespaces could not be read (EPERM ...)
    listing,    // the /proc listing was cut short: processes after that point are unknown (no pid: count 0)
};
std::string_view to_string(gap_kind k) noexcept;

// Gaps of one kind and one reason, counted.
struct scan_gap {
    gap_kind kind = gap_kind::namespaces;
    std::error_code error{};
    std::size_t count = 0;  // processes (mounts: mount namespaces; kernel_list: 1; listing: 0) affected
    pid_t first_pid = 0;    // the lowest pid concerned (0 for listing)
};

// The scan against the kernel's list of mount namespaces
// (scan_options::kernel_mount_list).  The list is walked before and after
// the scan; only namespaces on both walks count (one created or freed
// meanwhile proves nothing).
struct kernel_list_check {
    bool checked = false;     // both walks ran to both ends
    std::size_t listed = 0;   // mount namespaces on both walks
    std::size_t unseen = 0;   // of those, held by nothing the scan saw (holder_kind::unseen)
    // Why not checked: ENOTTY (kernel before 6.12: not a gap), EPERM (needs
    // CAP_SYS_ADMIN in the initial user namespace, and the initial PID
    // namespace: a gap_kind::kernel_list gap) ...; none when not asked for.
    std::error_code error{};
};

// Where the namespaces of the processes the scan holds by pidfd (targets,
// explicit `pids`, and PID 1 and 2 with them) came from.  Other processes
// are read from /proc/PID/ns only (no pidfd per process in a whole scan).
struct pidfd_namespace_use {
    std::size_t from_pidfd = 0; // ns entries from PIDFD_GET_<TYPE>_NAMESPACE (6.11)
    // ns entries read from /proc/PID/ns instead: a kernel before 6.11
    // (ENOTTY/EINVAL), a zombie's user and pid (ESRCH), EMFILE ...
    std::size_t from_proc = 0;
    std::size_t opened = 0;     // namespaces opened (and described) through a pidfd, not /proc
};

// A target (scan_options::targets) that could not be answered for.
struct lost_target {
    pid_t pid = 0;
    std::error_code error{}; // ESRCH: reaped before it could be read; else why it could not be checked
};

class snapshot {
public:
    std::vector<process_info> processes{}; // sorted by pid, then tid
    std::vector<namespace_info> namespaces{};
    std::vector<scan_gap> gaps{};          // by kind, then reason
    std::vector<lost_target> lost_targets{};
    // Per scan_options::targets (in that order): its index in `processes`
    // (numbered as the scanned /proc numbers pids), npos when lost.
    std::vector<std::size_t> targets{};
    // Processes whose fds or sockets could not be read (EACCES ...): their
    // fd/socket references are unknown.  (The fds and sockets gaps, summed.)
    std::size_t holders_unknown = 0;
    std::error_code holders_error{};
    kernel_list_check kernel_mount_list{};
    pidfd_namespace_use pidfd_namespaces{};

    // Something could not be read: namespaces or references may be missing.
    bool partial() const noexcept { return !gaps.empty(); }
    void add_gap(gap_kind kind, pid_t pid, std::error_code error);

    // Lookups; nullptr / npos when absent.
    const process_info* find_process(pid_t pid) const noexcept;
    std::size_t find(const sys::ns_inode& inode) const noexcept;
    std::size_t find_id(std::uint64_t id) const noexcept;
    std::size_t find_inode(std::uint64_t ino) const noexcept;  // inode alone: only for user input
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

    // Processes (leaders) in namespace i; "lowest pid" is processes.front().
    std::size_t process_count(std::size_t i) const noexcept { return namespaces[i].processes.size(); }
};

// Scan /proc.  Race-proof: every process is read through an fd of its /proc/PID
// directory, which stays bound to that process even if its pid is reused
// (targets are checked against their pidfds); a process whose reads failed
// is confirmed by its stat, so processes that exit mid-scan are skipped
// quietly, and a zombie stays a zombie with its user and pid namespaces.
// Nothing is left out silently: what cannot be read (EACCES, EMFILE, ...)
// is an unknown field with its reason, or a gap (snapshot::partial()).
// Errors: nskit::error::proc_not_mounted when `proc` is missing or not procfs.
snapshot scan(const scan_options& options, std::error_code& ec);
snapshot scan(const scan_options& options = {});

} // namespace nskit::inspect
NSKIT_API_END
