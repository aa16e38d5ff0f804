#include <nskit/inspect/watch.hpp>

#include "test_support.hpp"

#include <nskit/sys/error.hpp>
#include <nskit/sys/ns_identity.hpp>

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <map>

using namespace nskit::inspect;
namespace t = nskit::test;
using namespace std::chrono_literals;

namespace {

// NS_GET_ID of a live namespace by its inode (0 when gone): events are
// matched by it, since an inode is reused once its namespace dies.
std::map<std::uint64_t, std::uint64_t>& ids()
{
    static std::map<std::uint64_t, std::uint64_t> m;
    return m;
}
std::uint64_t remember_id(pid_t pid, const char* entry)
{
    const std::string path = "/proc/" + std::to_string(pid) + "/ns/" + entry;
    const nskit::unique_fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    std::error_code ec;
    const auto id = fd ? nskit::sys::identify(fd.get(), ec) : nskit::sys::ns_identity{};
    if (id.inode.ino)
        ids()[id.inode.ino] = id.id;
    return id.inode.ino;
}
bool same(const watch_event& e, ns_type type, std::uint64_t ino)
{
    if (e.identity.type != type || e.identity.inode.ino != ino)
        return false;
    const auto known = ids().find(ino);
    return known == ids().end() || !known->second || e.identity.id == known->second;
}

// A child that runs `before` (unshare, mounts ...) and then execs sleep;
// the constructor returns once the exec happened (a CLOEXEC pipe closes)
// or the setup failed (errno written to it).
struct exec_child {
    pid_t pid = -1;
    int error = 0;
    explicit exec_child(const std::function<int()>& before)
    {
        int p[2];
        if (::pipe2(p, O_CLOEXEC) != 0) {
            error = errno;
            return;
        }
        pid = ::fork();
        if (pid == 0) {
            ::close(p[0]);
            int e = before();
            if (e == 0) {
                ::execl("/bin/sleep", "sleep", "600", static_cast<char*>(nullptr));
                e = errno;
            }
            if (::write(p[1], &e, sizeof e) < 0)
                ::_exit(126);
            ::_exit(127);
        }
        ::close(p[1]);
        ssize_t n;
        while ((n = ::read(p[0], &error, sizeof error)) < 0 && errno == EINTR) {
        }
        if (n <= 0)
            error = 0;
        ::close(p[0]);
    }
    void end()
    {
        if (pid > 0) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
            pid = -1;
        }
    }
    ~exec_child() { end(); }
    exec_child(const exec_child&) = delete;
    exec_child& operator=(const exec_child&) = delete;
};

int unshare_or_errno(int flags) { return ::unshare(flags) == 0 ? 0 : errno; }

// The events of one watch, kept; waits are bounded (generous: a loaded CI
// machine), never timed.
struct recorder {
    watcher w;
    std::vector<watch_event> all;
    explicit recorder(watch_options o) : w(watcher::start(o)) {}

    bool wait_for(const std::function<bool(const watch_event&)>& pred)
    {
        const auto deadline = std::chrono::steady_clock::now() + 30s;
        std::size_t checked = 0;
        while (std::chrono::steady_clock::now() < deadline) {
            for (; checked < all.size(); ++checked)
                if (pred(all[checked]))
                    return true;
            w.wait(all, 200ms);
        }
        return false;
    }
    bool wait_kind(watch_event_kind k, ns_type type, std::uint64_t ino)
    {
        return wait_for([&](const watch_event& e) {
            return e.kind == k && same(e, type, ino);
        });
    }
    // The kinds of events about one namespace, in order.
    std::vector<watch_event_kind> kinds(ns_type type, std::uint64_t ino) const
    {
        std::vector<watch_event_kind> v;
        for (const auto& e : all)
            if (same(e, type, ino))
                v.push_back(e.kind);
        return v;
    }
    const watch_event* find(watch_event_kind k, ns_type type, std::uint64_t ino) const
    {
        for (const auto& e : all)
            if (e.kind == k && same(e, type, ino))
                return &e;
        return nullptr;
    }
};

watch_options fast_options()
{
    watch_options o;
    o.initial = false;
    o.interval = 500ms; // the tests wait for rescans: keep them short
    o.settle = 50ms;
    o.containers = false;
    return o;
}

std::string kinds_text(const std::vector<watch_event_kind>& v)
{
    std::string s;
    for (auto k : v)
        s.append(to_string(k)).append(" ");
    return s;
}

