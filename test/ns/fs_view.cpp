#include <nskit/ns/fs_view.hpp>
#include "test_support.hpp"

#include <nskit/ns/detail/fs_plan.hpp>
#include <nskit/ns/run.hpp>

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

namespace ns = nskit::ns;
using nskit::test::in_child;
namespace utf = boost::unit_test;

namespace {

ns::fs_step step(ns::fs_action a, std::string src, std::string dest)
{
    ns::fs_step s;
    s.action = a;
    s.source = std::move(src);
    s.dest = std::move(dest);
    return s;
}

// In a forked child: a private mount namespace, the view applied.
std::string apply_in_child(const ns::fs_view& view, ns::fs_failure* out = nullptr)
{
    ns::fs_failure f;
    auto plan = ns::detail::prepare(view, f);
    if (f)
        return "prepare: " + ns::describe(view, f);
    if (::unshare(CLONE_NEWNS) != 0)
        return std::string("unshare: ") + std::strerror(errno);
    if (::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
        return std::string("make private: ") + std::strerror(errno);
    f = ns::detail::apply(plan);
    if (out) {
        *out = f;
        return {};
    }
    return f ? ns::describe(view, f) : std::string();
}

bool is_dir(const char* p)
{
    struct stat st{};
    return ::lstat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

mode_t mode_of(const char* p)
{
    struct stat st{};
    return ::lstat(p, &st) == 0 ? (st.st_mode & 07777) : 0xffff;
}

} // namespace

BOOST_AUTO_TEST_SUITE(ns_fs_view)

BOOST_AUTO_TEST_CASE(bad_input_is_refused_before_any_side_effect)
{
    const auto bad = [](ns::fs_step s) {
        ns::fs_view v;
        v.steps = {step(ns::fs_action::dir, "", "/ok"), std::move(s)};
        return v;
    };
    struct {
        ns::fs_step s;
        ns::fs_phase phase;
    } cases[] = {
        {step(ns::fs_action::bind, "/usr", "usr"), ns::fs_phase::bad_dest},
        {step(ns::fs_action::bind, "/usr", ""), ns::fs_phase::bad_dest},
        {step(ns::fs_action::tmpfs, "", "/a/../../etc"), ns::fs_phase::bad_dest},
        {step(ns::fs_action::tmpfs, "", std::string("/a\0b", 4)), ns::fs_phase::bad_dest},
        {step(ns::fs_action::ro_bind, "", "/x"), ns::fs_phase::bad_source},
        {step(ns::fs_action::symlink, "", "/x"), ns::fs_phase::bad_source},
    };
    for (auto& c : cases) {
        const auto v = bad(c.s);
        const auto f = ns::validate(v);
        BOOST_TEST((f.phase == c.phase), c.s.dest);
        BOOST_TEST(f.step == 1u);
        BOOST_TEST(f.error == EINVAL);
    }
    auto m = step(ns::fs_action::dir, "", "/x");
    m.mode = 010000;
    BOOST_TEST((ns::validate(bad(m)).phase == ns::fs_phase::bad_mode));
    for (const char* size : {"x", "10q", "10mm", "-1", "m"}) {
        auto t = step(ns::fs_action::tmpfs, "", "/t");
        t.size = size;
        BOOST_TEST((ns::validate(bad(t)).phase == ns::fs_phase::bad_size), size);
    }
    for (const char* size : {"", "10", "64m", "1G", "10%"}) {
        auto t = step(ns::fs_action::tmpfs, "", "/t");
        t.size = size;
        BOOST_TEST(!ns::validate(bad(t)), size);
    }
    const auto v = bad(step(ns::fs_action::bind, "/usr", "usr"));
    BOOST_TEST(ns::describe(v, ns::validate(v)) ==
               "bind /usr -> usr: the destination must be an absolute path without '..' or NUL bytes");
}

BOOST_AUTO_TEST_CASE(names_and_root_rule)
{
    BOOST_TEST(ns::to_string(ns::fs_action::ro_bind) == "ro-bind");
    BOOST_TEST(ns::to_string(ns::fs_action::remount_ro) == "remount-ro");
    ns::fs_view v;
    BOOST_TEST(v.empty());
    v.steps = {step(ns::fs_action::tmpfs, "", "/tmp")};
    BOOST_TEST(!v.new_root());
    v.steps.push_back(step(ns::fs_action::ro_bind, "/", "/"));
    BOOST_TEST(v.new_root());
    ns::fs_failure f;
    auto plan = ns::detail::prepare(v, f);
    BOOST_TEST(!f);
    BOOST_TEST(plan.pivot);
    BOOST_TEST(plan.steps[0].prefixes.size() == 1u);
    BOOST_TEST(plan.steps[1].names.empty());
}

BOOST_AUTO_TEST_CASE(a_fresh_root_in_command_line_order, *utf::precondition(nskit::test::privileged()))
{
    NSKIT_CHECK_CHILD(in_child([] {
        ns::fs_view v;
        v.fresh_root = true;
        v.steps.push_back(step(ns::fs_action::ro_bind, "/usr", "/usr"));
        v.steps.push_back(step(ns::fs_action::symlink, "usr/lib", "/lib"));
        v.steps.push_back(step(ns::fs_action::symlink, "usr/lib", "/lib")); // the same link again: accepted
        v.steps.push_back(step(ns::fs_action::bind, "/etc/hostname", "/etc/name"));
        auto t = step(ns::fs_action::tmpfs, "", "/tmp");
        t.mode = 01777;
        t.size = "1m";
        v.steps.push_back(t);
        v.steps.push_back(step(ns::fs_action::proc, "", "/proc"));
        v.steps.push_back(step(ns::fs_action::dev, "", "/dev"));
        auto d = step(ns::fs_action::dir, "", "/a/b/c");
        d.mode = 0700;
        v.steps.push_back(d);
        auto c = step(ns::fs_action::chmod, "", "/a");
        c.mode = 0711;
        v.steps.push_back(c);
        auto gone = step(ns::fs_action::bind, "/nonexistent-nskit", "/gone");
        gone.if_exists = true;
        v.steps.push_back(gone);
        v.steps.push_back(step(ns::fs_action::tmpfs, "", "/ro"));
        v.steps.push_back(step(ns::fs_action::remount_ro, "", "/ro"));
        v.chdir = "/a";
        if (auto e = apply_in_child(v); !e.empty())
            return e;
        NSKIT_EXPECT(is_dir("/usr/bin"));
        NSKIT_EXPECT(::access("/usr", W_OK) != 0 && errno == EROFS);
        NSKIT_EXPECT(::access("/lib/", F_OK) == 0);
        NSKIT_EXPECT(::access("/etc/name", R_OK) == 0);
        NSKIT_EXPECT(::access("/gone", F_OK) != 0);  // -try: skipped
        NSKIT_EXPECT(::access("/home", F_OK) != 0);  // the host's root is gone
        NSKIT_EXPECT(::access("/oldroot", F_OK) != 0);
        NSKIT_EXPECT(::access("/newroot", F_OK) != 0);
        struct statfs sf{};
        NSKIT_EXPECT(::statfs("/tmp", &sf) == 0 && sf.f_type == 0x01021994 /* TMPFS_MAGIC */);
        NSKIT_EXPECT(sf.f_blocks * sf.f_bsize == 1024 * 1024);
        NSKIT_EXPECT(mode_of("/tmp") == 01777);
        NSKIT_EXPECT(::access("/proc/self/status", R_OK) == 0);
        struct stat st{};
        NSKIT_EXPECT(::stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 1);
        const int fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
        NSKIT_EXPECT(fd >= 0 && ::write(fd, "x", 1) == 1);
        ::close(fd);
        char link[64] = {};
        NSKIT_EXPECT(::readlink("/dev/stdout", link, sizeof link - 1) > 0 && std::string(link) == "/proc/self/fd/1");
        NSKIT_EXPECT(is_dir("/dev/pts") && is_dir("/dev/shm") && mode_of("/dev/shm") == 01777);
        NSKIT_EXPECT(::statfs("/dev/pts", &sf) == 0 && sf.f_type == 0x1cd1 /* DEVPTS_SUPER_MAGIC */);
        NSKIT_EXPECT(mode_of("/a/b/c") == 0700 && mode_of("/a/b") == 0700 /* no more open than /a/b/c, as bwrap */ && mode_of("/a") == 0711);
        char cwd[64] = {};
        NSKIT_EXPECT(::getcwd(cwd, sizeof cwd) && std::string(cwd) == "/a");
        NSKIT_EXPECT(::mkdir("/ro/x", 0755) != 0 && errno == EROFS);
        return std::string();
    }));
}

BOOST_AUTO_TEST_CASE(a_missing_source_names_the_step, *utf::precondition(nskit::test::privileged()))
{
    NSKIT_CHECK_CHILD(in_child([] {
        ns::fs_view v;
        v.steps.push_back(step(ns::fs_action::bind, "/nonexistent", "/x"));
        ns::fs_failure f;
        if (auto e = apply_in_child(v, &f); !e.empty())
            return e;
        NSKIT_EXPECT(f.step == 0 && f.phase == ns::fs_phase::open_source && f.error == ENOENT);
        NSKIT_EXPECT(ns::describe(v, f) == "bind /nonexistent -> /x: open the source: no such file or directory");
        NSKIT_EXPECT(::access("/x", F_OK) != 0); // nothing made before the failure
        return std::string();
    }));
}

// A symbolic link in the view leads inside the view, never out of it:
// /link -> HOSTDIR in a fresh root resolves to the (absent) HOSTDIR of the
// view, so the host's directory stays untouched.
BOOST_AUTO_TEST_CASE(a_symlink_does_not_lead_out, *utf::precondition(nskit::test::privileged()))
{
    char host[] = "/var/tmp/nskit-fsview-XXXXXX";
    BOOST_REQUIRE(::mkdtemp(host) != nullptr);
    const std::string hostdir = host;
    NSKIT_CHECK_CHILD(in_child([&] {
        ns::fs_view v;
        v.fresh_root = true;
        v.steps.push_back(step(ns::fs_action::symlink, hostdir, "/link"));
        v.steps.push_back(step(ns::fs_action::dir, "", "/link/made"));
        ns::fs_failure f;
        if (auto e = apply_in_child(v, &f); !e.empty())
            return e;
        NSKIT_EXPECT(f.step == 1 && f.phase == ns::fs_phase::create_dest && f.error == ENOENT);
        return std::string();
    }));
    BOOST_TEST(::access((hostdir + "/made").c_str(), F_OK) != 0);
    BOOST_TEST(::rmdir(host) == 0);
}

// Without a new root the steps apply to the caller's view, privately.
BOOST_AUTO_TEST_CASE(the_host_view_in_place, *utf::precondition(nskit::test::privileged()))
{
    char host[] = "/var/tmp/nskit-fsview-XXXXXX";
    BOOST_REQUIRE(::mkdtemp(host) != nullptr);
    const std::string hostdir = host;
    NSKIT_CHECK_CHILD(in_child([&] {
        ns::fs_view v;
        v.steps.push_back(step(ns::fs_action::tmpfs, "", hostdir));
        v.steps.push_back(step(ns::fs_action::dir, "", hostdir + "/inside"));
        if (auto e = apply_in_child(v); !e.empty())
            return e;
        NSKIT_EXPECT(is_dir((hostdir + "/inside").c_str()));
        NSKIT_EXPECT(::access("/usr/bin", F_OK) == 0);
        return std::string();
    }));
    BOOST_TEST(::access((hostdir + "/inside").c_str(), F_OK) != 0); // the host saw nothing
    BOOST_TEST(::rmdir(host) == 0);
}

BOOST_AUTO_TEST_CASE(refused_without_privilege, *utf::precondition(nskit::test::privileged()))
{
    NSKIT_CHECK_CHILD(nskit::test::as_nobody([] {
        ns::fs_view v;
        v.steps.push_back(step(ns::fs_action::tmpfs, "", "/tmp"));
        ns::fs_failure f;
        auto plan = ns::detail::prepare(v, f);
        f = ns::detail::apply(plan); // no unshare: the host's mount namespace
        NSKIT_EXPECT(f.phase == ns::fs_phase::make_fs && f.error == EPERM);
        return std::string();
    }));
}

// ---- the view as an ns::options member: run, spawn, setup ----

namespace {

// bwrap's sandbox shape: a new root with the host's /usr read-only.
ns::fs_view usr_sandbox()
{
    ns::fs_view v;
    v.steps = {step(ns::fs_action::ro_bind, "/usr", "/usr"),  step(ns::fs_action::symlink, "usr/lib", "/lib"),
               step(ns::fs_action::symlink, "usr/lib64", "/lib64"), step(ns::fs_action::symlink, "usr/bin", "/bin"),
               step(ns::fs_action::tmpfs, "", "/tmp"),         step(ns::fs_action::proc, "", "/proc"),
               step(ns::fs_action::dev, "", "/dev")};
    v.fresh_root = true;
    return v;
}

int count_lines(const char* path)
{
    std::ifstream in(path);
    int n = 0;
    for (std::string line; std::getline(in, line);)
        ++n;
    return n;
}

} // namespace

// The callable sees the view and nothing of the host's root; the checks
// are numbered so a failure says which (the exit status).
BOOST_AUTO_TEST_CASE(run_in_a_view, *utf::precondition(nskit::test::privileged()))
{
    ns::options o;
    o.pid = true;
    o.proc = false; // the view mounts its own
    o.view = usr_sandbox();
    o.view.steps.push_back(step(ns::fs_action::dir, "", "/work"));
    const auto status = ns::run([] {
        struct stat st{};
        struct statfs sf{};
        char cwd[64] = {};
        const bool checks[] = {
            is_dir("/usr/bin"),
            ::access("/usr", W_OK) != 0 && errno == EROFS,
            ::access("/etc", F_OK) != 0 && ::access("/home", F_OK) != 0,
            ::stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3),
            ::stat("/dev/urandom", &st) == 0 && st.st_rdev == makedev(1, 9),
            ::statfs("/tmp", &sf) == 0 && sf.f_type == 0x01021994, // TMPFS_MAGIC
            ::getpid() == 2 && ::access("/proc/1/status", R_OK) == 0, // our PID namespace's /proc
            ::getcwd(cwd, sizeof cwd) != nullptr && std::string(cwd) == "/", // the tests' cwd, in the view
            is_dir("/work") && ::access("/oldroot", F_OK) != 0 && ::access("/newroot", F_OK) != 0,
            count_lines("/proc/self/mountinfo") >= 6 && count_lines("/proc/self/mountinfo") < 40,
        };
        for (std::size_t i = 0; i < std::size(checks); ++i)
            if (!checks[i])
                return static_cast<int>(i + 1);
        return 0;
    }, o);
    BOOST_TEST(status.shell_status() == 0, "check " << status.shell_status() << " failed");
}

// A program with --root-like view: the caller's working directory is
// looked up in the new root; absent there, $HOME, then / (bwrap's rule).
BOOST_AUTO_TEST_CASE(spawn_in_a_view_resolves_the_cwd_inside, *utf::precondition(nskit::test::privileged()))
{
    NSKIT_CHECK_CHILD(in_child([] {
        if (::chdir("/usr/share") != 0 || ::setenv("HOME", "/nonexistent-home", 1) != 0)
            return std::string("chdir/setenv: ") + std::strerror(errno);
        ns::options o;
        o.view = usr_sandbox();
        ns::spawn_options so;
        so.search_path = false;
        auto in_share = ns::spawn("/usr/bin/sh", {"-c", "test \"$(pwd -P)\" = /usr/share"}, o, so);
        NSKIT_EXPECT(in_share.wait().shell_status() == 0);
        o.view.steps.erase(o.view.steps.begin()); // no /usr/share: then /
        o.view.steps.insert(o.view.steps.begin(), step(ns::fs_action::ro_bind, "/usr/bin", "/usr/bin"));
        o.view.steps.insert(o.view.steps.begin(), step(ns::fs_action::ro_bind, "/usr/lib", "/usr/lib"));
        o.view.steps.insert(o.view.steps.begin(), step(ns::fs_action::ro_bind, "/usr/lib64", "/usr/lib64"));
        auto at_root = ns::spawn("/usr/bin/sh", {"-c", "test \"$(pwd -P)\" = /"}, o, so);
        NSKIT_EXPECT(at_root.wait().shell_status() == 0);
        return std::string();
    }));
}

// A failing step is named with its paths, before the payload runs, and
// the host sees nothing of it.
BOOST_AUTO_TEST_CASE(run_names_the_failed_step, *utf::precondition(nskit::test::privileged()))
{
    ns::options o;
    o.view.steps = {step(ns::fs_action::tmpfs, "", "/tmp"), step(ns::fs_action::bind, "/nonexistent", "/x")};
    int ran[2];
    BOOST_REQUIRE(::pipe2(ran, O_CLOEXEC) == 0);
    std::error_code ec;
    ns::run([&] { return ::write(ran[1], "x", 1) == 1 ? 0 : 1; }, o, ec);
    ::close(ran[1]);
    char c;
    BOOST_TEST(::read(ran[0], &c, 1) == 0); // the callable never ran
    ::close(ran[0]);
    BOOST_TEST((ns::failed_step(ec) == ns::setup_step::fs_view));
    BOOST_TEST(ns::failed_errno(ec) == ENOENT);
    BOOST_TEST(ns::failed_input(ec, o, {}) == "bind /nonexistent -> /x: open the source");
    BOOST_TEST(ns::explain(ec, o, {}) == "bind /nonexistent -> /x: open the source: no such file or directory");
    BOOST_TEST(::access("/x", F_OK) != 0);
    BOOST_CHECK_EXCEPTION(ns::run([] { return 0; }, o), std::system_error, [](const std::system_error& e) {
        return std::string(e.what()).find("bind /nonexistent -> /x: open the source") != std::string::npos;
    });
}

BOOST_AUTO_TEST_CASE(a_bad_view_is_refused_before_the_clone)
{
    ns::options o;
    o.view.steps = {step(ns::fs_action::bind, "/usr", "relative")};
    BOOST_TEST(o.namespaces().contains(nskit::sys::clone_flag::newns)); // a view implies mount
    const auto p = o.problem();
    BOOST_TEST(p.ec == std::errc::invalid_argument);
    BOOST_TEST(p.field == "view");
    BOOST_TEST(p.reason == "bind /usr -> relative: the destination must be an absolute path without '..' or NUL bytes");
    std::error_code ec;
    const auto before = nskit::test::open_fds();
    ns::run([] { return 0; }, o, ec);
    BOOST_TEST(ec == std::errc::invalid_argument);
    BOOST_TEST((ns::failed_step(ec) == ns::setup_step::none)); // no step ran
    BOOST_TEST(nskit::test::open_fds() == before);
}

// setup(): the view in the caller itself (here a forked child).
BOOST_AUTO_TEST_CASE(setup_applies_a_view, *utf::precondition(nskit::test::privileged()))
{
    char host[] = "/var/tmp/nskit-fsview-XXXXXX";
    BOOST_REQUIRE(::mkdtemp(host) != nullptr);
    const std::string hostdir = host;
    NSKIT_CHECK_CHILD(in_child([&] {
        ns::options o;
        o.view.steps = {step(ns::fs_action::tmpfs, "", hostdir), step(ns::fs_action::dir, "", hostdir + "/made")};
        ns::setup(o);
        NSKIT_EXPECT(is_dir((hostdir + "/made").c_str()));
        ns::options bad;
        bad.view.steps = {step(ns::fs_action::ro_bind, "/nonexistent", "/y")};
        std::error_code ec;
        ns::setup(bad, ec);
        NSKIT_EXPECT(ns::failed_step(ec) == ns::setup_step::fs_view && ns::failed_errno(ec) == ENOENT);
        NSKIT_EXPECT(ns::explain(ec, bad, {}) == "ro-bind /nonexistent -> /y: open the source: no such file or directory");
        return std::string();
    }));
    BOOST_TEST(::access((hostdir + "/made").c_str(), F_OK) != 0);
    BOOST_TEST(::rmdir(host) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
