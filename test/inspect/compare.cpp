#include <nskit/inspect/compare.hpp>

#include "test_support.hpp"

#include "cmp_fixtures.hpp"

#include <nskit/inspect/detail/cmp_proc.hpp>
#include <nskit/sys/clone.hpp>
#include <nskit/sys/kcmp.hpp>
#include <nskit/sys/nsfs.hpp>
#include <nskit/sys/pidfd.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <set>
#include <thread>
#include <tuple>

using namespace nskit::inspect;
using namespace nskit::sys;
namespace t = nskit::test;
namespace tc = nskit::test::cmp;

namespace {

// Every fd of pid, from /proc (the test's own independent listing).
std::vector<int> fds_of(pid_t pid)
{
    std::vector<int> out;
    const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr)
        return out;
    const int own = pid == ::getpid() ? ::dirfd(d) : -1;
    while (auto* e = ::readdir(d))
        if (e->d_name[0] != '.' && std::atoi(e->d_name) != own)
            out.push_back(std::atoi(e->d_name));
    ::closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

// Oracle: every pair of fds, one kcmp each.
std::set<std::pair<int, int>> all_pairs_shared(pid_t a, pid_t b)
{
    std::set<std::pair<int, int>> out;
    for (int x : fds_of(a))
        for (int y : fds_of(b)) {
            std::error_code ec;
            if (kcmp_file(a, x, b, y, ec) == kcmp_order::equal && !ec)
                out.insert({x, y});
        }
    return out;
}

std::set<std::pair<int, int>> reported_shared(const comparison& c)
{
    std::set<std::pair<int, int>> out;
    for (const auto& s : c.shared_fds)
        out.insert({s.a.fd, s.b.fd});
    return out;
}

// (owner, epfd, tfd, toff, other fd)
using watch = std::tuple<int, int, int, unsigned, int>;

// Oracle: every item of every epoll fd of `owner` against every fd of `other`.
std::set<watch> all_pairs_epoll(pid_t owner, pid_t other, int owner_side)
{
    std::set<watch> out;
    for (int ep : fds_of(owner)) {
        char link[128] = {};
        const std::string path = "/proc/" + std::to_string(owner) + "/fd/" + std::to_string(ep);
        if (::readlink(path.c_str(), link, sizeof link - 1) <= 0 || std::string(link) != "anon_inode:[eventpoll]")
            continue;
        std::string info = t::read_file("/proc/" + std::to_string(owner) + "/fdinfo/" + std::to_string(ep));
        std::map<int, unsigned> seen;
        std::size_t pos = 0;
        while ((pos = info.find("tfd:", pos)) != std::string::npos) {
            int tfd = -1;
            std::sscanf(info.c_str() + pos, "tfd: %d", &tfd);
            pos += 4;
            const unsigned toff = seen[tfd]++;
            for (int fd : fds_of(other)) {
                std::error_code ec;
                kcmp_epoll_target slot{static_cast<unsigned>(ep), static_cast<unsigned>(tfd), toff};
                if (kcmp_epoll_tfd(other, fd, owner, slot, ec) == kcmp_order::equal && !ec)
                    out.insert({owner_side, ep, tfd, toff, fd});
            }
        }
    }
    return out;
}

std::set<watch> reported_epoll(const comparison& c)
{
    std::set<watch> out;
    for (const auto& w : c.epoll)
        out.insert({w.owner == epoll_watch::side::a ? 0 : 1, w.epoll_fd, w.target_fd, w.target_offset, w.other.fd});
    return out;
}

std::string ns_link(pid_t pid, ns_type type)
{
    char buf[128] = {};
    const std::string path = "/proc/" + std::to_string(pid) + "/ns/" + std::string(info(type).proc_entry);
    return ::readlink(path.c_str(), buf, sizeof buf - 1) > 0 ? std::string(buf) : std::string();
}

const ns_comparison* find_ns(const comparison& c, ns_type type)
{
    for (const auto& n : c.namespaces)
        if (n.type == type)
            return &n;
    return nullptr;
}

const resource_comparison* find_res(const comparison& c, kcmp_resource type)
{
    for (const auto& r : c.resources)
        if (r.resource == type)
            return &r;
    return nullptr;
}

} // namespace

BOOST_AUTO_TEST_SUITE(inspect_compare)

