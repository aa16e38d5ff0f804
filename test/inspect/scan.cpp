#include <nskit/inspect/scan.hpp>

#include "test_support.hpp"
#include "in_flight.hpp"
#include "ns_holder.hpp"

#include <nskit/sys/clone.hpp>
#include <nskit/sys/error.hpp>
#include <nskit/sys/nsfs.hpp>
#include <nskit/sys/pidref.hpp>

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <sstream>

using namespace nskit::inspect;
namespace t = nskit::test;
using nskit::sys::ns_types;

namespace {

std::uint64_t inode_of(const std::string& path)
{
    struct stat st{};
    return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

std::size_t ns_of(const snapshot& s, pid_t pid, ns_type type)
{
    const auto* p = s.find_process(pid);
    return p ? p->ns[static_cast<std::size_t>(type)] : process_info::none;
}

bool has_process(const snapshot& s, std::size_t ns, pid_t pid)
{
    if (ns >= s.namespaces.size())
        return false;
    for (std::size_t i : s.namespaces[ns].processes)
        if (s.processes[i].pid == pid)
            return true;
    return false;
}

bool has_holder(const namespace_info& n, holder_kind kind, pid_t pid, int fd = -1)
{
    return std::any_of(n.holders.begin(), n.holders.end(), [&](const ns_reference& r) {
        return r.kind == kind && r.pid == pid && (fd < 0 || r.fd == fd);
    });
}

// Map root to root in a user namespace this process just unshared, so that
// it can create more nested ones.
bool map_root()
{
    auto put = [](const char* path, const char* text) {
        int fd = ::open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
            return false;
        const bool ok = ::write(fd, text, std::strlen(text)) == static_cast<ssize_t>(std::strlen(text));
        ::close(fd);
        return ok;
    };
    return put("/proc/self/setgroups", "deny") && put("/proc/self/uid_map", "0 0 1") &&
           put("/proc/self/gid_map", "0 0 1");
}

constexpr int all_but_time = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET |
                             CLONE_NEWPID | CLONE_NEWCGROUP;

// An ns_holder setup: a new time namespace for children (time_for_children
// not its own) and a child in it; "ok CHILD".
std::string time_ns_with_a_child()
{
    if (::unshare(CLONE_NEWTIME) != 0)
        return std::string("unshare(CLONE_NEWTIME): ") + std::strerror(errno);
    const pid_t c = t::fork_sleeping_child();
    return c > 0 ? "ok " + std::to_string(c) : std::string("fork: ") + std::strerror(errno);
}

// The /proc/PID/ns link of entry k (0..9) of process_info.
std::string entry_path(pid_t pid, std::size_t k)
{
    const std::string name = k < nskit::sys::ns_type_count ? std::string(ns_types()[k].proc_entry)
                             : k == process_info::pid_for_children_entry ? "pid_for_children"
                                                                          : "time_for_children";
    return "/proc/" + std::to_string(pid) + "/ns/" + name;
}

// Every entry of `pid` in the snapshot against its ns links (the oracle):
// the same inode and NS_GET_ID, or no namespace and the link's errno.
std::string same_entries_as_links(const snapshot& s, pid_t pid)
{
    const auto* p = s.find_process(pid);
    if (p == nullptr)
        return "pid " + std::to_string(pid) + " not in the snapshot";
    for (std::size_t k = 0; k < process_info::entry_count; ++k) {
        const std::size_t idx = k < nskit::sys::ns_type_count            ? p->ns[k]
                                : k == process_info::pid_for_children_entry ? p->pid_for_children
                                                                            : p->time_for_children;
        const std::string path = entry_path(pid, k);
        struct stat st{};
        if (::stat(path.c_str(), &st) != 0) {
            const std::error_code link(errno, std::system_category());
            if (idx != process_info::none || p->ns_errors[k] != link)
                return path + ": the link says " + link.message() + ", the scan " + p->ns_errors[k].message();
            continue;
        }
        if (idx == process_info::none || s.namespaces[idx].identity.inode.ino != st.st_ino)
            return path + ": another namespace than the link (" + p->ns_errors[k].message() + ")";
        std::error_code ec;
        auto fd = nskit::sys::open_ns_path(path.c_str(), ec);
        if (!ec && s.namespaces[idx].identity.id != nskit::sys::ns_get_id(fd.get()))
            return path + ": another NS_GET_ID";
    }
    return "";
}

} // namespace

BOOST_AUTO_TEST_SUITE(inspect_scan)

BOOST_AUTO_TEST_CASE(proc_must_be_procfs)
{
    for (const char* where : {"/tmp", "/nonexistent-proc", "/"}) {
        scan_options o;
        o.proc = where;
        std::error_code ec;
        auto s = scan(o, ec);
        BOOST_TEST((ec == nskit::error::proc_not_mounted), where);
        BOOST_TEST(s.processes.empty());
        BOOST_CHECK_THROW(scan(o), std::system_error);
    }
}

BOOST_AUTO_TEST_CASE(own_namespaces_match_proc_self_ns)
{
    auto s = scan();
    const auto* me = s.find_process(::getpid());
    BOOST_TEST_REQUIRE(me != nullptr);
    BOOST_TEST((me->state == process_state::running));
    BOOST_TEST(me->ppid == ::getppid());
    BOOST_TEST(me->uid == ::geteuid());
    BOOST_TEST(!me->command.empty());
    for (const auto& ti : ns_types()) {
        const std::size_t i = me->ns[static_cast<std::size_t>(ti.type)];
        BOOST_TEST_REQUIRE(i != process_info::none, ti.name);
        const auto& n = s.namespaces[i];
        BOOST_TEST((n.type == ti.type));
        auto fd = nskit::sys::open_ns(0, ti.type);
        BOOST_TEST((n.identity.inode == nskit::sys::ns_stat(fd.get())), ti.name);
        if (nskit::sys::probe_nsfs().get_id)
            BOOST_TEST(n.identity.id == nskit::sys::ns_get_id(fd.get()), ti.name);
        BOOST_TEST(has_process(s, i, ::getpid()));
        // lowest pid first
        BOOST_TEST(std::is_sorted(n.processes.begin(), n.processes.end(), [&](std::size_t a, std::size_t b) {
            return s.processes[a].pid < s.processes[b].pid;
        }));
        BOOST_TEST(s.find(n.identity.inode) == i);
        if (n.identity.id)
            BOOST_TEST(s.find_id(n.identity.id) == i);
    }
    BOOST_TEST(me->pid_for_children == me->ns[static_cast<std::size_t>(ns_type::pid)]);
    // processes are sorted, and each appears once
    BOOST_TEST(std::is_sorted(s.processes.begin(), s.processes.end(),
                              [](const process_info& a, const process_info& b) { return a.pid < b.pid; }));
}

BOOST_AUTO_TEST_CASE(child_in_new_namespaces_of_every_type, *boost::unit_test::precondition(t::privileged()))
{
    t::sleeper all(all_but_time);
    BOOST_TEST_REQUIRE(all.pid > 0);
    // time namespaces: unshare makes time_for_children; the holder's child is in it
    t::ns_holder timens(time_ns_with_a_child);
    BOOST_TEST_REQUIRE(timens.ok(), timens.message());
    const pid_t in_time = static_cast<pid_t>(timens.value());
    BOOST_TEST_REQUIRE(t::wait_until([&] {
        return inode_of("/proc/" + std::to_string(in_time) + "/ns/time") !=
               inode_of("/proc/self/ns/time");
    }));

    auto s = scan();
    const pid_t me = ::getpid();
    for (const auto& ti : ns_types()) {
        if (ti.type == ns_type::time)
            continue;
        const std::size_t mine = ns_of(s, me, ti.type), theirs = ns_of(s, all.pid, ti.type);
        BOOST_TEST_REQUIRE(theirs != process_info::none, ti.name);
        BOOST_TEST(theirs != mine, ti.name);
        BOOST_TEST((s.namespaces[theirs].type == ti.type));
        BOOST_TEST(s.namespaces[theirs].identity.inode.ino ==
                   inode_of("/proc/" + std::to_string(all.pid) + "/ns/" + std::string(ti.proc_entry)));
        BOOST_TEST(has_process(s, theirs, all.pid));
        BOOST_TEST(!s.namespaces[theirs].initial);
        BOOST_TEST(s.namespaces[mine].initial == (s.namespaces[mine].identity.inode.ino ==
                                                  inode_of("/proc/2/ns/" + std::string(ti.proc_entry))));
    }
    const std::size_t user = ns_of(s, all.pid, ns_type::user);
    const auto& u = s.namespaces[user];
    BOOST_TEST((u.parent.value == ns_of(s, me, ns_type::user)));
    BOOST_TEST((u.owner.value == ns_of(s, me, ns_type::user)));
    BOOST_TEST((u.owner_uid.value == ::geteuid()));
    for (auto type : {ns_type::mnt, ns_type::uts, ns_type::ipc, ns_type::net, ns_type::pid, ns_type::cgroup})
        BOOST_TEST((s.namespaces[ns_of(s, all.pid, type)].owner.value == user), to_string(type));
    const auto& pid = s.namespaces[ns_of(s, all.pid, ns_type::pid)];
    BOOST_TEST((pid.parent.value == ns_of(s, me, ns_type::pid)));
    const auto& net = s.namespaces[ns_of(s, all.pid, ns_type::net)];
    BOOST_TEST(!net.parent.value.has_value());
    BOOST_TEST(!net.parent.error); // not applicable, not unknown
    BOOST_TEST(!net.netnsid.value.has_value()); // no nsid assigned
    const auto& mnt = s.namespaces[ns_of(s, all.pid, ns_type::mnt)];
    if (nskit::sys::probe_nsfs().mnt_get_info)
        BOOST_TEST(mnt.mount_count.value.value_or(0) > 0u);

    // the time namespace: held by the holder as time_for_children, and its child is in it
    const auto* h = s.find_process(timens.pid());
    BOOST_TEST_REQUIRE(h != nullptr);
    BOOST_TEST_REQUIRE(h->time_for_children != process_info::none);
    const auto& tn = s.namespaces[h->time_for_children];
    BOOST_TEST((tn.type == ns_type::time));
    BOOST_TEST(h->time_for_children != h->ns[static_cast<std::size_t>(ns_type::time)]);
    BOOST_TEST(has_process(s, h->time_for_children, in_time));
    BOOST_TEST(has_holder(tn, holder_kind::for_children, timens.pid()));
}

// scan_options::for_children = false: the two *_for_children links are not
// read, so a namespace only they reach (a time namespace unshared, no child
// yet) is not found, with no error and no gap; the default finds it.
BOOST_AUTO_TEST_CASE(without_for_children_entries, *boost::unit_test::precondition(t::privileged()))
{
    t::ns_holder timens([] {
        if (::unshare(CLONE_NEWTIME) != 0)
            return std::string("unshare(CLONE_NEWTIME): ") + std::strerror(errno);
        struct stat st{};
        return ::stat("/proc/self/ns/time_for_children", &st) == 0 ? "ok " + std::to_string(st.st_ino)
                                                                    : std::string("stat: ") + std::strerror(errno);
    });
    BOOST_TEST_REQUIRE(timens.ok(), timens.message());
    const std::uint64_t ino = timens.value();
    BOOST_TEST_REQUIRE(ino != inode_of("/proc/self/ns/time"));

    const auto with = scan();
    const auto* hw = with.find_process(timens.pid());
    BOOST_TEST_REQUIRE(hw != nullptr);
    BOOST_TEST_REQUIRE(hw->time_for_children != process_info::none);
    BOOST_TEST(with.namespaces[hw->time_for_children].identity.inode.ino == ino);
    BOOST_TEST(has_holder(with.namespaces[hw->time_for_children], holder_kind::for_children, timens.pid()));

    scan_options o;
    o.for_children = false;
    const auto without = scan(o);
    const auto* h = without.find_process(timens.pid());
    BOOST_TEST_REQUIRE(h != nullptr);
    BOOST_TEST(h->time_for_children == process_info::none);
    BOOST_TEST(h->pid_for_children == process_info::none);
    BOOST_TEST(!h->ns_errors[process_info::time_for_children_entry]);
    BOOST_TEST(!h->ns_errors[process_info::pid_for_children_entry]);
    BOOST_TEST(!h->ns_error);
    BOOST_TEST(without.find_inode(ino) == snapshot::npos);
    const std::size_t own_time = h->ns[static_cast<std::size_t>(ns_type::time)]; // its own is still read
    BOOST_TEST_REQUIRE(own_time != process_info::none);
    BOOST_TEST(without.namespaces[own_time].identity.inode.ino == inode_of("/proc/self/ns/time"));
    for (const auto& g : without.gaps)
        BOOST_TEST(g.first_pid != timens.pid());
}

BOOST_AUTO_TEST_CASE(nested_user_and_pid_namespaces, *boost::unit_test::precondition(t::privileged()))
{
    // holder -> G1 (pid 1 of pidns1, in userns1) -> G2 (pid 1 of pidns2, in userns2)
    t::ns_holder h([] {
        if (::unshare(CLONE_NEWUSER | CLONE_NEWPID) != 0 || !map_root())
            return std::string("unshare 1: ") + std::strerror(errno);
        int p[2];
        if (::pipe(p) != 0)
            return std::string("pipe");
        pid_t g1 = ::fork();
        if (g1 == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            ::close(p[0]);
            if (::unshare(CLONE_NEWUSER | CLONE_NEWPID) != 0 || !map_root())
                ::_exit(3);
            if (::fork() == 0) {
                ::prctl(PR_SET_PDEATHSIG, SIGKILL);
                for (int i = 0; i < 600; ++i)
                    ::sleep(1);
                ::_exit(0);
            }
            char c = 1;
            (void)!::write(p[1], &c, 1);
            for (int i = 0; i < 600; ++i)
                ::sleep(1);
            ::_exit(0);
        }
        ::close(p[1]);
        char c;
        if (::read(p[0], &c, 1) != 1)
            return std::string("G1 failed");
        return "ok " + std::to_string(g1);
    });
    BOOST_TEST_REQUIRE(h.ok(), h.message());
    const pid_t g1 = static_cast<pid_t>(h.value());
    auto s = scan();
    const process_info* g2 = nullptr;
    for (const auto& p : s.processes)
        if (p.ppid == g1 && !p.is_thread())
            g2 = &p;
    BOOST_TEST_REQUIRE(g2 != nullptr);
    const pid_t me = ::getpid();
    auto user = [&](pid_t p) { return ns_of(s, p, ns_type::user); };
    auto pidns = [&](pid_t p) { return ns_of(s, p, ns_type::pid); };
    const std::size_t u1 = user(h.pid()), u2 = user(g1), p1 = pidns(g1), p2 = pidns(g2->pid);
    // unshare(NEWUSER|NEWPID) moves the caller into the user namespace, its
    // children into the pid namespace: holder in U1, G1 in U2+P1, G2 in U2+P2.
    BOOST_TEST_REQUIRE(u1 != process_info::none);
    BOOST_TEST_REQUIRE(u2 != process_info::none);
    BOOST_TEST_REQUIRE(p1 != process_info::none);
    BOOST_TEST_REQUIRE(p2 != process_info::none);
    BOOST_TEST(user(g2->pid) == u2);
    BOOST_TEST(u1 != user(me));
    BOOST_TEST(u2 != u1);
    BOOST_TEST((s.namespaces[u2].parent.value == u1));
    BOOST_TEST((s.namespaces[u1].parent.value == user(me)));
    BOOST_TEST(p1 != p2);
    BOOST_TEST((s.namespaces[p2].parent.value == p1));
    BOOST_TEST((s.namespaces[p1].parent.value == pidns(me)));
    BOOST_TEST((s.namespaces[p1].owner.value == u1));
    BOOST_TEST((s.namespaces[p2].owner.value == u2));
    BOOST_TEST((s.namespaces[u2].owner_uid.value == ::geteuid())); // uid 0 of U1 is root here
    // the holder itself stays outside, with pidns1 as pid_for_children
    const auto* hp = s.find_process(h.pid());
    BOOST_TEST_REQUIRE(hp != nullptr);
    BOOST_TEST(hp->pid_for_children == ns_of(s, g1, ns_type::pid));
}

BOOST_AUTO_TEST_CASE(namespace_held_only_by_an_fd, *boost::unit_test::precondition(t::privileged()))
{
    NSKIT_CHECK_CHILD(t::in_child([] {
        int orig = ::open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);
        NSKIT_EXPECT(orig >= 0);
        NSKIT_EXPECT(::unshare(CLONE_NEWUTS) == 0);
        int held = ::open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);
        NSKIT_EXPECT(held >= 0);
        NSKIT_EXPECT(::setns(orig, CLONE_NEWUTS) == 0);
        struct stat st{};
        NSKIT_EXPECT(::fstat(held, &st) == 0);
        auto s = scan();
        const std::size_t i = s.find({st.st_dev, st.st_ino});
        NSKIT_EXPECT(i != snapshot::npos);
        const auto& n = s.namespaces[i];
        NSKIT_EXPECT(n.type == ns_type::uts);
        NSKIT_EXPECT(n.processes.empty());
        NSKIT_EXPECT(has_holder(n, holder_kind::fd, ::getpid(), held));
        NSKIT_EXPECT(n.holders.size() == 1);
        NSKIT_EXPECT(n.owner.value == ns_of(s, ::getpid(), ns_type::user));
        // without fd scanning it is not found
        scan_options o;
        o.fds = false;
        NSKIT_EXPECT(scan(o).find({st.st_dev, st.st_ino}) == snapshot::npos);
        ::close(held);
        ::close(orig);
        return std::string();
    }));
}

