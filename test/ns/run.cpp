#include <nskit/ns/run.hpp>
#include "terminal.hpp"
#include "test_support.hpp"

#include <nskit/ns/handle.hpp>
#include <nskit/sys/kcmp.hpp>
#include <nskit/sys/nsfs.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/user.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <fstream>
#include <set>
#include <thread>

namespace ns = nskit::ns;
namespace sys = nskit::sys;
using nskit::test::in_child;
using nskit::test::as_nobody;
namespace utf = boost::unit_test;

namespace {

std::set<std::string> proc_pids()
{
    std::set<std::string> out;
    if (DIR* d = ::opendir("/proc")) {
        while (auto* e = ::readdir(d))
            if (e->d_name[0] >= '0' && e->d_name[0] <= '9')
                out.insert(e->d_name);
        ::closedir(d);
    }
    return out;
}

std::array<sys::ns_identity, sys::ns_type_count> my_identities()
{
    std::array<sys::ns_identity, sys::ns_type_count> out{};
    for (const auto& t : sys::ns_types())
        out[static_cast<std::size_t>(t.type)] = ns::namespace_handle::current(t.type).identity();
    return out;
}

// Bit i set: namespace type i differs from `before`.  (Exit status: 8 bits.)
int differing_bits(const std::array<sys::ns_identity, sys::ns_type_count>& before)
{
    int bits = 0;
    for (const auto& t : sys::ns_types())
        if (!(ns::namespace_handle::current(t.type).identity() == before[static_cast<std::size_t>(t.type)]))
            bits |= 1 << static_cast<int>(t.type);
    return bits;
}

int type_bits(sys::clone_flags f)
{
    int bits = 0;
    for (const auto& t : sys::ns_types())
        if (f.contains(t.flag))
            bits |= 1 << static_cast<int>(t.type);
    return bits;
}

bool lo_up()
{
    const int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ifreq ifr{};
    std::strcpy(ifr.ifr_name, "lo");
    const bool up = s >= 0 && ::ioctl(s, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP);
    if (s >= 0)
        ::close(s);
    return up;
}

bool no_children_left()
{
    siginfo_t si{};
    return ::waitid(P_ALL, 0, &si, WEXITED | WNOHANG | __WALL) != 0 || si.si_pid == 0;
}

double monotonic_s()
{
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
}

} // namespace

BOOST_AUTO_TEST_SUITE(ns_run)

BOOST_AUTO_TEST_CASE(pid_namespace_has_init_and_only_own_processes, *utf::precondition(nskit::test::privileged()))
{
    ns::options o;
    o.pid = true;
    auto s = ns::run([] {
        auto pids = proc_pids();
        // PID 1 is the init, we are its child, and /proc shows nothing else.
        return (::getpid() == 2 && ::getppid() == 1 && pids == std::set<std::string>{"1", "2"}) ? 0 : 1;
    }, o);
    BOOST_TEST(s.exited());
    BOOST_TEST(s.code == 0);
    BOOST_TEST(no_children_left());
}

BOOST_AUTO_TEST_CASE(pid_namespace_without_proc, *utf::precondition(nskit::test::privileged()))
{
    ns::options o;
    o.pid = true;
    o.proc = false;
    auto s = ns::run([] {
        char buf[32] = {};
        // the host's /proc: "self" is not our pid inside
        const ssize_t n = ::readlink("/proc/self", buf, sizeof buf - 1);
        return (n > 0 && std::string(buf) != "2" && ::getpid() == 2) ? 0 : 1;
    }, o);
    BOOST_TEST(s.code == 0);
}

BOOST_AUTO_TEST_CASE(private_tmp_with_size_and_mode, *utf::precondition(nskit::test::privileged()))
{
    ns::options o;
    o.tmp = ns::tmp_options{};
    o.tmp->size = "1m";
    o.tmp->mode = 0710;
    const std::string marker = "/tmp/nskit-private-" + std::to_string(::getpid());
    auto s = ns::run([&] {
        struct statfs fs{};
        struct stat st{};
        if (::statfs("/tmp", &fs) != 0 || fs.f_type != 0x01021994 /* TMPFS_MAGIC */)
            return 1;
        if (static_cast<unsigned long long>(fs.f_blocks) * fs.f_bsize != 1024 * 1024)
            return 2;
        if (::stat("/tmp", &st) != 0 || (st.st_mode & 07777) != 0710)
            return 3;
        DIR* d = ::opendir("/tmp");
        int entries = 0;
        while (auto* e = ::readdir(d))
            entries += e->d_name[0] != '.';
        ::closedir(d);
        if (entries != 0)
            return 4;
        std::ofstream(marker) << "Hello Void";
        return ::access(marker.c_str(), F_OK) == 0 ? 0 : 5;
    }, o);
    BOOST_TEST(s.code == 0);
    BOOST_TEST(::access(marker.c_str(), F_OK) != 0); // invisible from the host
}

BOOST_AUTO_TEST_CASE(tmp_symlink_refused, *utf::precondition(nskit::test::privileged()))
{
    char dir[] = "/var/tmp/nskit-root-XXXXXX";
    BOOST_REQUIRE(::mkdtemp(dir) != nullptr);
    const std::string link = std::string(dir) + "/tmp";
    BOOST_REQUIRE(::symlink("/", link.c_str()) == 0);
    NSKIT_CHECK_CHILD(in_child([&] {
        NSKIT_EXPECT(::unshare(CLONE_NEWNS) == 0);
        NSKIT_EXPECT(::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0);
        NSKIT_EXPECT(::mount(dir, dir, nullptr, MS_BIND, nullptr) == 0);
        NSKIT_EXPECT(::chroot(dir) == 0 && ::chdir("/") == 0);
        ns::options o;
        o.tmp = ns::tmp_options{};
        std::error_code ec;
        ns::run([] { return 0; }, o, ec);
        NSKIT_EXPECT(ns::failed_step(ec) == ns::setup_step::tmp_check);
        NSKIT_EXPECT(ec == std::errc::too_many_symbolic_link_levels);
        NSKIT_EXPECT(ns::explain(ec).find("symbolic link") != std::string::npos);
        return std::string();
    }));
    ::unlink(link.c_str());
    ::rmdir(dir);
}

BOOST_AUTO_TEST_CASE(uts_hostname_only_inside, *utf::precondition(nskit::test::privileged()))
{
    utsname before{};
    ::uname(&before);
    ns::options o;
    o.hostname = "nskit-box";
    o.domainname = "nskit.test";
    auto s = ns::run([] {
        utsname u{};
        ::uname(&u);
        return (std::string(u.nodename) == "nskit-box" && std::string(u.domainname) == "nskit.test") ? 0 : 1;
    }, o);
    BOOST_TEST(s.code == 0);
    utsname after{};
    ::uname(&after);
    BOOST_TEST(std::string(after.nodename) == before.nodename);
}

BOOST_AUTO_TEST_CASE(net_has_loopback_up, *utf::precondition(nskit::test::privileged()))
{
    ns::options o;
    o.net = true;
    auto s = ns::run([] {
        // only lo exists, and it is up
        DIR* d = ::opendir("/proc/self/net/dev_snmp6");
        (void)d;
        if (d)
            ::closedir(d);
        return lo_up() ? 0 : 1;
    }, o);
    BOOST_TEST(s.code == 0);
}