BOOST_AUTO_TEST_CASE(epoll_fdinfo_is_parsed_with_offsets)
{
    const std::string text = "pos:\t0\nflags:\t02000002\nmnt_id:\t15\nino:\t1057\n"
                             "tfd:        5 events:       19 data:                0  pos:0 ino:2b5 sdev:e\n"
                             "tfd:        7 events:        1 data:                7  pos:0 ino:1a sdev:800003\n"
                             "tfd:        5 events:        4 data:                0  pos:0 ino:2c0 sdev:e\n"
                             "tfd: garbage\n";
    auto items = nskit::inspect::detail::cmp::parse_epoll_fdinfo(text);
    BOOST_REQUIRE_EQUAL(items.size(), 3u);
    BOOST_TEST(items[0].target_fd == 5);
    BOOST_TEST(items[0].target_offset == 0u);
    BOOST_TEST(items[0].events == 0x19u);
    BOOST_TEST(items[0].ino == 0x2b5u);
    BOOST_TEST(items[0].dev == static_cast<std::uint64_t>(makedev(0, 14)));
    BOOST_TEST(items[1].target_offset == 0u);
    BOOST_TEST(items[1].dev == static_cast<std::uint64_t>(makedev(8, 3)));
    BOOST_TEST(items[2].target_fd == 5);
    BOOST_TEST(items[2].target_offset == 1u); // the second item registered under fd 5
    // found by test/fuzz/fuzz_proc_text: an ino: without its sdev: was kept beside has_inode == false
    items = nskit::inspect::detail::cmp::parse_epoll_fdinfo("tfd:        5 events: 19 data: 0  pos:0 ino:2b5\n");
    BOOST_REQUIRE_EQUAL(items.size(), 1u);
    BOOST_TEST(!items[0].has_inode);
    BOOST_TEST(items[0].ino == 0u);
    BOOST_TEST(items[0].dev == 0u);
    BOOST_TEST(nskit::inspect::detail::cmp::parse_epoll_fdinfo("").empty());
    BOOST_TEST(nskit::inspect::detail::cmp::parse_epoll_fdinfo("tfd:\n").empty());
}

BOOST_AUTO_TEST_CASE(fd_kinds)
{
    using nskit::inspect::detail::cmp::classify_fd_target;
    BOOST_TEST((classify_fd_target("/etc/passwd") == fd_kind::path));
    BOOST_TEST((classify_fd_target("socket:[12]") == fd_kind::socket));
    BOOST_TEST((classify_fd_target("pipe:[12]") == fd_kind::pipe));
    BOOST_TEST((classify_fd_target("anon_inode:[eventpoll]") == fd_kind::anon_inode));
    BOOST_TEST((classify_fd_target("net:[4026531840]") == fd_kind::other));
    BOOST_TEST(to_string(fd_kind::socket) == "socket");
    BOOST_TEST(to_string(sharing::unknown) == "unknown");
    BOOST_TEST(to_string(ns_relation::descendant) == "descendant");
}

BOOST_AUTO_TEST_CASE(live_process_follows_the_process)
{
    std::error_code ec;
    auto self = pidref::open(::getpid(), ec, {.allow_thread = true});
    BOOST_TEST(!ec);
    BOOST_TEST(self.alive());
    BOOST_TEST(self.pid() == ::getpid());
    pidref::open(0, ec, {.allow_thread = true});
    BOOST_TEST((ec == nskit::error::bad_pid));
    pidref::open(-1, ec, {.allow_thread = true});
    BOOST_TEST((ec == nskit::error::bad_pid));
    pidref::open(0x7ffffff0, ec, {.allow_thread = true});
    BOOST_TEST((ec == std::errc::no_such_process));
    BOOST_CHECK_THROW(pidref::open(0x7ffffff0, {.allow_thread = true}), std::system_error);

    // a thread id works too (PIDFD_THREAD)
    const tc::idle_thread thread_a;
    const pid_t tid = thread_a.tid();
    auto thread = pidref::open(tid, ec, {.allow_thread = true});
    BOOST_TEST(!ec);
    BOOST_TEST(thread.alive());

    // a zombie is not alive, and compare refuses it
    pid_t z = ::fork();
    if (z == 0)
        ::_exit(0);
    auto zombie = pidref::open(z, ec, {.allow_thread = true});
    BOOST_TEST(!ec);
    siginfo_t si{};
    ::waitid(P_PID, static_cast<id_t>(z), &si, WEXITED | WNOWAIT); // exited, not reaped
    BOOST_TEST(!zombie.alive());
    compare(self, zombie, {}, ec);
    BOOST_TEST((ec == std::errc::no_such_process));
    BOOST_CHECK_THROW(compare(self, zombie), std::system_error);
    ::waitpid(z, nullptr, 0);
    BOOST_TEST(!zombie.alive());

    // adopt a pidfd
    auto fd = pidfd_open(::getpid());
    auto adopted = pidref::adopt(std::move(fd), ec);
    BOOST_TEST(!ec);
    BOOST_TEST(adopted.pid() == ::getpid());
    BOOST_TEST(adopted.alive());
    pidref::adopt(nskit::unique_fd(::open("/dev/null", O_RDONLY | O_CLOEXEC)), ec);
    BOOST_TEST(!!ec);
}