BOOST_AUTO_TEST_CASE(namespace_held_only_by_a_bind_mount_elsewhere, *boost::unit_test::precondition(t::privileged()))
{
    // The holder's private mount namespace has a tmpfs on /tmp with an ipc
    // namespace bound on /tmp/ipcns; the holder itself went back to ours.
    t::ns_holder h([] {
        int orig = ::open("/proc/self/ns/ipc", O_RDONLY | O_CLOEXEC);
        if (orig < 0 || ::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
            return std::string("mount ns: ") + std::strerror(errno);
        if (::mount("nskit-test", "/tmp", "tmpfs", 0, nullptr) != 0)
            return std::string("tmpfs: ") + std::strerror(errno);
        int f = ::open("/tmp/ipcns", O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        if (f < 0)
            return std::string("create: ") + std::strerror(errno);
        ::close(f);
        if (::unshare(CLONE_NEWIPC) != 0)
            return std::string("unshare ipc: ") + std::strerror(errno);
        if (::mount("/proc/self/ns/ipc", "/tmp/ipcns", nullptr, MS_BIND, nullptr) != 0)
            return std::string("bind: ") + std::strerror(errno);
        struct stat st{};
        ::stat("/proc/self/ns/ipc", &st);
        if (::setns(orig, CLONE_NEWIPC) != 0)
            return std::string("setns: ") + std::strerror(errno);
        return "ok " + std::to_string(st.st_ino);
    });
    BOOST_TEST_REQUIRE(h.ok(), h.message());
    auto s = scan();
    const std::size_t i = s.find_inode(h.value());
    BOOST_TEST_REQUIRE(i != snapshot::npos);
    const auto& n = s.namespaces[i];
    BOOST_TEST((n.type == ns_type::ipc));
    BOOST_TEST(n.processes.empty());
    const std::size_t their_mnt = ns_of(s, h.pid(), ns_type::mnt);
    BOOST_TEST(their_mnt != ns_of(s, ::getpid(), ns_type::mnt)); // not visible from here
    auto bind = std::find_if(n.holders.begin(), n.holders.end(),
                             [](const ns_reference& r) { return r.kind == holder_kind::bind_mount; });
    BOOST_TEST_REQUIRE((bind != n.holders.end()));
    BOOST_TEST(bind->path == "/tmp/ipcns");
    BOOST_TEST(bind->mount_ns == their_mnt);
    scan_options o;
    o.mounts = false;
    BOOST_TEST(scan(o).find_inode(h.value()) == snapshot::npos);
}

BOOST_AUTO_TEST_CASE(namespace_held_only_by_a_socket, *boost::unit_test::precondition(t::privileged()))
{
    NSKIT_CHECK_CHILD(t::in_child([] {
        int orig = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        NSKIT_EXPECT(orig >= 0);
        NSKIT_EXPECT(::unshare(CLONE_NEWNET) == 0);
        int sock = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        NSKIT_EXPECT(sock >= 0);
        const std::uint64_t ino = inode_of("/proc/self/ns/net");
        NSKIT_EXPECT(::setns(orig, CLONE_NEWNET) == 0);
        auto s = scan();
        const std::size_t i = s.find_inode(ino);
        NSKIT_EXPECT(i != snapshot::npos);
        const auto& n = s.namespaces[i];
        NSKIT_EXPECT(n.type == ns_type::net);
        NSKIT_EXPECT(n.processes.empty());
        NSKIT_EXPECT(has_holder(n, holder_kind::socket, ::getpid(), sock));
        scan_options o;
        o.sockets = false;
        NSKIT_EXPECT(scan(o).find_inode(ino) == snapshot::npos);
        ::close(sock);
        ::close(orig);
        return std::string();
    }));
}

BOOST_AUTO_TEST_CASE(zombie_is_reported_as_a_zombie)
{
    pid_t z = ::fork();
    if (z == 0)
        ::_exit(0);
    BOOST_TEST_REQUIRE(z > 0);
    BOOST_TEST(t::wait_until([&] {
        auto stat = t::read_file("/proc/" + std::to_string(z) + "/stat");
        auto close = stat.rfind(')');
        return close != std::string::npos && stat.size() > close + 2 && stat[close + 2] == 'Z';
    }));
    for (bool details : {true, false}) {
        scan_options o;
        o.details = details;
        auto s = scan(o);
        const auto* p = s.find_process(z);
        BOOST_TEST_REQUIRE(p != nullptr);
        BOOST_TEST((p->state == process_state::zombie));
        BOOST_TEST((p->ns_error == std::errc::no_such_process));
        // the kernel keeps a zombie's user and pid namespaces (creds, struct pid): those are known
        for (const auto& ti : ns_types()) {
            const std::size_t k = static_cast<std::size_t>(ti.type);
            const bool kept = ti.type == ns_type::user || ti.type == ns_type::pid;
            BOOST_TEST((p->ns[k] != process_info::none) == kept, ti.name);
            BOOST_TEST((p->ns_errors[k] == std::errc::no_such_process) == !kept, ti.name);
        }
    }
    ::waitpid(z, nullptr, 0);
}

BOOST_AUTO_TEST_CASE(kernel_threads_are_recognised)
{
    auto s = scan();
    // kthreadd is PID 2 when we see the initial PID namespace
    const auto* k = s.find_process(2);
    if (k == nullptr || k->command != "kthreadd") {
        BOOST_TEST_MESSAGE("no kthreadd visible (not in the initial PID namespace)");
        BOOST_TEST(std::none_of(s.processes.begin(), s.processes.end(), [](const process_info& p) {
            return p.state == process_state::kernel_thread;
        }));
        return;
    }
    BOOST_TEST((k->state == process_state::kernel_thread));
    const auto* me = s.find_process(::getpid());
    BOOST_TEST_REQUIRE(me != nullptr);
    BOOST_TEST((me->state == process_state::running));
    // every child of kthreadd is a kernel thread too
    for (const auto& p : s.processes)
        if (p.ppid == 2 && !p.is_thread())
            BOOST_TEST((p.state == process_state::kernel_thread), p.pid << " " << p.command);
}

BOOST_AUTO_TEST_CASE(processes_exiting_during_the_scan_are_skipped)
{
    NSKIT_CHECK_CHILD(t::in_child([] {
        pid_t churn = ::fork();
        if (churn == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            for (int i = 0; i < 3000; ++i) { // bounded churn
                pid_t c = ::fork();
                if (c == 0)
                    ::_exit(0);
                if (c > 0)
                    ::waitpid(c, nullptr, 0);
            }
            ::_exit(0);
        }
        NSKIT_EXPECT(churn > 0);
        int scans = 0;
        for (; scans < 15; ++scans) {
            std::error_code ec;
            auto s = scan({}, ec);
            NSKIT_EXPECT(!ec);
            for (const auto& p : s.processes) {
                NSKIT_EXPECT(p.pid > 0);
                for (std::size_t i : p.ns)
                    NSKIT_EXPECT(i == process_info::none || i < s.namespaces.size());
            }
            NSKIT_EXPECT(s.find_process(::getpid()) != nullptr);
        }
        ::kill(churn, SIGKILL);
        ::waitpid(churn, nullptr, 0);
        return std::string();
    }));
}

BOOST_AUTO_TEST_CASE(a_reused_pid_is_the_new_process, *boost::unit_test::precondition(t::privileged()))
{
    pid_t old_pid;
    std::uint64_t old_net;
    {
        t::sleeper s(CLONE_NEWNET);
        BOOST_TEST_REQUIRE(s.pid > 0);
        auto snap = scan();
        old_pid = s.pid;
        const std::size_t n = ns_of(snap, s.pid, ns_type::net);
        BOOST_TEST_REQUIRE(n != process_info::none);
        old_net = snap.namespaces[n].identity.inode.ino;
        BOOST_TEST(n != ns_of(snap, ::getpid(), ns_type::net));
    }
    // The same pid again, now in our network namespace (clone3 set_tid).
    nskit::sys::clone3_args a;
    a.flags = nskit::sys::clone_flag::pidfd;
    const pid_t want[] = {old_pid};
    a.set_tid = want;
    std::error_code ec;
    auto r = nskit::sys::clone3(a, ec);
    if (r.pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        for (int i = 0; i < 600; ++i)
            ::sleep(1);
        ::_exit(0);
    }
    if (ec) {
        BOOST_TEST_MESSAGE("pid " << old_pid << " taken again before us: " << ec.message());
        return;
    }
    auto snap = scan();
    BOOST_TEST(ns_of(snap, old_pid, ns_type::net) == ns_of(snap, ::getpid(), ns_type::net));
    BOOST_TEST(snap.find_inode(old_net) == snapshot::npos); // the old namespace died with its process
    ::kill(r.pid, SIGKILL);
    ::waitpid(r.pid, nullptr, 0);
}

BOOST_AUTO_TEST_CASE(threads_on_request, *boost::unit_test::precondition(t::privileged()))
{
    // A process whose second thread moved to a new UTS namespace.
    t::ns_holder h([] {
        static pid_t tid = 0;
        static int ready[2];
        if (::pipe(ready) != 0)
            return std::string("pipe");
        std::error_code ec;
        nskit::sys::callable_clone_options o;
        o.flags = nskit::sys::clone_flag::vm | nskit::sys::clone_flag::fs | nskit::sys::clone_flag::files |
                  nskit::sys::clone_flag::sighand | nskit::sys::clone_flag::thread;
        o.exit_signal = 0;
        auto th = nskit::sys::clone(
            [] {
                tid = static_cast<pid_t>(::syscall(SYS_gettid));
                ::unshare(CLONE_NEWUTS);
                char c = 1;
                (void)!::write(ready[1], &c, 1);
                for (int i = 0; i < 600; ++i)
                    ::sleep(1);
                return 0;
            },
            o, ec);
        if (ec)
            return "clone thread: " + ec.message();
        char c;
        if (::read(ready[0], &c, 1) != 1)
            return std::string("thread failed");
        static auto keep = std::move(th); // the thread runs on this object's stack
        return "ok " + std::to_string(tid);
    });
    BOOST_TEST_REQUIRE(h.ok(), h.message());
    const pid_t tid = static_cast<pid_t>(h.value());
    scan_options o;
    o.threads = true;
    auto s = scan(o);
    auto it = std::find_if(s.processes.begin(), s.processes.end(),
                           [&](const process_info& p) { return p.tid == tid; });
    BOOST_TEST_REQUIRE((it != s.processes.end()));
    BOOST_TEST(it->is_thread());
    BOOST_TEST(it->pid == h.pid());
    const std::size_t uts = it->ns[static_cast<std::size_t>(ns_type::uts)];
    BOOST_TEST_REQUIRE(uts != process_info::none);
    BOOST_TEST(uts != ns_of(s, h.pid(), ns_type::uts));
    const auto& n = s.namespaces[uts];
    BOOST_TEST(n.processes.empty());
    BOOST_TEST(n.threads.size() == 1u);
    // without threads, that namespace is not seen
    BOOST_TEST(scan().find(n.identity.inode) == snapshot::npos);
}

BOOST_AUTO_TEST_CASE(unprivileged_scan_is_partial_not_a_failure)
{
    NSKIT_CHECK_CHILD(t::as_nobody([] {
        std::error_code ec;
        auto s = scan({}, ec);
        NSKIT_EXPECT(!ec);
        const auto* me = s.find_process(::getpid());
        NSKIT_EXPECT(me != nullptr);
        for (std::size_t i : me->ns)
            NSKIT_EXPECT(i != process_info::none);
        const auto* init = s.find_process(1);
        NSKIT_EXPECT(init != nullptr);
        NSKIT_EXPECT(init->ns[0] == process_info::none);
        NSKIT_EXPECT(init->ns_error == std::errc::permission_denied);
        NSKIT_EXPECT(unknown_reason(init->ns_error) == "unknown (permission denied)");
        NSKIT_EXPECT(s.holders_unknown > 0);
        NSKIT_EXPECT(s.holders_error == std::errc::permission_denied);
        return std::string();
    }));
}

// The kernel's list of mount namespaces (NS_MNT_GET_NEXT) has one whose fd
// is in flight over a unix socket: no process, fd table or mount shows it.
// The scan lists it, held by something it cannot see, with what the kernel
// tells about it; a restricted scan does not look.
BOOST_AUTO_TEST_CASE(mount_namespace_in_flight_is_unseen, *boost::unit_test::precondition(t::privileged()))
{
    t::in_flight_mntns held;
    BOOST_TEST_REQUIRE(held.ok(), held.error());
    // The oracle: the kernel's list from here, the same before and after the scan
    int err = 0;
    std::vector<std::uint64_t> kernel;
    snapshot s;
    for (int attempt = 0; attempt < 5; ++attempt) {
        kernel = t::stable_kernel_mount_namespaces(err);
        BOOST_TEST_REQUIRE(err == 0, std::strerror(err));
        s = scan();
        if (t::kernel_mount_namespaces(err) == kernel)
            break;
    }
    BOOST_TEST_REQUIRE(std::count(kernel.begin(), kernel.end(), held.id) == 1);
    const auto& k = s.kernel_mount_list;
    BOOST_TEST(k.checked);
    BOOST_TEST(!k.error);
    BOOST_TEST(k.unseen >= 1u);
    const std::size_t i = s.find_inode(held.inode);
    BOOST_TEST_REQUIRE(i != snapshot::npos);
    const auto& n = s.namespaces[i];
    BOOST_TEST((n.type == ns_type::mnt));
    BOOST_TEST(n.identity.id == held.id);
    BOOST_TEST(n.processes.empty());
    BOOST_TEST_REQUIRE(n.holders.size() == 1u);
    BOOST_TEST((n.holders[0].kind == holder_kind::unseen));
    BOOST_TEST(to_string(holder_kind::unseen) == "unseen");
    BOOST_TEST(n.mount_count.known());
    BOOST_TEST((n.owner.value == ns_of(s, ::getpid(), ns_type::user)));
    BOOST_TEST(!n.initial);
    // Every mount namespace the kernel lists is in the scan, and the counts agree
    std::size_t mnt = 0, unseen = 0;
    for (const auto& m : s.namespaces)
        if (m.type == ns_type::mnt) {
            ++mnt;
            unseen += std::any_of(m.holders.begin(), m.holders.end(),
                                  [](const ns_reference& r) { return r.kind == holder_kind::unseen; });
        }
    BOOST_TEST(unseen == k.unseen);
    BOOST_TEST(k.listed == kernel.size());
    BOOST_TEST(mnt == kernel.size());
    for (std::uint64_t id : kernel)
        BOOST_TEST(s.find_id(id) != snapshot::npos, id);
    // Not asked, or a restricted scan: not looked for
    scan_options off;
    off.kernel_mount_list = false;
    const auto s_off = scan(off);
    BOOST_TEST(s_off.find_inode(held.inode) == snapshot::npos);
    BOOST_TEST((!s_off.kernel_mount_list.checked && !s_off.kernel_mount_list.error));
    scan_options some;
    some.pids = {::getpid()};
    const auto s_some = scan(some);
    BOOST_TEST(s_some.find_inode(held.inode) == snapshot::npos);
    BOOST_TEST(!s_some.kernel_mount_list.checked);
    scan_options no_fds;
    no_fds.fds = false; // what fds hold would read as unseen
    BOOST_TEST(!scan(no_fds).kernel_mount_list.checked);
    // The sockets closed, it is gone
    held.release();
    BOOST_TEST(t::wait_until([&] { return scan().find_inode(held.inode) == snapshot::npos; }));
}


// A UTS namespace held only by a bind mount in a mount namespace no process
// is in (itself held only in flight): found through the kernel's list and
// listmount, with what it is (type, inode) and why the rest is unknown.
BOOST_AUTO_TEST_CASE(bind_mount_in_a_mount_namespace_no_process_is_in, *boost::unit_test::precondition(t::privileged()))
{
    t::in_flight_mntns held(t::bind_a_uts_namespace_on_tmp);
    BOOST_TEST_REQUIRE(held.ok(), held.error());
    BOOST_TEST_REQUIRE(held.uts_inode != inode_of("/proc/self/ns/uts"));
    const auto s = scan();
    BOOST_TEST(s.kernel_mount_list.checked);
    const std::size_t m = s.find_inode(held.inode);
    BOOST_TEST_REQUIRE(m != snapshot::npos);
    BOOST_TEST_REQUIRE(s.namespaces[m].holders.size() == 1u);
    BOOST_TEST((s.namespaces[m].holders[0].kind == holder_kind::unseen));
    const std::size_t u = s.find_inode(held.uts_inode);
    BOOST_TEST_REQUIRE(u != snapshot::npos);
    const auto& n = s.namespaces[u];
    BOOST_TEST((n.type == ns_type::uts));
    BOOST_TEST(n.processes.empty());
    BOOST_TEST_REQUIRE(n.holders.size() == 1u);
    BOOST_TEST((n.holders[0].kind == holder_kind::bind_mount));
    BOOST_TEST(n.holders[0].mount_ns == m);
    BOOST_TEST(n.holders[0].path == "/tmp/uts");
    BOOST_TEST((n.id_error == nskit::error::not_entered));
    BOOST_TEST((n.owner.error == nskit::error::not_entered));
    BOOST_TEST(unknown_reason(n.id_error).find("mount namespace no process is in") != std::string::npos);
    // the lsns view's scan does not look
    scan_options off;
    off.kernel_mount_list = false;
    BOOST_TEST(scan(off).find_inode(held.uts_inode) == snapshot::npos);
}

// EPERM from the kernel's list (it needs CAP_SYS_ADMIN in the initial user
// and PID namespaces): unknown, with the reason, and a gap.
BOOST_AUTO_TEST_CASE(kernel_mount_list_unprivileged_is_a_gap)
{
    NSKIT_CHECK_CHILD(t::as_nobody([] {
        const auto s = scan();
        const auto& k = s.kernel_mount_list;
        NSKIT_EXPECT(!k.checked);
        if (!nskit::sys::probe_nsfs().mnt_iterate) { // before 6.12: nothing to check against, not a gap
            NSKIT_EXPECT(k.error == std::errc::inappropriate_io_control_operation);
            return std::string();
        }
        int err = 0;
        t::kernel_mount_namespaces(err);
        NSKIT_EXPECT(err == EPERM); // the oracle
        NSKIT_EXPECT(k.error == std::errc::operation_not_permitted);
        NSKIT_EXPECT(k.listed == 0u);
        NSKIT_EXPECT(std::any_of(s.gaps.begin(), s.gaps.end(), [](const scan_gap& g) {
            return g.kind == gap_kind::kernel_list && g.error == std::errc::operation_not_permitted && g.count == 1;
        }));
        NSKIT_EXPECT(to_string(gap_kind::kernel_list) == "kernel_list");
        NSKIT_EXPECT(s.partial());
        return std::string();
    }));
}

BOOST_AUTO_TEST_CASE(restricted_to_some_pids)
{
    scan_options o;
    o.pids = {::getpid()};
    auto s = scan(o);
    BOOST_TEST(s.find_process(::getpid()) != nullptr);
    for (const auto& p : s.processes)
        BOOST_TEST((p.pid == ::getpid() || p.pid == 1 || p.pid == 2));
}

// Explicit pids and targets are held by pidfd: their namespaces come from
// PIDFD_GET_<TYPE>_NAMESPACE and agree with the links; with the ioctl
// filtered (ENOTTY, a kernel before 6.11) they come from the links, the same.
BOOST_AUTO_TEST_CASE(explicit_pids_take_namespaces_from_pidfds, *boost::unit_test::precondition(t::privileged()))
{
    t::sleeper all(all_but_time);
    BOOST_TEST_REQUIRE(all.pid > 0);
    t::ns_holder timens(time_ns_with_a_child);
    BOOST_TEST_REQUIRE(timens.ok(), timens.message());
    const pid_t in_time = static_cast<pid_t>(timens.value());
    BOOST_TEST_REQUIRE(t::wait_until([&] { return inode_of(entry_path(in_time, static_cast<std::size_t>(ns_type::time))) != inode_of("/proc/self/ns/time"); }));
    // A new PID namespace with no process yet: the ioctl gives it, the link does not.
    t::ns_holder nopid([] { return ::unshare(CLONE_NEWPID) == 0 ? std::string("ok") : std::strerror(errno); });
    BOOST_TEST_REQUIRE(nopid.ok(), nopid.message());
    std::error_code ec;
    nskit::sys::open_ns_path(entry_path(nopid.pid(), process_info::pid_for_children_entry).c_str(), ec);
    BOOST_TEST_REQUIRE((ec == std::errc::no_such_file_or_directory));
    const std::vector<pid_t> pids = {all.pid, timens.pid(), in_time, nopid.pid()};

    scan_options o;
    o.pids = pids;
    auto s = scan(o);
    for (pid_t p : pids)
        BOOST_TEST(same_entries_as_links(s, p) == "", p);
    BOOST_TEST(s.pidfd_namespaces.from_pidfd >= 4 * process_info::entry_count - 1); // nopid's pid_for_children
    BOOST_TEST(s.pidfd_namespaces.from_proc == 0u);
    BOOST_TEST(s.pidfd_namespaces.opened >= 7u); // all's own, and the time namespace
    BOOST_TEST(s.find_process(nopid.pid())->ns_errors[process_info::pid_for_children_entry] ==
               std::errc::no_such_file_or_directory);

    // A target in a whole scan: from its pidfd; the other processes from /proc.
    const std::vector<nskit::sys::pidref> targets = [&] {
        std::vector<nskit::sys::pidref> v;
        v.push_back(nskit::sys::pidref::open(all.pid));
        return v;
    }();
    scan_options w;
    w.targets = targets;
    auto ws = scan(w);
    BOOST_TEST(same_entries_as_links(ws, all.pid) == "");
    BOOST_TEST(ws.pidfd_namespaces.from_pidfd == process_info::entry_count);
    BOOST_TEST(ws.pidfd_namespaces.from_proc == 0u);

    BOOST_TEST(t::in_child([&] {
        if (!t::forbid_pidfd_namespace_ioctls())
            return std::string("seccomp: ") + std::strerror(errno);
        auto f = scan(o);
        for (pid_t p : pids)
            if (auto r = same_entries_as_links(f, p); !r.empty())
                return "without the ioctl: " + r;
        if (f.pidfd_namespaces.from_pidfd != 0 || f.pidfd_namespaces.opened != 0)
            return std::string("the ioctl was used");
        if (f.pidfd_namespaces.from_proc < 4 * process_info::entry_count - 1)
            return "from /proc: " + std::to_string(f.pidfd_namespaces.from_proc);
        return std::string();
    }) == "");

    // Others' processes as nobody: EACCES from the ioctl, as from the link.
    BOOST_TEST(t::as_nobody([&] {
        auto n = scan(o);
        for (pid_t p : pids)
            if (auto r = same_entries_as_links(n, p); !r.empty())
                return "as nobody: " + r;
        const auto* p = n.find_process(all.pid);
        if (p == nullptr || p->ns_errors[0] != std::errc::permission_denied)
            return std::string("expected permission denied");
        return n.pidfd_namespaces.from_pidfd == 0 ? std::string() : std::string("a namespace from another's pidfd");
    }) == "");
}

// A zombie's pidfd gives no namespaces (ESRCH): its user and pid namespaces
// still come from its links, the rest says it was released.
BOOST_AUTO_TEST_CASE(explicit_zombie_falls_back_to_its_links)
{
    const pid_t z = ::fork();
    if (z == 0)
        ::_exit(0);
    BOOST_TEST_REQUIRE(z > 0);
    siginfo_t si{};
    ::waitid(P_PID, static_cast<id_t>(z), &si, WEXITED | WNOWAIT); // a zombie, not reaped
    scan_options o;
    o.pids = {z};
    auto s = scan(o);
    const auto* p = s.find_process(z);
    BOOST_TEST_REQUIRE(p != nullptr);
    BOOST_TEST((p->state == process_state::zombie));
    BOOST_TEST(ns_of(s, z, ns_type::user) != process_info::none);
    BOOST_TEST(ns_of(s, z, ns_type::pid) != process_info::none);
    BOOST_TEST(ns_of(s, z, ns_type::net) == process_info::none);
    BOOST_TEST(p->ns_errors[static_cast<std::size_t>(ns_type::net)] == std::errc::no_such_process);
    BOOST_TEST(s.pidfd_namespaces.from_proc >= 2u);
    ::waitpid(z, nullptr, 0);
}

BOOST_AUTO_TEST_CASE(lsns_agrees, *boost::unit_test::precondition(t::privileged()))
{
    // Three processes in fresh uts+ipc+net namespaces: both tools must see them.
    t::ns_holder h([] {
        if (::unshare(CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET) != 0)
            return std::string("unshare: ") + std::strerror(errno);
        for (int i = 0; i < 2; ++i)
            if (::fork() == 0) {
                ::prctl(PR_SET_PDEATHSIG, SIGKILL);
                for (int j = 0; j < 600; ++j)
                    ::sleep(1);
                ::_exit(0);
            }
        return std::string("ok");
    });
    BOOST_TEST_REQUIRE(h.ok(), h.message());
    int status = -1;
    std::string out;
    // lsns 2.38 fails when a process exits during its scan (other work on the
    // machine): retry a few times.
    for (int attempt = 0; attempt < 5 && status != 0; ++attempt)
        out = t::run_program({"lsns", "-r", "-n", "-o", "NS,TYPE,NPROCS"}, &status);
    auto s = scan();
    BOOST_TEST_REQUIRE(status == 0);
    std::istringstream in(out);
    std::uint64_t ino;
    std::string type;
    unsigned nprocs;
    std::map<std::uint64_t, std::pair<std::string, unsigned>> lsns;
    while (in >> ino >> type >> nprocs)
        lsns[ino] = {type, nprocs};
    BOOST_TEST_REQUIRE(lsns.size() >= 8u);
    for (const auto& [i, v] : lsns) {
        const std::size_t n = s.find_inode(i);
        if (n == snapshot::npos)
            continue; // a namespace that died between the two scans
        BOOST_TEST(std::string(to_string(s.namespaces[n].type)) == v.first, i);
    }
    for (auto type : {ns_type::uts, ns_type::ipc, ns_type::net}) {
        const std::size_t n = ns_of(s, h.pid(), type);
        BOOST_TEST_REQUIRE(n != process_info::none);
        const auto& ns = s.namespaces[n];
        BOOST_TEST(ns.processes.size() == 3u);
        BOOST_TEST_REQUIRE(lsns.count(ns.identity.inode.ino) == 1u, to_string(type));
        BOOST_TEST(lsns[ns.identity.inode.ino].first == std::string(to_string(type)));
        BOOST_TEST(lsns[ns.identity.inode.ino].second == 3u);
    }
    // our own namespaces are in both
    for (const auto& ti : ns_types())
        BOOST_TEST(lsns.count(s.namespaces[ns_of(s, ::getpid(), ti.type)].identity.inode.ino) == 1u, ti.name);
}

// A /proc listing cut short (getdents64 failing) is a gap of its own kind,
// naming no process: it was a "namespaces" gap of "pid 0".
BOOST_AUTO_TEST_CASE(listing_cut_short_is_a_listing_gap)
{
    NSKIT_CHECK_CHILD(t::in_child([] {
        NSKIT_EXPECT(t::forbid_syscall(SYS_getdents64, EIO));
        const auto snap = nskit::inspect::scan({});
        NSKIT_EXPECT(snap.partial());
        bool listing = false;
        for (const auto& g : snap.gaps) {
            if (g.kind == nskit::inspect::gap_kind::listing) {
                listing = true;
                NSKIT_EXPECT(g.count == 0u);
                NSKIT_EXPECT(g.error == std::errc::io_error);
            }
            NSKIT_EXPECT(g.kind == nskit::inspect::gap_kind::listing || g.kind == nskit::inspect::gap_kind::kernel_list ||
                         g.first_pid > 0);
        }
        NSKIT_EXPECT(listing);
        NSKIT_EXPECT(to_string(nskit::inspect::gap_kind::listing) == "listing");
        return std::string();
    }));
}

BOOST_AUTO_TEST_SUITE_END()
