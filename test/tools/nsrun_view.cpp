// nsrun's filesystem view, environment and limit options (bubblewrap's
// names), run side by side with bwrap (Debian's bubblewrap): the same flags
// to both, what the program sees compared.  The bwrap scenarios are those
// of bubblewrap's tests/test-run.sh that concern these options, written
// anew; bwrap's RUN prefix there is "--bind / / --tmpfs /tmp".
#include "test_support.hpp"
#include "tool_runner.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace t = nskit::test;
namespace fs = std::filesystem;
namespace utf = boost::unit_test;
using strings = std::vector<std::string>;

namespace {

constexpr const char* bwrap_path = "/usr/bin/bwrap";

struct bwrap_installed {
    boost::test_tools::assertion_result operator()(utf::test_unit_id) const
    {
        boost::test_tools::assertion_result r(::access(bwrap_path, X_OK) == 0);
        r.message() << "bwrap is not installed (Debian: bubblewrap)";
        return r;
    }
};

strings plus(strings a, const strings& b)
{
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

std::string joined(const strings& args)
{
    std::string s;
    for (const auto& a : args)
        s += a + " ";
    return s;
}

struct outcome {
    int status = -1;
    std::string out, err;
};

// nsrun with `ns` (its namespace flags), the view flags, then PROGRAM.
outcome nsrun(const strings& ns, const strings& view, const strings& program)
{
    const auto r = t::run_tool("nsrun", plus(plus(ns, view), plus({"--"}, program)));
    return {r.status, r.out, r.err};
}

outcome bwrap(const strings& ns, const strings& view, const strings& program)
{
    outcome o;
    o.out = t::run_program(plus(plus(plus({bwrap_path}, ns), view), plus({"--"}, program)), &o.status);
    return o;
}

strings sh(const std::string& script) { return {"sh", "-c", script}; }

// A scratch directory under /var/tmp (tests may cover /tmp), removed after.
struct scratch {
    std::string path;
    scratch()
    {
        char p[] = "/var/tmp/nskit-view-XXXXXX";
        if (::mkdtemp(p) != nullptr)
            path = p;
    }
    ~scratch()
    {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    scratch(const scratch&) = delete;
    scratch& operator=(const scratch&) = delete;
    std::string operator/(const std::string& name) const { return path + "/" + name; }
};

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

std::string mode_of(const std::string& path)
{
    struct stat st{};
    if (::lstat(path.c_str(), &st) != 0)
        return "missing";
    std::ostringstream s;
    s << std::oct << (st.st_mode & 07777);
    return s.str();
}

// The program's mount table as "MOUNTPOINT FSTYPE" lines in order, and the
// per-mount options of the top mount on each mount point (a covered one
// cannot be reached: bwrap leaves such ones read-write, nsrun does not).
const char* mount_shape =
    "sed -E 's/^([^ ]+ ){4}([^ ]+) ([^ ]+).* - ([^ ]+) .*/\\2 \\3 \\4/' /proc/self/mountinfo";

struct mounts {
    strings order;
    std::map<std::string, std::string> top;
};

mounts parse_mounts(const std::string& text)
{
    mounts m;
    std::istringstream in(text);
    for (std::string point, opts, type; in >> point >> opts >> type;) {
        m.order.push_back(point + " " + type);
        m.top[point] = opts;
    }
    return m;
}

} // namespace

BOOST_AUTO_TEST_SUITE(tools_nsrun_view, *utf::precondition(t::privileged()) * utf::precondition(bwrap_installed()))

// bwrap's sandbox: the same flags to both, then what the program sees.
BOOST_AUTO_TEST_CASE(the_bwrap_sandbox_side_by_side)
{
    const strings view = {"--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"};
    const std::string devices = "stat -c '%n %F %a %t:%T %N' /dev/* | grep -v '^/dev/shm '";
    const std::string root = "stat -c '%n %F %a %U %G' /* /dev /proc /tmp";
    for (const auto& script : {std::string(mount_shape), devices, root, std::string("exit 3"),
                               std::string("touch /etc/x; echo $?; test -w /proc/sysrq-trigger; echo $?")}) {
        const auto n = nsrun({"--pid"}, view, sh(script));
        const auto b = bwrap({"--unshare-pid"}, view, sh(script));
        BOOST_TEST(n.status == b.status, script << ": nsrun " << n.status << " " << n.err << ", bwrap " << b.status);
        if (script == mount_shape) {
            const auto nm = parse_mounts(n.out), bm = parse_mounts(b.out);
            BOOST_TEST(nm.order == bm.order, "nsrun:\n" << n.out << "bwrap:\n" << b.out);
            BOOST_TEST(nm.top == bm.top, "nsrun:\n" << n.out << "bwrap:\n" << b.out);
        } else {
            BOOST_TEST(n.out == b.out, script);
        }
    }
    BOOST_TEST(nsrun({"--pid"}, view, sh("exit 3")).status == 3);
}

// A new root of binds: nsrun --fresh-root is what bwrap always does;
// --root DIR is bwrap's "--bind DIR /".
BOOST_AUTO_TEST_CASE(a_new_root_side_by_side)
{
    scratch d;
    BOOST_REQUIRE(!d.path.empty());
    fs::create_directories(d / "inner/deep");
    const strings view = {"--ro-bind", "/usr", "/usr", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
                          "--symlink", "usr/bin", "/bin", "--dir", "/work", "--perms", "0700", "--dir", "/private/x",
                          "--tmpfs", "/tmp", "--size", "1048576", "--tmpfs", "/small", "--chmod", "0711", "/work",
                          "--ro-bind", d.path, "/data", "--remount-ro", "/usr", "--mqueue", "/mqueue", "--proc", "/proc"};
    const std::string script = "stat -c '%n %F %a' /* /private /private/x /data/*; df --output=size -k /small | tail -1; "
                               "pwd; " + std::string(mount_shape) + " | cut -d' ' -f1,3 | grep -v '^/proc/'";
    const auto n = nsrun({"--fresh-root"}, view, sh(script));
    const auto b = bwrap({}, view, sh(script));
    BOOST_TEST(n.status == 0, n.err);
    BOOST_TEST(b.status == 0);
    BOOST_TEST(n.out == b.out, "nsrun:\n" << n.out << "bwrap:\n" << b.out);
    BOOST_TEST(n.out.find("/private directory 700\n") != std::string::npos, n.out);
    // --root DIR with --chdir inside it; bwrap's equivalent: --bind DIR /
    const strings in_dir = {"--ro-bind", "/usr", "/usr", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
                            "--symlink", "usr/bin", "/bin", "--chdir", "/inner"};
    scratch d2; // each tool its own: Debian 12's bwrap (0.8) refuses a --symlink already there
    fs::create_directories(d2 / "inner/deep");
    const auto nr = nsrun({"--root", d.path}, in_dir, sh("pwd; ls /"));
    const auto br = bwrap({"--bind", d2.path, "/"}, in_dir, sh("pwd; ls /"));
    BOOST_TEST(nr.status == 0, nr.err);
    BOOST_TEST(nr.out == br.out);
    BOOST_TEST(nr.out.starts_with("/inner\n"), nr.out);
    BOOST_TEST(fs::is_directory(d / "usr")); // DIR is the root itself: what the view makes lands in it, as bwrap's
}

// The error case of the issue: exit 124 before PROGRAM starts, the step,
// both paths and the reason named; nothing made on the host.
BOOST_AUTO_TEST_CASE(a_missing_source_is_named)
{
    const auto n = nsrun({}, {"--bind", "/nonexistent", "/x"}, sh("echo ran"));
    BOOST_TEST(n.status == 124);
    BOOST_TEST(n.out.empty());
    BOOST_TEST(n.err.find("bind /nonexistent -> /x: open the source: no such file or directory") != std::string::npos,
               n.err);
    BOOST_TEST(::access("/x", F_OK) != 0);
    const auto b = bwrap({}, {"--bind", "/nonexistent", "/x"}, sh("echo ran"));
    BOOST_TEST(b.status != 0);
    BOOST_TEST(b.out.empty());
    const auto try_form = nsrun({}, {"--bind-try", "/nonexistent", "/x", "--ro-bind-try", "/nonexistent", "/y"},
                                sh("test ! -e /x && test ! -e /y"));
    BOOST_TEST(try_form.status == 0, try_form.err);
}

BOOST_AUTO_TEST_CASE(bad_arguments_are_refused_before_anything)
{
    const std::vector<std::pair<strings, std::string>> cases = {
        {{"--perms", "0700", "--bind", "/usr", "/usr"}, "--perms must be followed by --tmpfs or --dir"},
        {{"--size", "1m", "--dir", "/x"}, "--size must be followed by --tmpfs"},
        {{"--perms", "0800", "--dir", "/x"}, "--perms: '0800': not an octal mode up to 07777"},
        {{"--chmod", "x", "/x"}, "--chmod: 'x': not an octal mode"},
        {{"--bind", "/usr", "usr"}, "filesystem view: bind /usr -> usr: the destination must be an absolute path"},
        {{"--size", "lots", "--tmpfs", "/x"}, "tmpfs /x: the size must be NUMBER"},
        {{"--rlimit", "NOFILE=2:1"}, "--rlimit: 'NOFILE=2:1'"},
        {{"--rlimit", "BOGUS=1"}, "--rlimit: 'BOGUS=1'"},
        {{"--keep-env", "A,,B"}, "--keep-env: 'A,,B'"},
        {{"--setenv", "A=B", "x"}, "environment variable 'A=B'"},
        {{"--enter", "1", "--tmpfs", "/x"}, "--tmpfs builds a filesystem view in a new mount namespace"},
    };
    for (const auto& [args, text] : cases) {
        const auto r = nsrun({}, args, sh("echo ran"));
        BOOST_TEST(r.status == 120, joined(args) << ": " << r.status << " " << r.err);
        BOOST_TEST(r.out.empty(), joined(args));
        BOOST_TEST(r.err.find(text) != std::string::npos, joined(args) << ": " << r.err);
    }
    const auto short_of_words = t::run_tool("nsrun", {"--bind", "/usr"});
    BOOST_TEST(short_of_words.status == 120);
    BOOST_TEST(short_of_words.err.find("option '--bind' needs 2 arguments") != std::string::npos, short_of_words.err);
    // "--" ends the options: what follows is PROGRAM's, as bwrap's
    const auto r = t::run_tool("nsrun", {"--", "--dev-bind", "/dev", "/dev", "sh", "-c", "echo ran"});
    BOOST_TEST(r.status == 127);
    BOOST_TEST(r.out.empty());
}

// test-run.sh: binds over symlinks, --symlink idempotent but not
// overwriting, the expected devices, the stage invisible, /tmp binds.
BOOST_AUTO_TEST_CASE(bwrap_scenarios_binds_and_links)
{
    const strings run = {"--bind", "/", "/", "--tmpfs", "/tmp"};
    scratch d;
    BOOST_REQUIRE(!d.path.empty());
    write(d / "input", "hello\n");
    const std::vector<std::pair<strings, strings>> same = {
        {{"--dir", "/tmp/dir", "--symlink", "dir", "/tmp/link", "--bind", "/etc", "/tmp/link"},
         sh("test -f /tmp/dir/hostname && echo over-a-symlink")},
        {{"--dev", "/dev"}, sh("ls -d /dev/stdin /dev/stdout /dev/stderr /dev/null /dev/random /dev/urandom /dev/fd "
                               "/dev/core")},
        {{}, sh("test -d /tmp/oldroot || test -d /tmp/newroot; echo $?")},
        {{"--bind", d.path, "/tmp/here"}, sh("cat /tmp/here/input; test -d /tmp/oldroot; echo $?")},
    };
    for (const auto& [view, program] : same) {
        const auto n = nsrun({"--pid"}, plus(run, view), program);
        const auto b = bwrap({"--unshare-pid"}, plus(run, view), program);
        BOOST_TEST(n.status == 0, joined(view) << n.err);
        BOOST_TEST(n.status == b.status, joined(view));
        BOOST_TEST(n.out == b.out, joined(view) << ": nsrun " << n.out << " bwrap " << b.out);
        BOOST_TEST(!n.out.empty(), joined(view));
    }
    // another directory onto /tmp; the host's /tmp through a bind of /
    for (const auto& view : {strings{"--bind", "/", "/", "--bind", d.path, "/tmp"}, strings{"--bind", "/", "/"}}) {
        const auto path = view.size() == 6 ? std::string("/tmp/input") : d / "input";
        const auto n = nsrun({}, view, {"cat", path});
        BOOST_TEST(n.out == "hello\n", joined(view) << n.err);
        BOOST_TEST(bwrap({}, view, {"cat", path}).out == "hello\n");
    }
    // --symlink: made, again accepted, a different one refused (both tools)
    for (const char* tool : {"nsrun", "bwrap"}) {
        const auto link = d / (std::string(tool) + "-link");
        const auto with = [&](const char* target) {
            const strings view = {"--ro-bind", "/", "/", "--bind", d.path, d.path, "--symlink", target, link};
            return std::string(tool) == "nsrun" ? nsrun({}, view, {"true"}) : bwrap({}, view, {"true"});
        };
        BOOST_TEST(with("/dev/null").status == 0, tool);
        BOOST_TEST(fs::read_symlink(link) == "/dev/null", tool);
        if (std::string(tool) == "nsrun") // as bwrap's since 0.9; Debian 12's 0.8 refuses
            BOOST_TEST(with("/dev/null").status == 0, tool);
        const auto conflict = with("/dev/full");
        BOOST_TEST(conflict.status != 0, tool);
        if (std::string(tool) == "nsrun")
            BOOST_TEST(conflict.err.find("symlink /dev/full -> " + link + ": create the symbolic link: file exists") !=
                           std::string::npos,
                       conflict.err);
    }
}

// test-run.sh: the modes of what the view creates: mount points (755
// directories, 444 files), --dir with and without --perms (an existing
// one kept), --chmod, the parents of a --dir, a --tmpfs's mode and size.
BOOST_AUTO_TEST_CASE(bwrap_scenarios_modes)
{
    const strings run = {"--bind", "/", "/", "--tmpfs", "/tmp"};
    std::map<std::string, std::string> seen[2];
    const std::string perms[] = {"1777", "0755", "0644", "0750", "0710", "0720", "0640",
                                 "0700", "0600", "0705", "0604", "0000"};
    for (int which = 0; which < 2; ++which) {
        scratch d;
        BOOST_REQUIRE(!d.path.empty());
        fs::create_directories(d / "some-dir");
        write(d / "some-file", "");
        fs::create_directories(d / "existed");
        fs::permissions(d / "existed", static_cast<fs::perms>(0710));
        strings view = plus(run, {"--bind", d / "some-dir", d / "new-dir-mountpoint", "--bind", d / "some-file",
                                  d / "new-file-mountpoint", "--perms", "1741", "--dir", d / "set-perms", "--dir",
                                  d / "existed", "--dir", d / "chmodded", "--chmod", "1755", d / "chmodded", "--dir",
                                  d / "default-perms", "--dir", d / "parent/dir"});
        for (const auto& p : perms)
            view = plus(view, {"--perms", p, "--dir", d / ("parent-of-" + p) + "/dir"});
        const auto r = which == 0 ? nsrun({}, view, {"true"}) : bwrap({}, view, {"true"});
        BOOST_TEST(r.status == 0, (which == 0 ? "nsrun " : "bwrap ") << r.err);
        for (const auto& e : fs::directory_iterator(d.path))
            seen[which][e.path().filename()] = mode_of(e.path());
        for (const auto& m : {"01777", "0755"}) {
            const strings tmpfs = {"--perms", m, "--tmpfs", d.path};
            const auto t = which == 0 ? nsrun({}, plus(run, tmpfs), {"stat", "-c", "%a", d.path})
                                      : bwrap({}, plus(run, tmpfs), {"stat", "-c", "%a", d.path});
            seen[which][std::string("tmpfs ") + m] = t.out;
        }
        const strings sized = {"--size", "1048576", "--perms", "01777", "--tmpfs", d.path};
        const auto s = which == 0 ? nsrun({}, plus(run, sized), sh("df --output=size -k " + d.path + " | tail -1"))
                                  : bwrap({}, plus(run, sized), sh("df --output=size -k " + d.path + " | tail -1"));
        seen[which]["size"] = s.out;
    }
    BOOST_TEST(seen[0] == seen[1]);
    auto& n = seen[0];
    BOOST_TEST(n["new-dir-mountpoint"] == "755");
    BOOST_TEST(n["new-file-mountpoint"] == "444");
    BOOST_TEST(n["set-perms"] == "1741");
    BOOST_TEST(n["existed"] == "710");
    BOOST_TEST(n["chmodded"] == "1755");
    BOOST_TEST(n["default-perms"] == "755");
    BOOST_TEST(n["parent"] == "755");
    const std::map<std::string, std::string> parents = {
        {"1777", "755"}, {"0755", "755"}, {"0644", "755"}, {"0750", "750"}, {"0710", "750"}, {"0720", "750"},
        {"0640", "750"}, {"0700", "700"}, {"0600", "700"}, {"0705", "705"}, {"0604", "705"}, {"0000", "700"}};
    for (const auto& [p, want] : parents)
        BOOST_TEST(n["parent-of-" + p] == want, p);
    BOOST_TEST(n["tmpfs 01777"] == "1777\n");
    BOOST_TEST(n["tmpfs 0755"] == "755\n");
    BOOST_TEST(n["size"].find(" 1024\n") != std::string::npos, n["size"]);
}

// bwrap sets PWD to the program's directory; nsrun leaves the environment
// as asked (nsrun.1 says so).
// The variables sorted (bwrap's setenv keeps a replaced one's place,
// nsrun's puts it last: the order means nothing to a program).
std::string sorted(const std::string& env)
{
    std::istringstream in(env);
    strings lines;
    for (std::string l; std::getline(in, l);)
        lines.push_back(l);
    std::sort(lines.begin(), lines.end());
    std::string out;
    for (const auto& l : lines)
        out += l + "\n";
    return out;
}

std::string without_pwd(const std::string& env)
{
    const auto at = env.starts_with("PWD=") ? 0 : env.find("\nPWD=");
    if (at == std::string::npos)
        return env;
    const auto start = at == 0 ? 0 : at + 1;
    return env.substr(0, start) + env.substr(env.find('\n', start) + 1);
}

BOOST_AUTO_TEST_CASE(environment_side_by_side)
{
    const strings edits = {"--clearenv", "--setenv", "A", "1", "--setenv", "B", "x y", "--unsetenv", "B",
                           "--setenv", "C", "", "--setenv", "A", "2"};
    const auto n = nsrun({}, edits, {"/usr/bin/env"});
    auto b = bwrap({"--bind", "/", "/"}, edits, {"/usr/bin/env"});
    b.out = without_pwd(b.out);
    BOOST_TEST(n.status == 0, n.err);
    BOOST_TEST(sorted(n.out) == sorted(b.out), "nsrun:\n" << n.out << "bwrap:\n" << b.out);
    BOOST_TEST(n.out.find("A=2\n") != std::string::npos);
    // set before --clearenv: gone, as bwrap's
    const strings before = {"--setenv", "X", "1", "--clearenv", "--setenv", "Y", "2"};
    BOOST_TEST(nsrun({}, before, {"/usr/bin/env"}).out ==
               without_pwd(bwrap({"--bind", "/", "/"}, before, {"/usr/bin/env"}).out));
    // nsrun's extra: --keep-env (unshare's)
    const auto kept = nsrun({}, {"--keep-env", "PATH,NSKIT_NONE", "--setenv", "Z", "3"}, {"/usr/bin/env"});
    BOOST_TEST(kept.out.starts_with("PATH="), kept.out);
    BOOST_TEST(kept.out.find("\nZ=3\n") != std::string::npos, kept.out);
    BOOST_TEST(std::count(kept.out.begin(), kept.out.end(), '\n') == 2, kept.out);
}

BOOST_AUTO_TEST_CASE(resource_limits)
{
    const auto r = nsrun({"--pid"}, {"--rlimit", "NOFILE=64:128", "--rlimit", "core=0"},
                         sh("ulimit -n; ulimit -Hn; ulimit -c"));
    BOOST_TEST(r.status == 0, r.err);
    BOOST_TEST(r.out == "64\n128\n0\n");
    // above the hard limit as nobody: refused in the child, named, before PROGRAM
    t::tool_run_options nobody;
    nobody.before_exec = [] {
        if (::setgid(65534) != 0 || ::setuid(65534) != 0)
            ::_exit(99);
    };
    const auto up = t::run_tool("nsrun", {"--rlimit", "NOFILE=1:unlimited", "--", "sh", "-c", "echo ran"},
                                nobody);
    BOOST_TEST(up.status == 121, up.err);
    BOOST_TEST(up.out.empty());
    BOOST_TEST(up.err.find("set a resource limit (prlimit64) (NOFILE=1:unlimited)") != std::string::npos, up.err);
}

BOOST_AUTO_TEST_SUITE_END()