BOOST_AUTO_TEST_CASE(a_process_shares_everything_with_itself)
{
    auto me = pidref::open(::getpid(), {.allow_thread = true}), again = pidref::open(::getpid(), {.allow_thread = true});
    auto c = compare(me, again);
    BOOST_TEST(c.namespaces.size() == ns_type_count);
    BOOST_TEST(c.resources.size() == 6u);
    for (const auto& n : c.namespaces) {
        BOOST_TEST((n.state == sharing::same), to_string(n.type) << ": " << n.reason);
        BOOST_TEST(n.a_inode.ino == n.b_inode.ino);
        if (probe_nsfs().get_id)
            BOOST_TEST(n.a_id != 0u);
    }
    for (const auto& r : c.resources)
        BOOST_TEST((r.state == sharing::same), to_string(r.resource) << ": " << r.reason);
    BOOST_TEST(c.anything_compared());
    BOOST_TEST(!c.something_differs());
    BOOST_TEST(c.shared_fds_compared);
    BOOST_TEST(reported_shared(c) == all_pairs_shared(::getpid(), ::getpid()));
    BOOST_TEST(c.kcmp_calls > 0u);

    compare_options only;
    only.namespaces = {ns_type::net};
    only.resources = {kcmp_resource::vm};
    only.shared_fds = only.epoll = false;
    auto d = compare(::getpid(), ::getpid(), only);
    BOOST_TEST(d.namespaces.size() == 1u);
    BOOST_TEST(d.resources.size() == 1u);
    BOOST_TEST(d.kcmp_calls == 1u);
    BOOST_TEST(!d.shared_fds_compared);
    only.resources = {kcmp_resource::file};
    std::error_code ec;
    compare(::getpid(), ::getpid(), only, ec);
    BOOST_TEST((ec == std::errc::invalid_argument));
}

