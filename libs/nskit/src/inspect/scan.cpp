// The /proc scanner.  Hot path: one O_PATH dirfd per process, everything
// else relative to it (openat/readlinkat), no iostreams, fixed buffers.
// Only one fd per *distinct* namespace is opened, for the ioctls.
#include <nskit/inspect/scan.hpp>
#include <nskit/sys/detail/syscall.hpp>
#include <nskit/sys/error.hpp>
#include <nskit/sys/nsfs.hpp>
#include <nskit/sys/pidfd.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <linux/net_namespace.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace nskit::inspect {
namespace {

using nskit::detail::last_error;

constexpr unsigned long pf_kthread = 0x00200000; // include/linux/sched.h PF_KTHREAD
constexpr std::size_t none = process_info::none;
constexpr std::size_t entry_count = sys::ns_type_count + 2; // + pid_for_children, time_for_children

struct entry {
    char path[32];        // "ns/net"
    ns_type type;
};

const std::array<entry, entry_count>& entries() noexcept
{
    static const std::array<entry, entry_count> e = [] {
        std::array<entry, entry_count> r{};
        for (std::size_t i = 0; i < sys::ns_type_count; ++i) {
            const auto& in = sys::ns_types()[i];
            std::snprintf(r[i].path, sizeof r[i].path, "ns/%.*s", static_cast<int>(in.proc_entry.size()),
                          in.proc_entry.data());
            r[i].type = in.type;
        }
        std::snprintf(r[8].path, sizeof r[8].path, "ns/pid_for_children");
        r[8].type = ns_type::pid;
        std::snprintf(r[9].path, sizeof r[9].path, "ns/time_for_children");
        r[9].type = ns_type::time;
        return r;
    }();
    return e;
}

// "net:[4026531840]" -> type + inode.  False for anything else.
bool parse_ns_link(const char* s, std::size_t n, ns_type& type, std::uint64_t& ino) noexcept
{
    const char* colon = static_cast<const char*>(std::memchr(s, ':', n));
    if (colon == nullptr || colon + 2 >= s + n || colon[1] != '[' || s[n - 1] != ']')
        return false;
    // the kernel's spelling only (ns_common's ops->name), compared exactly
    const std::string_view name(s, static_cast<std::size_t>(colon - s));
    std::optional<ns_type> t;
    for (const auto& i : sys::ns_types())
        if (i.name == name) {
            t = i.type;
            break;
        }
    if (!t)
        return false;
    std::uint64_t v = 0;
    for (const char* p = colon + 2; p < s + n - 1; ++p) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + static_cast<std::uint64_t>(*p - '0');
    }
    type = *t;
    ino = v;
    return true;
}

// Numeric entries of a freshly opened directory fd, via getdents64 (no
// per-entry allocation).  procfs fills the buffer until the directory ends,
// so a reply with room to spare for more entries was the last one: that
// saves the final empty getdents64 per directory.
template <class F>
void for_each_number(int dirfd, F&& f)
{
    alignas(8) char buf[16384];
    constexpr ssize_t room_for_more = 1024; // > a few dirents of /proc names
    for (;;) {
        ssize_t n = ::getdents64(dirfd, buf, sizeof buf);
        if (n <= 0)
            return;
        const bool last = n < static_cast<ssize_t>(sizeof buf) - room_for_more;
        for (ssize_t off = 0; off < n;) {
            auto* d = reinterpret_cast<struct dirent64*>(buf + off);
            off += d->d_reclen;
            const char* name = d->d_name;
            if (*name < '0' || *name > '9')
                continue;
            long v = 0;
            for (const char* p = name; *p; ++p)
                v = v * 10 + (*p - '0');
            f(static_cast<int>(v), name);
        }
        if (last)
            return;
    }
}

bool process_exited(int pidfd) noexcept
{
    pollfd p{pidfd, POLLIN, 0};
    return ::poll(&p, 1, 0) == 1 && (p.revents & (POLLIN | POLLHUP)) != 0;
}

