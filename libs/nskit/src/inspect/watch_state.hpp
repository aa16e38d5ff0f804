// The state behind inspect::watcher, private to the inspect layer: what is
// alive (namespaces of the watched types, and which processes are in
// them), kept from process events (watch.cpp) and rescans (watch_rescan.cpp).
#pragma once

#include <nskit/inspect/container.hpp>
#include <nskit/inspect/watch.hpp>
#include <nskit/sys/proc_connector.hpp>
#include <nskit/sys/unique_fd.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <unordered_map>
#include <vector>

namespace nskit::inspect {

using watch_clock = std::chrono::steady_clock;

// Namespaces live on one nsfs device: type + inode name a live one.
struct ns_key {
    ns_type type = ns_type::mnt;
    std::uint64_t ino = 0;
    friend auto operator<=>(const ns_key&, const ns_key&) = default;
};

struct tracked_ns {
    sys::ns_identity identity{};
    watch_clock::time_point since{};
    bool before_start = false;  // in the first snapshot: its age is unknown
    std::set<pid_t> pids{};     // processes known to be in it
    bool had_processes = false; // a "held" event is due when the last one leaves
};

// A process's namespace inodes, per watched type (0: unknown).
using ns_inodes = std::array<std::uint64_t, sys::ns_type_count>;

struct watcher::state {
    watch_options opt;
    std::array<bool, sys::ns_type_count> watched{};
    sys::proc_connector connector;
    watch_sources sources;
    unique_fd proc;   // the /proc directory
    unique_fd route;  // NETLINK_ROUTE, for nsids
    std::uint64_t nsfs_dev = 0;
    owner_finder owners;
    std::map<ns_key, tracked_ns> namespaces;
    std::unordered_map<pid_t, ns_inodes> processes;
    std::deque<watch_event> queue;
    watch_clock::time_point started{}, last_scan{};
    bool scan_soon = false; // an exit left a namespace without known processes
    bool scan_now = false;  // events were lost
    std::size_t rescans = 0;
    std::vector<sys::proc_event> batch;

    // watch.cpp: process events.
    void on_events(std::vector<sys::proc_event>& events);
    void track_process(pid_t pid);
    void drop_process(pid_t pid);
    watch_event event(watch_event_kind k, watch_source src, const sys::ns_identity& id) const;
    void describe_new(int pid_dir, pid_t pid, const ns_key& key, watch_event& e);
    void leave(pid_t pid, const ns_key& key, watch_source src);
    watch_clock::time_point next_scan() const noexcept;

    // watch_rescan.cpp: full rescans.
    void rescan(watch_source src, bool emit, std::error_code& ec);
    void disappear(std::map<ns_key, tracked_ns>::iterator it, watch_source src, std::error_code uncertain);
    std::string container_of(pid_t pid);
};

// The comm of /proc/PID (dirfd of /proc): "" when unreadable.
std::string read_comm(int proc_fd, pid_t pid);

} // namespace nskit::inspect