// Every kind of sharing clone can set up, checked for every ordered pair.
BOOST_AUTO_TEST_CASE(sharing_matrix_for_every_pair, *boost::unit_test::precondition(t::privileged()))
{
    NSKIT_CHECK_CHILD(t::in_child([]() -> std::string {
        NSKIT_EXPECT(tc::prime_lazy_resources());
        int ready[2];
        NSKIT_EXPECT(::pipe2(ready, O_CLOEXEC) == 0);
        const std::vector<std::string> res_keys{"vm", "files", "fs", "sighand", "io", "sysvsem"};
        struct member {
            std::string name;
            pid_t pid;
            std::map<std::string, int> token; // equal tokens = shared
        };
        int next_token = 1;
        auto make = [&](std::string name, pid_t pid, const std::vector<std::string>& shared_resources,
                        const std::vector<std::string>& new_namespaces) {
            member m{std::move(name), pid, {}};
            for (const auto& k : res_keys)
                m.token[k] = std::count(shared_resources.begin(), shared_resources.end(), k) ? 0 : next_token++;
            for (const auto& i : ns_types()) {
                const std::string k(i.name);
                m.token[k] = std::count(new_namespaces.begin(), new_namespaces.end(), k) ? next_token++ : 0;
            }
            return m;
        };
        struct spec {
            std::string name;
            clone_flags flags;
            std::vector<std::string> shares, new_ns;
        };
        const std::vector<spec> specs{
            {"CLONE_VM", clone_flag::vm, {"vm"}, {}},
            {"CLONE_FILES", clone_flag::files, {"files"}, {}},
            {"CLONE_FS", clone_flag::fs, {"fs"}, {}},
            {"CLONE_SIGHAND|CLONE_VM", clone_flag::sighand | clone_flag::vm, {"sighand", "vm"}, {}},
            {"CLONE_IO", clone_flag::io, {"io"}, {}},
            {"CLONE_SYSVSEM", clone_flag::sysvsem, {"sysvsem"}, {}},
            {"fork", clone_flags(), {}, {}},
            {"CLONE_NEWNS", clone_flag::newns, {}, {"mnt"}},
            {"CLONE_NEWUTS", clone_flag::newuts, {}, {"uts"}},
            {"CLONE_NEWIPC", clone_flag::newipc, {}, {"ipc"}},
            {"CLONE_NEWNET", clone_flag::newnet, {}, {"net"}},
            {"CLONE_NEWPID", clone_flag::newpid, {}, {"pid"}},
            {"CLONE_NEWUSER", clone_flag::newuser, {}, {"user"}},
            {"CLONE_NEWCGROUP", clone_flag::newcgroup, {}, {"cgroup"}},
            {"CLONE_NEWTIME", clone_flag::newtime, {}, {"time"}},
        };
        std::vector<member> members{make("origin", ::getpid(), res_keys, {})};
        std::vector<std::unique_ptr<tc::idle_child>> children;
        for (const auto& s : specs) {
            children.push_back(std::make_unique<tc::idle_child>(s.flags, ready[1]));
            members.push_back(make(s.name, children.back()->pid(), s.shares, s.new_ns));
        }
        auto waited = tc::await_ready(ready[0], static_cast<int>(specs.size()));
        NSKIT_EXPECT(waited.empty());
        // a thread: shares vm, files, fs, sighand, sysvsem; gets its own io context
        const tc::idle_thread thread_a;
        const pid_t tid = thread_a.tid();
        members.push_back(make("thread", tid, {"vm", "files", "fs", "sighand", "sysvsem"}, {}));

        std::string problems;
        std::size_t checked = 0;
        auto fail = [&](const member& a, const member& b, const std::string& what) {
            if (problems.size() < 4000)
                problems += a.name + " vs " + b.name + ": " + what + "; ";
        };
        for (const auto& a : members)
            for (const auto& b : members) {
                compare_options o;
                o.shared_fds = o.epoll = false;
                std::error_code ec;
                auto c = compare(a.pid, b.pid, o, ec);
                if (ec) {
                    fail(a, b, "compare: " + ec.message());
                    continue;
                }
                for (const auto& n : c.namespaces) {
                    const std::string k(to_string(n.type));
                    const bool same = a.token.at(k) == b.token.at(k);
                    const bool oracle_same = ns_link(a.pid, n.type) == ns_link(b.pid, n.type);
                    if (n.state != (same ? sharing::same : sharing::different) || same != oracle_same)
                        fail(a, b, k + " " + std::string(to_string(n.state)) + " " + n.reason);
                    ns_relation want = ns_relation::none;
                    if (!same && (n.type == ns_type::pid || n.type == ns_type::user))
                        want = a.token.at(k) == 0 ? ns_relation::parent : ns_relation::child;
                    if (n.relation != want || (want != ns_relation::none && n.distance != 1))
                        fail(a, b, k + " relation " + std::string(to_string(n.relation)));
                    // every namespace here is owned by the origin's user namespace, except
                    // that the origin's own user namespace has no owner within reach
                    auto owner_expect = [&](const member& x, const member& y) -> std::optional<bool> {
                        if (n.type == ns_type::user && x.token.at("user") == 0)
                            return std::nullopt;
                        return y.token.at("user") == 0;
                    };
                    if (n.a_owned_by_b_user != owner_expect(a, b) || n.b_owned_by_a_user != owner_expect(b, a))
                        fail(a, b, k + " ownership");
                    ++checked;
                }
                for (const auto& r : c.resources) {
                    const std::string k(to_string(r.resource));
                    const bool same = a.token.at(k) == b.token.at(k);
                    if (r.state != (same ? sharing::same : sharing::different))
                        fail(a, b, k + " " + std::string(to_string(r.state)) + " " + r.reason);
                    ++checked;
                }
                if (c.something_differs() == (a.pid == b.pid))
                    fail(a, b, "something_differs");
            }
        children.clear();
        ::close(ready[0]);
        ::close(ready[1]);
        if (problems.empty() && checked != members.size() * members.size() * 14)
            problems = "checked " + std::to_string(checked) + " fields";
        return problems;
    }));
}