using K = watch_event_kind;

// Nothing reported that did not happen: no disappeared namespace is alive
// (by its never-reused id) in a scan taken afterwards.
void no_false_disappearance(const std::vector<watch_event>& all)
{
    const auto snap = scan();
    for (const auto& e : all)
        if (e.kind == K::disappeared && e.identity.id)
            BOOST_TEST(snap.find_id(e.identity.id) == snapshot::npos,
                       "reported gone but alive: " << nskit::sys::to_string(e.identity));
}

} // namespace

BOOST_AUTO_TEST_SUITE(inspect_watch)

// A child that unshares and execs: its namespaces appear at once (the exec
// event), and disappear once it is killed; each event once, in order.
BOOST_AUTO_TEST_CASE(process_held_namespaces_appear_and_disappear, *boost::unit_test::precondition(t::privileged()))
{
    recorder r(fast_options());
    BOOST_REQUIRE(r.w.sources().connector);
    exec_child c([] { return unshare_or_errno(CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP); });
    BOOST_REQUIRE_MESSAGE(c.error == 0, std::strerror(c.error));
    const std::map<ns_type, std::uint64_t> mine{{ns_type::uts, remember_id(c.pid, "uts")},
                                                 {ns_type::ipc, remember_id(c.pid, "ipc")},
                                                 {ns_type::net, remember_id(c.pid, "net")},
                                                 {ns_type::cgroup, remember_id(c.pid, "cgroup")}};
    for (const auto& [type, ino] : mine) {
        BOOST_REQUIRE(ino != 0u);
        BOOST_TEST(r.wait_kind(K::appeared, type, ino), to_string(type));
        const auto* e = r.find(K::appeared, type, ino);
        BOOST_REQUIRE(e);
        BOOST_TEST(e->identity.id != 0u);
        BOOST_TEST(e->owner.known());
        BOOST_REQUIRE(!e->holders.empty());
        BOOST_TEST((e->holders.front().kind == holder_kind::process));
        BOOST_TEST(e->holders.front().pid == c.pid);
    }
    c.end();
    for (const auto& [type, ino] : mine) {
        BOOST_TEST(r.wait_kind(K::disappeared, type, ino), to_string(type));
        const auto k = r.kinds(type, ino);
        BOOST_TEST((k == std::vector<K>{K::appeared, K::disappeared}), kinds_text(k));
        const auto* e = r.find(K::disappeared, type, ino);
        BOOST_TEST((e && e->lifetime.has_value()));
    }
    no_false_disappearance(r.all);
}