// RTM_GETNSID for a net namespace fd: the nsid the caller's netns gave it.
// Kept here (not in net) because inspect depends on sys only.
std::int32_t get_nsid(int nl, int netns_fd, std::error_code& ec) noexcept
{
    ec.clear();
    alignas(NLMSG_ALIGNTO) char req[NLMSG_SPACE(sizeof(rtgenmsg)) + RTA_SPACE(sizeof(std::uint32_t))]{};
    auto* h = reinterpret_cast<nlmsghdr*>(req);
    h->nlmsg_len = sizeof req;
    h->nlmsg_type = RTM_GETNSID;
    h->nlmsg_flags = NLM_F_REQUEST;
    h->nlmsg_seq = 1;
    reinterpret_cast<rtgenmsg*>(NLMSG_DATA(h))->rtgen_family = AF_UNSPEC;
    auto* a = reinterpret_cast<rtattr*>(req + NLMSG_SPACE(sizeof(rtgenmsg)));
    a->rta_type = NETNSA_FD;
    a->rta_len = RTA_LENGTH(sizeof(std::uint32_t));
    const std::uint32_t fdv = static_cast<std::uint32_t>(netns_fd);
    std::memcpy(RTA_DATA(a), &fdv, sizeof fdv);
    if (::send(nl, req, sizeof req, 0) < 0) {
        ec = last_error();
        return -1;
    }
    alignas(NLMSG_ALIGNTO) char buf[512];
    ssize_t n = ::recv(nl, buf, sizeof buf, 0);
    if (n < 0) {
        ec = last_error();
        return -1;
    }
    auto* r = reinterpret_cast<nlmsghdr*>(buf);
    if (!NLMSG_OK(r, static_cast<unsigned>(n))) {
        ec = make_error_code(error::malformed_reply);
        return -1;
    }
    if (r->nlmsg_type == NLMSG_ERROR) {
        auto* e = static_cast<nlmsgerr*>(NLMSG_DATA(r));
        ec = std::error_code(-e->error, std::system_category());
        return -1;
    }
    if (r->nlmsg_type != RTM_NEWNSID || r->nlmsg_len < NLMSG_SPACE(sizeof(rtgenmsg))) {
        ec = make_error_code(error::malformed_reply);
        return -1;
    }
    int len = static_cast<int>(r->nlmsg_len - NLMSG_SPACE(sizeof(rtgenmsg)));
    for (auto* at = reinterpret_cast<rtattr*>(reinterpret_cast<char*>(r) + NLMSG_SPACE(sizeof(rtgenmsg)));
         RTA_OK(at, len); at = RTA_NEXT(at, len)) {
        if (at->rta_type == NETNSA_NSID && RTA_PAYLOAD(at) >= sizeof(std::int32_t)) {
            std::int32_t v;
            std::memcpy(&v, RTA_DATA(at), sizeof v);
            return v;
        }
    }
    return -1;
}