// pid and user namespaces two levels deep: ancestor/descendant, and ownership.
BOOST_AUTO_TEST_CASE(nested_namespaces_are_related, *boost::unit_test::precondition(t::privileged()))
{
    NSKIT_CHECK_CHILD(t::in_child([]() -> std::string {
        int ready[2];
        NSKIT_EXPECT(::pipe2(ready, O_CLOEXEC) == 0);
        int gate[2];
        NSKIT_EXPECT(::pipe2(gate, O_CLOEXEC) == 0);
        const int wr = ready[1], gate_rd = gate[0];
        // outer: new user+pid+net namespaces; once its uid is mapped (needed to
        // create a user namespace) it makes inner in new user+pid namespaces
        auto outer = clone(
            [wr, gate_rd] {
                char g;
                if (::read(gate_rd, &g, 1) != 1)
                    return 1;
                try {
                    auto inner = clone([wr] { ::syscall(SYS_write, wr, "R", 1); return tc::idle(); },
                                       {.flags = clone_flag::newuser | clone_flag::newpid, .stack_size = 256 * 1024});
                    ::syscall(SYS_write, wr, "R", 1);
                    tc::idle();
                } catch (...) {
                    ::syscall(SYS_write, wr, "E", 1);
                }
                return 0;
            },
            {.flags = clone_flag::newuser | clone_flag::newpid | clone_flag::newnet | clone_flag::pidfd,
             .stack_size = 256 * 1024});
        for (const char* map : {"uid_map", "gid_map"}) {
            const std::string path = "/proc/" + std::to_string(outer.pid()) + "/" + map;
            const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
            NSKIT_EXPECT(fd >= 0 && ::write(fd, "0 0 1", 5) == 5);
            ::close(fd);
        }
        NSKIT_EXPECT(::write(gate[1], "x", 1) == 1);
        auto waited = tc::await_ready(ready[0], 2);
        NSKIT_EXPECT(waited.empty());
        std::string kids = t::read_file("/proc/" + std::to_string(outer.pid()) + "/task/" +
                                        std::to_string(outer.pid()) + "/children");
        const pid_t inner = static_cast<pid_t>(std::atoi(kids.c_str()));
        NSKIT_EXPECT(inner > 0);
        const pid_t self = ::getpid();
        std::string problems;
        auto check = [&](pid_t a, pid_t b, ns_type type, ns_relation want, unsigned distance) {
            compare_options o;
            o.namespaces = {type};
            o.resources.clear();
            o.shared_fds = o.epoll = false;
            auto c = compare(a, b, o);
            const auto& n = c.namespaces.at(0);
            if (n.state != sharing::different || n.relation != want || n.distance != distance)
                problems += std::to_string(a) + " vs " + std::to_string(b) + " " + std::string(to_string(type)) +
                            ": " + std::string(to_string(n.relation)) + "/" + std::to_string(n.distance) + "; ";
            return c;
        };
        for (auto type : {ns_type::pid, ns_type::user}) {
            check(self, inner, type, ns_relation::ancestor, 2);
            check(inner, self, type, ns_relation::descendant, 2);
            check(outer.pid(), inner, type, ns_relation::parent, 1);
            check(inner, outer.pid(), type, ns_relation::child, 1);
        }
        // inner's user namespace is owned by outer's; outer's net namespace by outer's user namespace
        auto c = compare(outer.pid(), inner);
        auto* user = find_ns(c, ns_type::user);
        NSKIT_EXPECT(user && user->b_owned_by_a_user == std::optional<bool>(true));
        NSKIT_EXPECT(user->a_owned_by_b_user == std::optional<bool>(false));
        auto* net = find_ns(c, ns_type::net);
        NSKIT_EXPECT(net && net->state == sharing::same);
        NSKIT_EXPECT(net->a_owned_by_b_user == std::optional<bool>(false));
        NSKIT_EXPECT(net->b_owned_by_a_user == std::optional<bool>(true));

        // a process of the initial user namespace that joined outer's network namespace:
        // the same net namespace, owned by the other process's user namespace
        int joined[2];
        NSKIT_EXPECT(::pipe2(joined, O_CLOEXEC) == 0);
        auto netfd = open_ns(outer.pid(), ns_type::net);
        const int nfd = netfd.get(), jw = joined[1];
        auto guest = clone(
            [nfd, jw] {
                std::error_code ec;
                setns(nfd, ns_type::net, ec);
                ::syscall(SYS_write, jw, ec ? "E" : "R", 1);
                return tc::idle();
            },
            {.flags = clone_flag::pidfd, .stack_size = 256 * 1024});
        NSKIT_EXPECT(tc::await_ready(joined[0], 1).empty());
        auto g = compare(guest.pid(), outer.pid());
        auto* gnet = find_ns(g, ns_type::net);
        NSKIT_EXPECT(gnet && gnet->state == sharing::same);
        NSKIT_EXPECT(gnet->a_owned_by_b_user == std::optional<bool>(true));
        auto* guser = find_ns(g, ns_type::user);
        NSKIT_EXPECT(guser && guser->relation == ns_relation::parent);
        for (auto* p : {&outer, &guest}) {
            pidfd_send_signal(p->pidfd().get(), SIGKILL);
            pidfd_wait(p->pidfd().get());
        }
        for (int fd : {ready[0], ready[1], joined[0], joined[1], gate[0], gate[1]})
            ::close(fd);
        return problems;
    }));
}

