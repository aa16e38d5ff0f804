// Phase 2 of the scan, first half: each distinct namespace is opened once
// and described (NS_GET_ID, owner, parent, nsid, mount count); processes and
// threads are attached to the namespaces their links name.
#include "safe_open.hpp"
#include "scanner.hpp"

#include <nskit/sys/error.hpp>
#include <nskit/sys/nsfs.hpp>
#include <nskit/sys/pidfd.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>

namespace nskit::inspect::detail {
namespace {

constexpr std::size_t none = process_info::none;

// The initial user and PID namespaces have fixed inode numbers
// (include/linux/proc_ns.h PROC_USER_INIT_INO, PROC_PID_INIT_INO, since 3.8).
// They tell "the root" from "a parent beyond the caller's reach" when the
// kernel answers EPERM for both.
constexpr std::uint64_t init_user_ino = 0xEFFFFFFDU;
constexpr std::uint64_t init_pid_ino = 0xEFFFFFFCU;

} // namespace

std::size_t scanner::new_namespace(ns_type type, std::uint64_t ino)
{
    const std::size_t idx = snap_.namespaces.size();
    snap_.namespaces.emplace_back();
    snap_.namespaces[idx].type = type;
    snap_.namespaces[idx].identity.type = type;
    snap_.namespaces[idx].identity.inode = {nsfs_dev_, ino};
    by_ino_.emplace(ino, idx);
    return idx;
}

// Owner (and, for user namespaces, the parent: they are the same).
void scanner::describe_owner(int fd, std::size_t idx, int depth)
{
    const ns_type type = snap_.namespaces[idx].type;
    std::error_code ec;
    auto ufd = sys::ns_get_userns(fd, ec);
    maybe<std::size_t> owner;
    if (ec) {
        // EPERM: the initial user namespace has no owner; any other's owner is
        // beyond the caller's reach: unknown, not "none".
        const bool root = type == ns_type::user && ec == std::errc::operation_not_permitted &&
                          snap_.namespaces[idx].identity.inode.ino == init_user_ino;
        if (!root)
            owner.error = ec;
    } else {
        const std::size_t o = describe(ufd.get(), ns_type::user, depth + 1);
        if (o != none)
            owner.value = o;
        else
            owner.error = std::make_error_code(std::errc::bad_file_descriptor);
    }
    snap_.namespaces[idx].owner = owner;
    if (type == ns_type::user)
        snap_.namespaces[idx].parent = owner;
}

void scanner::describe_parent(int fd, std::size_t idx, int depth)
{
    std::error_code ec;
    auto pfd = sys::ns_get_parent(fd, ec);
    maybe<std::size_t> parent;
    if (ec) {
        const bool root =
            ec == std::errc::operation_not_permitted && snap_.namespaces[idx].identity.inode.ino == init_pid_ino;
        if (!root)
            parent.error = ec;
    } else {
        const std::size_t p = describe(pfd.get(), ns_type::pid, depth + 1);
        if (p != none)
            parent.value = p;
        else
            parent.error = std::make_error_code(std::errc::bad_file_descriptor);
    }
    snap_.namespaces[idx].parent = parent;
}

void scanner::describe_extras(int fd, std::size_t idx)
{
    auto& n = snap_.namespaces[idx];
    std::error_code ec;
    if (n.type == ns_type::user) {
        const auto uid = sys::ns_get_owner_uid(fd, ec);
        if (ec)
            n.owner_uid.error = ec;
        else
            n.owner_uid.value = uid;
    }
    if (n.type == ns_type::net && opt_.netnsid) {
        if (!nl_) {
            n.netnsid.error = nl_error_;
        } else {
            const std::int32_t id = get_nsid(nl_.get(), fd, ec);
            if (ec)
                n.netnsid.error = ec;
            else if (id >= 0)
                n.netnsid.value = id;
        }
    }
    if (n.type == ns_type::mnt) {
        if (sys::probe_nsfs().mnt_get_info) {
            const auto info = sys::ns_mnt_get_info(fd, ec);
            if (ec)
                n.mount_count.error = ec;
            else
                n.mount_count.value = info.nr_mounts;
        } else {
            n.mount_count.error = std::make_error_code(std::errc::inappropriate_io_control_operation);
        }
    }
}

// Index of the namespace `fd` refers to, describing it on first sight.
std::size_t scanner::describe(int fd, ns_type type, int depth)
{
    std::error_code ec;
    const auto inode = sys::ns_stat(fd, ec);
    if (ec)
        return none;
    if (auto it = by_ino_.find(inode.ino); it != by_ino_.end())
        return it->second;
    const std::size_t idx = new_namespace(type, inode.ino);
    if (sys::probe_nsfs().get_id) {
        const auto id = sys::ns_get_id(fd, ec);
        if (ec)
            snap_.namespaces[idx].id_error = ec;
        else
            snap_.namespaces[idx].identity.id = id;
    } else {
        snap_.namespaces[idx].id_error = std::make_error_code(std::errc::inappropriate_io_control_operation);
    }
    if (depth > 64) // user/pid nesting stops at 32 levels
        return idx;
    describe_owner(fd, idx, depth);
    if (type == ns_type::pid)
        describe_parent(fd, idx, depth);
    describe_extras(fd, idx);
    return idx;
}

// Seen (by readlink or a mount table) but not openable: keep what we know,
// with the reason for everything else.
std::size_t scanner::unopened(ns_type type, std::uint64_t ino, std::error_code why)
{
    const std::size_t idx = new_namespace(type, ino);
    auto& n = snap_.namespaces[idx];
    n.id_error = why;
    n.owner.error = why;
    if (type == ns_type::user)
        n.owner_uid.error = why;
    if (type == ns_type::user || type == ns_type::pid)
        n.parent.error = why;
    if (type == ns_type::mnt)
        n.mount_count.error = why;
    if (type == ns_type::net && opt_.netnsid)
        n.netnsid.error = why;
    return idx;
}

// The namespace at /proc/`rel` (an ns/ link) that was seen to be (type, ino).
std::size_t scanner::resolve(const char* rel, ns_type type, std::uint64_t ino)
{
    if (auto it = by_ino_.find(ino); it != by_ino_.end())
        return it->second;
    std::error_code ec;
    const unique_fd fd = open_nsfs(proc_.get(), rel, path_rule::ns_link, ino, proc_.get(), ec);
    if (!ec) {
        const std::size_t idx = describe(fd.get(), type);
        if (idx != none)
            return idx;
        ec = std::make_error_code(std::errc::bad_file_descriptor);
    }
    if (ec.value() == ESTALE)
        ec = std::make_error_code(std::errc::no_such_process); // its process exited, the pid was reused
    return unopened(type, ino, ec);
}

// Entry k of a process held by pidfd, opened from the pidfd and described
// while it is still the namespace phase 1 saw (`ino`).  none: not from there
// (the ioctl failed, or the process has moved since): /proc decides.
std::size_t scanner::from_pidfd(int pidfd, std::size_t k, std::uint64_t ino)
{
    std::error_code ec;
    const unique_fd fd = sys::pidfd_get_namespace(pidfd, ns_entries()[k].type, ec, k >= sys::ns_type_count);
    if (ec)
        return none;
    const auto inode = sys::ns_stat(fd.get(), ec);
    if (ec || inode.ino != ino)
        return none;
    const std::size_t idx = describe(fd.get(), ns_entries()[k].type);
    if (idx != none)
        ++snap_.pidfd_namespaces.opened;
    return idx;
}

void scanner::attach(std::size_t pidx, const char* dir, const links& l, bool thread, int pidfd)
{
    char rel[96];
    for (std::size_t k = 0; k < entry_count; ++k) {
        if (!l.ok[k])
            continue;
        std::size_t ns = none;
        if (auto it = by_ino_.find(l.ino[k]); it != by_ino_.end()) {
            ns = it->second;
        } else {
            if (pidfd >= 0)
                ns = from_pidfd(pidfd, k, l.ino[k]);
            if (ns == none) {
                std::snprintf(rel, sizeof rel, "%s/%s", dir, ns_entries()[k].path);
                ns = resolve(rel, ns_entries()[k].type, l.ino[k]);
            }
        }
        auto& p = snap_.processes[pidx];
        if (k < sys::ns_type_count) {
            p.ns[k] = ns;
            auto& n = snap_.namespaces[ns];
            (thread ? n.threads : n.processes).push_back(pidx);
            continue;
        }
        const bool pid_entry = k == process_info::pid_for_children_entry;
        (pid_entry ? p.pid_for_children : p.time_for_children) = ns;
        // A *_for_children namespace other than its own is a reference
        // (after unshare, before the first child).
        const std::size_t own = static_cast<std::size_t>(pid_entry ? ns_type::pid : ns_type::time);
        if (!thread && (!l.ok[own] || l.ino[k] != l.ino[own]))
            snap_.namespaces[ns].holders.push_back({holder_kind::for_children, p.pid, p.tid});
    }
}

void scanner::add_process(raw_process& r)
{
    const pid_t pid = r.info.pid;
    if (!helper(pid))
        for (const auto& [kind, ec] : r.gaps)
            snap_.add_gap(kind, pid, ec);
    if (r.target_lost)
        lose_target(r);
    const std::size_t pidx = snap_.processes.size();
    snap_.processes.push_back(std::move(r.info));
    char dir[48];
    std::snprintf(dir, sizeof dir, "%d", pid);
    attach(pidx, dir, r.l, false, r.pidfd);
    snap_.pidfd_namespaces.from_pidfd += r.from_pidfd;
    snap_.pidfd_namespaces.from_proc += r.from_proc;
    r.own_pidfd.reset(); // its namespaces are identified: no fd held longer than that
    r.pidfd = -1;
    const auto& leader = snap_.processes[pidx];
    const std::size_t m = leader.ns[0];
    if (opt_.mounts && m != none && leader.state == process_state::running && mount_ns_seen_.insert(m).second) {
        std::snprintf(dir, sizeof dir, "%d/mountinfo", pid);
        mount_reader reader{m, pid, {}, {}};
        reader.text = read_text_at(proc_.get(), dir, reader.error);
        mount_ns_reader_.push_back(std::move(reader));
    }
    for (const auto& t : r.threads) {
        process_info ti;
        const auto& lp = snap_.processes[pidx];
        ti.pid = pid;
        ti.tid = t.tid;
        ti.ppid = lp.ppid;
        ti.uid = lp.uid;
        ti.command = lp.command;
        ti.command_line = lp.command_line;
        ti.state = lp.state;
        ti.ns_errors = t.l.error;
        ti.ns_error = t.l.first_error();
        const std::size_t tidx = snap_.processes.size();
        snap_.processes.push_back(std::move(ti));
        std::snprintf(dir, sizeof dir, "%d/task/%d", pid, t.tid);
        attach(tidx, dir, t.l, true);
    }
}

} // namespace nskit::inspect::detail