BOOST_AUTO_TEST_CASE(veth_to_parent_addressed_both_ends, *utf::precondition(nskit::test::privileged()))
{
    const std::string name = "nskv" + std::to_string(::getpid() % 100000);
    ns::options o;
    o.veth = nskit::net::veth_recipe{
        .local_name = name, .peer_name = "eth0", .local_address = "10.231.7.1/24", .peer_address = "10.231.7.2/24"};
    auto p = ns::spawn("sleep", {"10"}, o);
    // oracles: ip(8) outside and inside
    const std::string outside = nskit::test::run_program({"ip", "-j", "addr", "show", "dev", name});
    BOOST_TEST(outside.find("\"10.231.7.1\"") != std::string::npos, outside);
    auto netns = p.ns(sys::ns_type::net);
    const std::string inside = nskit::test::run_program({"ip", "-j", "addr", "show"}, nullptr, netns.fd());
    BOOST_TEST(inside.find("\"10.231.7.2\"") != std::string::npos, inside);
    BOOST_TEST(inside.find("\"ifname\":\"lo\",\"flags\":[\"LOOPBACK\",\"UP\"") != std::string::npos, inside);
    netns = {};
    p.signal(SIGKILL);
    p.wait();
    // reaping deletes the pair at once (the kernel would, asynchronously,
    // once the namespace is gone): the name is free again
    BOOST_TEST(::access(("/sys/class/net/" + name).c_str(), F_OK) != 0);
    auto again = ns::spawn("true", {}, o);
    BOOST_TEST(again.wait().code == 0);
    BOOST_TEST(::access(("/sys/class/net/" + name).c_str(), F_OK) != 0);
}

BOOST_AUTO_TEST_CASE(veth_name_taken_reports_step, *utf::precondition(nskit::test::privileged()))
{
    ns::options o;
    o.veth = nskit::net::veth_recipe{.local_name = "lo", .peer_name = "eth0"};
    std::error_code ec;
    ns::run([] { return 0; }, o, ec);
    BOOST_TEST((ns::failed_step(ec) == ns::setup_step::veth));
    BOOST_TEST((ec == std::errc::file_exists));
    BOOST_TEST(no_children_left());
}

BOOST_AUTO_TEST_CASE(identities_differ_exactly_for_types_asked, *utf::precondition(nskit::test::privileged()))
{
    const auto before = my_identities();
    auto check = [&](ns::options o) {
        auto s = ns::run([&] { return differing_bits(before); }, o);
        BOOST_TEST(s.exited());
        BOOST_TEST(s.code == type_bits(o.namespaces()), "asked " << sys::to_string(o.namespaces()));
    };
    ns::options o;
    check(o); // none
    o = {}; o.mount = true; check(o);
    o = {}; o.uts = true; check(o);
    o = {}; o.ipc = true; check(o);
    o = {}; o.net = true; check(o);
    o = {}; o.pid = true; o.proc = false; check(o);
    o = {}; o.user = ns::user_options{}; check(o);
    o = {}; o.cgroup = true; check(o);
    o = {}; o.time = true; check(o);
    o = {}; o.mount = o.uts = o.ipc = o.net = o.pid = o.cgroup = o.time = true;
    o.user = ns::user_options{};
    check(o);
}

BOOST_AUTO_TEST_CASE(user_default_maps_caller_to_root)
{
    // works unprivileged: the caller's own uid becomes root
    const uid_t me = ::geteuid();
    ns::options o;
    o.user = ns::user_options{};
    std::error_code ec;
    auto s = ns::run([&] {
        const std::string map = nskit::test::read_file("/proc/self/uid_map");
        std::istringstream in(map);
        unsigned inside, outside, count;
        in >> inside >> outside >> count;
        return (::getuid() == 0 && ::getgid() == 0 && inside == 0 && outside == me && count == 1) ? 0 : 1;
    }, o, ec);
    BOOST_TEST(!ec, ec.message());
    BOOST_TEST(s.code == 0);
}

BOOST_AUTO_TEST_CASE(user_arbitrary_ranges, *utf::precondition(nskit::test::privileged()))
{
    ns::options o;
    o.user = ns::user_options{ns::parse_id_map("0 100000 65536"), ns::parse_id_map("0 100000 65536"), true};
    auto s = ns::run([] {
        const std::string map = nskit::test::read_file("/proc/self/uid_map");
        std::istringstream in(map);
        unsigned inside, outside, count;
        in >> inside >> outside >> count;
        return (::getuid() == 0 && inside == 0 && outside == 100000 && count == 65536) ? 0 : 1;
    }, o);
    BOOST_TEST(s.code == 0);
}

// A map the kernel would refuse (EINVAL at the uid_map write, after the
// clone) is refused before it, with the ranges that overlap.
BOOST_AUTO_TEST_CASE(bad_uid_map_refused_before_the_clone)
{
    ns::options o;
    o.user = ns::user_options{{{0, 1000, 10}, {20, 1005, 1}}, {}, true};
    std::error_code ec;
    ns::run([] { return 0; }, o, ec);
    BOOST_TEST((ec == nskit::error::bad_id_map), ec.message());
    BOOST_TEST((ns::failed_step(ec) == ns::setup_step::none));
    BOOST_TEST(o.problem().field == "user.uid_map");
    BOOST_TEST(o.problem().reason == "uid map ranges 0:1000:10 and 20:1005:1 overlap outside");
    BOOST_TEST(no_children_left());
}

BOOST_AUTO_TEST_CASE(unprivileged_foreign_map_is_eperm)
{
    NSKIT_CHECK_CHILD(as_nobody([] {
        ::prctl(PR_SET_DUMPABLE, 1); // as after an exec: our children's /proc files are ours
        ns::options o;
        o.user = ns::user_options{{{0, 0, 1}}, {}, true}; // root outside: not ours
        std::error_code ec;
        ns::run([] { return 0; }, o, ec);
        if (ns::failed_step(ec) != ns::setup_step::uid_map)
            return "got " + ec.message();
        NSKIT_EXPECT(ec == std::errc::operation_not_permitted);
        return std::string();
    }));
}

BOOST_AUTO_TEST_CASE(no_privilege_gives_eperm_with_clear_message)
{
    NSKIT_CHECK_CHILD(as_nobody([] {
        ns::options o;
        o.net = true;
        std::error_code ec;
        ns::run([] { return 0; }, o, ec);
        NSKIT_EXPECT(ns::failed_step(ec) == ns::setup_step::clone);
        NSKIT_EXPECT(ec == std::errc::operation_not_permitted);
        NSKIT_EXPECT(ns::explain(ec).find("CAP_SYS_ADMIN") != std::string::npos);
        try {
            ns::run([] { return 0; }, o);
            return std::string("no exception");
        } catch (const std::system_error& e) {
            // the library names no tool flag; it says what to do in its own terms
            NSKIT_EXPECT(std::string(e.what()).find("user namespace") != std::string::npos);
            NSKIT_EXPECT(std::string(e.what()).find("--user") == std::string::npos);
        }
        return std::string();
    }));
}

// what() names the operation and says strerror once (it was
// "run(uts): nsrun: Invalid argument: Invalid argument").
BOOST_AUTO_TEST_CASE(thrown_text_names_no_tool_and_repeats_nothing)
{
    ns::options o;
    o.hostname = std::string(65, 'h');
    try {
        ns::run([] { return 0; }, o);
        BOOST_FAIL("no exception");
    } catch (const std::system_error& e) {
        const std::string w = e.what();
        BOOST_TEST(w.find("run(") == 0u, w);
        BOOST_TEST(w.find("nsrun") == std::string::npos, w);
        BOOST_TEST(w.find("hostname 'hhhhhhhhhhhhhhhh...' is 65 bytes; the kernel's limit is 64") != std::string::npos, w);
        const std::string msg = e.code().message();
        BOOST_TEST(w.find(msg) == w.rfind(msg), w);
    }
}