// fds shared by fork, dup and opened twice, against kcmp on every pair.
BOOST_AUTO_TEST_CASE(shared_fds_match_an_all_pairs_oracle)
{
    NSKIT_CHECK_CHILD(t::in_child([]() -> std::string {
        const int before = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        const int dupped = ::fcntl(before, F_DUPFD_CLOEXEC, 100);
        int p[2], s[2];
        NSKIT_EXPECT(::pipe2(p, O_CLOEXEC) == 0);
        NSKIT_EXPECT(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s) == 0);
        int ready[2], go[2];
        NSKIT_EXPECT(::pipe2(ready, O_CLOEXEC) == 0 && ::pipe2(go, O_CLOEXEC) == 0);
        const pid_t child = ::fork();
        if (child == 0) {
            // the same file opened again, here and in the parent: not shared
            const int again = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
            (void)again;
            (void)!::write(ready[1], "R", 1);
            char c;
            (void)!::read(go[0], &c, 1);
            ::_exit(0);
        }
        const int again = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        NSKIT_EXPECT(tc::await_ready(ready[0], 1).empty());
        auto self = pidref::open(::getpid(), {.allow_thread = true}), kid = pidref::open(child, {.allow_thread = true});
        compare_options by_inode, whole;
        by_inode.grouping = compare_options::fd_grouping::inode;
        whole.grouping = compare_options::fd_grouping::none;
        auto c = compare(self, kid);
        auto ci = compare(self, kid, by_inode);
        auto cn = compare(self, kid, whole);
        auto oracle = all_pairs_shared(::getpid(), child);
        auto got = reported_shared(c);
        std::string problems;
        if (got != oracle)
            problems += "shared fds differ from the all-pairs oracle (" + std::to_string(got.size()) + " vs " +
                        std::to_string(oracle.size()) + "); ";
        if (reported_shared(ci) != oracle || reported_shared(cn) != oracle)
            problems += "inode/none grouping: shared fds differ from the oracle; ";
        NSKIT_EXPECT(c.shared_fds_compared);
        NSKIT_EXPECT(got.count({before, before}) && got.count({before, dupped}) && got.count({dupped, before}));
        NSKIT_EXPECT(got.count({p[0], p[0]}) && got.count({s[1], s[1]}));
        NSKIT_EXPECT(!got.count({again, again}));
        for (const auto& sfd : c.shared_fds) {
            if (sfd.a.fd == p[0])
                NSKIT_EXPECT(sfd.a.kind == fd_kind::pipe && sfd.a.target.starts_with("pipe:["));
            if (sfd.a.fd == s[1])
                NSKIT_EXPECT(sfd.b.kind == fd_kind::socket && sfd.b.target.starts_with("socket:["));
            if (sfd.a.fd == before)
                NSKIT_EXPECT(sfd.a.kind == fd_kind::path && sfd.a.target == "/dev/null");
        }
        // bucketing by inode keeps the kcmp calls far below all pairs
        const auto pairs = fds_of(::getpid()).size() * fds_of(child).size();
        NSKIT_EXPECT(c.kcmp_calls < pairs);
        // the resources of a plain fork: nothing shared
        NSKIT_EXPECT(find_res(c, kcmp_resource::vm)->state == sharing::different);
        NSKIT_EXPECT(find_res(c, kcmp_resource::files)->state == sharing::different);
        (void)!::write(go[1], "x", 1);
        ::waitpid(child, nullptr, 0);
        for (int fd : {before, dupped, again, p[0], p[1], s[0], s[1], ready[0], ready[1], go[0], go[1]})
            ::close(fd);
        return problems;
    }));
}

