// Test main, result counting, privilege logic and leak checks for nskit tests.
#define BOOST_TEST_MODULE nskit
#include <boost/test/unit_test.hpp>
#include <boost/test/results_collector.hpp>
#include <boost/test/tree/observer.hpp>

#include "test_support.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/securebits.h>
#include <sched.h>
#include <signal.h>
#include <grp.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

namespace nskit::test {

namespace {

std::string read_all_and_close(int fd)
{
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
        if (n > 0)
            out.append(buf, static_cast<size_t>(n));
    ::close(fd);
    return out;
}

std::set<std::string> mount_points()
{
    std::set<std::string> out;
    std::ifstream in("/proc/self/mountinfo");
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::string id, parent, devno, root, mp;
        ls >> id >> parent >> devno >> root >> mp;
        out.insert(mp);
    }
    return out;
}

std::vector<pid_t> child_pids()
{
    std::vector<pid_t> out;
    for (const auto& task : list_dir("/proc/self/task")) {
        std::ifstream in("/proc/self/task/" + task + "/children");
        pid_t p;
        while (in >> p)
            out.push_back(p);
    }
    return out;
}

struct counters {
    unsigned passed = 0, failed = 0, skipped = 0;
    bool current_failed = false;
};
counters& totals()
{
    static counters c;
    return c;
}

// Counts test cases the way the summary line reports them.
class counting_observer final : public boost::unit_test::test_observer {
public:
    void test_unit_start(const boost::unit_test::test_unit& tu) override
    {
        if (tu.p_type == boost::unit_test::TUT_CASE)
            totals().current_failed = false;
    }
    void test_unit_finish(const boost::unit_test::test_unit& tu, unsigned long) override
    {
        if (tu.p_type != boost::unit_test::TUT_CASE)
            return;
        if (totals().current_failed)
            ++totals().failed;
        else
            ++totals().passed;
    }
    void test_unit_skipped(const boost::unit_test::test_unit& tu, boost::unit_test::const_string reason) override
    {
        if (tu.p_type != boost::unit_test::TUT_CASE || reason == boost::unit_test::const_string("disabled"))
            return; // "disabled": left out by --run_test, not a privilege skip
        ++totals().skipped;
        std::cerr << "skipped: " << tu.full_name() << ": " << reason << "\n";
    }
    void test_unit_aborted(const boost::unit_test::test_unit&) override { totals().current_failed = true; }
    void test_unit_timed_out(const boost::unit_test::test_unit&) override { totals().current_failed = true; }
    void assertion_result(boost::unit_test::assertion_result ar) override
    {
        if (ar == boost::unit_test::AR_FAILED)
            totals().current_failed = true;
    }
    void exception_caught(const boost::execution_exception&) override { totals().current_failed = true; }
    void test_finish() override
    {
        auto& t = totals();
        unsigned failed = t.failed;
        if (privilege_required() && t.skipped > 0) {
            std::cerr << "NSKIT_REQUIRE_PRIVILEGED=1: " << t.skipped << " skipped test(s) count as failed\n";
            failed += t.skipped;
            t.skipped = 0;
        }
        // One machine-readable line per binary; build.sh adds them up.
        std::cout << "nskit-test-summary: passed=" << t.passed << " failed=" << failed << " skipped=" << t.skipped
                  << std::endl;
        if (const char* f = std::getenv("NSKIT_TEST_SUMMARY")) {
            std::ofstream out(f, std::ios::app);
            out << t.passed << ' ' << failed << ' ' << t.skipped << '\n';
        }
    }
    int priority() override { return 1000; }
};

// Snapshot before the suite, compare after: nothing may leak.
struct leak_check {
    std::set<std::string> fds, mounts, links, netns;
    leak_check()
    {
        static counting_observer observer; // lives past the fixture: test_finish comes after teardown
        boost::unit_test::framework::register_observer(observer);
        // A checkout under /tmp (CI's may be) is hidden by the tmpfs that the
        // sandbox tests mount, and nskit looks the working directory up again
        // after the mounts (refusing one the new view lacks): every test runs
        // from "/", which every view has.  The tools were opened before main.
        (void)start_directory();
        if (::chdir("/") != 0)
            std::cerr << "test_support: chdir /: " << std::strerror(errno) << "\n";
        fds = open_fds();
        mounts = mount_points();
        links = list_dir("/sys/class/net");
        netns = list_dir("/run/netns");
    }
    ~leak_check()
    {
        std::vector<std::string> problems;
        // Reap anything still ours so one leak does not cascade, but report it.
        for (pid_t p : child_pids()) {
            problems.push_back("child process " + std::to_string(p) + " still exists");
            ::kill(p, SIGKILL);
            ::waitpid(p, nullptr, 0);
        }
        siginfo_t si{};
        if (::waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid != 0)
            problems.push_back("zombie child " + std::to_string(si.si_pid));
        for (const auto& f : open_fds())
            if (!fds.count(f))
                problems.push_back("fd leaked: " + f);
        for (const auto& m : mount_points())
            if (!mounts.count(m))
                problems.push_back("mount leaked: " + m);
        for (const auto& l : list_dir("/sys/class/net"))
            if (!links.count(l))
                problems.push_back("network link leaked into the host namespace: " + l);
        for (const auto& n : list_dir("/run/netns"))
            if (!netns.count(n))
                problems.push_back("named netns leaked: " + n);
        for (const auto& p : problems)
            BOOST_ERROR("leak check: " << p);
        if (!problems.empty())
            ++totals().failed;
    }
};

} // namespace

