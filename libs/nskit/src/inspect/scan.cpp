// inspect::scan(): the phases (scanner.hpp) and the snapshot's lookups.
// Hot path: one O_PATH dirfd per process, everything else relative to it,
// no iostreams, fixed buffers; one fd per *distinct* namespace, for the ioctls.
#include "scanner.hpp"

#include <nskit/sys/error.hpp>

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <linux/netlink.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <thread>

namespace nskit::inspect {
namespace detail {
namespace {

using nskit::detail::last_error;

} // namespace

bool scanner::open_proc(std::error_code& ec)
{
    struct statfs sf{};
    if (opt_.proc == nullptr || ::statfs(opt_.proc, &sf) != 0 || sf.f_type != PROC_SUPER_MAGIC) {
        ec = make_error_code(error::proc_not_mounted);
        return false;
    }
    proc_.reset(::open(opt_.proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!proc_) {
        ec = last_error();
        return false;
    }
    struct stat st{};
    if (::fstatat(proc_.get(), "self/ns/user", &st, 0) == 0)
        nsfs_dev_ = static_cast<std::uint64_t>(st.st_dev);
    if (opt_.netnsid) {
        nl_.reset(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
        if (!nl_)
            nl_error_ = last_error();
    }
    return true;
}

void scanner::find_targets()
{
    for (const auto& t : opt_.targets) {
        target_ref r{&t, 0, {}};
        r.proc_pid = pid_in_proc(proc_.get(), t.pidfd(), r.error);
        if (!r.error && r.proc_pid <= 0) // reaped, or not visible in this /proc
            r.error = std::make_error_code(std::errc::no_such_process);
        if (r.error)
            snap_.lost_targets.push_back({t.pid(), r.error});
        targets_.push_back(r);
    }
}

std::vector<pid_t> scanner::pids_to_read()
{
    std::vector<pid_t> pids;
    pids.reserve(1024);
    if (opt_.pids.empty() && !opt_.targets_only) {
        // A listing cut short hides processes: a gap of its own, naming no process
        if (auto err = for_each_number(proc_.get(), [&](int pid, const char*) { pids.push_back(pid); }))
            snap_.gaps.push_back({gap_kind::listing, err, 0, 0});
    } else {
        pids = opt_.pids;
        for (const auto& t : targets_)
            if (!t.error)
                pids.push_back(t.proc_pid);
        pids.push_back(1); // for `initial`
        pids.push_back(2);
    }
    std::sort(pids.begin(), pids.end());
    pids.erase(std::unique(pids.begin(), pids.end()), pids.end());
    return pids;
}

// Phase 1 over worker threads; phase 2's first step (add_process, in pid
// order, on this thread only) starts as soon as the first processes are
// read: this thread takes chunks of phase 1 only while the next process in
// order is not ready, so no core idles while phase 2 runs on its own.
void scanner::read_all(const std::vector<pid_t>& pids, std::vector<raw_process>& raw)
{
    std::vector<std::atomic<bool>> ready(pids.size());
    unsigned workers = opt_.workers;
    if (pids.size() < 64)
        workers = 1; // not worth a thread
    else if (workers == 0)
        workers = std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
    std::atomic<std::size_t> next{0};
    const read_context ctx{opt_, proc_.get(), ::getpid(), nsfs_dev_, targets_};
    constexpr std::size_t chunk = 16;
    auto take_chunk = [&] { // false when no chunk is left
        const std::size_t i = next.fetch_add(chunk);
        if (i >= pids.size())
            return false;
        for (std::size_t j = i; j < std::min(i + chunk, pids.size()); ++j) {
            read_process(ctx, pids[j], raw[j]);
            ready[j].store(true, std::memory_order_release);
            ready[j].notify_one();
        }
        return true;
    };
    std::vector<std::thread> threads;
    try {
        for (unsigned w = 1; w < workers; ++w)
            threads.emplace_back([&] {
                while (take_chunk()) {
                }
            });
    } catch (const std::system_error&) {
        // no thread: the caller's thread does all of it
    }
    std::exception_ptr failure;
    try {
        snap_.processes.reserve(pids.size());
        for (std::size_t i = 0; i < raw.size(); ++i) {
            while (!ready[i].load(std::memory_order_acquire))
                if (!take_chunk())
                    ready[i].wait(false, std::memory_order_acquire);
            if (raw[i].present) {
                const std::size_t pidx = snap_.processes.size();
                add_process(raw[i]);
                if (!opt_.details)
                    fill_if_first(pidx);
            }
            else if (raw[i].target_lost)
                lose_target(raw[i]);
        }
    } catch (...) {
        failure = std::current_exception();
        next.store(pids.size()); // the workers stop after their chunk
    }
    for (auto& t : threads)
        t.join();
    if (failure)
        std::rethrow_exception(failure);
}

void scanner::run(std::error_code& ec)
{
    if (!open_proc(ec))
        return;
    find_targets();
    list_kernel_mount_namespaces();
    const std::vector<pid_t> pids = pids_to_read();
    std::vector<raw_process> raw(pids.size());
    read_all(pids, raw);
    for (auto& r : raw)
        if (r.present)
            add_fds(r);
    if (opt_.mounts)
        scan_mounts();
    check_kernel_mount_list();
    if (!opt_.details)
        fill_details();
    finish();
    for (const auto& t : targets_) {
        const auto lost = std::find_if(snap_.lost_targets.begin(), snap_.lost_targets.end(),
                                       [&](const lost_target& l) { return l.pid == t.process->pid(); });
        const process_info* p = lost == snap_.lost_targets.end() ? snap_.find_process(t.proc_pid) : nullptr;
        snap_.targets.push_back(p ? static_cast<std::size_t>(p - snap_.processes.data()) : snapshot::npos);
    }
}

void scanner::lose_target(const raw_process& r)
{
    for (const auto& t : targets_)
        if (t.proc_pid == r.info.pid)
            snap_.lost_targets.push_back({t.process->pid(), r.target_error});
}

bool scanner::helper(pid_t pid) const
{
    // PID 1 and 2 are read for `initial` only when the scan is restricted:
    // what they hide is not part of the answer.
    return (!opt_.pids.empty() || opt_.targets_only) && (pid == 1 || pid == 2) &&
           std::find(opt_.pids.begin(), opt_.pids.end(), pid) == opt_.pids.end() &&
           std::none_of(targets_.begin(), targets_.end(), [&](const target_ref& t) { return t.proc_pid == pid; });
}

} // namespace detail

std::string_view to_string(gap_kind k) noexcept
{
    switch (k) {
    case gap_kind::namespaces: return "namespaces";
    case gap_kind::threads: return "threads";
    case gap_kind::fds: return "fds";
    case gap_kind::sockets: return "sockets";
    case gap_kind::mounts: return "mounts";
    case gap_kind::kernel_list: return "kernel_list";
    case gap_kind::listing: return "listing";
    }
    return "?";
}

void snapshot::add_gap(gap_kind kind, pid_t pid, std::error_code error)
{
    if (kind == gap_kind::fds || kind == gap_kind::sockets) {
        ++holders_unknown;
        if (!holders_error)
            holders_error = error;
    }
    for (auto& g : gaps)
        if (g.kind == kind && g.error == error) {
            ++g.count;
            g.first_pid = std::min(g.first_pid, pid);
            return;
        }
    gaps.push_back({kind, error, 1, pid});
}

const process_info* snapshot::find_process(pid_t pid) const noexcept
{
    auto it = std::lower_bound(processes.begin(), processes.end(), pid,
                               [](const process_info& p, pid_t v) { return p.pid < v; });
    return it != processes.end() && it->pid == pid && !it->is_thread() ? &*it : nullptr;
}

std::size_t snapshot::find(const sys::ns_inode& inode) const noexcept
{
    for (std::size_t i = 0; i < namespaces.size(); ++i)
        if (namespaces[i].identity.inode == inode)
            return i;
    return npos;
}

std::size_t snapshot::find_id(std::uint64_t id) const noexcept
{
    for (std::size_t i = 0; i < namespaces.size() && id != 0; ++i)
        if (namespaces[i].identity.id == id)
            return i;
    return npos;
}

std::size_t snapshot::find_inode(std::uint64_t ino) const noexcept
{
    for (std::size_t i = 0; i < namespaces.size(); ++i)
        if (namespaces[i].identity.inode.ino == ino)
            return i;
    return npos;
}

snapshot scan(const scan_options& options, std::error_code& ec)
{
    ec.clear();
    snapshot s;
    detail::scanner(options, s).run(ec);
    return s;
}

snapshot scan(const scan_options& options)
{
    std::error_code ec;
    auto s = scan(options, ec);
    throw_if(ec, op_kind::proc_read, std::string("scan(") + (options.proc ? options.proc : "null") + ")");
    return s;
}

} // namespace nskit::inspect
