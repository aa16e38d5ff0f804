// Phase 2 of the scan, second half: namespaces held by fds, sockets and nsfs
// bind mounts; details of the processes shown; the finished snapshot.
#include "safe_open.hpp"
#include "scanner.hpp"

#include <nskit/inspect/detail/proc_text.hpp>
#include <nskit/sys/error.hpp>
#include <nskit/sys/nsfs.hpp>
#include <nskit/sys/pidfd.hpp>

#include <fcntl.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <tuple>

namespace nskit::inspect::detail {
namespace {

constexpr std::size_t none = process_info::none;

} // namespace

// An nsfs fd: identified by opening it (NS_GET_NSTYPE), not by its link
// text, which is a path when it was opened through a bind mount.
void scanner::add_fd(pid_t pid, const fd_hold& f)
{
    char rel[64];
    std::snprintf(rel, sizeof rel, "%d/fd/%d", pid, f.fd);
    std::size_t ns = none;
    if (auto it = by_ino_.find(f.ino); it != by_ino_.end())
        ns = it->second;
    std::error_code ec;
    if (ns == none) {
        const unique_fd fd = open_nsfs(proc_.get(), rel, path_rule::magic_link, f.ino, proc_.get(), ec);
        const ns_type type = ec ? ns_type::mnt : sys::ns_get_nstype(fd.get(), ec);
        if (!ec)
            ns = describe(fd.get(), type);
    }
    if (ns == none) {
        if (gone(ec) || ec.value() == ESTALE || ec == nskit::error::not_a_namespace)
            return; // closed or replaced meanwhile
        std::error_code link_ec;
        const std::string text = read_link_at(proc_.get(), rel, link_ec);
        ns_type type;
        std::uint64_t ino = 0;
        if (link_ec || !parse_ns_link(text, type, ino) || ino != f.ino) {
            snap_.add_gap(gap_kind::fds, pid, ec); // an nsfs fd of unknown type
            return;
        }
        ns = unopened(type, f.ino, ec);
    }
    snap_.namespaces[ns].holders.push_back({holder_kind::fd, pid, pid, f.fd});
}

void scanner::add_socket(pid_t pid, const fd_hold& f, unique_fd& pidfd)
{
    if (!sockets_seen_.insert(f.ino).second)
        return; // one socket, many fds (fork, dup): its namespace is known
    std::error_code ec;
    if (!pidfd) {
        pidfd = sys::pidfd_open(pid, ec);
        if (ec) {
            if (!gone(ec))
                snap_.add_gap(gap_kind::sockets, pid, ec);
            sockets_seen_.erase(f.ino);
            return;
        }
    }
    auto sock = sys::pidfd_getfd(pidfd.get(), f.fd, ec);
    if (ec) {
        if (ec != std::errc::bad_file_descriptor && !gone(ec)) // EBADF: closed meanwhile
            snap_.add_gap(gap_kind::sockets, pid, ec);
        sockets_seen_.erase(f.ino);
        return;
    }
    struct stat st{};
    if (::fstat(sock.get(), &st) != 0 || st.st_ino != f.ino)
        return; // the fd number now names something else
    unique_fd netns(::ioctl(sock.get(), SIOCGSKNS));
    if (!netns) {
        snap_.add_gap(gap_kind::sockets, pid, nskit::detail::last_error());
        return;
    }
    const std::size_t ns = describe(netns.get(), ns_type::net);
    if (ns != none)
        snap_.namespaces[ns].holders.push_back({holder_kind::socket, pid, pid, f.fd});
}

void scanner::add_fds(const raw_process& r)
{
    unique_fd pidfd; // opened once, for the first unseen socket
    for (const auto& f : r.fds) {
        if (f.socket)
            add_socket(r.info.pid, f, pidfd);
        else
            add_fd(r.info.pid, f);
    }
}

// The nsfs entries of one mount table; each namespace opened through the
// process's root without following a symlink (the mount point may have been
// covered, or swapped for a symlink or a FIFO, by whoever owns that root).
void scanner::add_mounts_of(std::size_t mntns, pid_t pid, std::string_view text)
{
    char rootpath[32];
    std::snprintf(rootpath, sizeof rootpath, "%d/root", pid);
    unique_fd root;
    while (!text.empty()) {
        const auto eol = text.find('\n');
        const std::string_view line = text.substr(0, eol);
        text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
        mountinfo_entry m;
        ns_type type;
        std::uint64_t ino = 0;
        if (!parse_mountinfo_line(line, m) || m.fstype != "nsfs" || !parse_ns_link(m.root, type, ino))
            continue;
        std::size_t ns = none;
        if (auto it = by_ino_.find(ino); it != by_ino_.end())
            ns = it->second;
        std::error_code ec;
        if (ns == none && !root && !(root = unique_fd(::openat(proc_.get(), rootpath, O_PATH | O_DIRECTORY | O_CLOEXEC))))
            ec = nskit::detail::last_error();
        if (ns == none && !ec) {
            const unique_fd fd = open_nsfs(root.get(), m.mount_point, path_rule::in_root, ino, proc_.get(), ec);
            if (!ec)
                ns = describe(fd.get(), type);
        }
        if (ns == none)
            ns = unopened(type, ino, ec ? ec : std::make_error_code(std::errc::bad_file_descriptor));
        ns_reference r{holder_kind::bind_mount, pid, pid};
        r.mount_ns = mntns;
        r.path = std::move(m.mount_point);
        snap_.namespaces[ns].holders.push_back(std::move(r));
    }
}

// nsfs bind mounts, in every mount namespace a process is in.
void scanner::scan_mounts()
{
    for (auto& r : mount_ns_reader_) {
        if (r.error) {
            if (!gone(r.error))
                snap_.add_gap(gap_kind::mounts, r.pid, r.error);
            continue;
        }
        add_mounts_of(r.mntns, r.pid, r.text);
        std::string().swap(r.text);
    }
}

// While phase 1 still runs on the other threads: a process that is the
// first (lowest pid) in one of its namespaces is that namespace's
// representative, so its details are read now rather than in the serial
// tail after the scan (fill_details then finds it done).
void scanner::fill_if_first(std::size_t pidx)
{
    auto& p = snap_.processes[pidx];
    bool first = p.pid == 1 || p.pid == 2;
    for (std::size_t k = 0; k < sys::ns_type_count && !first; ++k)
        first = p.ns[k] != process_info::none && snap_.namespaces[p.ns[k]].processes.front() == pidx;
    if (first && p.command.empty() && p.state != process_state::zombie && !p.details_error)
        fill_one(p);
}

// Without scan_options::details: command, ppid and state of the first
// process of each namespace, and of PID 1 and 2 (to find a kernel thread).
void scanner::fill_details()
{
    std::vector<std::size_t> want;
    for (const auto& n : snap_.namespaces)
        if (!n.processes.empty())
            want.push_back(n.processes.front());
    for (pid_t pid : {1, 2})
        if (auto* p = snap_.find_process(pid))
            want.push_back(static_cast<std::size_t>(p - snap_.processes.data()));
    std::sort(want.begin(), want.end());
    want.erase(std::unique(want.begin(), want.end()), want.end());
    for (std::size_t i : want) {
        auto& p = snap_.processes[i];
        if (p.command.empty() && p.state != process_state::zombie && !p.details_error)
            fill_one(p);
    }
}

// stat (and status, cmdline as asked) of one process, kept only if its user
// namespace link still matches what the scan saw (else it exited, and the
// pid may name another process now).
void scanner::fill_one(process_info& p)
{
    char name[48];
    std::snprintf(name, sizeof name, "%d/stat", p.pid);
    std::error_code ec;
    const std::string text = read_text_at(proc_.get(), name, ec);
    stat_fields f;
    if (ec || !parse_stat(text, f)) {
        p.details_error = ec ? ec : make_error_code(error::malformed_reply);
        return;
    }
    if (opt_.credentials && !p.euid) {
        std::snprintf(name, sizeof name, "%d/status", p.pid);
        const std::string status = read_text_at(proc_.get(), name, ec);
        take_credentials(p, status, ec);
    }
    std::string line;
    if (opt_.command_lines && !(f.flags & pf_kthread)) {
        std::snprintf(name, sizeof name, "%d/cmdline", p.pid);
        line = command_line_text(read_text_at(proc_.get(), name, ec));
    }
    std::snprintf(name, sizeof name, "%d/ns/user", p.pid);
    const std::string link = read_link_at(proc_.get(), name, ec);
    ns_type t;
    std::uint64_t ino = 0;
    const std::size_t u = p.ns[static_cast<std::size_t>(ns_type::user)];
    if (u != none && (ec || !parse_ns_link(link, t, ino) || ino != snap_.namespaces[u].identity.inode.ino)) {
        p.details_error = std::make_error_code(std::errc::no_such_process); // exited, pid reused
        p.euid.reset();
        p.cap_effective.reset();
        p.credentials_error = p.details_error;
        return;
    }
    take_stat(f, p);
    p.command_line = std::move(line);
}

// Drop namespaces met only through a process that then exited; fix indices.
void scanner::drop_unreferenced()
{
    auto& ns = snap_.namespaces;
    std::vector<char> keep(ns.size(), 0);
    std::vector<std::size_t> work;
    for (std::size_t i = 0; i < ns.size(); ++i)
        if (ns[i].has_processes() || !ns[i].holders.empty()) {
            keep[i] = 1;
            work.push_back(i);
        }
    while (!work.empty()) {
        const std::size_t i = work.back();
        work.pop_back();
        for (auto* m : {&ns[i].owner, &ns[i].parent})
            if (m->value && !keep[*m->value]) {
                keep[*m->value] = 1;
                work.push_back(*m->value);
            }
    }
    std::vector<std::size_t> map(ns.size(), none);
    std::size_t next = 0;
    for (std::size_t i = 0; i < ns.size(); ++i)
        if (keep[i])
            map[i] = next++;
    if (next == ns.size())
        return;
    std::vector<namespace_info> out;
    out.reserve(next);
    for (std::size_t i = 0; i < ns.size(); ++i)
        if (keep[i])
            out.push_back(std::move(ns[i]));
    ns = std::move(out);
    auto fix = [&](std::size_t& v) {
        if (v != none)
            v = map[v];
    };
    for (auto& n : ns) {
        for (auto* m : {&n.owner, &n.parent})
            if (m->value)
                fix(*m->value);
        for (auto& h : n.holders)
            fix(h.mount_ns);
    }
    for (auto& p : snap_.processes) {
        for (auto& v : p.ns)
            fix(v);
        fix(p.pid_for_children);
        fix(p.time_for_children);
    }
}

void scanner::finish()
{
    drop_unreferenced();
    // PID 1's namespaces; when PID 1 cannot be read (it may refuse even
    // root), a kernel thread's: they always live in the initial ones.
    const process_info* init = snap_.find_process(1);
    if (init == nullptr || init->ns[0] == none)
        for (const auto& p : snap_.processes)
            if (p.state == process_state::kernel_thread && p.ns[0] != none) {
                init = &p;
                break;
            }
    if (init != nullptr)
        for (std::size_t v : init->ns)
            if (v != none)
                snap_.namespaces[v].initial = true;
    std::sort(snap_.gaps.begin(), snap_.gaps.end(), [](const scan_gap& a, const scan_gap& b) {
        return std::tie(a.kind, a.first_pid) < std::tie(b.kind, b.first_pid);
    });
}

} // namespace nskit::inspect::detail
