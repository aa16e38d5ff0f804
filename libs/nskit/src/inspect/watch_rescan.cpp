// inspect::watcher's full rescans: a scan, compared with what the watcher
// knows.  Per namespace the events come in the order of the steps:
// appeared (or exists), entered/left, held, disappeared.
#include "watch_state.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

namespace nskit::inspect {

namespace {

std::size_t index_of(ns_type t) noexcept { return static_cast<std::size_t>(t); }

watch_holder holder_from(const snapshot& snap, const ns_reference& r)
{
    watch_holder h;
    h.kind = r.kind;
    h.pid = r.pid;
    h.fd = r.fd;
    h.path = r.path;
    const std::size_t other = r.kind == holder_kind::bind_mount ? r.mount_ns : r.other;
    if (other != ns_reference::npos && other < snap.namespaces.size())
        h.other = snap.namespaces[other].identity;
    if (const auto* p = snap.find_process(r.pid); p && r.pid > 0)
        h.command = p->command;
    return h;
}

// What keeps namespace i alive besides processes: its references, the
// namespaces it owns or is the parent of; "unseen" when the scan saw none.
std::vector<watch_holder> holders_of(const snapshot& snap, std::size_t i)
{
    std::vector<watch_holder> v;
    for (const auto& r : snap.namespaces[i].holders)
        v.push_back(holder_from(snap, r));
    for (std::size_t j = 0; j < snap.namespaces.size(); ++j) {
        const auto& n = snap.namespaces[j];
        if (j == i)
            continue;
        if (n.owner.value == i)
            v.push_back(holder_from(snap, {holder_kind::owner, 0, 0}));
        else if (n.parent.value == i)
            v.push_back(holder_from(snap, {holder_kind::child, 0, 0}));
        else
            continue;
        v.back().other = n.identity;
    }
    if (v.empty())
        v.push_back({holder_kind::unseen, 0, -1, {}, {}, {}});
    return v;
}

// The first holder: the lowest-pid process, else the first reference.
watch_holder first_holder(const snapshot& snap, std::size_t i)
{
    const auto& n = snap.namespaces[i];
    if (!n.processes.empty()) {
        const auto& p = snap.processes[n.processes.front()];
        watch_holder h;
        h.pid = p.pid;
        h.command = p.command;
        return h;
    }
    return holders_of(snap, i).front();
}

scan_options rescan_options(const scan_options& o)
{
    scan_options s = o;
    s.threads = false;
    s.details = false; // the lowest pid's command is still read: the first holder's
    s.command_lines = s.credentials = s.cgroups = false;
    s.pids.clear();
    s.targets = {};
    s.targets_only = false;
    s.workers = 1; // the watch's cost is CPU, not latency
    return s;
}

} // namespace

std::string watcher::state::container_of(pid_t pid)
{
    char path[32];
    std::snprintf(path, sizeof path, "%d/cgroup", static_cast<int>(pid));
    const unique_fd fd(::openat(proc.get(), path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd)
        return {};
    std::string text;
    char buf[4096];
    for (int i = 0; i < 16; ++i) { // bounded: cgroup files are a few lines
        const ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n <= 0)
            break;
        text.append(buf, static_cast<std::size_t>(n));
    }
    const auto& owner = owners.owner_of(text);
    return owner.container ? container_text(*owner.container) : std::string{};
}

void watcher::state::disappear(std::map<ns_key, tracked_ns>::iterator it, watch_source src,
                               std::error_code uncertain)
{
    watch_event e = event(watch_event_kind::disappeared, src, it->second.identity);
    const auto age = watch_clock::now() - it->second.since;
    if (it->second.before_start)
        e.lifetime_at_least = age;
    else
        e.lifetime = age;
    e.uncertain = uncertain;
    queue.push_back(std::move(e));
    namespaces.erase(it);
}

void watcher::state::rescan(watch_source src, bool emit, std::error_code& ec)
{
    snapshot snap = scan(rescan_options(opt.scan), ec);
    last_scan = watch_clock::now();
    scan_soon = scan_now = false;
    if (ec)
        return;
    ++rescans;
    const std::size_t first_new = queue.size();
    const auto kind = src == watch_source::initial ? watch_event_kind::exists : watch_event_kind::appeared;
    // 1. New namespaces (or an inode reused by a new one).
    std::map<ns_key, std::size_t> seen;
    for (std::size_t i = 0; i < snap.namespaces.size(); ++i) {
        const auto& n = snap.namespaces[i];
        if (!watched[index_of(n.type)])
            continue;
        const ns_key key{n.type, n.identity.inode.ino};
        seen.emplace(key, i);
        auto it = namespaces.find(key);
        if (it != namespaces.end() && n.identity.id && it->second.identity.id &&
            n.identity.id != it->second.identity.id) {
            disappear(it, src, {});
            it = namespaces.end();
        }
        if (it != namespaces.end())
            continue;
        watch_event e = event(kind, src, n.identity);
        if (n.owner.known())
            e.owner.value = snap.namespaces[*n.owner.value].identity;
        e.owner.error = n.owner.error;
        e.netnsid = n.netnsid;
        e.holders.push_back(first_holder(snap, i));
        if (opt.containers && e.holders.front().kind == holder_kind::process)
            e.container = container_of(e.holders.front().pid);
        tracked_ns t;
        t.identity = n.identity;
        t.since = watch_clock::now();
        t.before_start = src == watch_source::initial;
        namespaces.emplace(key, std::move(t));
        queue.push_back(std::move(e));
    }
    // 2. Processes that moved (setns/unshare without an event).
    std::unordered_map<pid_t, ns_inodes> now;
    for (const auto& p : snap.processes) {
        if (p.is_thread())
            continue;
        ns_inodes in{};
        for (std::size_t t = 0; t < sys::ns_type_count; ++t)
            if (watched[t] && p.ns[t] != process_info::none)
                in[t] = snap.namespaces[p.ns[t]].identity.inode.ino;
        if (auto known = processes.find(p.pid); known != processes.end()) {
            for (std::size_t t = 0; t < sys::ns_type_count; ++t) {
                if (!in[t] || !known->second[t] || in[t] == known->second[t])
                    continue;
                const ns_key old{static_cast<ns_type>(t), known->second[t]};
                if (auto o = namespaces.find(old); o != namespaces.end()) {
                    watch_event e = event(watch_event_kind::left, src, o->second.identity);
                    e.pid = p.pid;
                    queue.push_back(std::move(e));
                }
                const ns_key cur{static_cast<ns_type>(t), in[t]};
                if (auto c = namespaces.find(cur); c != namespaces.end()) {
                    watch_event e = event(watch_event_kind::entered, src, c->second.identity);
                    e.pid = p.pid;
                    queue.push_back(std::move(e));
                }
            }
        }
        now.emplace(p.pid, in);
    }
    processes = std::move(now);
    // 3. Who is in each namespace now; held or gone.
    const std::error_code uncertain = snap.partial() ? snap.gaps.front().error : std::error_code{};
    for (auto it = namespaces.begin(); it != namespaces.end();) {
        const auto s = seen.find(it->first);
        if (s == seen.end()) {
            auto next = std::next(it);
            disappear(it, src, uncertain);
            it = next;
            continue;
        }
        const auto& n = snap.namespaces[s->second];
        it->second.pids.clear();
        for (std::size_t p : n.processes)
            it->second.pids.insert(snap.processes[p].pid);
        if (!it->second.pids.empty() || !n.threads.empty()) {
            it->second.had_processes = true;
        } else if (it->second.had_processes) {
            it->second.had_processes = false;
            watch_event e = event(watch_event_kind::held, src, it->second.identity);
            e.holders = holders_of(snap, s->second);
            queue.push_back(std::move(e));
        }
        ++it;
    }
    if (!emit)
        queue.erase(queue.begin() + static_cast<std::ptrdiff_t>(first_new), queue.end());
}

} // namespace nskit::inspect
