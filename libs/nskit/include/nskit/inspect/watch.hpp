// nskit/inspect/watch.hpp — namespaces changing live: what appears,
// disappears, and who enters and leaves, from the kernel's process events
// (sys::proc_connector) and bounded rescans (inspect::scan).
//
// What is seen at once and what only at the next rescan is in
// doc/inspect.md, "Watching".
#pragma once

#include <nskit/inspect/namespace.hpp>
#include <nskit/inspect/scan.hpp>
#include <nskit/sys/ns_identity.hpp>

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>
#include <nskit/export.hpp>

NSKIT_API_BEGIN
namespace nskit::inspect {

enum class watch_event_kind {
    exists,      // in the first snapshot (watch_options::initial)
    appeared,    // a namespace that was not there before
    disappeared, // it is gone
    entered,     // a process already watched moved into it (setns/unshare, seen at exec or a rescan)
    left,        // ... and out of the one it was in before
    held,        // its last process left, but something else still holds it (watch_event::holders)
    lost,        // events were lost (the connector overran): a full rescan follows at once
    source_off,  // an event source is unavailable (watch_event::error says why): rescans only
};
std::string_view to_string(watch_event_kind k) noexcept;

// What revealed an event, which bounds how late it can be.
enum class watch_source {
    initial,   // the first snapshot
    connector, // a fork/exec/exit event, at once
    rescan,    // a rescan: one triggered by an exit (watch_options::settle) or the periodic one (interval)
};
std::string_view to_string(watch_source s) noexcept;

// One thing that keeps a namespace alive (ns_reference, with the other
// namespace it names given by identity, not an index).
struct watch_holder {
    holder_kind kind = holder_kind::process;
    pid_t pid = 0;            // process, thread, for_children, fd, socket
    int fd = -1;              // fd, socket
    std::string command{};    // the process's comm where read
    std::string path{};       // bind_mount: the mount point as seen in mount_ns
    std::optional<sys::ns_identity> other{}; // bind_mount: its mount namespace; child/owner: that namespace
};

struct watch_event {
    watch_event_kind kind = watch_event_kind::appeared;
    watch_source source = watch_source::rescan;
    std::chrono::system_clock::time_point time{}; // when the watcher saw it
    sys::ns_identity identity{};                  // identity.type is the namespace's type
    maybe<sys::ns_identity> owner{};              // the owning user namespace (none for the initial one)
    maybe<std::int32_t> netnsid{};                // net: as the caller's net namespace numbers it, where assigned
    // exists/appeared: the first holder; held: everything that holds it.
    std::vector<watch_holder> holders{};
    std::string container{};                      // exists/appeared: container_text of the first process's, "" if none
    pid_t pid = 0;                                // entered/left: the process
    // disappeared: since it appeared; nullopt when it existed before the
    // watch began (then lifetime_at_least is the watch's age).
    std::optional<std::chrono::nanoseconds> lifetime{};
    std::chrono::nanoseconds lifetime_at_least{};
    // disappeared: concluded from a partial scan (some processes, fds or
    // mounts unreadable): something unseen may still hold it; why here.
    std::error_code uncertain{};
    std::string_view source_name{}; // lost, source_off: "proc connector"
    std::error_code error{};        // lost: ENOBUFS; source_off: why (EPERM ...), with op_kind::proc_connector
};

struct watch_options {
    std::vector<ns_type> types{};  // empty: every type
    // The periodic full rescan: catches unshare/setns without exec, fds,
    // bind mounts and sockets, which no event announces.
    std::chrono::milliseconds interval{2000};
    // After a process exit left a namespace without known processes, the
    // rescan that decides "disappeared" or "held" runs this long after the
    // previous scan at the earliest (bounds the scans' cost under load).
    std::chrono::milliseconds settle{250};
    bool initial = true;       // the first events describe what exists (watch_event_kind::exists)
    bool connector = true;     // use the proc connector (off: rescans only)
    int receive_buffer = 0;    // the connector's SO_RCVBUF (0: default, which grows to 4 MiB)
    bool containers = true;    // appeared: the first process's container (reads its cgroup)
    scan_options scan{};       // how rescans read /proc (fds, mounts, sockets ...); details are turned off
};

// Which sources the watch runs on.
struct watch_sources {
    bool connector = false;
    std::error_code connector_error{}; // why not (op_kind::proc_connector)
};

class watcher {
public:
    watcher() noexcept;
    watcher(watcher&&) noexcept;
    watcher& operator=(watcher&&) noexcept;
    ~watcher();

    // Subscribe to the connector (a refusal is no error: the watch goes on
    // with rescans only, and the first event is a source_off), then take the
    // first snapshot.  Errors: the first scan's (nskit::error::proc_not_mounted
    // ...); EINVAL for a zero interval or a negative receive_buffer.
    static watcher start(const watch_options& options, std::error_code& ec);
    static watcher start(const watch_options& options = {});

    // Wait up to `timeout` for events and append them to `out` (in order;
    // per namespace: appeared or exists, entered/left, held, disappeared).
    // Returns early, with nothing appended, when `wake_fd` (>= 0) becomes
    // readable (a signalfd, say) or poll is interrupted (EINTR is not an
    // error).  Errors: a rescan that failed as a whole.
    void wait(std::vector<watch_event>& out, std::chrono::milliseconds timeout, std::error_code& ec,
              int wake_fd = -1);
    void wait(std::vector<watch_event>& out, std::chrono::milliseconds timeout, int wake_fd = -1);

    const watch_sources& sources() const noexcept;
    std::size_t namespace_count() const noexcept; // live namespaces it tracks (of the watched types)
    std::size_t rescans() const noexcept;         // full rescans so far, the first snapshot included
    // The live namespaces it tracks, sorted (for comparing with a scan).
    std::vector<sys::ns_identity> live() const;

private:
    struct state;
    explicit watcher(std::unique_ptr<state> s) noexcept;
    void drain();
    std::unique_ptr<state> s_;
};

} // namespace nskit::inspect
NSKIT_API_END
