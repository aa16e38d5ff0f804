// nsrun as a program: spawned from NSKIT_TOOLS_DIR (or bin/tools).
#include "test_support.hpp"
#include "tool_runner.hpp"

#include <nskit/ns/run.hpp>
#include <nskit/sys/pidfd.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

namespace ns = nskit::ns;
namespace fs = std::filesystem;
namespace utf = boost::unit_test;

namespace {

std::string tool(const std::string& name) { return nskit::test::tool_path(name); }

using result = nskit::test::tool_result; // `out` holds stdout and stderr

result nsrun(const std::vector<std::string>& args)
{
    nskit::test::tool_run_options merged;
    merged.merge_stderr = true;
    return nskit::test::run_tool("nsrun", args, merged);
}

// With a user namespace when unprivileged, so the same test runs in both passes.
std::vector<std::string> with_user(std::vector<std::string> args)
{
    if (nskit::test::missing_privilege())
        args.insert(args.begin(), "--user");
    return args;
}

int dup_to_stdout(void* ctx)
{
    return ::dup2(*static_cast<int*>(ctx), 1) < 0 ? errno : 0;
}

} // namespace

BOOST_AUTO_TEST_SUITE(tool_nsrun)

BOOST_AUTO_TEST_CASE(help_and_version)
{
    auto h = nsrun({"--help"});
    BOOST_TEST(h.status == 0);
    for (const char* opt : {"--mount", "--tmp", "--pid", "--no-proc", "--net", "--veth", "--addr", "--ipc", "--uts",
                            "--user", "--cgroup", "--time", "--monotonic", "--boottime", "--kill-child",
                            "--die-with-parent", "--enter", "--types"})
        BOOST_TEST(h.out.find(opt) != std::string::npos, opt);
    auto v = nsrun({"--version"});
    BOOST_TEST(v.status == 0);
    BOOST_TEST(v.out.rfind("nsrun (nskit) ", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(bad_arguments)
{
    struct bad {
        std::vector<std::string> args;
        int status;
    };
    for (const auto& b : std::vector<bad>{{{"--frobnicate", "--", "true"}, 120},
                                          {{}, 120},
                                          {{"--pid"}, 120},
                                          {{"--user=0:1000", "--", "true"}, 123},
                                          {{"--kill-child=SIGBOGUS", "--", "true"}, 120},
                                          {{"--addr", "10.0.0.1/24", "--", "true"}, 120},
                                          {{"--monotonic", "soon", "--", "true"}, 120},
                                          {{"--monotonic", "1e10", "--", "true"}, 120}, // ns would overflow
                                          // found by test/fuzz: strtod/strtoul took blanks, signs, hex, inf
                                          {{"--monotonic", " 5", "--", "true"}, 120},
                                          {{"--monotonic", "0x10", "--", "true"}, 120},
                                          {{"--boottime", "inf", "--", "true"}, 120},
                                          {{"--tmp=mode=+700", "--", "true"}, 120},
                                          {{"--tmp=mode= 700", "--", "true"}, 120},
                                          // the positional words' hidden option is not the user's
                                          {{"--=evil", "--", "true"}, 120},
                                          {{"--command=evil", "--", "true"}, 120},
                                          {{"--enter", "0", "--", "true"}, 120},
                                          {{"--enter", "1", "--types", "bogus", "--", "true"}, 120},
                                          {{"--uts=" + std::string(70, 'h'), "--", "true"}, 120},
                                          {{"--veth", "a/b", "--", "true"}, 120},
                                          {{"--tmp=mode=99", "--", "true"}, 120}}) {
        auto r = nsrun(b.args);
        std::string joined;
        for (const auto& a : b.args)
            joined += a + " ";
        BOOST_TEST(r.status == b.status, joined << "-> " << r.out);
        BOOST_TEST(r.out.rfind("nsrun: ", 0) == 0u, joined << "-> " << r.out);
        BOOST_TEST(std::count(r.out.begin(), r.out.end(), '\n') == 1, "one line: " << r.out);
    }
}

BOOST_AUTO_TEST_CASE(exit_status_of_program)
{
    BOOST_TEST(nsrun({"--", "sh", "-c", "exit 7"}).status == 7);
    BOOST_TEST(nsrun(with_user({"--", "sh", "-c", "kill -SEGV $$"})).status == 128 + SIGSEGV);
    auto nf = nsrun({"--", "/nonexistent/prog"});
    BOOST_TEST(nf.status == 127);
    BOOST_TEST(nf.out.find("no such program") != std::string::npos, nf.out);
    auto na = nsrun({"--", "/etc/hostname"});
    BOOST_TEST(na.status == 126, na.out);
}

BOOST_AUTO_TEST_CASE(user_becomes_root)
{
    auto r = nsrun({"--user", "--", "sh", "-c", "id -u; cat /proc/self/uid_map"});
    BOOST_TEST(r.status == 0);
    std::istringstream in(r.out);
    unsigned uid, inside, outside, count;
    in >> uid >> inside >> outside >> count;
    BOOST_TEST(uid == 0u);
    BOOST_TEST(outside == ::geteuid());
}

BOOST_AUTO_TEST_CASE(pid_and_proc)
{
    // sh is PID 2 under the init, then becomes ls: /proc lists exactly 1 and 2
    auto r = nsrun(with_user({"--pid", "--", "sh", "-c", "echo $$; exec ls /proc"}));
    BOOST_TEST(r.status == 0);
    std::istringstream in(r.out);
    std::string self, entry, pids;
    in >> self;
    while (in >> entry)
        if (entry.find_first_not_of("0123456789") == std::string::npos)
            pids += entry + " ";
    BOOST_TEST(self == "2", r.out);
    BOOST_TEST(pids == "1 2 ", r.out);
}

BOOST_AUTO_TEST_CASE(tmp_uts_net_time)
{
    auto r = nsrun(with_user({"--tmp=size=1m,mode=700", "--uts=nsrun-box", "--net", "--boottime", "7200", "--",
                              "sh", "-c",
                              "stat -f -c %T /tmp; stat -c %a /tmp; df -k /tmp | tail -1 | tr -s ' ' | cut -d' ' -f2; "
                              "ls -A /tmp | wc -l; hostname; cat /sys/class/net/lo/operstate 2>/dev/null; "
                              "ip -o link show lo | grep -c 'UP'; cut -d. -f1 /proc/uptime"}));
    BOOST_TEST(r.status == 0, r.out);
    std::istringstream in(r.out);
    std::string fstype, mode, size, entries, host;
    in >> fstype >> mode >> size >> entries >> host;
    BOOST_TEST(fstype == "tmpfs");
    BOOST_TEST(mode == "700");
    BOOST_TEST(size == "1024");
    BOOST_TEST(entries == "0");
    BOOST_TEST(host == "nsrun-box");
    std::string rest((std::istreambuf_iterator<char>(in)), {});
    BOOST_TEST(rest.find("1\n") != std::string::npos, "lo up: " << rest);
    const long uptime_inside = std::atol(rest.substr(rest.rfind('\n', rest.size() - 2) + 1).c_str());
    const long uptime_outside = std::atol(nskit::test::read_file("/proc/uptime").c_str());
    BOOST_TEST(uptime_inside >= uptime_outside + 7200 - 5, r.out);
    char h[65] = {};
    ::gethostname(h, 64);
    BOOST_TEST(std::string(h) != "nsrun-box");
}

BOOST_AUTO_TEST_CASE(every_flag_alone)
{
    // each flag on its own; the namespaces that differ are checked by readlink
    struct one {
        std::vector<std::string> flags;
        std::string differs; // /proc/self/ns entry that must differ, or ""
    };
    for (const auto& o : std::vector<one>{{{"--mount"}, "mnt"},
                                          {{"--tmp"}, "mnt"},
                                          {{"--pid", "--no-proc"}, "pid"},
                                          {{"--net"}, "net"},
                                          {{"--ipc"}, "ipc"},
                                          {{"--uts"}, "uts"},
                                          {{"--domainname", "nskit.dom"}, "uts"},
                                          {{"--cgroup"}, "cgroup"},
                                          {{"--time"}, "time"},
                                          {{"--monotonic=-1"}, "time"},
                                          {{"--sysvsem"}, ""},
                                          {{"--no-kill-child"}, ""},
                                          {{"--kill-child=INT"}, ""},
                                          {{"--die-with-parent"}, ""},
                                          {{"--chdir", "/"}, ""}}) {
        std::vector<std::string> args = with_user(o.flags);
        const std::string entry = o.differs.empty() ? "net" : o.differs;
        // for pid and time the program's own entry is what changed (it was forked in)
        args.insert(args.end(), {"--", "readlink", "/proc/self/ns/" + entry});
        auto r = nsrun(args);
        char mine[64] = {};
        ::readlink(("/proc/self/ns/" + entry).c_str(), mine, sizeof mine - 1);
        BOOST_TEST(r.status == 0, o.flags[0] << ": " << r.out);
        if (!o.differs.empty())
            BOOST_TEST(r.out != std::string(mine) + "\n", o.flags[0] << " did not change " << entry);
        else if (!nskit::test::missing_privilege())
            BOOST_TEST(r.out == std::string(mine) + "\n", o.flags[0] << " changed " << entry);
    }
}

BOOST_AUTO_TEST_CASE(every_flag_together)
{
    auto r = nsrun(with_user({"--mount", "--tmp", "--pid", "--net", "--ipc", "--uts=all", "--cgroup", "--time",
                              "--monotonic", "60", "--sysvsem", "--die-with-parent", "--kill-child=TERM",
                              "--grace", "100", "--", "sh", "-c", "hostname; echo $$"}));
    BOOST_TEST(r.status == 0, r.out);
    BOOST_TEST(r.out == "all\n2\n");
}

BOOST_AUTO_TEST_CASE(veth, *utf::precondition(nskit::test::privileged()))
{
    const std::string name = "nsrv" + std::to_string(::getpid() % 100000);
    auto r = nsrun({"--veth", name + ":eth0", "--addr", "10.232.0.1/24,10.232.0.2/24", "--", "ip", "-o", "-4",
                    "addr", "show", "dev", "eth0"});
    BOOST_TEST(r.status == 0, r.out);
    BOOST_TEST(r.out.find("10.232.0.2/24") != std::string::npos, r.out);
    // nsrun deletes the pair when the program is gone: the name is free at once
    BOOST_TEST(::access(("/sys/class/net/" + name).c_str(), F_OK) != 0);
    auto again = nsrun({"--pid", "--veth", name, "--", "true"});
    BOOST_TEST(again.status == 0, again.out);
    BOOST_TEST(::access(("/sys/class/net/" + name).c_str(), F_OK) != 0);
}

BOOST_AUTO_TEST_CASE(no_privilege_message)
{
    NSKIT_CHECK_CHILD(nskit::test::as_nobody([] {
        auto r = nsrun({"--net", "--", "true"});
        NSKIT_EXPECT(r.status == 121);
        NSKIT_EXPECT(r.out.find("needs CAP_SYS_ADMIN or --user") != std::string::npos);
        auto m = nsrun({"--user=0:0:1", "--", "true"}); // map root: not ours
        NSKIT_EXPECT(m.status == 121);
        // the step, the map it wrote, the advice
        // (gid_map or uid_map: which one the kernel refuses first depends on the pass)
        NSKIT_EXPECT(m.out.find(" map '0:0:1'): mapping ids other than your own needs CAP_SETUID") != std::string::npos);
        return std::string();
    }));
}

BOOST_AUTO_TEST_CASE(enter_another_process)
{
    ns::options o;
    if (nskit::test::missing_privilege())
        o.user = ns::user_options{};
    o.hostname = "enter-me";
    auto target = ns::spawn("sleep", {"10"}, o);
    auto r = nsrun({"--enter", std::to_string(target.pid()), "--", "hostname"});
    BOOST_TEST(r.status == 0, r.out);
    BOOST_TEST(r.out == "enter-me\n");
    auto t = nsrun({"--enter", std::to_string(target.pid()), "--types", "ipc", "--", "hostname"});
    BOOST_TEST(t.out != "enter-me\n");
    auto gone = nsrun({"--enter", "4194304", "--", "true"}); // a valid pid no process has (pid_max at most 4194304)
    BOOST_TEST(gone.status == 125, gone.out);
}

BOOST_AUTO_TEST_CASE(sigterm_to_nsrun_reaches_program)
{
    int out[2];
    BOOST_REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    nskit::unique_fd out_r(out[0]), out_w(out[1]);
    ns::spawn_options so;
    so.pre_exec = dup_to_stdout;
    so.pre_exec_ctx = &out[1];
    auto args = with_user({"--pid", "--die-with-parent", "--grace", "20000", "--", "sh", "-c", "trap 'exit 42' TERM; echo ready; while :; do sleep 0.01; done"});
    auto p = ns::spawn(tool("nsrun"), args, ns::options{}, so);
    out_w.reset();
    char buf[8] = {};
    pollfd pf{out[0], POLLIN, 0};
    BOOST_REQUIRE(::poll(&pf, 1, 5000) == 1);
    BOOST_REQUIRE(::read(out[0], buf, 6) == 6);
    p.signal(SIGTERM);
    auto s = p.wait();
    BOOST_TEST(s.exited());
    BOOST_TEST(s.code == 42);
}

BOOST_AUTO_TEST_CASE(nsrun_sigkilled_tree_dies)
{
    int out[2];
    BOOST_REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    nskit::unique_fd out_r(out[0]), out_w(out[1]);
    ns::spawn_options so;
    so.pre_exec = dup_to_stdout;
    so.pre_exec_ctx = &out[1];
    // with --pid the kernel kills the whole namespace once its init dies
    auto args = with_user({"--die-with-parent", "--pid", "--", "sh", "-c", "sleep 100 & echo ready; wait"});
    auto p = ns::spawn(tool("nsrun"), args, ns::options{}, so);
    out_w.reset();
    char buf[8] = {};
    pollfd pf{out[0], POLLIN, 0};
    BOOST_REQUIRE(::poll(&pf, 1, 5000) == 1);
    BOOST_REQUIRE(::read(out[0], buf, 6) == 6);
    // nsrun -> keeper -> sh -> sleep
    std::vector<nskit::unique_fd> tree;
    std::vector<pid_t> todo{p.pid()};
    while (!todo.empty()) {
        const pid_t t = todo.back();
        todo.pop_back();
        std::istringstream in(nskit::test::read_file("/proc/" + std::to_string(t) + "/task/" + std::to_string(t) +
                                                     "/children"));
        pid_t c;
        while (in >> c) {
            todo.push_back(c);
            std::error_code ec;
            tree.push_back(nskit::sys::pidfd_open(c, ec));
        }
    }
    BOOST_TEST(tree.size() >= 3u);
    p.signal(SIGKILL);
    p.wait();
    for (auto& fd : tree) {
        if (!fd)
            continue;
        pollfd w{fd.get(), POLLIN, 0};
        BOOST_TEST(::poll(&w, 1, 5000) == 1, "a process survived nsrun's death");
    }
}

BOOST_AUTO_TEST_SUITE_END()
