// nskit/inspect/process.hpp — one process as the inspect layer sees it, pid
// parsing, and PID translation across nested PID namespaces.
#pragma once

#include <nskit/sys/ns_type.hpp>

#include <sys/types.h>

#include <array>
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

enum class process_state { running, zombie, kernel_thread };
std::string_view to_string(process_state s) noexcept;

struct process_info {
    pid_t pid = 0;             // thread-group id
    pid_t tid = 0;             // == pid for a process, the thread's id for a thread entry
    pid_t ppid = 0;
    uid_t uid = 0;             // owner of /proc/PID (the effective uid)
    std::string command{};     // comm, never truncated beyond what the kernel keeps (15 bytes)
    // The command line (scan_options::command_lines): /proc/PID/cmdline with
    // each NUL between arguments as a space and the final NUL dropped; empty
    // for kernel threads, zombies and processes that cleared it.
    std::string command_line{};
    // /proc/PID/cgroup as the kernel gives it (scan_options::cgroups).
    std::string cgroup{};
    std::error_code cgroup_error{};
    // Effective uid and capabilities (/proc/PID/status Uid, CapEff), with
    // the details when scan_options::credentials.
    std::optional<uid_t> euid{};
    std::optional<std::uint64_t> cap_effective{};
    std::error_code credentials_error{};
    process_state state = process_state::running;
    bool is_thread() const noexcept { return tid != pid; }

    static constexpr std::size_t none = static_cast<std::size_t>(-1);
    // Index into snapshot::namespaces per ns_type; `none` when unknown.
    std::array<std::size_t, sys::ns_type_count> ns{none, none, none, none, none, none, none, none};
    std::size_t pid_for_children = none;
    std::size_t time_for_children = none;
    // The ten /proc/PID/ns entries: the eight types in ns_types() order, then
    // pid_for_children and time_for_children.
    static constexpr std::size_t entry_count = sys::ns_type_count + 2;
    static constexpr std::size_t pid_for_children_entry = sys::ns_type_count;
    static constexpr std::size_t time_for_children_entry = sys::ns_type_count + 1;
    // Why entry k is unknown: EACCES (another user's process), ESRCH (a
    // zombie: the kernel keeps only its user and pid namespaces), EMFILE, ...
    std::array<std::error_code, entry_count> ns_errors{};
    std::error_code ns_error{};    // the first of ns_errors that is set
    std::error_code details_error{}; // command/ppid/state could not be read
    // NSpid (pid at each PID-namespace level, outermost first): read for
    // scan_options::targets only.
    std::vector<pid_t> nspid{};
    std::error_code nspid_error{};
};

// Name of /proc/PID/ns entry k (process_info::ns_errors order): "mnt" ...
// "time", "pid_for_children", "time_for_children".
std::string_view ns_entry_name(std::size_t entry) noexcept;

// Strict pid parsing for tools: decimal digits only, 1..pid_max-fitting
// pid_t; no sign, no spaces.  Otherwise nskit::error::bad_pid.
pid_t parse_pid(std::string_view text, std::error_code& ec) noexcept;
pid_t parse_pid(std::string_view text);

// Every process in /proc (thread-group leaders), ascending; with
// skip_kernel_threads, not the kernel's own (PF_KTHREAD in /proc/PID/stat:
// they have no address space or files of their own).  Errors: opening /proc.
std::vector<pid_t> list_pids(bool skip_kernel_threads, std::error_code& ec);
std::vector<pid_t> list_pids(bool skip_kernel_threads = false);

// PF_KTHREAD of /proc/PID/stat.  ESRCH/ENOENT when it is gone.
bool is_kernel_thread(pid_t pid, std::error_code& ec) noexcept;

// A process's pid at each level of its PID namespace chain, outermost
// (the caller's view) first, innermost (its own view) last: NSpid from
// /proc/PID/status.
std::vector<pid_t> pid_levels(pid_t pid, std::error_code& ec);
std::vector<pid_t> pid_levels(pid_t pid);

// The pid a process has inside the PID namespace `pidns_fd` (NS_GET_PID_IN_PIDNS,
// 6.11); falls back to NSpid when the kernel lacks the ioctl.  0 when it is not
// visible there.
pid_t pid_in_namespace(int pidns_fd, pid_t pid, std::error_code& ec) noexcept;
pid_t pid_in_namespace(int pidns_fd, pid_t pid);

} // namespace nskit::inspect
NSKIT_API_END
