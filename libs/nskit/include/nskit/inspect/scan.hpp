// nskit/inspect/scan.hpp — a consistent snapshot of every process and every
// namespace on the system, including namespaces no process is in.
#pragma once

#include <nskit/inspect/namespace.hpp>
#include <nskit/inspect/process.hpp>

#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <string_view>
#include <system_error>
#include <vector>

namespace nskit::inspect {

struct scan_options {
    bool threads = false;   // also /proc/PID/task/TID/ns of every non-leader thread
    bool fds = true;        // namespaces held by open fds (/proc/PID/fd -> nsfs)
    bool sockets = true;    // net namespaces held by sockets (pidfd_getfd + SIOCGSKNS)
    bool mounts = true;     // nsfs bind mounts in every mount namespace
    bool netnsid = true;    // RTM_GETNSID for every net namespace
    // command/ppid/state of every process (one more read per process).  When
    // false, only of the lowest-pid process of each namespace, PID 1 and 2,
    // and processes whose namespaces could not be read (zombies).
    bool details = true;
    // Empty: every process.  Otherwise only these (plus PID 1 and 2, to know
    // the initial namespaces); process counts then cover only them.
    std::vector<pid_t> pids{};
    unsigned workers = 0;   // threads reading /proc (0: one per CPU, at most 4; 1: none)
    const char* proc = "/proc"; // where procfs is mounted
};

class snapshot {
public:
    std::vector<process_info> processes;   // sorted by pid, then tid
    std::vector<namespace_info> namespaces;
    // Processes whose fds could not be read (EACCES): their fd/socket
    // references are unknown.
    std::size_t holders_unknown = 0;
    std::error_code holders_error;

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
// (explicit `pids` are also taken by pidfd first and confirmed alive at the
// end); a process whose reads failed is confirmed by its stat, so processes
// that exit mid-scan are skipped quietly, and a zombie stays as a zombie.  Permission errors leave fields unknown (with the
// reason) instead of failing.  Errors: nskit::error::proc_not_mounted when
// `proc` is missing or not procfs.
snapshot scan(const scan_options& options, std::error_code& ec);
snapshot scan(const scan_options& options = {});

} // namespace nskit::inspect
