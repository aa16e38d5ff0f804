#include "fault_harness.hpp"

#include "syscall_names.hpp"
#include "test_support.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

namespace nskit::test::faults {

namespace {

// The calls never handed to the supervisor: they cannot fail, or answering
// them from user space is meaningless (a signal return, the last exit).
constexpr long never_watched[] = {SYS_rt_sigreturn, SYS_exit, SYS_exit_group, SYS_restart_syscall};

// The harness's own exec of the tool: always watched, so the supervisor can
// take the listener (pidfd_getfd) before that exec closes it (O_CLOEXEC).
constexpr long harness_exec = SYS_execveat;

// pid and listener fd of the tool's process, written there between
// fork and exec without a system call (the filter is installed by then).
struct handshake {
    std::atomic<int> pid{0};
    std::atomic<int> listener{-1};
};

std::vector<sock_filter> filter_program(const std::optional<fault>& f)
{
    std::vector<sock_filter> p;
    p.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)));
    p.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0));
    p.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
    p.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
    std::vector<long> listed;
    if (f) {
        listed = {harness_exec, f->at.nr};
    } else {
        listed.assign(std::begin(never_watched), std::end(never_watched));
    }
    // ALLOW for a listed call (never_watched) or NOTIFY (the fault's), then
    // the other verdict for everything else.
    const std::uint32_t hit = f ? SECCOMP_RET_USER_NOTIF : SECCOMP_RET_ALLOW;
    const std::uint32_t miss = f ? SECCOMP_RET_ALLOW : SECCOMP_RET_USER_NOTIF;
    const auto n = static_cast<std::uint8_t>(listed.size());
    for (std::uint8_t i = 0; i < n; ++i) // jump to the "hit" return after the "miss" one
        p.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<std::uint32_t>(listed[i]),
                             static_cast<std::uint8_t>(n - i), 0));
    p.push_back(BPF_STMT(BPF_RET | BPF_K, miss));
    p.push_back(BPF_STMT(BPF_RET | BPF_K, hit));
    return p;
}

struct range {
    std::uintptr_t lo, hi;
};

// Executable mappings of the tool's process: the dynamic loader's apart.
struct code_map {
    std::vector<range> loader, tool;
    bool has_libc = false;

    void read(pid_t pid)
    {
        std::ifstream in("/proc/" + std::to_string(pid) + "/maps");
        std::vector<range> l, t;
        bool libc = false;
        for (std::string line; std::getline(in, line);) {
            std::istringstream ls(line);
            std::string span, perms, offset, dev, inode, path;
            ls >> span >> perms >> offset >> dev >> inode >> path;
            if (perms.size() < 3 || perms[2] != 'x')
                continue;
            const auto dash = span.find('-');
            const range r{std::strtoull(span.c_str(), nullptr, 16), std::strtoull(span.c_str() + dash + 1, nullptr, 16)};
            if (path.find("/ld-linux") != std::string::npos)
                l.push_back(r);
            else
                t.push_back(r);
            libc = libc || path.find("/libc.so") != std::string::npos;
        }
        if (!l.empty() || !t.empty()) {
            loader = std::move(l);
            tool = std::move(t);
            has_libc = libc;
        }
    }
    static bool in(const std::vector<range>& v, std::uintptr_t ip)
    {
        for (const auto& r : v)
            if (ip >= r.lo && ip < r.hi)
                return true;
        return false;
    }
};

class supervisor {
public:
    supervisor(handshake* h, const std::optional<fault>& f) : h_(h), fault_(f) {}

    void run()
    {
        // The tool's process publishes pid and listener before its exec,
        // which waits for us: bounded wait for the handshake.
        for (int i = 0; i < 10000 && h_->listener.load() < 0 && !stop_.load(); ++i)
            ::usleep(1000);
        if (h_->listener.load() < 0) {
            error_ = "no handshake from the tool's process";
            return;
        }
        root_ = h_->pid.load();
        const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, root_, 0));
        if (pidfd < 0) {
            error_ = std::string("pidfd_open: ") + std::strerror(errno);
            return;
        }
        listener_ = static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd, h_->listener.load(), 0));
        const int getfd_errno = errno;
        ::close(pidfd);
        if (listener_ < 0) {
            error_ = std::string("pidfd_getfd: ") + std::strerror(getfd_errno);
            return;
        }
        serve();
        ::close(listener_);
    }
    void stop() { stop_ = true; }

    std::map<site, unsigned> calls;
    bool injected = false;
    std::string error_;