namespace {

// The initial user namespace has a fixed inode (PROC_USER_INIT_INO, Linux 3.8).
constexpr ino_t initial_user_ns_ino = 0xEFFFFFFDU;

std::string single_spaced(const std::string& text)
{
    std::istringstream in(text);
    std::string out;
    for (std::string word; in >> word;)
        out += (out.empty() ? "" : " ") + word;
    return out;
}

// Why this process is root only inside a user namespace (nullopt when in the
// initial one): capabilities there give no power over the host's namespaces,
// links or mounts, so privileged tests cannot run.
std::optional<std::string> in_child_user_namespace()
{
    struct stat st {};
    if (::stat("/proc/self/ns/user", &st) != 0 || st.st_ino == initial_user_ns_ino)
        return std::nullopt; // no /proc: the other checks decide
    return "root only in a non-initial user namespace (uid_map \"" + single_spaced(read_file("/proc/self/uid_map")) +
           "\"), without privilege over the host's namespaces";
}

// Whether `id` has a mapping in this user namespace (uid_map or gid_map).
bool id_mapped(const char* map_file, unsigned long id)
{
    std::ifstream in(map_file);
    unsigned long inside = 0, outside = 0, count = 0;
    while (in >> inside >> outside >> count)
        if (id >= inside && id - inside < count)
            return true;
    return false;
}

// Stay uid 0 but hold no capability now or after exec (securebits locked):
// the unprivileged identity available where uid 65534 is not mapped.
std::string drop_every_capability()
{
    constexpr int bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
                         SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
                         SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
    if (::prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) != 0)
        return std::string("PR_SET_SECUREBITS: ") + std::strerror(errno);
    for (int cap = 0; ::prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; ++cap)
        if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0)
            return std::string("PR_CAPBSET_DROP: ") + std::strerror(errno);
    ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
    if (::syscall(SYS_capset, &header, data) != 0)
        return std::string("capset: ") + std::strerror(errno);
    return {};
}

} // namespace

std::set<std::string> list_dir(const char* path)
{
    std::set<std::string> out;
    if (DIR* d = ::opendir(path)) {
        while (auto* e = ::readdir(d))
            if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0)
                out.insert(e->d_name);
        ::closedir(d);
    }
    return out;
}

std::set<std::string> open_fds()
{
    std::set<std::string> out;
    DIR* d = ::opendir("/proc/self/fd");
    if (d == nullptr)
        return out;
    const int own = ::dirfd(d);
    while (auto* e = ::readdir(d)) {
        if (e->d_name[0] == '.' || std::atoi(e->d_name) == own)
            continue;
        char target[512] = {};
        std::string link = std::string("/proc/self/fd/") + e->d_name;
        ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
        out.insert(std::string(e->d_name) + " -> " + (n > 0 ? std::string(target, static_cast<size_t>(n)) : "?"));
    }
    ::closedir(d);
    return out;
}

bool in_initial_user_namespace()
{
    struct stat st {};
    return ::stat("/proc/self/ns/user", &st) == 0 && st.st_ino == initial_user_ns_ino;
}

std::optional<std::string> missing_privilege()
{
    if (::geteuid() != 0)
        return "needs root (euid is " + std::to_string(::geteuid()) + ")";
    if (auto why = in_child_user_namespace())
        return why;
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("CapEff:", 0) == 0) {
            unsigned long long caps = std::strtoull(line.c_str() + 7, nullptr, 16);
            if (!(caps & (1ULL << 21)))
                return std::string("needs CAP_SYS_ADMIN in the effective set");
            if (!(caps & (1ULL << 12)))
                return std::string("needs CAP_NET_ADMIN in the effective set");
        }
    }
    return std::nullopt;
}