// An epoll fd watching files the other process holds, at the same or other fd
// numbers, and two items registered under one fd number (target offset).
BOOST_AUTO_TEST_CASE(epoll_targets_match_an_oracle)
{
    NSKIT_CHECK_CHILD(t::in_child([]() -> std::string {
        const int ep = ::epoll_create1(EPOLL_CLOEXEC);
        int p[2];
        NSKIT_EXPECT(::pipe2(p, O_CLOEXEC) == 0);
        const int ev = ::eventfd(0, EFD_CLOEXEC);
        epoll_event e{};
        e.events = EPOLLIN;
        NSKIT_EXPECT(::epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e) == 0);
        NSKIT_EXPECT(::epoll_ctl(ep, EPOLL_CTL_ADD, ev, &e) == 0);
        // moved: registered as `moved`, the child keeps it only as `moved_copy`
        const int moved = ::eventfd(0, EFD_CLOEXEC);
        const int moved_copy = ::fcntl(moved, F_DUPFD_CLOEXEC, 200);
        NSKIT_EXPECT(::epoll_ctl(ep, EPOLL_CTL_ADD, moved, &e) == 0);
        // two items under one number: a pipe, then (after dup + replace) an eventfd at the same number
        int q[2];
        NSKIT_EXPECT(::pipe2(q, O_CLOEXEC) == 0);
        const int num = q[0];
        NSKIT_EXPECT(::epoll_ctl(ep, EPOLL_CTL_ADD, num, &e) == 0);
        const int pipe_copy = ::fcntl(num, F_DUPFD_CLOEXEC, 210);
        const int later = ::eventfd(0, EFD_CLOEXEC);
        NSKIT_EXPECT(::dup3(later, num, O_CLOEXEC) == num);
        ::close(later);
        NSKIT_EXPECT(::epoll_ctl(ep, EPOLL_CTL_ADD, num, &e) == 0);
        int ready[2], go[2];
        NSKIT_EXPECT(::pipe2(ready, O_CLOEXEC) == 0 && ::pipe2(go, O_CLOEXEC) == 0);
        const pid_t child = ::fork();
        if (child == 0) {
            ::close(moved);
            (void)!::write(ready[1], "R", 1);
            char c;
            (void)!::read(go[0], &c, 1);
            ::_exit(0);
        }
        ::close(moved_copy);
        NSKIT_EXPECT(tc::await_ready(ready[0], 1).empty());
        std::string problems;
        auto self = pidref::open(::getpid(), {.allow_thread = true}), kid = pidref::open(child, {.allow_thread = true});
        compare_options by_inode, whole;
        by_inode.grouping = compare_options::fd_grouping::inode;
        whole.grouping = compare_options::fd_grouping::none;
        auto c = compare(self, kid);
        auto ci = compare(self, kid, by_inode);
        auto cn = compare(self, kid, whole); // epoll items found by binary search
        NSKIT_EXPECT(c.epoll_compared && ci.epoll_compared && cn.epoll_compared);
        auto got = reported_epoll(c);
        auto want = all_pairs_epoll(::getpid(), child, 0);
        auto back = all_pairs_epoll(child, ::getpid(), 1);
        want.insert(back.begin(), back.end());
        if (got != want)
            problems += "epoll watches differ from the oracle (" + std::to_string(got.size()) + " vs " +
                        std::to_string(want.size()) + "); ";
        if (reported_epoll(ci) != want || reported_epoll(cn) != want)
            problems += "inode/none grouping: epoll watches differ from the oracle; ";
        NSKIT_EXPECT(got.count({0, ep, p[0], 0u, p[0]}));
        NSKIT_EXPECT(got.count({0, ep, ev, 0u, ev}));
        NSKIT_EXPECT(got.count({0, ep, moved, 0u, moved_copy}));
        // the child's copy of the epoll fd watches the parent's files too
        NSKIT_EXPECT(got.count({1, ep, moved, 0u, moved}));
        // both items under `num`: one is the child's pipe_copy, the other its `num`
        unsigned offsets = 0;
        for (const auto& w : c.epoll)
            if (w.owner == epoll_watch::side::a && w.target_fd == num) {
                NSKIT_EXPECT(w.other.fd == pipe_copy || w.other.fd == num);
                NSKIT_EXPECT(w.other.fd == num ? w.other.target == "anon_inode:[eventfd]"
                                               : w.other.kind == fd_kind::pipe);
                offsets |= 1u << w.target_offset;
            }
        NSKIT_EXPECT(offsets == 3u);
        (void)!::write(go[1], "x", 1);
        ::waitpid(child, nullptr, 0);
        for (int fd : {ep, p[0], p[1], ev, moved, num, q[1], pipe_copy, ready[0], ready[1], go[0], go[1]})
            ::close(fd);
        return problems;
    }));
}