// Undo mountinfo's octal escapes (\040 for space, ...).
std::string unescape(std::string_view s)
{
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 3 < s.size() + 0 && s[i + 1] >= '0' && s[i + 1] <= '3') {
            out.push_back(static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
            i += 3;
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

// The ns links of one /proc/PID or /proc/PID/task/TID directory.
struct links {
    std::array<std::uint64_t, entry_count> ino{};
    std::array<bool, entry_count> ok{};
    std::error_code error;
};

void read_links(int dirfd, links& l) noexcept
{
    char buf[64];
    for (std::size_t k = 0; k < entry_count; ++k) {
        ssize_t n = ::readlinkat(dirfd, entries()[k].path, buf, sizeof buf);
        ns_type t;
        if (n > 0 && parse_ns_link(buf, static_cast<std::size_t>(n), t, l.ino[k]))
            l.ok[k] = true;
        else if (n < 0 && !l.error)
            l.error = last_error();
    }
}

bool read_stat(int dir, process_info& p) noexcept
{
    int fd = ::openat(dir, "stat", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    char buf[1024];
    ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    const char* open = std::strchr(buf, '(');
    const char* close = std::strrchr(buf, ')');
    if (open == nullptr || close == nullptr || close < open || close + 2 >= buf + n)
        return false;
    p.command.assign(open + 1, static_cast<std::size_t>(close - open - 1));
    const char* s = close + 2;
    const char state = *s;
    // after the state: ppid pgrp session tty_nr tpgid flags
    unsigned long fields[6] = {};
    const char* q = s + 1;
    for (auto& field : fields) {
        while (*q == ' ')
            ++q;
        const bool neg = *q == '-';
        if (neg)
            ++q;
        unsigned long v = 0;
        while (*q >= '0' && *q <= '9')
            v = v * 10 + static_cast<unsigned long>(*q++ - '0');
        field = neg ? 0 : v;
    }
    p.ppid = static_cast<pid_t>(fields[0]);
    if (state == 'Z' || state == 'X')
        p.state = process_state::zombie;
    else if (fields[5] & pf_kthread)
        p.state = process_state::kernel_thread;
    return true;
}

// An fd that may hold a namespace: an nsfs file, or a socket.
struct fd_ref {
    int fd;
    bool socket;
    ns_type type;
    std::uint64_t ino;  // namespace inode, or socket inode
};

struct raw_thread {
    pid_t tid;
    links l;
};

// What phase 1 learns about one process, without touching shared state.
struct raw_process {
    bool present = false;
    process_info info;
    links l;
    std::vector<fd_ref> fds;
    std::vector<raw_thread> threads;
    std::error_code fds_error;
    bool stat_read = false;
};

// Phase 1, run in parallel: everything that costs a syscall per process.
//
// The O_PATH fd of /proc/PID pins the process's struct pid: every read
// through it is of that process even if the pid is reused meanwhile, and
// fails once the process is reaped.  So a process whose reads all succeeded
// was alive when its links were read and needs no pidfd (pidfd_open, poll
// and close: three syscalls, ~5 % of a scan).  Only when a read failed is it
// confirmed, by its stat: one that exited mid-scan is skipped quietly; a
// zombie stays a zombie.  Explicit pids (scan_options::pids) still take a
// pidfd first: it also rejects a thread id, which /proc/TID would accept.
void read_process(const scan_options& opt, int procfd, pid_t self_pid, pid_t pid, raw_process& out)
{
    std::error_code ec;
    unique_fd pidfd;
    if (!opt.pids.empty()) {
        pidfd = sys::pidfd_open(pid, ec);
        if (ec)
            return; // gone (ESRCH), or not a process (a thread id: EINVAL)
    }
    char name[16];
    std::snprintf(name, sizeof name, "%d", pid);
    unique_fd dir(::openat(procfd, name, O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir)
        return;
    process_info& p = out.info;
    p.pid = p.tid = pid;
    struct stat st{};
    if (::fstat(dir.get(), &st) != 0)
        return;
    p.uid = st.st_uid;
    read_links(dir.get(), out.l);
    bool clean = !out.l.error; // every read succeeded: no confirmation needed
    // stat tells zombies and kernel threads apart; without details it is read
    // only where the links failed (a zombie has none).
    const bool need_stat = opt.details || out.l.error == std::errc::no_such_file_or_directory;
    if (need_stat) {
        if (!read_stat(dir.get(), p))
            return;
        out.stat_read = true;
    }
    if (p.state == process_state::zombie)
        out.l = links{};
    if (opt.threads && p.state != process_state::zombie) {
        unique_fd task(::openat(dir.get(), "task", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (task)
            for_each_number(task.get(), [&](int tid, const char* tname) {
                if (tid == pid)
                    return;
                unique_fd tdir(::openat(task.get(), tname, O_PATH | O_DIRECTORY | O_CLOEXEC));
                if (!tdir)
                    return; // thread exited
                raw_thread t{tid, {}};
                read_links(tdir.get(), t.l);
                if (t.l.ok[0] || t.l.error != std::errc::no_such_file_or_directory)
                    out.threads.push_back(t);
            });
        std::sort(out.threads.begin(), out.threads.end(),
                  [](const raw_thread& a, const raw_thread& b) { return a.tid < b.tid; });
    }
    if ((opt.fds || opt.sockets) && p.state == process_state::running) {
        unique_fd fds(::openat(dir.get(), "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!fds) {
            out.fds_error = last_error();
            clean = false;
        } else {
            const int own = fds.get();
            const bool self = pid == self_pid;
            for_each_number(fds.get(), [&](int fdnum, const char* fname) {
                if (self && fdnum == own)
                    return;
                char buf[64];
                ssize_t n = ::readlinkat(fds.get(), fname, buf, sizeof buf);
                if (n <= 0) {
                    if (errno == EACCES || errno == EPERM) // listed, not readable: unknown, not absent
                        out.fds_error = last_error();
                    clean = false; // closed meanwhile, or the process exited
                    return;
                }
                if (buf[0] == '/')
                    return;
                const auto len = static_cast<std::size_t>(n);
                fd_ref r{fdnum, false, ns_type::net, 0};
                if (len > 8 && std::memcmp(buf, "socket:[", 8) == 0) {
                    if (!opt.sockets)
                        return;
                    for (std::size_t i = 8; i < len && buf[i] >= '0' && buf[i] <= '9'; ++i)
                        r.ino = r.ino * 10 + static_cast<std::uint64_t>(buf[i] - '0');
                    r.socket = true;
                    out.fds.push_back(r);
                } else if (opt.fds && parse_ns_link(buf, len, r.type, r.ino)) {
                    out.fds.push_back(r);
                }
            });
        }
    }
    if (p.state != process_state::zombie) {
        if (pidfd) {
            if (process_exited(pidfd.get()))
                return; // exited mid-scan: skipped quietly
        } else if (!clean) {
            process_info now;
            if (!read_stat(dir.get(), now) || now.state == process_state::zombie)
                return; // exited mid-scan: skipped quietly
        }
    }
    if (p.state == process_state::zombie)
        p.ns_error = std::make_error_code(std::errc::no_such_process);
    else
        p.ns_error = out.l.error;
    out.present = true;
}

class scanner {
public:
    scanner(const scan_options& o, snapshot& s) : opt_(o), snap_(s) {}

    void run(std::error_code& ec)
    {
        struct statfs sf{};
        if (opt_.proc == nullptr || ::statfs(opt_.proc, &sf) != 0 || sf.f_type != PROC_SUPER_MAGIC) {
            ec = make_error_code(error::proc_not_mounted);
            return;
        }
        proc_.reset(::open(opt_.proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!proc_) {
            ec = last_error();
            return;
        }
        if (opt_.netnsid)
            nl_.reset(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
        std::vector<pid_t> pids;
        pids.reserve(1024);
        if (opt_.pids.empty()) {
            for_each_number(proc_.get(), [&](int pid, const char*) { pids.push_back(pid); });
        } else {
            pids = opt_.pids;
            pids.push_back(1); // for `initial`
            pids.push_back(2);
        }
        std::sort(pids.begin(), pids.end());
        pids.erase(std::unique(pids.begin(), pids.end()), pids.end());

        // Phase 1: per-process reads, split over worker threads.  Phase 2
        // (namespace identification, in pid order, on this thread only)
        // starts as soon as the first processes are read: this thread takes
        // chunks of phase 1 only while the next process in order is not
        // ready, so no core idles while phase 2 runs on its own at the end.
        std::vector<raw_process> raw(pids.size());
        std::vector<std::atomic<bool>> ready(pids.size());
        unsigned workers = opt_.workers;
        if (pids.size() < 64)
            workers = 1; // not worth a thread
        else if (workers == 0)
            workers = std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
        std::atomic<std::size_t> next{0};
        const pid_t self = ::getpid();
        constexpr std::size_t chunk = 16;
        auto take_chunk = [&] { // false when no chunk is left
            const std::size_t i = next.fetch_add(chunk);
            if (i >= pids.size())
                return false;
            for (std::size_t j = i; j < std::min(i + chunk, pids.size()); ++j) {
                read_process(opt_, proc_.get(), self, pids[j], raw[j]);
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
                if (raw[i].present)
                    add_process(raw[i]);
            }
        } catch (...) {
            failure = std::current_exception();
            next.store(pids.size()); // the workers stop after their chunk
        }
        for (auto& t : threads)
            t.join();
        if (failure)
            std::rethrow_exception(failure);

        for (auto& r : raw)
            if (r.present)
                add_fds(r);
        if (opt_.mounts)
            scan_mounts();
        if (!opt_.details)
            fill_details();
        finish();
    }

private:
    const scan_options& opt_;
    snapshot& snap_;
    unique_fd proc_;
    unique_fd nl_;
    std::unordered_map<std::uint64_t, std::size_t> by_ino_;
    std::unordered_set<std::uint64_t> sockets_seen_;
    std::vector<std::pair<std::size_t, pid_t>> mount_ns_reader_; // mnt ns index -> a pid in it
    std::unordered_set<std::size_t> mount_ns_seen_;

    std::size_t new_namespace(ns_type type, sys::ns_inode inode)
    {
        std::size_t idx = snap_.namespaces.size();
        snap_.namespaces.emplace_back();
        snap_.namespaces[idx].type = type;
        snap_.namespaces[idx].identity.type = type;
        snap_.namespaces[idx].identity.inode = inode;
        by_ino_.emplace(inode.ino, idx);
        return idx;
    }

    // Index of the namespace `fd` refers to, describing it on first sight.
    std::size_t describe(int fd, ns_type type, int depth = 0)
    {
        std::error_code ec;
        auto inode = sys::ns_stat(fd, ec);
        if (ec)
            return none;
        if (auto it = by_ino_.find(inode.ino); it != by_ino_.end())
            return it->second;
        const auto& probe = sys::probe_nsfs();
        const std::size_t idx = new_namespace(type, inode);
        if (probe.get_id) {
            auto id = sys::ns_get_id(fd, ec);
            if (!ec)
                snap_.namespaces[idx].identity.id = id;
        }
        if (depth > 64) // user/pid nesting stops at 32 levels
            return idx;
        // Owner (and, for user namespaces, the parent: they are the same).
        {
            auto ufd = sys::ns_get_userns(fd, ec);
            maybe<std::size_t> owner;
            if (ec) {
                // EPERM: the initial user namespace has no owner; for others the
                // owner is beyond the caller's reach.
                if (!(type == ns_type::user && ec == std::errc::operation_not_permitted))
                    owner.error = ec;
            } else {
                std::size_t o = describe(ufd.get(), ns_type::user, depth + 1);
                if (o != none)
                    owner.value = o;
            }
            snap_.namespaces[idx].owner = owner;
            if (type == ns_type::user)
                snap_.namespaces[idx].parent = owner;
        }
        if (type == ns_type::user) {
            auto uid = sys::ns_get_owner_uid(fd, ec);
            auto& n = snap_.namespaces[idx];
            if (ec)
                n.owner_uid.error = ec;
            else
                n.owner_uid.value = uid;
        }
        if (type == ns_type::pid) {
            auto pfd = sys::ns_get_parent(fd, ec);
            maybe<std::size_t> parent;
            if (ec) {
                if (ec != std::errc::operation_not_permitted) // EPERM: the root as far as we can see
                    parent.error = ec;
            } else {
                std::size_t p = describe(pfd.get(), ns_type::pid, depth + 1);
                if (p != none)
                    parent.value = p;
            }
            snap_.namespaces[idx].parent = parent;
        }
        if (type == ns_type::net && opt_.netnsid) {
            auto& n = snap_.namespaces[idx];
            if (!nl_) {
                n.netnsid.error = std::make_error_code(std::errc::address_family_not_supported);
            } else {
                std::int32_t id = get_nsid(nl_.get(), fd, ec);
                if (ec)
                    n.netnsid.error = ec;
                else if (id >= 0)
                    n.netnsid.value = id;
            }
        }
        if (type == ns_type::mnt) {
            auto& n = snap_.namespaces[idx];
            if (probe.mnt_get_info) {
                auto info = sys::ns_mnt_get_info(fd, ec);
                if (ec)
                    n.mount_count.error = ec;
                else
                    n.mount_count.value = info.nr_mounts;
            } else {
                n.mount_count.error = std::make_error_code(std::errc::inappropriate_io_control_operation);
            }
        }
        return idx;
    }

    // The namespace at `rel` (relative to /proc) that readlink said is (type, ino).
    std::size_t resolve(const char* rel, ns_type type, std::uint64_t ino)
    {
        if (auto it = by_ino_.find(ino); it != by_ino_.end())
            return it->second;
        unique_fd fd(::openat(proc_.get(), rel, O_RDONLY | O_CLOEXEC));
        std::error_code err = fd ? std::error_code{} : last_error();
        if (fd) {
            struct stat st{};
            if (::fstat(fd.get(), &st) == 0 && st.st_ino == ino)
                return describe(fd.get(), type);
            err = std::make_error_code(std::errc::no_such_process); // the pid was reused meanwhile
        }
        // Seen but not openable: keep what readlink told us.
        std::size_t idx = new_namespace(type, {nsfs_dev(), ino});
        auto& n = snap_.namespaces[idx];
        n.owner.error = err;
        if (type == ns_type::user)
            n.owner_uid.error = err;
        if (type == ns_type::user || type == ns_type::pid)
            n.parent.error = err;
        if (type == ns_type::mnt)
            n.mount_count.error = err;
        if (type == ns_type::net && opt_.netnsid)
            n.netnsid.error = err;
        return idx;
    }

    static std::uint64_t nsfs_dev()
    {
        static const std::uint64_t dev = [] {
            struct stat st{};
            return ::stat("/proc/self/ns/user", &st) == 0 ? static_cast<std::uint64_t>(st.st_dev) : 0;
        }();
        return dev;
    }

    void attach(std::size_t pidx, const char* dir, const links& l, bool thread)
    {
        char rel[96];
        for (std::size_t k = 0; k < entry_count; ++k) {
            if (!l.ok[k])
                continue;
            std::size_t ns;
            if (auto it = by_ino_.find(l.ino[k]); it != by_ino_.end()) {
                ns = it->second;
            } else {
                std::snprintf(rel, sizeof rel, "%s/%s", dir, entries()[k].path);
                ns = resolve(rel, entries()[k].type, l.ino[k]);
            }
            auto& p = snap_.processes[pidx];
            if (k < sys::ns_type_count) {
                p.ns[k] = ns;
                if (ns != none) {
                    auto& n = snap_.namespaces[ns];
                    (thread ? n.threads : n.processes).push_back(pidx);
                }
            } else {
                (k == 8 ? p.pid_for_children : p.time_for_children) = ns;
                // A *_for_children namespace other than its own is a reference
                // (after unshare, before the first child).
                const std::size_t own = k == 8 ? 4 : 7;
                if (ns != none && !thread && (!l.ok[own] || l.ino[k] != l.ino[own]))
                    snap_.namespaces[ns].holders.push_back({holder_kind::for_children, p.pid, p.tid});
            }
        }
    }

    void add_process(raw_process& r)
    {
        const pid_t pid = r.info.pid;
        const std::size_t pidx = snap_.processes.size();
        snap_.processes.push_back(std::move(r.info));
        char dir[48];
        std::snprintf(dir, sizeof dir, "%d", pid);
        attach(pidx, dir, r.l, false);
        const auto& leader = snap_.processes[pidx];
        const std::size_t m = leader.ns[0];
        if (opt_.mounts && m != none && leader.state == process_state::running && mount_ns_seen_.insert(m).second)
            mount_ns_reader_.emplace_back(m, pid);
        for (const auto& t : r.threads) {
            process_info ti;
            const auto& lp = snap_.processes[pidx];
            ti.pid = pid;
            ti.tid = t.tid;
            ti.ppid = lp.ppid;
            ti.uid = lp.uid;
            ti.command = lp.command;
            ti.state = lp.state;
            ti.ns_error = t.l.error;
            const std::size_t tidx = snap_.processes.size();
            snap_.processes.push_back(std::move(ti));
            std::snprintf(dir, sizeof dir, "%d/task/%d", pid, t.tid);
            attach(tidx, dir, t.l, true);
        }
    }

    void add_fds(const raw_process& r)
    {
        const pid_t pid = r.info.pid; // still set: only the command string was moved out
        if (r.fds_error) {
            ++snap_.holders_unknown;
            if (!snap_.holders_error)
                snap_.holders_error = r.fds_error;
        }
        unique_fd pidfd; // opened once, for the first unseen socket
        char rel[64];
        for (const auto& f : r.fds) {
            if (!f.socket) {
                std::snprintf(rel, sizeof rel, "%d/fd/%d", pid, f.fd);
                std::size_t ns = resolve(rel, f.type, f.ino);
                if (ns != none)
                    snap_.namespaces[ns].holders.push_back({holder_kind::fd, pid, pid, f.fd});
                continue;
            }
            if (!sockets_seen_.insert(f.ino).second)
                continue; // one socket, many fds (fork, dup): its namespace is known
            std::error_code ec;
            if (!pidfd) {
                pidfd = sys::pidfd_open(pid, ec);
                if (ec)
                    return; // exited since phase 1
            }
            auto sock = sys::pidfd_getfd(pidfd.get(), f.fd, ec);
            if (ec) {
                if (ec != std::errc::bad_file_descriptor) { // EBADF: closed meanwhile
                    ++snap_.holders_unknown;
                    if (!snap_.holders_error)
                        snap_.holders_error = ec;
                }
                continue;
            }
            struct stat st{};
            if (::fstat(sock.get(), &st) != 0 || st.st_ino != f.ino)
                continue; // the fd number now names something else
            unique_fd netns(::ioctl(sock.get(), SIOCGSKNS));
            if (!netns)
                continue;
            std::size_t ns = describe(netns.get(), ns_type::net);
            if (ns != none)
                snap_.namespaces[ns].holders.push_back({holder_kind::socket, pid, pid, f.fd});
        }
    }

    // nsfs bind mounts, in every mount namespace a process is in.
    void scan_mounts()
    {
        std::string text;
        for (auto [mntns, pid] : mount_ns_reader_) {
            char path[48];
            std::snprintf(path, sizeof path, "%d/mountinfo", pid);
            unique_fd fd(::openat(proc_.get(), path, O_RDONLY | O_CLOEXEC));
            if (!fd)
                continue;
            text.clear();
            char buf[16384];
            for (;;) {
                ssize_t n = ::read(fd.get(), buf, sizeof buf);
                if (n <= 0)
                    break;
                text.append(buf, static_cast<std::size_t>(n));
            }
            std::string_view all(text);
            while (!all.empty()) {
                auto eol = all.find('\n');
                std::string_view line = all.substr(0, eol);
                all = eol == std::string_view::npos ? std::string_view{} : all.substr(eol + 1);
                auto sep = line.find(" - ");
                if (sep == std::string_view::npos || line.substr(sep + 3, 5) != "nsfs ")
                    continue;
                // id parent maj:min root mountpoint ...
                std::string_view f[5];
                std::string_view rest = line;
                for (auto& x : f) {
                    auto sp = rest.find(' ');
                    x = rest.substr(0, sp);
                    rest = sp == std::string_view::npos ? std::string_view{} : rest.substr(sp + 1);
                }
                ns_type type;
                std::uint64_t ino;
                if (!parse_ns_link(f[3].data(), f[3].size(), type, ino))
                    continue;
                std::string mp = unescape(f[4]);
                std::string rel = std::to_string(pid) + "/root" + mp;
                std::size_t ns = resolve(rel.c_str(), type, ino);
                if (ns == none)
                    continue;
                ns_reference r{holder_kind::bind_mount, pid, pid};
                r.mount_ns = mntns;
                r.path = std::move(mp);
                snap_.namespaces[ns].holders.push_back(std::move(r));
            }
        }
    }

    // Without scan_options::details: command, ppid and state of the first
    // process of each namespace, and of PID 1 and 2 (to find a kernel thread).
    void fill_details()
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
            if (!p.command.empty() || p.state == process_state::zombie)
                continue;
            char name[16];
            std::snprintf(name, sizeof name, "%d", p.pid);
            unique_fd dir(::openat(proc_.get(), name, O_PATH | O_DIRECTORY | O_CLOEXEC));
            process_info fresh;
            if (!dir || !read_stat(dir.get(), fresh))
                continue;
            // Same process?  Its user namespace link must still match.
            char buf[64];
            ns_type t;
            std::uint64_t ino = 0;
            ssize_t n = ::readlinkat(dir.get(), "ns/user", buf, sizeof buf);
            const std::size_t u = p.ns[static_cast<std::size_t>(ns_type::user)];
            if (u != none && (n <= 0 || !parse_ns_link(buf, static_cast<std::size_t>(n), t, ino) ||
                              ino != snap_.namespaces[u].identity.inode.ino))
                continue;
            p.command = std::move(fresh.command);
            p.ppid = fresh.ppid;
            p.state = fresh.state;
        }
    }

    // Drop namespaces met only through a process that then exited; mark
    // PID 1's; fix indices.
    void finish()
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
            std::size_t i = work.back();
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
        if (next != ns.size()) {
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
                    ns[v].initial = true;
    }
};

} // namespace

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
    scanner(options, s).run(ec);
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