// The leak case: a net namespace bind-mounted (in another mount namespace)
// outlives its process: "held" names the bind mount; a uts namespace held by
// our fd: "held" names the fd.  Each goes when its holder goes.
BOOST_AUTO_TEST_CASE(fd_and_bind_mount_holders_keep_a_namespace, *boost::unit_test::precondition(t::privileged()))
{
    recorder r(fast_options());
    exec_child c([] { return unshare_or_errno(CLONE_NEWUTS | CLONE_NEWNET); });
    BOOST_REQUIRE_MESSAGE(c.error == 0, std::strerror(c.error));
    const std::uint64_t uts = remember_id(c.pid, "uts"), net = remember_id(c.pid, "net");
    const std::string net_path = "/proc/" + std::to_string(c.pid) + "/ns/net";
    // The mount holder: its own mount namespace, the netns bound onto a file in it.
    exec_child m([&] {
        if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
            return errno;
        if (::mount("tmpfs", "/tmp", "tmpfs", 0, nullptr) != 0)
            return errno;
        const int f = ::open("/tmp/held-net", O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        if (f < 0)
            return errno;
        ::close(f);
        return ::mount(net_path.c_str(), "/tmp/held-net", nullptr, MS_BIND, nullptr) == 0 ? 0 : errno;
    });
    BOOST_REQUIRE_MESSAGE(m.error == 0, std::strerror(m.error));
    const std::string uts_path = "/proc/" + std::to_string(c.pid) + "/ns/uts";
    nskit::unique_fd fd(::open(uts_path.c_str(), O_RDONLY | O_CLOEXEC));
    BOOST_REQUIRE(fd.valid());
    BOOST_TEST(r.wait_kind(K::appeared, ns_type::net, net));
    BOOST_TEST(r.wait_kind(K::appeared, ns_type::uts, uts));
    c.end();
    BOOST_TEST(r.wait_kind(K::held, ns_type::net, net));
    BOOST_TEST(r.wait_kind(K::held, ns_type::uts, uts));
    if (const auto* e = r.find(K::held, ns_type::net, net)) {
        const bool by_mount = std::any_of(e->holders.begin(), e->holders.end(), [&](const watch_holder& h) {
            return h.kind == holder_kind::bind_mount && h.path == "/tmp/held-net" && h.other.has_value();
        });
        BOOST_TEST(by_mount);
    }
    if (const auto* e = r.find(K::held, ns_type::uts, uts)) {
        const bool by_fd = std::any_of(e->holders.begin(), e->holders.end(), [&](const watch_holder& h) {
            return h.kind == holder_kind::fd && h.pid == ::getpid() && h.fd == fd.get();
        });
        BOOST_TEST(by_fd);
    }
    fd.reset();
    BOOST_TEST(r.wait_kind(K::disappeared, ns_type::uts, uts));
    m.end();
    BOOST_TEST(r.wait_kind(K::disappeared, ns_type::net, net));
    BOOST_TEST((r.kinds(ns_type::net, net) == std::vector<K>{K::appeared, K::held, K::disappeared}),
               kinds_text(r.kinds(ns_type::net, net)));
    BOOST_TEST((r.kinds(ns_type::uts, uts) == std::vector<K>{K::appeared, K::held, K::disappeared}),
               kinds_text(r.kinds(ns_type::uts, uts)));
    no_false_disappearance(r.all);
}

// unshare without exec is announced by nothing: the rescan sees it, as the
// process leaving its old namespace and entering the new one.
BOOST_AUTO_TEST_CASE(unshare_without_exec_is_seen_at_the_rescan, *boost::unit_test::precondition(t::privileged()))
{
    recorder r(fast_options());
    int go[2], done[2];
    BOOST_REQUIRE(::pipe2(go, O_CLOEXEC) == 0);
    BOOST_REQUIRE(::pipe2(done, O_CLOEXEC) == 0);
    const pid_t pid = ::fork();
    if (pid == 0) {
        char b;
        if (::read(go[0], &b, 1) != 1 || ::unshare(CLONE_NEWUTS) != 0)
            ::_exit(1);
        if (::write(done[1], "x", 1) != 1)
            ::_exit(1);
        ::pause();
        ::_exit(0);
    }
    ::close(go[0]);
    ::close(done[1]);
    const std::uint64_t before = remember_id(pid, "uts");
    // Known to the watcher: a rescan after the fork has run.
    const std::size_t scans = r.w.rescans();
    r.wait_for([&](const watch_event&) { return r.w.rescans() > scans + 1; });
    BOOST_TEST(r.w.rescans() > scans + 1);
    BOOST_TEST(::write(go[1], "x", 1) == 1);
    char b = 0;
    BOOST_TEST(::read(done[0], &b, 1) == 1);
    const std::uint64_t after = remember_id(pid, "uts");
    BOOST_TEST(after != before);
    BOOST_TEST(r.wait_kind(K::entered, ns_type::uts, after));
    if (const auto* e = r.find(K::entered, ns_type::uts, after))
        BOOST_TEST(e->pid == pid);
    BOOST_TEST(r.wait_for([&](const watch_event& e) { return e.kind == K::left && e.pid == pid && same(e, ns_type::uts, before); }));
    BOOST_TEST((r.kinds(ns_type::uts, after) == std::vector<K>{K::appeared, K::entered}),
               kinds_text(r.kinds(ns_type::uts, after)));
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    ::close(go[1]);
    ::close(done[0]);
    BOOST_TEST(r.wait_kind(K::disappeared, ns_type::uts, after));
    no_false_disappearance(r.all);
}

// -t: only the types asked for are reported.
BOOST_AUTO_TEST_CASE(types_filter_what_is_reported, *boost::unit_test::precondition(t::privileged()))
{
    auto o = fast_options();
    o.types = {ns_type::ipc};
    recorder r(o);
    exec_child c([] { return unshare_or_errno(CLONE_NEWUTS | CLONE_NEWIPC); });
    BOOST_REQUIRE(c.error == 0);
    const std::uint64_t ipc = remember_id(c.pid, "ipc");
    BOOST_TEST(r.wait_kind(K::appeared, ns_type::ipc, ipc));
    c.end();
    BOOST_TEST(r.wait_kind(K::disappeared, ns_type::ipc, ipc));
    for (const auto& e : r.all)
        BOOST_TEST((e.identity.type == ns_type::ipc || e.kind == K::lost || e.kind == K::source_off));
}

// The first events describe what exists: this process's namespaces among them.
BOOST_AUTO_TEST_CASE(initial_snapshot_lists_what_exists)
{
    auto o = fast_options();
    o.initial = true;
    o.connector = false;
    recorder r(o);
    BOOST_TEST(r.w.namespace_count() > 0u);
    r.w.wait(r.all, 0ms);
    BOOST_TEST(r.find(K::exists, ns_type::net, remember_id(::getpid(), "net")));
    BOOST_TEST(r.find(K::exists, ns_type::mnt, remember_id(::getpid(), "mnt")));
    BOOST_TEST(r.w.live().size() == r.w.namespace_count());
}

// Without CAP_NET_ADMIN: the connector is off (first event says why), and
// rescans still see a namespace come and go.
BOOST_AUTO_TEST_CASE(unprivileged_falls_back_to_rescans)
{
    NSKIT_CHECK_CHILD(t::as_nobody([] {
        recorder r(fast_options());
        NSKIT_EXPECT(!r.w.sources().connector);
        NSKIT_EXPECT(r.w.sources().connector_error == std::errc::operation_not_permitted);
        r.w.wait(r.all, 0ms);
        NSKIT_EXPECT(!r.all.empty() && r.all.front().kind == K::source_off);
        NSKIT_EXPECT(r.all.front().error == std::errc::operation_not_permitted);
        exec_child c([] { return unshare_or_errno(CLONE_NEWUSER | CLONE_NEWUTS); });
        if (c.error == EPERM || c.error == ENOSPC || c.error == EINVAL)
            return std::string(); // no unprivileged user namespaces here: the fallback itself was checked
        NSKIT_EXPECT(c.error == 0);
        const std::uint64_t uts = remember_id(c.pid, "uts");
        NSKIT_EXPECT(r.wait_kind(K::appeared, ns_type::uts, uts));
        NSKIT_EXPECT(r.find(K::appeared, ns_type::uts, uts)->source == watch_source::rescan);
        c.end();
        NSKIT_EXPECT(r.wait_kind(K::disappeared, ns_type::uts, uts));
        return std::string();
    }));
}

// A receive buffer too small for a burst: a `lost` event, and a rescan at once.
BOOST_AUTO_TEST_CASE(overrun_is_a_lost_event_and_a_rescan, *boost::unit_test::precondition(t::privileged()))
{
    auto o = fast_options();
    o.interval = 60s; // so any rescan here is the one the loss asked for
    o.receive_buffer = 1;
    recorder r(o);
    const std::size_t scans = r.w.rescans();
    const auto any_lost = [&] {
        return std::any_of(r.all.begin(), r.all.end(), [](const auto& e) { return e.kind == K::lost; });
    };
    for (int round = 0; round < 20 && !any_lost(); ++round) {
        std::vector<pid_t> kids;
        for (int i = 0; i < 100; ++i) {
            const pid_t p = ::fork();
            if (p == 0)
                ::_exit(0);
            kids.push_back(p);
        }
        for (pid_t p : kids)
            ::waitpid(p, nullptr, 0);
        r.w.wait(r.all, 100ms);
    }
    const auto lost = std::find_if(r.all.begin(), r.all.end(), [](const auto& e) { return e.kind == K::lost; });
    BOOST_REQUIRE(lost != r.all.end());
    BOOST_TEST((lost->error == std::errc::no_buffer_space));
    r.w.wait(r.all, 100ms);
    BOOST_TEST(r.w.rescans() > scans);
}

BOOST_AUTO_TEST_CASE(bad_options_are_refused)
{
    watch_options o;
    o.interval = 0ms;
    std::error_code ec;
    auto w = watcher::start(o, ec);
    BOOST_TEST((ec == std::errc::invalid_argument));
    std::vector<watch_event> out;
    w.wait(out, 0ms, ec);
    BOOST_TEST((ec == std::errc::bad_file_descriptor));
    o = {};
    o.scan.proc = "/nonexistent";
    o.connector = false;
    watcher::start(o, ec);
    BOOST_TEST((ec == nskit::error::proc_not_mounted));
    BOOST_CHECK_THROW(watcher::start(o), std::system_error);
}

BOOST_AUTO_TEST_SUITE_END()