BOOST_AUTO_TEST_CASE(kcmp_enosys_leaves_the_namespaces)
{
    NSKIT_CHECK_CHILD(t::in_child([]() -> std::string {
        t::sleeper other;
        NSKIT_EXPECT(t::forbid_syscall(SYS_kcmp, ENOSYS));
        std::error_code ec;
        auto c = compare(::getpid(), other.pid, {}, ec);
        NSKIT_EXPECT(!ec);
        for (const auto& n : c.namespaces)
            NSKIT_EXPECT(n.state == sharing::same);
        for (const auto& r : c.resources) {
            NSKIT_EXPECT(r.state == sharing::unknown);
            NSKIT_EXPECT(r.error == std::errc::function_not_supported);
            NSKIT_EXPECT(r.reason.find("CONFIG_KCMP") != std::string::npos);
        }
        NSKIT_EXPECT(!c.shared_fds_compared && c.fds_error == std::errc::function_not_supported);
        NSKIT_EXPECT(c.anything_compared() && !c.something_differs());
        return std::string();
    }));
}

// kcmp checks ptrace access with the real uid, /proc/PID/ns with the fs uid:
// with real uid 65534, fs uid 0 and no CAP_SYS_PTRACE (against a root process
// that has no CAP_SYS_PTRACE either, for the capability check), kcmp says
// EPERM while the namespaces can still be read.
namespace {
bool drop_cap_sys_ptrace()
{
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    if (::syscall(SYS_capget, &hdr, data) != 0)
        return false;
    data[0].effective &= ~(1u << CAP_SYS_PTRACE);
    data[0].permitted &= ~(1u << CAP_SYS_PTRACE);
    data[0].inheritable &= ~(1u << CAP_SYS_PTRACE);
    return ::syscall(SYS_capset, &hdr, data) == 0;
}
} // namespace

BOOST_AUTO_TEST_CASE(kcmp_eperm_leaves_the_namespaces, *boost::unit_test::precondition(t::privileged()))
{
    NSKIT_CHECK_CHILD(t::in_child([]() -> std::string {
        int ready[2];
        NSKIT_EXPECT(::pipe2(ready, O_CLOEXEC) == 0);
        const pid_t target = ::fork();
        if (target == 0) {
            (void)!::write(ready[1], drop_cap_sys_ptrace() ? "R" : "E", 1);
            ::_exit(tc::idle());
        }
        NSKIT_EXPECT(tc::await_ready(ready[0], 1).empty());
        std::string problems;
        [&] {
            if (::setresuid(65534, 0, 0) != 0 || !drop_cap_sys_ptrace()) {
                problems = "cannot set up the real uid / capabilities";
                return;
            }
            std::error_code ec;
            auto c = compare(::getpid(), target, {}, ec);
            if (ec) {
                problems = "compare: " + ec.message();
                return;
            }
            for (const auto& n : c.namespaces)
                if (n.state != sharing::same)
                    problems += std::string(to_string(n.type)) + ": " + n.reason + "; ";
            for (const auto& r : c.resources)
                if (r.state != sharing::unknown || r.error != std::errc::operation_not_permitted ||
                    r.reason.find("ptrace") == std::string::npos)
                    problems += std::string(to_string(r.resource)) + " not EPERM: " + r.reason + "; ";
            if (!c.anything_compared())
                problems += "nothing compared; ";
        }();
        ::kill(target, SIGKILL);
        ::waitpid(target, nullptr, 0);
        ::close(ready[0]);
        ::close(ready[1]);
        return problems;
    }));
}

// An unprivileged caller against a root process: nothing can be read, and
// every field says why.
BOOST_AUTO_TEST_CASE(nobody_against_a_root_process)
{
    t::sleeper own; // root's when the suite runs as root
    const pid_t target = ::geteuid() == 0 ? own.pid : 1;
    NSKIT_CHECK_CHILD(t::as_nobody([target]() -> std::string {
        std::error_code ec;
        auto c = compare(::getpid(), target, {}, ec);
        NSKIT_EXPECT(!ec);
        for (const auto& n : c.namespaces)
            NSKIT_EXPECT(n.state == sharing::unknown && !n.reason.empty());
        for (const auto& r : c.resources)
            NSKIT_EXPECT(r.state == sharing::unknown && r.error == std::errc::operation_not_permitted);
        NSKIT_EXPECT(!c.shared_fds_compared && !c.fds_reason.empty());
        NSKIT_EXPECT(!c.anything_compared());
        return std::string();
    }));
}

BOOST_AUTO_TEST_SUITE_END()