// A failed step names the input it used: the directory of a chdir, the
// options of the tmpfs (the old text was the step and errno only).
BOOST_AUTO_TEST_CASE(failed_step_names_its_input)
{
    ns::options o;
    if (nskit::test::missing_privilege())
        o.user = ns::user_options{};
    o.mount = true;
    ns::spawn_options so;
    so.cwd = "/nonexistent-nskit";
    std::error_code ec;
    ns::spawn("true", {}, o, so, ec);
    BOOST_TEST((ns::failed_step(ec) == ns::setup_step::chdir), ec.message());
    BOOST_TEST(ns::failed_input(ec, o, so) == "directory '/nonexistent-nskit'");
    BOOST_TEST(ns::explain(ec, o, so) == "chdir (directory '/nonexistent-nskit'): no such directory (looked up after "
                                        "the new namespaces' mounts): No such file or directory");
    try {
        ns::spawn("true", {}, o, so);
        BOOST_ERROR("no exception");
    } catch (const std::system_error& e) {
        BOOST_TEST(std::string(e.what()).find("true (directory '/nonexistent-nskit'): chdir: ") != std::string::npos,
                   e.what());
    }
    o.tmp = ns::tmp_options{};
    o.tmp->extra = "bogus";
    ns::spawn("true", {}, o, {}, ec);
    BOOST_TEST((ns::failed_step(ec) == ns::setup_step::mount_tmp), ec.message());
    BOOST_TEST(ns::explain(ec, o, {}).rfind("mount tmpfs on /tmp (options 'mode=1777,bogus'): the kernel refused", 0) == 0u,
               ns::explain(ec, o, {}));
    BOOST_TEST(no_children_left());
}

BOOST_AUTO_TEST_CASE(unprivileged_with_user_namespace_gets_everything)
{
    // The unshare -r way: all namespaces through a user namespace, any uid.
    ns::options o;
    o.user = ns::user_options{};
    o.pid = o.net = o.uts = o.ipc = o.cgroup = true;
    o.tmp = ns::tmp_options{};
    o.hostname = "inside";
    auto s = ns::run([] {
        utsname u{};
        ::uname(&u);
        struct statfs fs{};
        ::statfs("/tmp", &fs);
        return (::getpid() == 2 && lo_up() && std::string(u.nodename) == "inside" && fs.f_type == 0x01021994 &&
                proc_pids() == std::set<std::string>{"1", "2"})
                   ? 0
                   : 1;
    }, o);
    BOOST_TEST(s.code == 0);
}

BOOST_AUTO_TEST_CASE(time_offsets_visible)
{
    ns::options o;
    if (nskit::test::missing_privilege())
        o.user = ns::user_options{};
    o.monotonic_offset = std::chrono::hours(10);
    o.boottime_offset = std::chrono::seconds(-1);
    const double outside = monotonic_s();
    auto s = ns::run([&] {
        const double d = monotonic_s() - outside;
        return (d > 36000 - 5 && d < 36000 + 30) ? 0 : 1;
    }, o);
    BOOST_TEST(s.code == 0);
}

BOOST_AUTO_TEST_CASE(sysvsem_undo_list_is_fresh, *utf::precondition(nskit::test::privileged()))
{
    NSKIT_CHECK_CHILD(in_child([] {
        const int id = ::semget(IPC_PRIVATE, 1, 0600);
        NSKIT_EXPECT(id >= 0);
        sembuf op{0, 1, SEM_UNDO}; // gives this process an undo list
        NSKIT_EXPECT(::semop(id, &op, 1) == 0);
        const pid_t parent = ::getpid();
        ns::options o;
        o.sysvsem = true;
        o.ipc = false;
        auto s = ns::run([&] {
            return sys::kcmp(parent, ::getpid(), sys::kcmp_resource::sysvsem) == sys::kcmp_order::equal ? 1 : 0;
        }, o);
        ::semctl(id, 0, IPC_RMID);
        NSKIT_EXPECT(s.code == 0);
        return std::string();
    }));
}

BOOST_AUTO_TEST_CASE(ipc_and_cgroup, *utf::precondition(nskit::test::privileged()))
{
    const int id = ::semget(IPC_PRIVATE, 1, 0600);
    BOOST_REQUIRE(id >= 0);
    ns::options o;
    o.ipc = true;
    o.cgroup = true;
    auto s = ns::run([&] {
        semid_ds ds{};
        const bool invisible = ::semctl(id, 0, IPC_STAT, &ds) != 0;
        // the cgroup namespace root: every hierarchy shows our cgroup as "/"
        std::istringstream in(nskit::test::read_file("/proc/self/cgroup"));
        std::string line;
        bool cg_root = true;
        while (std::getline(in, line))
            cg_root = cg_root && line.size() >= 2 && line.substr(line.size() - 2) == ":/";
        return invisible && cg_root ? 0 : 1;
    }, o);
    ::semctl(id, 0, IPC_RMID);
    BOOST_TEST(s.code == 0);
}

BOOST_AUTO_TEST_CASE(everything_combined, *utf::precondition(nskit::test::privileged()))
{
    ns::options o;
    o.mount = o.pid = o.net = o.ipc = o.uts = o.cgroup = o.sysvsem = true;
    o.tmp = ns::tmp_options{};
    o.tmp->size = "2m";
    o.hostname = "all";
    o.monotonic_offset = std::chrono::seconds(100);
    o.user = ns::user_options{};
    o.die_with_parent = true;
    const double outside = monotonic_s();
    auto s = ns::run([&] {
        struct statfs fs{};
        ::statfs("/tmp", &fs);
        utsname u{};
        ::uname(&u);
        return (::getpid() == 2 && lo_up() && fs.f_blocks * fs.f_bsize == 2u << 20 &&
                std::string(u.nodename) == "all" && monotonic_s() - outside > 99 && ::getuid() == 0)
                   ? 0
                   : 1;
    }, o);
    BOOST_TEST(s.code == 0);
}

BOOST_AUTO_TEST_CASE(callable_status_and_exceptions)
{
    ns::options o;
    BOOST_TEST(ns::run([] { return 42; }, o).code == 42);
    BOOST_TEST(ns::run([]() -> int { throw std::runtime_error("x"); }, o).code == 255);
}

BOOST_AUTO_TEST_CASE(child_crash_is_128_plus_signal_and_no_zombie)
{
    ns::options o;
    auto s = ns::run([] { ::raise(SIGSEGV); return 0; }, o);
    BOOST_TEST(s.signaled());
    BOOST_TEST(s.code == SIGSEGV);
    BOOST_TEST(s.shell_status() == 128 + SIGSEGV);
    BOOST_TEST(no_children_left());
    if (!nskit::test::missing_privilege()) {
        o.pid = true; // the init reports its worker's death by signal
        auto s2 = ns::run([] { ::raise(SIGABRT); return 0; }, o);
        BOOST_TEST(s2.signaled());
        BOOST_TEST(s2.code == SIGABRT);
        BOOST_TEST(no_children_left());
    }
}

BOOST_AUTO_TEST_CASE(init_reaps_orphans, *utf::precondition(nskit::test::privileged()))
{
    ns::options o;
    o.pid = true;
    auto s = ns::run([] {
        // orphan a grandchild: it is reparented to our init, which reaps it
        const pid_t c = ::fork();
        if (c == 0) {
            if (::fork() == 0)
                ::_exit(0);
            ::_exit(0);
        }
        ::waitpid(c, nullptr, 0);
        for (int i = 0; i < 2000; ++i) { // bounded: 10 s
            if (proc_pids().size() == 2) // init + us: the orphan was reaped
                return 0;
            ::usleep(5000);
        }
        return 1;
    }, o);
    BOOST_TEST(s.code == 0);
}