private:
    void serve()
    {
        bool exec_seen = false;
        while (true) {
            pollfd p{listener_, POLLIN, 0};
            const int r = ::poll(&p, 1, 50);
            if (r < 0 && errno != EINTR) {
                error_ = std::string("poll: ") + std::strerror(errno);
                return;
            }
            if (r <= 0) {
                if (stop_.load())
                    return;
                continue;
            }
            if (!(p.revents & POLLIN))
                return; // POLLHUP: every process under the filter is gone
            seccomp_notif req;
            std::memset(&req, 0, sizeof req);
            if (::ioctl(listener_, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0)
                continue; // ENOENT: the caller died meanwhile
            seccomp_notif_resp resp;
            std::memset(&resp, 0, sizeof resp);
            resp.id = req.id;
            resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
            const long nr = req.data.nr;
            if (!exec_seen) {
                exec_seen = static_cast<pid_t>(req.pid) == root_ && nr == harness_exec;
            } else if (is_tool_code(req.data.instruction_pointer)) {
                const site s{nr, static_cast<pid_t>(req.pid) == root_ ? where::parent : where::child};
                const unsigned n = ++calls[s];
                if (fault_ && s == fault_->at && n == fault_->occurrence) {
                    resp.flags = 0;
                    resp.error = -fault_->err;
                    injected = true;
                }
            }
            ::ioctl(listener_, SECCOMP_IOCTL_NOTIF_SEND, &resp); // ENOENT: the caller died
        }
    }

    bool is_tool_code(std::uintptr_t ip)
    {
        if (code_map::in(map_.loader, ip))
            return false;
        if (code_map::in(map_.tool, ip))
            return true;
        // Unknown: a library loaded since the last look, or PROGRAM after
        // exec.  Once libc is mapped the tool's code is all there.
        if (map_.has_libc)
            return false;
        map_.read(root_);
        return !code_map::in(map_.loader, ip) && code_map::in(map_.tool, ip);
    }

    handshake* h_;
    std::optional<fault> fault_;
    pid_t root_ = -1;
    int listener_ = -1;
    code_map map_;
    std::atomic<bool> stop_{false};
};

std::vector<std::string> mount_lines()
{
    std::vector<std::string> out;
    std::ifstream in("/proc/self/mountinfo");
    for (std::string line; std::getline(in, line);) {
        std::istringstream ls(line);
        std::string id, parent, devno, root, mp;
        ls >> id >> parent >> devno >> root >> mp;
        out.push_back(mp + " (" + root + ")");
    }
    return out;
}

std::vector<pid_t> children()
{
    std::vector<pid_t> out;
    for (const auto& task : list_dir("/proc/self/task")) {
        std::ifstream in("/proc/self/task/" + task + "/children");
        for (pid_t p; in >> p;)
            out.push_back(p);
    }
    return out;
}

std::string comm_of(pid_t p)
{
    std::ifstream in("/proc/" + std::to_string(p) + "/cmdline");
    std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (auto& c : s)
        if (c == '\0')
            c = ' ';
    return s;
}

void added(std::vector<std::string>& problems, const std::string& what, const std::vector<std::string>& before,
           const std::vector<std::string>& after)
{
    std::multiset<std::string> b(before.begin(), before.end());
    for (const auto& a : after) {
        auto it = b.find(a);
        if (it == b.end())
            problems.push_back(what + " " + a);
        else
            b.erase(it);
    }
}

} // namespace

const std::map<long, const char*>& not_injected()
{
    static const std::map<long, const char*> calls = {
        {SYS_close, "a failed close loses nothing the tool needs (the fd is gone either way)"},
        {SYS_close_range, "closing inherited fds before exec: best effort, a failure leaves no nskit fd open (CLOEXEC)"},
        {SYS_munmap, "freeing memory: a failure leaks address space, not state"},
        {SYS_madvise, "an allocator hint"},
        {SYS_brk, "malloc falls back to mmap when brk fails"},
        {SYS_getpid, "cannot fail"},
        {SYS_gettid, "cannot fail"},
        {SYS_getuid, "cannot fail"},
        {SYS_geteuid, "cannot fail"},
        {SYS_getgid, "cannot fail"},
        {SYS_getegid, "cannot fail"},
        {SYS_getppid, "cannot fail"},
        {SYS_sched_yield, "cannot fail"},
        {SYS_rseq, "glibc registers each new thread with rseq and aborts when that fails, before any nskit code"},
        {SYS_set_robust_list, "glibc's thread start, before any nskit code"},
        {SYS_futex, "glibc's locks retry; not a setup step"},
        {SYS_rt_sigprocmask, "fails only for a bad argument; the tool's masks are constant"},
        {SYS_rt_sigaction, "fails only for a bad argument; the tool's handlers are constant"},
    };
    return calls;
}

std::vector<planned> plan_faults(const std::map<site, unsigned>& calls, bool last_too, const std::vector<int>& errors)
{
    std::vector<planned> out;
    const char* only = std::getenv("NSKIT_FAULTS_ONLY");
    for (const auto& [at, count] : calls) {
        if (not_injected().count(at.nr) || (only && syscall_name(at.nr) != only))
            continue;
        std::vector<unsigned> occurrences{1};
        if (last_too && count > 1)
            occurrences.push_back(count);
        for (unsigned occurrence : occurrences)
            for (int err : errors)
                out.push_back({{at, occurrence, err}, count});
    }
    return out;
}

