// The /proc scanner behind inspect::scan(), private to the inspect layer.
//
// Phase 1 (read_process, scan_process.cpp) runs in parallel: everything that
// costs a system call per process, into a raw_process, touching no shared
// state.  Phase 2 (scanner, on one thread) identifies each distinct
// namespace once (scan_namespaces.cpp), then fds, sockets and bind mounts
// (scan_holders.cpp), then finishes the snapshot (scan.cpp).
#pragma once

#include <nskit/inspect/scan.hpp>
#include <nskit/inspect/detail/proc_text.hpp>
#include <nskit/sys/error.hpp>
#include <nskit/sys/unique_fd.hpp>
#include "dir_numbers.hpp"

#include <dirent.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <string>
#include <system_error>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace nskit::inspect::detail {

constexpr std::size_t entry_count = process_info::entry_count;

// The ten entries of /proc/PID/ns: "ns/net" ... "ns/time_for_children".
struct ns_entry {
    char path[32];
    ns_type type;
};
const std::array<ns_entry, entry_count>& ns_entries() noexcept;

// The ns links of one /proc/PID or /proc/PID/task/TID directory.
struct links {
    std::array<std::uint64_t, entry_count> ino{};
    std::array<std::error_code, entry_count> error{};
    std::array<bool, entry_count> ok{};
    std::error_code first_error() const noexcept;
};
void read_links(int dirfd, links& l, std::size_t count = entry_count) noexcept; // entries 0..count-1
bool read_link(int dirfd, std::size_t k, links& l) noexcept; // entry k only; false: l.error[k] says why

// An fd that may hold a namespace: an nsfs file (whatever its link text
// says: one opened through a bind mount reads as a path), or a socket.
struct fd_hold {
    int fd;
    bool socket;
    std::uint64_t ino;  // namespace inode, or socket inode
};

struct raw_thread {
    pid_t tid;
    links l;
};

// What phase 1 learns about one process.
struct raw_process {
    bool present = false;
    process_info info;
    links l;
    std::vector<fd_hold> fds;
    std::vector<raw_thread> threads;
    std::vector<std::pair<gap_kind, std::error_code>> gaps;
    bool target_lost = false;       // a target whose pidfd no longer names this pid
    std::error_code target_error;
    // A process held by pidfd (a target's, or `own_pidfd` for an explicit
    // pid): its namespaces come from the pidfd.  -1: from /proc only.
    int pidfd = -1;
    unique_fd own_pidfd;
    std::size_t from_pidfd = 0, from_proc = 0; // its ns entries, by where they came from
};

// A target and the pid it has in the scanned /proc (which may belong to
// another PID namespace than the caller's): from its pidfd's fdinfo read
// through that /proc.
struct target_ref {
    const sys::pidref* process;
    pid_t proc_pid = 0;       // 0: not visible in that /proc
    std::error_code error;
};
// The pid `pidfd` has in the procfs at `procfd` (-1: reaped, 0: not visible there).
pid_t pid_in_proc(int procfd, int pidfd, std::error_code& ec);

struct read_context {
    const scan_options& opt;
    int procfd;
    pid_t self;
    std::uint64_t nsfs_dev;
    const std::vector<target_ref>& targets;
    const target_ref* target(pid_t proc_pid) const noexcept;
};

void read_process(const read_context& c, pid_t pid, raw_process& out);

// Open error that means "the process is gone", not "could not read".
bool gone(const std::error_code& ec) noexcept;

// RTM_GETNSID for a net namespace fd over a NETLINK_ROUTE socket: the nsid
// the caller's netns gave it, -1 when none (netnsid.cpp).
std::int32_t get_nsid(int nl, int netns_fd, std::error_code& ec) noexcept;

// stat's command, ppid and state (zombie, kernel_thread) into p.
void take_stat(const stat_fields& f, process_info& p);
// euid and CapEff from status text (scan_options::credentials).
void take_credentials(process_info& p, const std::string& status, const std::error_code& read_error);

class scanner {
public:
    scanner(const scan_options& o, snapshot& s) : opt_(o), snap_(s) {}
    void run(std::error_code& ec);

private:
    const scan_options& opt_;
    snapshot& snap_;
    unique_fd proc_;
    unique_fd nl_;
    std::error_code nl_error_;
    std::uint64_t nsfs_dev_ = 0;
    std::unordered_map<std::uint64_t, std::size_t> by_ino_;
    std::unordered_set<std::uint64_t> sockets_seen_;
    // A process in each mount namespace, and its mountinfo: read when the
    // namespace is first met, during phase 1, so that the serial tail only parses.
    struct mount_reader {
        std::size_t mntns;
        pid_t pid;
        std::string text;
        std::error_code error;
    };
    std::vector<mount_reader> mount_ns_reader_;
    std::unordered_set<std::size_t> mount_ns_seen_;
    std::vector<target_ref> targets_;
    std::vector<std::uint64_t> kernel_ids_; // mount namespace ids the kernel listed before the scan, sorted
    bool kernel_walked_ = false;

    bool open_proc(std::error_code& ec);
    void find_targets();
    void lose_target(const raw_process& r);
    bool helper(pid_t pid) const;
    std::vector<pid_t> pids_to_read(); // a failed listing is a gap
    void read_all(const std::vector<pid_t>& pids, std::vector<raw_process>& raw);

    // scan_namespaces.cpp
    std::size_t new_namespace(ns_type type, std::uint64_t ino);
    std::size_t describe(int fd, ns_type type, int depth = 0);
    void describe_owner(int fd, std::size_t idx, int depth);
    void describe_parent(int fd, std::size_t idx, int depth);
    void describe_extras(int fd, std::size_t idx);
    std::size_t unopened(ns_type type, std::uint64_t ino, std::error_code why);
    std::size_t resolve(const char* rel, ns_type type, std::uint64_t ino);
    void attach(std::size_t pidx, const char* dir, const links& l, bool thread, int pidfd = -1);
    std::size_t from_pidfd(int pidfd, std::size_t k, std::uint64_t ino); // none: not from there
    void add_process(raw_process& r);

    // scan_holders.cpp
    void add_fds(const raw_process& r);
    void add_fd(pid_t pid, const fd_hold& f);
    void add_socket(pid_t pid, const fd_hold& f, unique_fd& pidfd);
    void scan_mounts();
    void add_mounts_of(std::size_t mntns, pid_t pid, std::string_view text);
    void fill_if_first(std::size_t pidx); // during phase 1
    void fill_details();
    void fill_one(process_info& p);
    void finish();

    // scan_kernel_list.cpp
    bool wants_kernel_list() const noexcept;
    void list_kernel_mount_namespaces(); // before the scan
    void check_kernel_mount_list();      // after it: what the kernel has that the scan did not attribute
    void add_mounts_in(std::size_t mntns, int mntns_fd); // nsfs bind mounts, from listmount
    void drop_unreferenced();
};

} // namespace nskit::inspect::detail