BOOST_AUTO_TEST_CASE(host_ignoring_sigchld_still_gets_status)
{
    NSKIT_CHECK_CHILD(in_child([] {
        ::signal(SIGCHLD, SIG_IGN);
        ns::options o;
        auto s = ns::run([] { return 7; }, o);
        NSKIT_EXPECT(s.exited() && s.code == 7);
        auto p = ns::spawn("/bin/sh", {"-c", "exit 9"}, o);
        auto s2 = p.wait();
        NSKIT_EXPECT(s2.exited() && s2.code == 9);
        return std::string();
    }));
}

BOOST_AUTO_TEST_CASE(tiny_rlimit_nofile_is_clean_emfile)
{
    NSKIT_CHECK_CHILD(in_child([] {
        int highest = 0;
        for (int fd = 0; fd < 256; ++fd)
            if (::fcntl(fd, F_GETFD) >= 0)
                highest = fd;
        for (int fd = 0; fd < highest; ++fd) // no free slot below the limit
            if (::fcntl(fd, F_GETFD) < 0)
                ::dup2(highest, fd);
        rlimit old{};
        ::getrlimit(RLIMIT_NOFILE, &old);
        for (int spare : {0, 1}) { // no fd at all, then one: pipe2 needs two
            rlimit rl{static_cast<rlim_t>(highest + 1 + spare), old.rlim_max};
            NSKIT_EXPECT(::setrlimit(RLIMIT_NOFILE, &rl) == 0);
            ns::options o;
            o.user = ns::user_options{};
            std::error_code ec;
            ns::run([] { return 0; }, o, ec);
            const bool fd_free = ::fcntl(highest + 1, F_GETFD) < 0; // nothing half-created
            NSKIT_EXPECT(::setrlimit(RLIMIT_NOFILE, &old) == 0);     // room to look around again
            if (ec != std::errc::too_many_files_open)
                return "got " + ec.message();
            NSKIT_EXPECT(ns::failed_step(ec) == ns::setup_step::pipe);
            NSKIT_EXPECT(fd_free);
            const std::string kids =
                nskit::test::read_file("/proc/self/task/" + std::to_string(::getpid()) + "/children");
            NSKIT_EXPECT(kids.empty());
            NSKIT_EXPECT(nskit::test::read_file("/proc/self/status").find("Pid:") != std::string::npos);
        }
        return std::string();
    }));
}

BOOST_AUTO_TEST_CASE(namespace_limit_gives_enospc_and_limit_message)
{
    NSKIT_CHECK_CHILD(in_child([] {
        ns::options mine;
        mine.user = ns::user_options{};
        ns::setup(mine); // a user namespace we own: its limits are ours to lower
        std::ofstream("/proc/sys/user/max_uts_namespaces") << "0\n";
        ns::options o;
        o.uts = true;
        std::error_code ec;
        ns::run([] { return 0; }, o, ec);
        NSKIT_EXPECT(ec == std::errc::no_space_on_device);
        NSKIT_EXPECT(ns::failed_step(ec) == ns::setup_step::clone);
        NSKIT_EXPECT(ns::explain(ec).find("namespace limit") != std::string::npos);
        return std::string();
    }));
}

BOOST_AUTO_TEST_CASE(setup_failure_names_step_and_errno, *utf::precondition(nskit::test::privileged()))
{
    ns::options o;
    o.tmp = ns::tmp_options{};
    o.tmp->extra = "no_such_tmpfs_option=1";
    std::error_code ec;
    ns::run([] { return 0; }, o, ec);
    BOOST_TEST((ns::failed_step(ec) == ns::setup_step::mount_tmp));
    BOOST_TEST((ec == std::errc::invalid_argument));
    BOOST_TEST(ec.message().find("mount tmpfs on /tmp") != std::string::npos);
    BOOST_TEST(no_children_left());
}

BOOST_AUTO_TEST_CASE(invalid_options_rejected_before_any_side_effect)
{
    ns::options o;
    o.hostname = std::string(65, 'x');
    std::error_code ec;
    ns::run([] { return 0; }, o, ec);
    BOOST_TEST((ec == std::errc::invalid_argument));
    o = {};
    o.veth = nskit::net::veth_recipe{.local_name = "bad/name"};
    ns::run([] { return 0; }, o, ec);
    BOOST_TEST((ec == nskit::error::bad_interface_name));
}

// ---- lifecycle: signals, parent death ----