std::string syscall_name(long nr)
{
    switch (nr) {
#define NSKIT_FAULT_NAME(name, number)                                                                             \
    case number: return #name;
        NSKIT_FAULT_SYSCALLS(NSKIT_FAULT_NAME)
#undef NSKIT_FAULT_NAME
    default: return "syscall " + std::to_string(nr);
    }
}

std::string errno_name(int err)
{
    switch (err) {
    case EPERM: return "EPERM";
    case ENOSPC: return "ENOSPC";
    case ENOMEM: return "ENOMEM";
    case EMFILE: return "EMFILE";
    case EACCES: return "EACCES";
    case EIO: return "EIO";
    default: return "errno " + std::to_string(err);
    }
}

std::string describe(const fault& f)
{
    return syscall_name(f.at.nr) + " #" + std::to_string(f.occurrence) +
           (f.at.in == where::parent ? " in the parent" : " in a child") + " -> " + errno_name(f.err);
}

traced_run run_traced(const std::string& tool, const std::vector<std::string>& args, const std::optional<fault>& f)
{
    traced_run out;
    auto* h = static_cast<handshake*>(
        ::mmap(nullptr, sizeof(handshake), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
    if (h == MAP_FAILED) {
        out.error = std::string("mmap: ") + std::strerror(errno);
        return out;
    }
    new (h) handshake;
    const std::vector<sock_filter> program = filter_program(f);
    const sock_fprog prog{static_cast<unsigned short>(program.size()), const_cast<sock_filter*>(program.data())};

    supervisor sup(h, f);
    std::thread thread([&] { sup.run(); });

    tool_run_options opts;
    opts.before_exec = [&] { // in the tool's process, before exec: only system calls
        const int pid = static_cast<int>(::getpid());
        if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
            ::_exit(111);
        const long fd = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
        if (fd < 0)
            ::_exit(112);
        h->pid.store(pid);
        h->listener.store(static_cast<int>(fd));
    };
    out.result = run_tool(tool, args, opts);
    sup.stop();
    thread.join();
    out.calls = std::move(sup.calls);
    out.injected = sup.injected;
    out.error = sup.error_;
    if (out.error.empty() && (out.result.status == 111 || out.result.status == 112))
        out.error = "cannot install the seccomp filter (status " + std::to_string(out.result.status) + ")";
    h->~handshake();
    ::munmap(h, sizeof(handshake));
    return out;
}

host_state snapshot()
{
    host_state s;
    s.mounts = mount_lines();
    const auto links = list_dir("/sys/class/net");
    s.links.assign(links.begin(), links.end());
    const auto netns = list_dir("/run/netns");
    s.netns.assign(netns.begin(), netns.end());
    s.children = children();
    const auto fds = open_fds();
    s.fds.assign(fds.begin(), fds.end());
    return s;
}

std::vector<std::string> left_behind(const host_state& before)
{
    std::vector<std::string> problems;
    // A process the tool left may be on its way out (killed when its parent
    // died): bounded wait, reaping, before calling it left behind.
    const auto new_children = [&] {
        std::vector<pid_t> v;
        for (pid_t p : children())
            if (std::find(before.children.begin(), before.children.end(), p) == before.children.end())
                v.push_back(p);
        return v;
    };
    for (int i = 0; i < 200; ++i) {
        for (pid_t p : new_children())
            ::waitpid(p, nullptr, WNOHANG);
        if (new_children().empty())
            break;
        ::usleep(5000);
    }
    for (pid_t p : new_children()) {
        problems.push_back("process " + std::to_string(p) + " (" + comm_of(p) + ")");
        ::kill(p, SIGKILL);
        ::waitpid(p, nullptr, 0);
    }
    // A veth pair whose outer end nsrun could not delete goes when the
    // kernel tears the inner namespace down, asynchronously: bounded wait.
    host_state after = snapshot();
    for (int i = 0; i < 100 && after.links.size() > before.links.size(); ++i) {
        ::usleep(20000);
        after = snapshot();
    }
    added(problems, "mount", before.mounts, after.mounts);
    // A link left behind: deleted, so one leak does not fail every later run.
    std::vector<std::string> links;
    added(links, "", before.links, after.links);
    for (auto& l : links) {
        l.erase(0, 1);
        run_program({"ip", "link", "delete", l});
        problems.push_back("link " + l);
    }
    added(problems, "named netns", before.netns, after.netns);
    added(problems, "fd", before.fds, after.fds);
    return problems;
}

} // namespace nskit::test::faults
