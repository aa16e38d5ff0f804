// inspect::watcher: the public side, the wait loop, and what process events
// (fork, exec, exit) change at once.  Rescans are in watch_rescan.cpp.
#include <nskit/inspect/watch.hpp>

#include "scanner.hpp"
#include "watch_state.hpp"

#include <nskit/sys/error.hpp>
#include <nskit/sys/nsfs.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <linux/netlink.h>

namespace nskit::inspect {

using nskit::detail::last_error;

std::string_view to_string(watch_event_kind k) noexcept
{
    switch (k) {
    case watch_event_kind::exists: return "exists";
    case watch_event_kind::appeared: return "appeared";
    case watch_event_kind::disappeared: return "disappeared";
    case watch_event_kind::entered: return "entered";
    case watch_event_kind::left: return "left";
    case watch_event_kind::held: return "held";
    case watch_event_kind::lost: return "lost";
    case watch_event_kind::source_off: return "source-off";
    }
    return "?";
}

std::string_view to_string(watch_source s) noexcept
{
    switch (s) {
    case watch_source::initial: return "initial";
    case watch_source::connector: return "connector";
    case watch_source::rescan: return "rescan";
    }
    return "?";
}

std::string read_comm(int proc_fd, pid_t pid)
{
    char path[32];
    std::snprintf(path, sizeof path, "%d/comm", static_cast<int>(pid));
    const unique_fd fd(::openat(proc_fd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd)
        return {};
    char buf[64];
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n <= 0)
        return {};
    std::string s(buf, static_cast<std::size_t>(n));
    if (!s.empty() && s.back() == '\n')
        s.pop_back();
    return s;
}

namespace {

// The inodes of the watched types of /proc/PID/ns; false when the process
// is gone (or unreadable).  pid_dir: /proc/PID, kept for describing.
bool read_inodes(int proc_fd, pid_t pid, const std::array<bool, sys::ns_type_count>& watched, ns_inodes& out,
                 unique_fd& pid_dir)
{
    char path[16];
    std::snprintf(path, sizeof path, "%d", static_cast<int>(pid));
    pid_dir.reset(::openat(proc_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
    if (!pid_dir)
        return false;
    detail::links l;
    bool any = false;
    for (std::size_t t = 0; t < sys::ns_type_count; ++t) {
        out[t] = 0;
        if (watched[t] && detail::read_link(pid_dir.get(), t, l)) {
            out[t] = l.ino[t];
            any = true;
        }
    }
    return any;
}

} // namespace

watch_event watcher::state::event(watch_event_kind k, watch_source src, const sys::ns_identity& id) const
{
    watch_event e;
    e.kind = k;
    e.source = src;
    e.time = std::chrono::system_clock::now();
    e.identity = id;
    return e;
}

// Identity, owner and nsid of a namespace first seen in process `pid`, and the process itself.
void watcher::state::describe_new(int pid_dir, pid_t pid, const ns_key& key, watch_event& e)
{
    std::error_code ec;
    const unique_fd fd(::openat(pid_dir, detail::ns_entries()[static_cast<std::size_t>(key.type)].path,
                                O_RDONLY | O_CLOEXEC));
    if (fd) {
        e.identity = sys::identify(fd.get(), ec);
        const unique_fd owner = sys::ns_get_userns(fd.get(), ec);
        if (owner)
            e.owner.value = sys::identify(owner.get(), ec);
        else if (!(key.type == ns_type::user && ec == std::errc::operation_not_permitted)) // the initial one's
            e.owner.error = ec;
        if (key.type == ns_type::net && opt.scan.netnsid) {
            if (!route) {
                e.netnsid.error = std::error_code(EBADF, std::system_category());
            } else if (const std::int32_t id = detail::get_nsid(route.get(), fd.get(), ec); ec) {
                e.netnsid.error = ec;
            } else if (id >= 0) {
                e.netnsid.value = id;
            }
        }
    }
    if (!fd || e.identity.inode.ino != key.ino) { // gone meanwhile: what the link said
        e.identity = {key.type, {nsfs_dev, key.ino}, 0};
        e.owner = {};
        e.owner.error = fd ? std::error_code(ESRCH, std::system_category()) : last_error();
    }
    watch_holder h;
    h.pid = pid;
    h.command = read_comm(proc.get(), pid);
    e.holders.push_back(std::move(h));
    if (opt.containers)
        e.container = container_of(pid);
}

void watcher::state::leave(pid_t pid, const ns_key& key, watch_source src)
{
    auto it = namespaces.find(key);
    if (it == namespaces.end())
        return;
    it->second.pids.erase(pid);
    if (src != watch_source::rescan && it->second.pids.empty())
        scan_soon = true;
}

// Read a process's namespaces: new ones appear, a changed one is a left + entered.
void watcher::state::track_process(pid_t pid)
{
    ns_inodes now{};
    unique_fd dir;
    if (!read_inodes(proc.get(), pid, watched, now, dir))
        return;
    auto known = processes.find(pid);
    for (std::size_t t = 0; t < sys::ns_type_count; ++t) {
        if (!now[t])
            continue;
        const ns_key key{static_cast<ns_type>(t), now[t]};
        auto it = namespaces.find(key);
        if (it != namespaces.end() && it->second.pids.empty()) {
            // Without a known process it may have died and its inode been
            // reused: the id says (NS_GET_ID never repeats).
            watch_event probe = event(watch_event_kind::appeared, watch_source::connector, {});
            describe_new(dir.get(), pid, key, probe);
            if (probe.identity.id && it->second.identity.id && probe.identity.id != it->second.identity.id) {
                disappear(it, watch_source::connector, {});
                it = namespaces.end();
            }
        }
        if (it == namespaces.end()) {
            watch_event e = event(watch_event_kind::appeared, watch_source::connector, {});
            describe_new(dir.get(), pid, key, e);
            tracked_ns n;
            n.identity = e.identity;
            n.since = watch_clock::now();
            it = namespaces.emplace(key, std::move(n)).first;
            queue.push_back(std::move(e));
        }
        if (known != processes.end() && known->second[t] && known->second[t] != now[t]) {
            const ns_key old{key.type, known->second[t]};
            if (auto o = namespaces.find(old); o != namespaces.end()) {
                watch_event e = event(watch_event_kind::left, watch_source::connector, o->second.identity);
                e.pid = pid;
                queue.push_back(std::move(e));
                leave(pid, old, watch_source::connector);
            }
            watch_event e = event(watch_event_kind::entered, watch_source::connector, it->second.identity);
            e.pid = pid;
            queue.push_back(std::move(e));
        }
        it->second.pids.insert(pid);
        it->second.had_processes = true;
    }
    processes[pid] = now;
}

void watcher::state::drop_process(pid_t pid)
{
    auto known = processes.find(pid);
    if (known == processes.end())
        return;
    for (std::size_t t = 0; t < sys::ns_type_count; ++t)
        if (known->second[t])
            leave(pid, {static_cast<ns_type>(t), known->second[t]}, watch_source::connector);
    processes.erase(known);
}

void watcher::state::on_events(std::vector<sys::proc_event>& events)
{
    for (const auto& e : events) {
        if (e.is_thread())
            continue;
        switch (e.what) {
        case sys::proc_event::kind::fork:
        case sys::proc_event::kind::exec: track_process(e.pid); break;
        case sys::proc_event::kind::exit: drop_process(e.pid); break;
        }
    }
    events.clear();
}

watch_clock::time_point watcher::state::next_scan() const noexcept
{
    if (scan_now)
        return last_scan;
    auto next = last_scan + opt.interval;
    if (scan_soon)
        next = std::min(next, last_scan + opt.settle);
    return next;
}

watcher::watcher() noexcept = default;
watcher::watcher(std::unique_ptr<state> s) noexcept : s_(std::move(s)) {}
watcher::watcher(watcher&&) noexcept = default;
watcher& watcher::operator=(watcher&&) noexcept = default;
watcher::~watcher() = default;

watcher watcher::start(const watch_options& options, std::error_code& ec)
{
    ec.clear();
    if (options.interval.count() <= 0 || options.settle.count() < 0 || options.receive_buffer < 0) {
        ec = std::error_code(EINVAL, std::system_category());
        return {};
    }
    auto s = std::make_unique<state>();
    s->opt = options;
    for (std::size_t t = 0; t < sys::ns_type_count; ++t)
        s->watched[t] = options.types.empty() ||
                        std::find(options.types.begin(), options.types.end(), static_cast<ns_type>(t)) !=
                            options.types.end();
    s->proc.reset(::open(options.scan.proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!s->proc) {
        ec = make_error_code(error::proc_not_mounted, errno);
        return {};
    }
    struct stat st{};
    if (::fstatat(s->proc.get(), "self/ns/user", &st, 0) == 0)
        s->nsfs_dev = static_cast<std::uint64_t>(st.st_dev);
    if (options.scan.netnsid)
        s->route.reset(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
    if (options.connector) {
        // Subscribe before the snapshot: nothing falls between the two.
        s->connector = sys::proc_connector::open(s->sources.connector_error, options.receive_buffer);
        s->sources.connector = s->connector.is_open();
        if (!s->sources.connector) {
            watch_event e = s->event(watch_event_kind::source_off, watch_source::initial, {});
            e.source_name = "proc connector";
            e.error = s->sources.connector_error;
            s->queue.push_back(std::move(e));
        }
    }
    s->started = watch_clock::now();
    s->rescan(watch_source::initial, options.initial, ec);
    if (ec)
        return {};
    return watcher(std::move(s));
}

watcher watcher::start(const watch_options& options)
{
    std::error_code ec;
    auto w = start(options, ec);
    throw_if(ec, op_kind::proc_read, "watcher start (first scan of " + std::string(options.scan.proc) + ")");
    return w;
}

void watcher::wait(std::vector<watch_event>& out, std::chrono::milliseconds timeout, std::error_code& ec,
                   int wake_fd)
{
    ec.clear();
    if (!s_) {
        ec = std::error_code(EBADF, std::system_category());
        return;
    }
    const auto deadline = watch_clock::now() + timeout;
    for (;;) {
        if (!s_->queue.empty()) {
            std::move(s_->queue.begin(), s_->queue.end(), std::back_inserter(out));
            s_->queue.clear();
            return;
        }
        const auto now = watch_clock::now();
        if (const auto next = s_->next_scan(); now >= next) {
            s_->rescan(watch_source::rescan, true, ec);
            if (ec)
                return;
            continue;
        }
        if (now >= deadline)
            return;
        const auto until = std::min(deadline, s_->next_scan());
        const auto ms = std::chrono::ceil<std::chrono::milliseconds>(until - now).count();
        pollfd p[2] = {{s_->connector.fd(), POLLIN, 0}, {wake_fd, POLLIN, 0}}; // fd -1: ignored by poll
        const int r = ::poll(p, 2, static_cast<int>(std::min<long long>(ms, 60000)));
        if (r < 0) {
            if (errno != EINTR)
                ec = last_error();
            return;
        }
        if (wake_fd >= 0 && p[1].revents)
            return;
        if (p[0].revents)
            drain();
    }
}

void watcher::wait(std::vector<watch_event>& out, std::chrono::milliseconds timeout, int wake_fd)
{
    std::error_code ec;
    wait(out, timeout, ec, wake_fd);
    throw_if(ec, op_kind::proc_read, "watcher wait (rescan of /proc)");
}

// Read the connector: events change the state at once; an overrun is a
// `lost` event and a rescan now; any other failure turns the connector off.
void watcher::drain()
{
    auto& s = *s_;
    std::error_code ec;
    s.connector.read(s.batch, ec);
    s.on_events(s.batch);
    if (ec == std::errc::no_buffer_space) {
        watch_event e = s.event(watch_event_kind::lost, watch_source::connector, {});
        e.source_name = "proc connector";
        e.error = ec;
        s.queue.push_back(std::move(e));
        s.scan_now = true;
    } else if (ec) {
        watch_event e = s.event(watch_event_kind::source_off, watch_source::connector, {});
        e.source_name = "proc connector";
        e.error = ec;
        s.queue.push_back(std::move(e));
        s.connector = {};
        s.sources = {false, ec};
    }
}

const watch_sources& watcher::sources() const noexcept
{
    static const watch_sources none{};
    return s_ ? s_->sources : none;
}

std::size_t watcher::namespace_count() const noexcept { return s_ ? s_->namespaces.size() : 0; }
std::size_t watcher::rescans() const noexcept { return s_ ? s_->rescans : 0; }

std::vector<sys::ns_identity> watcher::live() const
{
    std::vector<sys::ns_identity> v;
    if (s_)
        for (const auto& [k, n] : s_->namespaces)
            v.push_back(n.identity);
    std::sort(v.begin(), v.end());
    return v;
}

} // namespace nskit::inspect