namespace {

// Forks a "parent" process P that calls run(fn, o) and exits with its shell
// status; `ready` is written by the callable when it is set up.
pid_t fork_runner(const ns::options& o, const std::function<int()>& fn)
{
    const pid_t p = ::fork();
    if (p == 0) {
        std::error_code ec;
        auto s = ns::run(fn, o, ec);
        ::_exit(ec ? 250 : s.shell_status());
    }
    return p;
}

bool wait_line(int fd, char expect, int timeout_ms)
{
    pollfd pf{fd, POLLIN, 0};
    if (::poll(&pf, 1, timeout_ms) != 1)
        return false;
    char c = 0;
    return ::read(fd, &c, 1) == 1 && c == expect;
}

int wait_status(pid_t p)
{
    int st = 0;
    while (::waitpid(p, &st, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

void collect_tree(pid_t root, std::vector<pid_t>& out)
{
    for (const auto& task : {std::to_string(root)}) {
        std::istringstream in(nskit::test::read_file("/proc/" + std::to_string(root) + "/task/" + task + "/children"));
        pid_t c;
        while (in >> c) {
            out.push_back(c);
            collect_tree(c, out);
        }
    }
}

} // namespace

BOOST_AUTO_TEST_CASE(sigterm_to_parent_reaches_child)
{
    int pipefd[2];
    BOOST_REQUIRE(::pipe2(pipefd, O_CLOEXEC) == 0);
    ns::options o;
    if (!nskit::test::missing_privilege())
        o.pid = true; // through the init
    o.kill_grace = std::chrono::seconds(20); // no SIGKILL race on a busy machine
    const int wfd = pipefd[1];
    const pid_t p = fork_runner(o, [wfd] {
        static volatile sig_atomic_t got = 0;
        struct sigaction sa{};
        sa.sa_handler = [](int) { got = 1; };
        ::sigaction(SIGTERM, &sa, nullptr);
        (void)!::write(wfd, "r", 1);
        for (int i = 0; i < 500 && !got; ++i)
            ::usleep(10000);
        return got ? 42 : 1;
    });
    ::close(pipefd[1]);
    BOOST_REQUIRE(wait_line(pipefd[0], 'r', 5000));
    ::kill(p, SIGTERM);
    BOOST_TEST(wait_status(p) == 42);
    ::close(pipefd[0]);
}

BOOST_AUTO_TEST_CASE(stubborn_child_killed_after_grace)
{
    int pipefd[2];
    BOOST_REQUIRE(::pipe2(pipefd, O_CLOEXEC) == 0);
    ns::options o;
    o.kill_grace = std::chrono::milliseconds(50);
    const int wfd = pipefd[1];
    const pid_t p = fork_runner(o, [wfd] {
        ::signal(SIGTERM, SIG_IGN);
        ::signal(SIGINT, SIG_IGN);
        (void)!::write(wfd, "r", 1);
        for (int i = 0; i < 1000; ++i)
            ::usleep(10000);
        return 0;
    });
    ::close(pipefd[1]);
    BOOST_REQUIRE(wait_line(pipefd[0], 'r', 5000));
    ::kill(p, SIGINT); // forwarded, then TERM, then KILL after 50 ms
    BOOST_TEST(wait_status(p) == 128 + SIGKILL);
    ::close(pipefd[0]);
}

BOOST_AUTO_TEST_CASE(parent_sigkilled_whole_tree_dies)
{
    int pipefd[2];
    BOOST_REQUIRE(::pipe2(pipefd, O_CLOEXEC) == 0);
    ns::options o;
    o.die_with_parent = true;
    if (!nskit::test::missing_privilege())
        o.pid = true;
    else
        o.time = true, o.user = ns::user_options{}; // an init even unprivileged
    const int wfd = pipefd[1];
    const pid_t p = fork_runner(o, [wfd] {
        const pid_t worker = ::getpid();
        if (::fork() == 0) { // a grandchild of our own
            // Ready only once its death signal is set: a kill before the prctl
            // would leave it running, which says nothing about the library.
            if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != worker)
                ::_exit(1);
            (void)!::write(wfd, "r", 1);
            for (;;)
                ::pause();
        }
        for (;;)
            ::pause();
        return 0;
    });
    ::close(pipefd[1]);
    BOOST_REQUIRE(wait_line(pipefd[0], 'r', 5000));
    std::vector<pid_t> tree;
    collect_tree(p, tree);
    BOOST_TEST(tree.size() >= 3u); // init, worker, grandchild
    std::vector<nskit::unique_fd> fds;
    for (pid_t t : tree)
        fds.emplace_back(static_cast<int>(::syscall(SYS_pidfd_open, t, 0)));
    ::kill(p, SIGKILL);
    wait_status(p);
    for (auto& fd : fds) {
        if (!fd)
            continue; // already gone
        pollfd pf{fd.get(), POLLIN, 0};
        BOOST_TEST(::poll(&pf, 1, 5000) == 1, "a process of the tree survived its parent");
    }
    ::close(pipefd[0]);
}

// ---- setup() ----

BOOST_AUTO_TEST_CASE(setup_in_process, *utf::precondition(nskit::test::privileged()))
{
    NSKIT_CHECK_CHILD(in_child([] {
        ns::options o;
        o.tmp = ns::tmp_options{};
        o.hostname = "setup-host";
        o.net = true;
        o.ipc = true;
        o.sysvsem = true;
        ns::setup(o);
        struct statfs fs{};
        NSKIT_EXPECT(::statfs("/tmp", &fs) == 0 && fs.f_type == 0x01021994);
        utsname u{};
        ::uname(&u);
        NSKIT_EXPECT(std::string(u.nodename) == "setup-host");
        NSKIT_EXPECT(lo_up());
        return std::string();
    }));
}

BOOST_AUTO_TEST_CASE(setup_user_and_time_unprivileged)
{
    NSKIT_CHECK_CHILD(in_child([] {
        const uid_t me = ::geteuid();
        ns::options o;
        o.user = ns::user_options{};
        o.monotonic_offset = std::chrono::hours(1);
        o.uts = true;
        ns::setup(o);
        NSKIT_EXPECT(::getuid() == 0);
        NSKIT_EXPECT(nskit::test::read_file("/proc/self/uid_map").find(std::to_string(me)) != std::string::npos);
        // the time namespace applies to children
        const double outside = monotonic_s();
        auto s = ns::run([&] { return monotonic_s() - outside > 3590 ? 0 : 1; }, ns::options{});
        NSKIT_EXPECT(s.code == 0);
        return std::string();
    }));
}

BOOST_AUTO_TEST_CASE(setup_refuses_multithreaded_user_or_mount)
{
    NSKIT_CHECK_CHILD(in_child([] {
        std::atomic<bool> stop{false};
        std::thread t([&] {
            while (!stop)
                ::usleep(1000);
        });
        ns::options o;
        o.mount = true;
        std::error_code ec;
        ns::setup(o, ec);
        ns::options u;
        u.user = ns::user_options{};
        std::error_code ec2;
        ns::setup(u, ec2);
        stop = true;
        t.join();
        NSKIT_EXPECT(ec == nskit::error::thread_unsafe);
        NSKIT_EXPECT(ec2 == nskit::error::thread_unsafe);
        return std::string();
    }));
}

BOOST_AUTO_TEST_CASE(setup_refuses_pid)
{
    NSKIT_CHECK_CHILD(in_child([] {
        ns::options o;
        o.pid = true;
        std::error_code ec;
        ns::setup(o, ec);
        NSKIT_EXPECT(ns::failed_step(ec) == ns::setup_step::validate);
        // the reason, not "validate options: Invalid argument"
        NSKIT_EXPECT(ns::explain(ec) == "validate options: setup() cannot make a PID namespace: the caller cannot "
                                        "become its PID 1 (run() and spawn() start an init in one): Invalid argument");
        try {
            ns::setup(o);
            return std::string("no exception");
        } catch (const std::system_error& e) {
            NSKIT_EXPECT(std::string(e.what()).find("cannot make a PID namespace") != std::string::npos);
        }
        return std::string();
    }));
}

// A mount namespace without /tmp: the step says there is no /tmp to mount
// on (the old hint: "the mount point or the source does not exist").
BOOST_AUTO_TEST_CASE(missing_tmp_is_named, *utf::precondition(nskit::test::privileged()))
{
    char dir[] = "/tmp/nskit-notmp-XXXXXX";
    BOOST_REQUIRE(::mkdtemp(dir) != nullptr);
    NSKIT_CHECK_CHILD(in_child([&] {
        NSKIT_EXPECT(::unshare(CLONE_NEWNS) == 0);
        NSKIT_EXPECT(::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0);
        NSKIT_EXPECT(::mount("none", dir, "tmpfs", 0, nullptr) == 0);
        NSKIT_EXPECT(::chroot(dir) == 0 && ::chdir("/") == 0); // a root with no /tmp
        ns::options o;
        o.tmp = ns::tmp_options{};
        std::error_code ec;
        ns::run([] { return 0; }, o, ec);
        NSKIT_EXPECT(ns::failed_step(ec) == ns::setup_step::tmp_check);
        NSKIT_EXPECT(ns::explain(ec) == "check /tmp: there is no directory /tmp in this mount namespace to mount the "
                                        "tmpfs on: No such file or directory");
        return std::string();
    }));
    BOOST_TEST(::rmdir(dir) == 0);
}

// ---- spawn ----

BOOST_AUTO_TEST_CASE(spawn_program_env_cwd_and_fds)
{
    int leak[2];
    BOOST_REQUIRE(::pipe(leak) == 0); // not CLOEXEC on purpose: must not reach the program
    int out[2];
    BOOST_REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    ns::options o;
    ns::spawn_options so;
    so.env = {"NSKIT_TEST=yes"};
    so.cwd = "/";
    so.keep_fds = {out[1]};
    const std::string script = "echo $NSKIT_TEST $(pwd) >&" + std::to_string(out[1]) + "; ls /proc/self/fd | wc -l >&" +
                               std::to_string(out[1]);
    auto p = ns::spawn("sh", {"-c", script}, o, so);
    ::close(out[1]);
    ::close(leak[0]);
    ::close(leak[1]);
    std::string text;
    char buf[256];
    ssize_t n;
    while ((n = ::read(out[0], buf, sizeof buf)) > 0)
        text.append(buf, static_cast<std::size_t>(n));
    ::close(out[0]);
    BOOST_TEST(p.wait().code == 0);
    // fds: 0,1,2, the kept pipe, and ls's own directory fd
    BOOST_TEST(text == "yes /\n5\n");
}

BOOST_AUTO_TEST_CASE(spawn_exec_failure_reported_no_zombie)
{
    ns::options o;
    if (!nskit::test::missing_privilege())
        o.pid = true;
    std::error_code ec;
    auto p = ns::spawn("/nonexistent/program", {}, o, {}, ec);
    BOOST_TEST((ns::failed_step(ec) == ns::setup_step::exec));
    BOOST_TEST((ec == std::errc::no_such_file_or_directory));
    BOOST_TEST(!p.valid());
    BOOST_TEST(no_children_left());
    NSKIT_CHECK_CHILD(in_child([&] {
        ::setenv("PATH", "/usr/bin:/bin", 1);
        std::error_code ec2;
        ns::spawn("no-such-program-nskit", {}, o, {}, ec2);
        NSKIT_EXPECT(ec2 == std::errc::no_such_file_or_directory);
        return std::string();
    }));
}

// Issue "trust", item 1: the payload (callable or program, with or without
// an init in between) is in a session of its own, so it has no controlling
// terminal.  new_session = false keeps the caller's (the old behaviour).
BOOST_AUTO_TEST_CASE(payload_runs_in_a_new_session)
{
    const pid_t caller_sid = ::getsid(0);
    for (int variant = 0; variant < 3; ++variant) {
        ns::options o;
        o.user = ns::user_options{};
        o.pid = variant == 1;
        o.time = variant == 2;
        auto s = ns::run([] { return ::getsid(0) == ::getpid() ? 0 : 1; }, o);
        BOOST_TEST(s.code == 0, "variant " << variant << ": the callable leads no session of its own");
        // sh's own session id (field 6 of its stat) is its pid
        const std::string own = "read -r pid comm state ppid pgrp sid rest < /proc/self/stat; [ \"$sid\" = \"$$\" ]";
        BOOST_TEST(ns::spawn("sh", {"-c", own}, o).wait().code == 0, "variant " << variant << ": program");
        o.new_session = false;
        s = ns::run([caller_sid, pid = o.pid] { return ::getsid(0) == (pid ? 0 : caller_sid) ? 0 : 1; }, o);
        BOOST_TEST(s.code == 0, "variant " << variant << ": new_session = false keeps the caller's session");
    }
}

// Item 1, the attack: a sandboxed callable pushes input into the terminal
// of the process that started it (TIOCSTI) — a command line for its shell.
// Without CAP_SYS_ADMIN over the host (a user namespace) the kernel allows
// it only on the caller's own controlling terminal, which a new session lacks.
BOOST_AUTO_TEST_CASE(payload_cannot_type_into_the_callers_terminal)
{
    nskit::test::pty term;
    BOOST_TEST_REQUIRE(term.valid());
    const bool legacy = nskit::test::legacy_tiocsti();
    if (!legacy)
        BOOST_TEST_MESSAGE("dev.tty.legacy_tiocsti is 0: TIOCSTI fails for everyone without CAP_SYS_ADMIN, "
                           "so only the session is checked (payload_runs_in_a_new_session) and the refusal");
    NSKIT_CHECK_CHILD(in_child([&]() -> std::string {
        NSKIT_EXPECT(term.become_controlling_stdin());
        ns::options o;
        o.user = ns::user_options{};
        const auto type_x = [] {
            char c = 'x';
            return ::ioctl(0, TIOCSTI, &c) == 0 ? 0 : errno;
        };
        for (bool pid : {false, true}) {
            o.pid = pid;
            o.new_session = true;
            const int refused = ns::run(type_x, o).code;
            if (refused != EPERM && refused != EIO)
                return "pid " + std::to_string(pid) + ": TIOCSTI in a new session gave " + std::to_string(refused);
            o.new_session = false; // the control: the same call in the caller's session
            const int typed = ns::run(type_x, o).code;
            if (legacy && typed != 0)
                return "pid " + std::to_string(pid) + ": TIOCSTI in the caller's session failed: " +
                       std::to_string(typed) + " (the test cannot tell)";
        }
        return "";
    }));
}

// Item 4: the init (PID 1) and a time namespace's keeper never exec, so
// CLOEXEC does not close what they inherited: they close every fd but 0-2
// and their status pipe.  An inherited directory fd in PID 1 would be a
// path to the host's files (/proc/1/fd/N/...).  The same with close_range
// missing (ENOSYS): the fallback closes one by one.
BOOST_AUTO_TEST_CASE(init_and_time_keeper_keep_no_inherited_fd)
{
    for (bool without_close_range : {false, true}) {
        NSKIT_CHECK_CHILD(in_child([&]() -> std::string {
            const int dir = ::open("/", O_RDONLY | O_DIRECTORY); // not CLOEXEC, as a shell's `exec 7</`
            NSKIT_EXPECT(dir >= 0 && ::dup2(dir, 7) == 7);
            int report[2];
            NSKIT_EXPECT(::pipe(report) == 0);
            if (without_close_range)
                NSKIT_EXPECT(nskit::test::forbid_syscall(SYS_close_range, ENOSYS));
            for (int variant = 0; variant < 2; ++variant) {
                ns::options o;
                o.user = ns::user_options{};
                o.pid = variant == 0;
                o.time = variant == 1;
                // The helper is PID 1, or (no PID namespace) the keeper: our parent.
                const auto listing = [w = report[1], pid = o.pid] {
                    const std::string dirname = "/proc/" + std::to_string(pid ? 1 : ::getppid()) + "/fd";
                    std::string out;
                    if (DIR* d = ::opendir(dirname.c_str())) {
                        while (auto* e = ::readdir(d)) {
                            if (e->d_name[0] == '.')
                                continue;
                            char link[256] = {};
                            const std::string fd = e->d_name;
                            if (::readlink((dirname + "/" + fd).c_str(), link, sizeof link - 1) < 0)
                                continue;
                            if (fd != "0" && fd != "1" && fd != "2")
                                out += fd + " -> " + link + "\n";
                        }
                        ::closedir(d);
                    } else {
                        out = "cannot open " + dirname + "\n";
                    }
                    return ::write(w, out.data(), out.size()) == static_cast<ssize_t>(out.size()) ? 0 : 1;
                };
                std::error_code ec;
                const auto s = ns::run(listing, o, ec);
                if (ec || s.code != 0)
                    return "variant " + std::to_string(variant) + ": " + ec.message();
                char buf[4096];
                const ssize_t n = ::read(report[0], buf, sizeof buf);
                const std::string seen(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
                // one fd besides 0-2: the status pipe to the caller
                if (std::count(seen.begin(), seen.end(), '\n') != 1 || seen.find(" -> pipe:[") == std::string::npos)
                    return std::string(variant == 0 ? "PID 1" : "the time keeper") +
                           (without_close_range ? " (no close_range)" : "") + " holds:\n" + seen;
            }
            return "";
        }));
    }
}

namespace {

// fds >= 3 of `pid`, "N -> target" a line.
std::string fd_listing(pid_t pid)
{
    const std::string dirname = "/proc/" + std::to_string(pid) + "/fd";
    std::string out;
    DIR* d = ::opendir(dirname.c_str());
    if (d == nullptr)
        return "cannot open " + dirname + "\n";
    while (auto* e = ::readdir(d)) {
        const std::string fd = e->d_name;
        if (fd == "." || fd == ".." || fd == "0" || fd == "1" || fd == "2")
            continue;
        char link[256] = {};
        if (::readlink((dirname + "/" + fd).c_str(), link, sizeof link - 1) >= 0)
            out += fd + " -> " + link + "\n";
    }
    ::closedir(d);
    return out;
}

} // namespace

// setup()'s user-map helper (forked before unshare, it writes the caller's
// maps from the parent user namespace and stays in every namespace of the
// caller) closes every fd but 0-2 and its two pipes, as the init and the
// keeper do.  Seen by tracing the caller: the helper is stopped at its first
// read (of its go pipe, after the closing) and its /proc/PID/fd listed.
// Also with close_range missing (ENOSYS): the fallback closes one by one.
BOOST_AUTO_TEST_CASE(setup_user_map_helper_keeps_no_inherited_fd)
{
    for (bool without_close_range : {false, true}) {
        const pid_t caller = ::fork();
        BOOST_REQUIRE(caller >= 0);
        if (caller == 0) {
            const int dir = ::open("/", O_RDONLY | O_DIRECTORY); // not CLOEXEC, as a shell's `exec 7</`
            if (dir < 0 || ::dup2(dir, 7) != 7)
                ::_exit(2);
            if (without_close_range && !nskit::test::forbid_syscall(SYS_close_range, ENOSYS))
                ::_exit(3);
            ::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
            ::raise(SIGSTOP);
            ns::options o;
            o.user = ns::user_options{};
            std::error_code ec;
            ns::setup(o, ec);
            ::_exit(ec ? 1 : 0);
        }
        std::string seen, trace_error;
        pid_t helper = -1;
        int caller_status = -1;
        bool in_call = false;
        int st0 = 0; // stopped by its own SIGSTOP: follow its forks from here
        if (::waitpid(caller, &st0, 0) != caller || !WIFSTOPPED(st0) ||
            ::ptrace(PTRACE_SETOPTIONS, caller, nullptr, PTRACE_O_TRACEFORK | PTRACE_O_EXITKILL) != 0 ||
            ::ptrace(PTRACE_CONT, caller, nullptr, 0) != 0)
            trace_error = "cannot trace the caller (status " + std::to_string(st0) + ")";
        for (int steps = 0; steps < 100000 && caller_status < 0 && trace_error.empty(); ++steps) {
            int st = 0;
            const pid_t who = ::waitpid(-1, &st, __WALL);
            if (who < 0) {
                trace_error = std::string("waitpid: ") + std::strerror(errno);
                break;
            }
            if (who == caller) {
                if (WIFEXITED(st) || WIFSIGNALED(st)) {
                    caller_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                    continue;
                }
                // the fork event goes on without a signal, any other stop with its own
                const int sig = (st >> 8) == (SIGTRAP | (PTRACE_EVENT_FORK << 8)) ? 0 : WSTOPSIG(st);
                ::ptrace(PTRACE_CONT, caller, nullptr, sig);
                continue;
            }
            if (WIFEXITED(st) || WIFSIGNALED(st))
                continue; // the helper, done
            helper = who; // the only other tracee: the caller's fork
            if (WSTOPSIG(st) == SIGSTOP && !in_call) { // attached: trace its system calls
                ::ptrace(PTRACE_SETOPTIONS, who, nullptr, PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL);
                ::ptrace(PTRACE_SYSCALL, who, nullptr, 0);
                continue;
            }
            if (WSTOPSIG(st) != (SIGTRAP | 0x80)) {
                ::ptrace(PTRACE_SYSCALL, who, nullptr, WSTOPSIG(st));
                continue;
            }
            in_call = !in_call;
            user_regs_struct regs{};
            if (in_call && ::ptrace(PTRACE_GETREGS, who, nullptr, &regs) == 0 &&
                static_cast<long>(regs.orig_rax) == SYS_read && seen.empty()) {
                seen = fd_listing(who);
                ::ptrace(PTRACE_DETACH, who, nullptr, 0);
                continue;
            }
            ::ptrace(PTRACE_SYSCALL, who, nullptr, 0);
        }
        if (caller_status < 0) {
            ::kill(caller, SIGKILL);
            ::waitpid(caller, nullptr, __WALL);
        }
        const char* variant = without_close_range ? " (no close_range)" : "";
        BOOST_TEST(trace_error.empty(), trace_error);
        BOOST_TEST(caller_status == 0, "setup(user) in the traced caller" << variant << ": status " << caller_status);
        BOOST_TEST(helper > 0, "no helper was forked" << variant);
        // two fds besides 0-2: its go pipe and its report pipe
        BOOST_TEST((std::count(seen.begin(), seen.end(), '\n') == 2 && seen.find("7 -> ") == std::string::npos),
                   "the helper" << variant << " holds:\n" << seen);
    }
    BOOST_TEST(no_children_left());
}

// Item 5: with a new mount namespace the working directory is looked up
// again, by path, once the mounts are done.  Started in /tmp/X, a payload
// under a fresh /tmp stayed in the host's /tmp/X (reading and writing its
// files); now there is no /tmp/X there: step chdir, ENOENT, and nothing ran.
// A directory that exists on both sides works, and so does setup().
BOOST_AUTO_TEST_CASE(working_directory_is_looked_up_again_after_the_mounts)
{
    const std::string dir = "/tmp/nskit-cwd-" + std::to_string(::getpid());
    BOOST_REQUIRE(::mkdir(dir.c_str(), 0755) == 0);
    std::ofstream(dir + "/secret") << "host file\n";
    NSKIT_CHECK_CHILD(in_child([&]() -> std::string {
        NSKIT_EXPECT(::chdir(dir.c_str()) == 0);
        ns::options o;
        o.user = ns::user_options{};
        o.tmp = ns::tmp_options{};
        for (bool pid : {false, true}) {
            o.pid = pid;
            std::error_code ec;
            ns::run([] { return ::access("secret", F_OK) == 0 ? 1 : 0; }, o, ec);
            NSKIT_EXPECT(ns::failed_step(ec) == ns::setup_step::chdir);
            NSKIT_EXPECT(ec == std::errc::no_such_file_or_directory);
            NSKIT_EXPECT(ns::explain(ec).find("no such directory") != std::string::npos);
            auto p = ns::spawn("sh", {"-c", "echo hi > ./f"}, o, {}, ec);
            NSKIT_EXPECT(ns::failed_step(ec) == ns::setup_step::chdir && !p.valid());
            NSKIT_EXPECT(::access((dir + "/f").c_str(), F_OK) != 0);
            ns::spawn_options elsewhere; // an absolute cwd is used as it is
            elsewhere.cwd = "/";
            NSKIT_EXPECT(ns::spawn("sh", {"-c", "[ \"$(pwd)\" = / ] && [ ! -e secret ]"}, o, elsewhere).wait().code == 0);
        }
        // the same directory on both sides: the payload runs there
        for (const char* both : {"/", "/usr"}) {
            NSKIT_EXPECT(::chdir(both) == 0);
            const auto s = ns::run([both] {
                char here[4096];
                return ::getcwd(here, sizeof here) && std::string(here) == both ? 0 : 1;
            }, o);
            NSKIT_EXPECT(s.code == 0);
        }
        // no new mount namespace: nothing changes, the directory is kept
        NSKIT_EXPECT(::chdir(dir.c_str()) == 0);
        ns::options plain;
        plain.user = ns::user_options{};
        NSKIT_EXPECT(ns::run([] { return ::access("secret", F_OK); }, plain).code == 0);
        return "";
    }));
    NSKIT_CHECK_CHILD(in_child([&]() -> std::string { // setup(): the caller itself
        NSKIT_EXPECT(::chdir(dir.c_str()) == 0);
        ns::options o;
        o.user = ns::user_options{};
        o.tmp = ns::tmp_options{};
        std::error_code ec;
        ns::setup(o, ec);
        // the mounts are engaged, the directory is not there: the caller is told
        NSKIT_EXPECT(ns::failed_step(ec) == ns::setup_step::chdir);
        NSKIT_EXPECT(ec == std::errc::no_such_file_or_directory);
        return "";
    }));
    BOOST_TEST(::access((dir + "/f").c_str(), F_OK) != 0);
    ::unlink((dir + "/secret").c_str());
    BOOST_TEST(::rmdir(dir.c_str()) == 0);
}

BOOST_AUTO_TEST_CASE(run_into_cgroup, *utf::precondition(nskit::test::privileged()))
{
    NSKIT_CHECK_CHILD(in_child([] {
        // a cgroup2 hierarchy in a private mount namespace, and a child cgroup
        // that the clone enters at once (CLONE_INTO_CGROUP)
        NSKIT_EXPECT(::unshare(CLONE_NEWNS) == 0);
        NSKIT_EXPECT(::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0);
        char dir[] = "/tmp/nskit-cg-XXXXXX";
        NSKIT_EXPECT(::mkdtemp(dir) != nullptr);
        std::string result;
        if (::mount("cgroup2", dir, "cgroup2", 0, nullptr) == 0) {
            std::string mine = nskit::test::read_file("/proc/self/cgroup");
            mine = mine.substr(mine.find("0::") + 3);
            mine = mine.substr(0, mine.find('\n'));
            const std::string rel = (mine == "/" ? "" : mine) + "/nskit-test";
            const std::string path = dir + rel;
            ::mkdir(path.c_str(), 0755);
            nskit::unique_fd cg(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
            ns::options o;
            o.cgroup_fd = cg.get();
            auto s = ns::run([&] { return nskit::test::read_file("/proc/self/cgroup").find("0::" + rel + "\n") !=
                                                  std::string::npos ? 0 : 1; }, o);
            o.cgroup = true;
            auto s2 = ns::run([&] { return nskit::test::read_file("/proc/self/cgroup").find("0::/\n") !=
                                                   std::string::npos ? 0 : 1; }, o);
            if (s.code != 0 || s2.code != 0)
                result = "not started in the cgroup";
            cg.reset();
            ::rmdir(path.c_str());
            ::umount(dir);
        } else {
            result = std::string("mount cgroup2: ") + std::strerror(errno);
        }
        ::rmdir(dir);
        return result;
    }));
}

// spawn_options::share_memory_with_init: the init is our memory's (kcmp
// says the same mm), each init forwards to its own worker (no state shared
// between inits), its stack is freed on reaping, and detach() is refused.
std::size_t mapping_count()
{
    const std::string maps = nskit::test::read_file("/proc/self/maps");
    return static_cast<std::size_t>(std::count(maps.begin(), maps.end(), '\n'));
}

BOOST_AUTO_TEST_CASE(shared_memory_init_forwards_to_its_own_worker_and_frees_its_stack,
                     *utf::precondition(nskit::test::privileged()))
{
    ns::options o;
    o.pid = true;
    ns::spawn_options so;
    so.share_memory_with_init = true;
    int ready[2];
    BOOST_REQUIRE(::pipe2(ready, O_CLOEXEC) == 0);
    so.keep_fds = {ready[1]};
    const std::size_t maps_before = mapping_count();
    auto script = [&](int code, const char* sig) {
        return "trap 'exit " + std::to_string(code) + "' " + sig + "; printf r >&" + std::to_string(ready[1]) +
               "; i=0; while [ $i -lt 1000 ]; do sleep 0.01; i=$((i+1)); done; exit 1";
    };
    auto a = ns::spawn("/bin/sh", {"-c", script(11, "USR1")}, o, so);
    auto b = ns::spawn("/bin/sh", {"-c", script(12, "USR2")}, o, so);
    ::close(ready[1]);
    BOOST_TEST(wait_line(ready[0], 'r', 5000));
    BOOST_TEST(wait_line(ready[0], 'r', 5000));
    ::close(ready[0]);
#if defined(__SANITIZE_ADDRESS__) || !defined(__x86_64__) // the option is ignored there
    BOOST_TEST((sys::kcmp(::getpid(), a.pid(), sys::kcmp_resource::vm) != sys::kcmp_order::equal));
#else
    BOOST_TEST((sys::kcmp(::getpid(), a.pid(), sys::kcmp_resource::vm) == sys::kcmp_order::equal));
    BOOST_TEST(!a.detach().valid()); // refused: its stack is ours until it is reaped
#endif
    b.signal(SIGUSR2);
    a.signal(SIGUSR1);
    BOOST_TEST(b.wait().code == 12);
    BOOST_TEST(a.wait().code == 11);
#if !defined(__SANITIZE_ADDRESS__) // ASan's allocator maps memory of its own
    BOOST_TEST(mapping_count() == maps_before); // the inits' stacks are unmapped
#else
    (void)maps_before;
#endif
    BOOST_TEST(no_children_left());
}

BOOST_AUTO_TEST_CASE(shared_memory_init_is_refused_with_a_user_namespace)
{
    ns::options o;
    o.pid = true;
    o.user = ns::user_options{};
    ns::spawn_options so;
    so.share_memory_with_init = true;
    auto p = ns::spawn("sleep", {"10"}, o, so);
    BOOST_TEST((sys::kcmp(::getpid(), p.pid(), sys::kcmp_resource::vm) != sys::kcmp_order::equal));
    p.signal(SIGKILL);
    BOOST_TEST((p.wait().how == sys::exit_status::kind::killed));
    BOOST_TEST(no_children_left());
}

// A program's child borrows our memory until its exec, like posix_spawn's
// (nothing copied): what pre_exec writes, we see.  With a user namespace
// too (no vfork there: we write its maps while it waits).
volatile int g_pre_exec_ran = 0;

BOOST_AUTO_TEST_CASE(spawned_child_shares_memory_until_exec)
{
    for (const bool user : {false, true}) {
        g_pre_exec_ran = 0;
        ns::options o;
        if (user)
            o.user = ns::user_options{};
        ns::spawn_options so;
        so.pre_exec = [](void*) -> int {
            g_pre_exec_ran = 1;
            return 0;
        };
        auto p = ns::spawn("/bin/true", {}, o, so);
        BOOST_TEST(p.wait().code == 0);
#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
        BOOST_TEST(g_pre_exec_ran == 1, "user namespace: " << user);
#else
        BOOST_TEST(g_pre_exec_ran == 0, "forked there; user namespace: " << user);
#endif
    }
    BOOST_TEST(no_children_left());
}

// A signal our caller ignores stays ignored in the program, through the
// init too (like across fork and exec: nohup keeps working).
BOOST_AUTO_TEST_CASE(ignored_signals_stay_ignored_through_the_init)
{
    NSKIT_CHECK_CHILD(in_child([] {
        ::signal(SIGHUP, SIG_IGN);
        ns::options o;
        if (!nskit::test::missing_privilege())
            o.pid = true;
        ns::spawn_options so;
        so.share_memory_with_init = true;
        auto p = ns::spawn("/bin/sh", {"-c", "kill -HUP $$; exit 5"}, o, so);
        const auto s = p.wait();
        NSKIT_EXPECT(s.exited() && s.code == 5);
        return std::string();
    }));
}

BOOST_AUTO_TEST_SUITE_END()