bool privilege_required()
{
    const char* v = std::getenv("NSKIT_REQUIRE_PRIVILEGED");
    return v != nullptr && std::strcmp(v, "1") == 0;
}

boost::test_tools::assertion_result privileged::operator()(boost::unit_test::test_unit_id) const
{
    if (auto why = missing_privilege()) {
        boost::test_tools::assertion_result r(false);
        r.message() << "privileged test skipped: " << *why;
        return r;
    }
    return true;
}

std::string as_nobody(const std::function<std::string()>& fn)
{
    return in_child([&] {
        if (::geteuid() == 0 && id_mapped("/proc/self/uid_map", 65534) && id_mapped("/proc/self/gid_map", 65534)) {
            // dropping to uid 65534 clears every capability; setgroups is
            // refused where the user namespace denies it (unshare -r)
            if ((::setgroups(0, nullptr) != 0 && errno != EPERM) || ::setresgid(65534, 65534, 65534) != 0 ||
                ::setresuid(65534, 65534, 65534) != 0)
                return std::string("cannot drop to nobody: ") + std::strerror(errno);
        } else if (::geteuid() == 0) {
            // 65534 is not mapped (a rootless user namespace): stay uid 0
            // without any capability instead
            if (auto err = drop_every_capability(); !err.empty())
                return "cannot drop every capability: " + err;
        }
        if (!missing_privilege())
            return std::string("still privileged after dropping to nobody");
        return fn();
    });
}

std::string in_child(const std::function<std::string()>& fn)
{
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0)
        return std::string("pipe2: ") + std::strerror(errno);
    std::cout.flush();
    std::cerr.flush();
    pid_t pid = ::fork();
    if (pid < 0) {
        ::close(p[0]);
        ::close(p[1]);
        return std::string("fork: ") + std::strerror(errno);
    }
    if (pid == 0) {
        ::close(p[0]);
        std::string msg;
        try {
            msg = fn();
        } catch (const std::exception& e) {
            msg = std::string("exception: ") + e.what();
        } catch (...) {
            msg = "unknown exception";
        }
        const char* d = msg.data();
        size_t left = msg.size();
        while (left > 0) {
            ssize_t n = ::write(p[1], d, left);
            if (n <= 0)
                break;
            d += n;
            left -= static_cast<size_t>(n);
        }
        ::_exit(msg.empty() ? 0 : 1);
    }
    ::close(p[1]);
    std::string msg = read_all_and_close(p[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFSIGNALED(status))
        return msg + "child killed by signal " + std::to_string(WTERMSIG(status));
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0 && msg.empty())
        return "child exited with " + std::to_string(WEXITSTATUS(status));
    return msg;
}

std::string run_program(const std::vector<std::string>& argv, int* status, int netns_fd)
{
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0)
        return {};
    std::cout.flush();
    pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(p[1], 1);
        if (netns_fd >= 0 && ::setns(netns_fd, CLONE_NEWNET) != 0)
            ::_exit(126);
        std::vector<char*> args;
        for (const auto& a : argv)
            args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        ::execvp(args[0], args.data());
        ::_exit(127);
    }
    ::close(p[1]);
    std::string out = read_all_and_close(p[0]);
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    if (status)
        *status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return out;
}

bool forbid_syscall(long nr, int err)
{
    sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<unsigned>(nr), 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (static_cast<unsigned>(err) & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_fprog prog{static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter};
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return false;
    return ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) == 0;
}

bool forbid_pidfd_namespace_ioctls()
{
    const unsigned first = _IO(0xFF, 1), last = _IO(0xFF, 10);
    sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_ioctl, 0, 4),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, args) + sizeof(__u64)), // request, low half
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, first, 0, 2),
        BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, last, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOTTY),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_fprog prog{static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter};
    return ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 && ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) == 0;
}

const std::string& start_directory()
{
    static const std::string dir = [] {
        char buf[4096];
        return std::string(::getcwd(buf, sizeof buf) ? buf : ".");
    }();
    return dir;
}

std::string read_file(const std::string& path)
{
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

sleeper::sleeper(unsigned long clone_flags)
{
    if (clone_flags == 0) {
        pid = ::fork();
    } else {
        pid = static_cast<pid_t>(::syscall(SYS_clone, clone_flags | SIGCHLD, nullptr, nullptr, nullptr, 0));
    }
    if (pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        for (int i = 0; i < 600; ++i) // bounded: at most 10 minutes
            ::sleep(1);
        ::_exit(0);
    }
    if (pid > 0)
        pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

sleeper::~sleeper()
{
    if (pid > 0) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
    }
    if (pidfd >= 0)
        ::close(pidfd);
}

BOOST_TEST_GLOBAL_FIXTURE(leak_check);

} // namespace nskit::test
