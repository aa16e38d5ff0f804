// Phase 1 of the scan: one process's /proc entries, read through an O_PATH fd
// of its /proc/PID directory, in parallel with other processes.
//
// The O_PATH fd of /proc/PID pins the process's struct pid: every read
// through it is of that process even if the pid is reused meanwhile, and
// fails once the process is reaped.  So a process whose reads all succeeded
// was alive when its links were read and needs no pidfd.  Only when a read
// failed is it confirmed, by its stat: one that exited mid-scan is skipped
// quietly; a zombie stays a zombie.  A target (scan_options::targets) is
// checked against its pidfd: the pid must still be the one it names.
// A process held by pidfd (a target, an explicit pid) has its namespaces
// from the pidfd (PIDFD_GET_<TYPE>_NAMESPACE), not from its ns links.
#include "scanner.hpp"

#include <nskit/inspect/detail/proc_text.hpp>
#include <nskit/sys/error.hpp>
#include <nskit/sys/pidfd.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace nskit::inspect::detail {
namespace {

using nskit::detail::last_error;

// One gap per process, kind and reason (not one per fd).
void note_gap(raw_process& out, gap_kind kind, std::error_code ec)
{
    for (const auto& [k, e] : out.gaps)
        if (k == kind && e == ec)
            return;
    out.gaps.emplace_back(kind, ec);
}

bool read_stat(int dir, process_info& p, std::error_code& ec)
{
    const std::string text = read_text_at(dir, "stat", ec);
    stat_fields f;
    if (ec)
        return false;
    if (!parse_stat(text, f)) {
        ec = make_error_code(error::malformed_reply);
        return false;
    }
    take_stat(f, p);
    return true;
}

void read_threads(int dir, pid_t pid, std::size_t entries, raw_process& out)
{
    unique_fd task(::openat(dir, "task", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!task) {
        if (const auto ec = last_error(); !gone(ec))
            note_gap(out, gap_kind::threads, ec);
        return;
    }
    const auto err = for_each_number(task.get(), [&](int tid, const char* tname) {
        if (tid == pid)
            return;
        unique_fd tdir(::openat(task.get(), tname, O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!tdir) {
            if (const auto ec = last_error(); !gone(ec))
                note_gap(out, gap_kind::threads, ec);
            return; // thread exited
        }
        raw_thread t{tid, {}};
        read_links(tdir.get(), t.l, entries);
        if (t.l.ok[0] || t.l.error[0] != std::errc::no_such_file_or_directory)
            out.threads.push_back(t);
    });
    if (err)
        note_gap(out, gap_kind::threads, err);
    std::sort(out.threads.begin(), out.threads.end(),
              [](const raw_thread& a, const raw_thread& b) { return a.tid < b.tid; });
}

// statx, not stat: AT_STATX_DONT_SYNC keeps a network filesystem's server
// out of it.  False with ec when the fd could not be examined (ENOENT:
// closed meanwhile).
bool examine_fd(int fds, const char* name, std::uint64_t nsfs_dev, fd_hold& h, std::error_code& ec)
{
    struct statx sx{};
    if (::statx(fds, name, AT_STATX_DONT_SYNC, STATX_TYPE | STATX_INO, &sx) != 0) {
        ec = last_error();
        return false;
    }
    h.ino = sx.stx_ino;
    h.socket = S_ISSOCK(sx.stx_mode);
    return h.socket || makedev(sx.stx_dev_major, sx.stx_dev_minor) == nsfs_dev;
}

// false: the fd table changed (an fd closed) while reading it.
bool read_fds(const read_context& c, int dir, pid_t pid, raw_process& out)
{
    unique_fd fds(::openat(dir, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fds) {
        const auto ec = last_error();
        if (!gone(ec))
            note_gap(out, gap_kind::fds, ec);
        return false;
    }
    bool clean = true;
    const int own = fds.get();
    const auto err = for_each_number(fds.get(), [&](int fdnum, const char* fname) {
        if (pid == c.self && fdnum == own)
            return;
        fd_hold h{fdnum, false, 0};
        std::error_code ec;
        if (examine_fd(fds.get(), fname, c.nsfs_dev, h, ec)) {
            if (h.socket ? c.opt.sockets : c.opt.fds)
                out.fds.push_back(h);
        } else if (ec) {
            clean = false; // ENOENT: closed meanwhile, or the process exited
            if (!gone(ec))
                note_gap(out, gap_kind::fds, ec);
        }
    });
    if (err)
        note_gap(out, gap_kind::fds, err);
    return clean;
}

// Everything about `out` unknown for this reason (it could not be read at all).
void unreadable(raw_process& out, std::error_code ec)
{
    out.info.ns_errors.fill(ec);
    out.info.ns_error = ec;
    out.info.details_error = ec;
    note_gap(out, gap_kind::namespaces, ec);
    out.present = true;
}

// A target's pidfd still names this pid (alive or an unreaped zombie)?
void check_target(const read_context& c, const target_ref& t, raw_process& out)
{
    std::error_code ec;
    const pid_t now = pid_in_proc(c.procfd, t.process->pidfd(), ec);
    if (!ec && now == t.proc_pid)
        return;
    out.target_lost = true;
    out.target_error = ec ? ec : std::make_error_code(std::errc::no_such_process);
}

// The process is still there (not exited mid-scan), or a zombie.
bool still_there(int dir, const process_info& p, bool clean)
{
    if (p.state == process_state::zombie || clean)
        return true;
    process_info now;
    std::error_code ec;
    if (!read_stat(dir, now, ec))
        return !gone(ec);
    return now.state != process_state::zombie;
}

// Explicit pids must be processes, not thread ids (/proc/TID works for
// those too): pidfd_open refuses a thread id.  The pidfd is kept, for the
// namespaces, when it names the process the scanned /proc calls `pid`
// (another procfs may number pids otherwise).  False: skip it.
bool is_process(const read_context& c, pid_t pid, raw_process& out)
{
    std::error_code ec;
    unique_fd fd = sys::pidfd_open(pid, ec);
    if (ec) {
        if (ec != std::errc::no_such_process && ec != std::errc::invalid_argument &&
            ec != std::errc::no_such_file_or_directory) // EMFILE ...: could not tell
            unreadable(out, ec);
        return false;
    }
    if (pid_in_proc(c.procfd, fd.get(), ec) == pid && !ec) {
        out.own_pidfd = std::move(fd);
        out.pidfd = out.own_pidfd.get();
    }
    return true;
}

// The process an explicit pid's pidfd names was not reaped meanwhile, so
// /proc/PID, opened after the pidfd, was that process's too.
bool still_named(const read_context& c, pid_t pid, raw_process& out)
{
    std::error_code ec;
    const pid_t now = pid_in_proc(c.procfd, out.pidfd, ec);
    if (ec && !gone(ec)) {
        note_gap(out, gap_kind::namespaces, ec); // could not tell: not a quiet answer
        return true;
    }
    return !ec && now == pid;
}

// /proc shows no pid_for_children until that PID namespace has its first
// process (after unshare(CLONE_NEWPID), before the fork); the ioctl gives it
// regardless.  Where it is not the process's own, the link decides, so both
// ways give the same answer (an unreadable link leaves the pidfd's).
void confirm_pid_for_children(int dir, links& l)
{
    constexpr std::size_t k = process_info::pid_for_children_entry, own = static_cast<std::size_t>(ns_type::pid);
    if (!l.ok[own] || l.ino[k] == l.ino[own])
        return;
    links proc;
    if (read_link(dir, k, proc)) {
        l.ino[k] = proc.ino[k];
    } else if (proc.error[k] == std::errc::no_such_file_or_directory) {
        l.ok[k] = false;
        l.error[k] = proc.error[k];
    }
}

// The ns entries of a process held by pidfd, from PIDFD_GET_<TYPE>_NAMESPACE
// (6.11): each is the pidfd's process's by construction, and no link is
// read.  An entry the ioctl cannot give is read from its link through `dir`
// (bound to the same process), as for any process: ENOTTY/EINVAL (a kernel
// before 6.11: not asked again), ESRCH (exited: a zombie keeps its user and
// pid links), EOPNOTSUPP (a type the kernel lacks), EMFILE and the like (a
// link needs no fd).  EACCES: the link is refused by the same check.
void read_pidfd_links(int pidfd, int dir, std::size_t entries, raw_process& out)
{
    links& l = out.l;
    bool ask = true;
    for (std::size_t k = 0; k < entries; ++k) {
        if (ask) {
            std::error_code ec;
            const unique_fd fd = sys::pidfd_get_namespace(pidfd, ns_entries()[k].type, ec, k >= sys::ns_type_count);
            struct stat st{};
            if (!ec && ::fstat(fd.get(), &st) != 0)
                ec = last_error();
            if (!ec) {
                l.ino[k] = st.st_ino;
                l.ok[k] = true;
                ++out.from_pidfd;
                if (k == process_info::pid_for_children_entry)
                    confirm_pid_for_children(dir, l);
                continue;
            }
            if (ec == std::errc::permission_denied || ec == std::errc::operation_not_permitted) {
                l.error[k] = ec;
                continue;
            }
            if (ec == std::errc::inappropriate_io_control_operation || ec == std::errc::invalid_argument ||
                ec == std::errc::no_such_process)
                ask = false; // none of the rest will come from the pidfd either
        }
        if (read_link(dir, k, l))
            ++out.from_proc;
    }
}

void read_details(const read_context& c, int dir, raw_process& out, bool& alive)
{
    process_info& p = out.info;
    // stat tells zombies and kernel threads apart; without details it is read
    // only where the links failed (a zombie has none but user and pid).
    const bool need_stat = c.opt.details || out.l.first_error() == std::errc::no_such_file_or_directory;
    if (!need_stat)
        return;
    std::error_code ec;
    if (read_stat(dir, p, ec)) {
        if (c.opt.command_lines && c.opt.details && p.state == process_state::running)
            p.command_line = command_line_text(read_text_at(dir, "cmdline", ec)); // gone meanwhile: empty
        if (c.opt.credentials && c.opt.details) {
            const std::string status = read_text_at(dir, "status", ec);
            take_credentials(p, status, ec);
        }
        return;
    }
    if (gone(ec))
        alive = false;
    else
        p.details_error = ec;
}

} // namespace

void take_stat(const stat_fields& f, process_info& p)
{
    p.command.assign(f.comm);
    p.ppid = f.ppid;
    if (f.state == 'Z' || f.state == 'X')
        p.state = process_state::zombie;
    else if (f.flags & pf_kthread)
        p.state = process_state::kernel_thread;
}

void take_credentials(process_info& p, const std::string& status, const std::error_code& read_error)
{
    uid_t euid = 0;
    std::uint64_t caps = 0;
    if (read_error)
        p.credentials_error = read_error;
    else if (!parse_status_credentials(status, euid, caps))
        p.credentials_error = make_error_code(error::malformed_reply);
    else {
        p.euid = euid;
        p.cap_effective = caps;
    }
}

bool gone(const std::error_code& ec) noexcept
{
    return ec == std::errc::no_such_file_or_directory || ec == std::errc::no_such_process;
}

const std::array<ns_entry, entry_count>& ns_entries() noexcept
{
    static const std::array<ns_entry, entry_count> e = [] {
        std::array<ns_entry, entry_count> r{};
        for (std::size_t i = 0; i < sys::ns_type_count; ++i) {
            const auto& in = sys::ns_types()[i];
            std::snprintf(r[i].path, sizeof r[i].path, "ns/%.*s", static_cast<int>(in.proc_entry.size()),
                          in.proc_entry.data());
            r[i].type = in.type;
        }
        std::snprintf(r[process_info::pid_for_children_entry].path, sizeof r[0].path, "ns/pid_for_children");
        r[process_info::pid_for_children_entry].type = ns_type::pid;
        std::snprintf(r[process_info::time_for_children_entry].path, sizeof r[0].path, "ns/time_for_children");
        r[process_info::time_for_children_entry].type = ns_type::time;
        return r;
    }();
    return e;
}

std::error_code links::first_error() const noexcept
{
    for (const auto& e : error)
        if (e)
            return e;
    return {};
}

bool read_link(int dirfd, std::size_t k, links& l) noexcept
{
    char buf[64];
    const ssize_t n = ::readlinkat(dirfd, ns_entries()[k].path, buf, sizeof buf);
    ns_type t;
    if (n > 0 && parse_ns_link(std::string_view(buf, static_cast<std::size_t>(n)), t, l.ino[k])) {
        l.ok[k] = true;
        l.error[k].clear();
        return true;
    }
    l.error[k] = n < 0 ? last_error() : make_error_code(error::not_a_namespace);
    return false;
}

void read_links(int dirfd, links& l, std::size_t count) noexcept
{
    for (std::size_t k = 0; k < count; ++k)
        read_link(dirfd, k, l);
}

const target_ref* read_context::target(pid_t proc_pid) const noexcept
{
    for (const auto& t : targets)
        if (t.proc_pid == proc_pid && proc_pid > 0)
            return &t;
    return nullptr;
}

pid_t pid_in_proc(int procfd, int pidfd, std::error_code& ec)
{
    char name[48];
    std::snprintf(name, sizeof name, "self/fdinfo/%d", pidfd);
    const std::string text = read_text_at(procfd, name, ec);
    pid_t pid = 0;
    if (!ec && !parse_pidfd_fdinfo(text, pid))
        ec = make_error_code(error::malformed_reply);
    return pid;
}

void read_process(const read_context& c, pid_t pid, raw_process& out)
{
    process_info& p = out.info;
    p.pid = p.tid = pid;
    const target_ref* target = c.target(pid);
    if (target)
        out.pidfd = target->process->pidfd();
    else if ((!c.opt.pids.empty() || c.opt.targets_only) && !is_process(c, pid, out))
        return;
    char name[16];
    std::snprintf(name, sizeof name, "%d", pid);
    unique_fd dir(::openat(c.procfd, name, O_PATH | O_DIRECTORY | O_CLOEXEC));
    struct stat st{};
    if (!dir || ::fstat(dir.get(), &st) != 0) {
        const auto ec = last_error();
        if (target)
            check_target(c, *target, out);
        if (!gone(ec))
            unreadable(out, ec);
        return;
    }
    p.uid = st.st_uid;
    const std::size_t entries = c.opt.for_children ? entry_count : sys::ns_type_count;
    if (out.pidfd >= 0)
        read_pidfd_links(out.pidfd, dir.get(), entries, out);
    else
        read_links(dir.get(), out.l, entries);
    bool clean = !out.l.first_error(); // every read succeeded: no confirmation needed
    bool alive = true;
    read_details(c, dir.get(), out, alive);
    if (!alive)
        return; // exited mid-scan: skipped quietly
    if (c.opt.cgroups) {
        std::error_code ec;
        p.cgroup = read_text_at(dir.get(), "cgroup", ec);
        if (ec && !gone(ec))
            p.cgroup_error = ec;
    }
    if (c.opt.threads && p.state != process_state::zombie)
        read_threads(dir.get(), pid, entries, out);
    if ((c.opt.fds || c.opt.sockets) && p.state == process_state::running)
        clean = read_fds(c, dir.get(), pid, out) && clean;
    if (target) {
        std::error_code ec;
        const std::string status = read_text_at(dir.get(), "status", ec);
        if (!ec && !parse_status_nspid(status, p.nspid))
            p.nspid = {pid}; // kernels before 4.1: one level
        p.nspid_error = ec;
        if (c.opt.credentials)
            take_credentials(p, status, ec);
        check_target(c, *target, out);
    } else if (out.own_pidfd && !still_named(c, pid, out)) {
        return; // reaped mid-scan (its pid may name another process): skipped quietly
    }
    if (!target && !still_there(dir.get(), p, clean))
        return; // exited mid-scan: skipped quietly
    const bool zombie = p.state == process_state::zombie;
    for (std::size_t k = 0; k < entry_count; ++k)
        if (!out.l.ok[k] && zombie)
            out.l.error[k] = std::make_error_code(std::errc::no_such_process); // released at exit
    p.ns_errors = out.l.error;
    p.ns_error = out.l.first_error();
    if (!zombie && p.ns_error && p.ns_error != std::errc::no_such_file_or_directory)
        note_gap(out, gap_kind::namespaces, p.ns_error);
    out.present = true;
}

} // namespace nskit::inspect::detail
