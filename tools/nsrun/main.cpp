// nsrun — run a program in new namespaces (unshare/bwrap-like), or in
// another process's namespaces (--enter, nsenter-like).  A thin front end
// to nskit::ns: options -> nskit::ns::options -> spawn + supervise.
#include "cli.hpp"
#include "values.hpp"

#include <nskit/net/address.hpp>
#include <nskit/ns.hpp>
#include <nskit/sys/error.hpp>

#include <boost/program_options.hpp>

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

namespace po = boost::program_options;
namespace ns = nskit::ns;
using nskit::tools::nsrun::usage_error;
using nskit::tools::nsrun::whole_number;
using nskit::tools::nsrun::signal_number;
using nskit::tools::nsrun::seconds_offset;

namespace {

constexpr const char* version = "nsrun (nskit) " NSKIT_VERSION_STRING; // from Jamroot

// Exit codes of nsrun's own failures (documented in nsrun.1).
enum exit_code {
    exit_usage = 120,       // bad arguments
    exit_permission = 121,  // EPERM/EACCES while setting up
    exit_limit = 122,       // namespace limit reached (ENOSPC/EUSERS)
    exit_bad_map = 123,     // uid/gid map rejected
    exit_setup = 124,       // any other setup failure
    exit_enter = 125,       // --enter failed
    exit_not_executable = 126,
    exit_not_found = 127,
};

// The option that sets an ns::options member, for options::problem().
std::string option_of(std::string_view field)
{
    static const std::pair<std::string_view, const char*> flags[] = {
        {"hostname", "--uts"}, {"domainname", "--domainname"}, {"kill_signal", "--kill-child"},
        {"kill_grace", "--grace"}, {"tmp.mode", "--tmp"}, {"tmp.size", "--tmp"}, {"tmp.extra", "--tmp"},
        {"veth", "--veth"}, {"user.uid_map", "--user"}, {"user.gid_map", "--gid-map"},
        {"monotonic_offset", "--monotonic"}, {"boottime_offset", "--boottime"}};
    for (const auto& [f, flag] : flags)
        if (f == field)
            return flag;
    return std::string(field);
}

// One address of --addr or --peer-addr, or a usage error naming the option.
std::string interface_address(const char* option, const std::string& text)
{
    try {
        nskit::net::parse_interface_address(text);
    } catch (const std::system_error& e) {
        throw usage_error(std::string(option) + ": " + e.what());
    }
    return text;
}

// --veth NAME[:PEER], --addr OUTSIDE[,INSIDE], --peer-addr INSIDE: every
// part checked here, before anything is created.  A second --addr part
// and --peer-addr both name the inside address: refused, not one ignored.
ns::veth_options veth_from(const std::string& veth, const std::string* addr, const std::string* peer_addr)
{
    ns::veth_options v;
    const auto colon = veth.find(':');
    v.name = veth.substr(0, colon);
    v.peer = colon == std::string::npos ? "eth0" : veth.substr(colon + 1);
    if (colon != std::string::npos && v.peer.empty())
        throw usage_error("--veth: '" + veth + "': no PEER name after ':'");
    bool inside_from_addr = false;
    if (addr) {
        const auto comma = addr->find(',');
        if (comma != std::string::npos && addr->find(',', comma + 1) != std::string::npos)
            throw usage_error("--addr: '" + *addr + "': at most two addresses, OUTSIDE[,INSIDE]");
        v.address = interface_address("--addr", addr->substr(0, comma));
        if (comma != std::string::npos) {
            if (peer_addr)
                throw usage_error("--peer-addr: '" + *peer_addr + "': the inside address is already given by --addr '" +
                                  *addr + "'");
            v.peer_address = interface_address("--addr", addr->substr(comma + 1));
            inside_from_addr = true;
        }
    }
    if (peer_addr)
        v.peer_address = interface_address("--peer-addr", *peer_addr);
    try {
        ns::check_veth(v);
    } catch (const std::system_error& e) {
        const char* option = e.code() == nskit::error::bad_interface_name ? "--veth"
                             : inside_from_addr                           ? "--addr"
                                                                          : "--addr, --peer-addr";
        throw usage_error(std::string(option) + ": " + e.what());
    }
    return v;
}

int failure_exit(const std::error_code& ec)
{
    const int e = ns::failed_errno(ec);
    const auto step = ns::failed_step(ec);
    if (ec == nskit::error::bad_id_map ||
        (e == EINVAL && (step == ns::setup_step::uid_map || step == ns::setup_step::gid_map)))
        return exit_bad_map;
    if (step == ns::setup_step::exec)
        return e == ENOENT ? exit_not_found : exit_not_executable;
    if (ec.category() != ns::setup_category() && ec.category() != std::system_category())
        return exit_setup;
    if (e == EPERM || e == EACCES)
        return exit_permission;
    if (e == ENOSPC || e == EUSERS)
        return exit_limit;
    return exit_setup;
}

std::string one_line(const std::error_code& ec, const ns::options& o = {}, const ns::spawn_options& so = {})
{
    const int e = ns::failed_errno(ec);
    const auto step = ns::failed_step(ec);
    if ((e == EPERM) && (step == ns::setup_step::clone || step == ns::setup_step::unshare ||
                         step == ns::setup_step::mount_tmp || step == ns::setup_step::make_private))
        return std::string(to_string(step)) + ": needs CAP_SYS_ADMIN or --user: " + std::system_category().message(e);
    if ((e == ENOSPC || e == EUSERS) && step == ns::setup_step::clone)
        return std::string(to_string(step)) +
               ": namespace limit reached (raise /proc/sys/user/max_*_namespaces): " +
               std::system_category().message(e);
    return ns::explain(ec, o, so); // names what the failed step used: "chdir (directory '/x'): ..."
}

// A failed chdir names its directory: --chdir's, or the working directory
// nsrun was started in, looked up again in the new mount namespace.
std::string chdir_context(const std::error_code& ec, const std::string& chdir_to)
{
    if (ns::failed_step(ec) != ns::setup_step::chdir)
        return {};
    if (!chdir_to.empty() && chdir_to.front() == '/')
        return {}; // ns::explain names it
    char cwd[4096];
    const std::string here = ::getcwd(cwd, sizeof cwd) ? cwd : "?";
    return (chdir_to.empty() ? "" : "--chdir " + chdir_to + " from ") + "working directory " + here +
           (chdir_to.empty() ? " (--chdir DIR to run elsewhere): " : ": ");
}

} // namespace

int main(int argc, char** argv)
{
    po::options_description desc(
        "Usage: nsrun [OPTIONS] [--] PROGRAM [ARGS...]\n"
        "       nsrun --enter PID [--types LIST] [--] PROGRAM [ARGS...]\n"
        "Run PROGRAM in new namespaces (or in those of process PID).\n\nOptions");
    std::string tmp, uts, user, gid_map, veth, addr, peer_addr, monotonic, boottime, kill_child, enter_types,
        domainname, cgroup_dir, chdir_to;
    std::string enter_arg, grace = "200";
    pid_t enter_pid = 0;
    desc.add_options()
        ("help,h", "print this help and exit")
        ("version,V", "print the version and exit")
        ("mount,m", "private mount namespace (mounts made recursively private)")
        ("tmp", po::value(&tmp)->implicit_value(""), "private tmpfs on /tmp; OPTS: size=64m,mode=1777,nr_inodes=...")
        ("pid,p", "private PID namespace; PROGRAM runs under an init that reaps and forwards signals")
        ("no-proc", "with --pid: do not mount a fresh /proc")
        ("net,n", "private network namespace with lo up")
        ("veth", po::value(&veth), "NAME[:PEER]: veth pair, NAME outside, PEER (default eth0) inside")
        ("addr", po::value(&addr), "ADDR/PFX[,PEER/PFX]: address of the outside end (and of the inside end)")
        ("peer-addr", po::value(&peer_addr), "ADDR/PFX of the inside end")
        ("no-routes", "do not add routes via the veth")
        ("ipc,i", "private IPC namespace")
        ("sysvsem", "fresh SysV semaphore undo list")
        ("uts,u", po::value(&uts)->implicit_value(""), "private UTS namespace, optionally with HOSTNAME")
        ("domainname", po::value(&domainname), "NIS domain name inside (implies --uts)")
        ("user,U", po::value(&user)->implicit_value(""),
         "user namespace; MAP like 0:100000:65536 (default: you become root)")
        ("gid-map", po::value(&gid_map), "gid MAP (default: as --user MAP, or your gid as root)")
        ("cgroup,C", "private cgroup namespace")
        ("cgroup-dir", po::value(&cgroup_dir), "start PROGRAM in this cgroup directory (CLONE_INTO_CGROUP)")
        ("time,T", "private time namespace")
        ("monotonic", po::value(&monotonic), "CLOCK_MONOTONIC offset in seconds (implies --time)")
        ("boottime", po::value(&boottime), "CLOCK_BOOTTIME offset in seconds (implies --time)")
        ("kill-child", po::value(&kill_child)->implicit_value("TERM"),
         "on a signal to nsrun: forward it, send SIG (default TERM), SIGKILL after the grace period (default on)")
        ("no-kill-child", "only forward signals")
        ("grace", po::value(&grace), "milliseconds between SIG and SIGKILL (default 200)")
        ("die-with-parent", "PROGRAM (and its init) get SIGKILL when nsrun dies")
        ("chdir", po::value(&chdir_to), "working directory of PROGRAM")
        ("same-session", "PROGRAM stays in nsrun's session and terminal (unsafe: see nsrun(1))")
        ("enter", po::value(&enter_arg), "join the namespaces of process PID instead of creating new ones")
        ("types", po::value(&enter_types), "with --enter: namespace types, e.g. net,uts (default: all that differ)");
    po::options_description hidden;
    std::vector<std::string> command;
    hidden.add_options()("command", po::value(&command));
    po::options_description all;
    all.add(desc).add(hidden);
    po::positional_options_description pos;
    pos.add("command", -1);

    po::variables_map vm;
    ns::options o;
    try {
        po::store(po::command_line_parser(nskit::tools::normalize_args(argc, argv, all, true)).options(all).positional(pos).run(), vm);
        po::notify(vm);
        if (vm.count("help")) {
            std::cout << desc << "\nExit status: PROGRAM's, 128+N when killed by signal N; 120 bad arguments, "
                                 "121 permission, 122 namespace limit, 123 bad id map, 124 setup failed, "
                                 "125 --enter failed, 126 not executable, 127 not found.\n";
            return 0;
        }
        if (vm.count("version")) {
            std::cout << version << "\n";
            return 0;
        }
        if (command.empty())
            throw usage_error("no PROGRAM given (nsrun [OPTIONS] -- PROGRAM [ARGS])");
        if (vm.count("enter")) {
            std::string why;
            if (!nskit::tools::parse_pid_arg(enter_arg, enter_pid, why))
                throw usage_error("--enter: " + why);
            for (const char* creating : {"mount", "tmp", "pid", "no-proc", "net", "veth", "addr", "peer-addr",
                                         "no-routes", "ipc", "sysvsem", "uts", "domainname", "user", "gid-map",
                                         "cgroup", "cgroup-dir", "time", "monotonic", "boottime"})
                if (vm.count(creating))
                    throw usage_error(std::string("--") + creating + " creates a namespace: not with --enter");
            if (vm.count("types") && enter_types.empty())
                throw usage_error("--types: no namespace types given");
        } else if (vm.count("types")) {
            throw usage_error("--types needs --enter");
        }
        o.mount = vm.count("mount") > 0;
        if (vm.count("tmp"))
            o.tmp = nskit::tools::nsrun::tmp_options_from(tmp);
        o.pid = vm.count("pid") > 0;
        o.proc = vm.count("no-proc") == 0;
        o.net = vm.count("net") > 0;
        if (vm.count("veth")) {
            o.veth = veth_from(veth, vm.count("addr") ? &addr : nullptr, vm.count("peer-addr") ? &peer_addr : nullptr);
            o.veth->routes = vm.count("no-routes") == 0;
        } else if (vm.count("addr") || vm.count("peer-addr")) {
            throw usage_error("--addr/--peer-addr need --veth NAME[:PEER]");
        }
        o.ipc = vm.count("ipc") > 0;
        o.sysvsem = vm.count("sysvsem") > 0;
        o.uts = vm.count("uts") > 0;
        o.hostname = uts;
        o.domainname = domainname;
        if (vm.count("user") || vm.count("gid-map")) {
            ns::user_options u;
            const auto map = [](const char* option, const std::string& text) {
                try {
                    return ns::parse_id_map(text);
                } catch (const std::system_error& e) { // bad_id_map: exit 123, named with the option
                    std::string what = e.what();
                    const std::string tail = ": " + e.code().message(); // added again below: once
                    if (what.size() >= tail.size() && what.compare(what.size() - tail.size(), tail.size(), tail) == 0)
                        what.resize(what.size() - tail.size());
                    throw std::system_error(e.code(), std::string(option) + ": " + what);
                }
            };
            if (!user.empty())
                u.uid_map = map("--user", user);
            if (!gid_map.empty())
                u.gid_map = map("--gid-map", gid_map);
            else if (!user.empty())
                u.gid_map = u.uid_map;
            o.user = u;
        }
        o.cgroup = vm.count("cgroup") > 0;
        o.time = vm.count("time") > 0;
        if (vm.count("monotonic"))
            o.monotonic_offset = seconds_offset("--monotonic", monotonic, CLOCK_MONOTONIC);
        if (vm.count("boottime"))
            o.boottime_offset = seconds_offset("--boottime", boottime, CLOCK_BOOTTIME);
        o.kill_child = vm.count("no-kill-child") == 0;
        if (vm.count("kill-child"))
            o.kill_signal = signal_number(kill_child);
        o.kill_grace = std::chrono::milliseconds(whole_number("--grace", grace, 0, 86400000));
        o.die_with_parent = vm.count("die-with-parent") > 0;
        o.new_session = vm.count("same-session") == 0;
        if (const auto bad = o.problem(); bad.ec) {
            std::cerr << "nsrun: " << option_of(bad.field) << ": " << bad.reason << "\n";
            return bad.ec == nskit::error::bad_id_map ? exit_bad_map : exit_usage;
        }
    } catch (const nskit::tools::usage_error& e) {
        std::cerr << "nsrun: " << e.text << " (see nsrun --help)\n";
        return exit_usage;
    } catch (const po::error& e) {
        std::cerr << "nsrun: " << e.what() << " (see nsrun --help)\n";
        return exit_usage;
    } catch (const usage_error& e) {
        std::cerr << "nsrun: " << e.what() << "\n";
        return exit_usage;
    } catch (const std::system_error& e) {
        std::cerr << "nsrun: " << e.what() << "\n";
        return e.code() == nskit::error::bad_id_map ? exit_bad_map : exit_usage;
    }

    nskit::unique_fd cgroup_fd;
    if (!cgroup_dir.empty()) {
        cgroup_fd.reset(::open(cgroup_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!cgroup_fd) {
            const int e = errno; // before the stream can change it
            std::cerr << "nsrun: open " << cgroup_dir << ": " << std::system_category().message(e) << "\n";
            return exit_usage;
        }
        o.cgroup_fd = cgroup_fd.get();
    }
    (void)::signal(SIGCHLD, SIG_DFL); // cannot fail for SIGCHLD with SIG_DFL

    std::error_code ec;
    if (vm.count("enter")) {
        ns::enter_options eo;
        if (!enter_types.empty()) {
            eo.types = nskit::sys::parse_clone_flags(enter_types, ec);
            if (ec || eo.types.namespaces() != eo.types) {
                std::cerr << "nsrun: --types: '" << enter_types << "' is not a list of namespace types\n";
                return exit_usage;
            }
        }
        if (!chdir_to.empty())
            eo.follow_root_and_cwd = true;
        ns::enter_pid(enter_pid, eo, ec);
        if (ec) {
            std::cerr << "nsrun: enter " << enter_pid << ": "
                      << (ec == std::errc::no_such_process ? std::string("the process has exited") : one_line(ec))
                      << "\n";
            return ec == std::errc::no_such_process ? exit_enter : (failure_exit(ec) == exit_setup ? exit_enter
                                                                                                 : failure_exit(ec));
        }
        o = ns::options{}; // the program is forked so it lands in an entered PID namespace too
        o.kill_child = vm.count("no-kill-child") == 0;
        o.new_session = vm.count("same-session") == 0;
    }
    // Blocked from before the clone (the child unblocks them): a signal that
    // arrives before supervise() is forwarded, not fatal to nsrun.
    const sigset_t forwarded = ns::forwarded_signal_set();
    ::pthread_sigmask(SIG_BLOCK, &forwarded, nullptr);
    ns::spawn_options so;
    so.cwd = chdir_to;
    so.share_memory_with_init = true; // we always reap it (supervise)
    const std::vector<std::string> args(command.begin() + 1, command.end());
    auto proc = ns::spawn(command.front(), args, o, so, ec);
    if (ec) {
        std::cerr << "nsrun: " << command.front() << ": " << chdir_context(ec, chdir_to) << one_line(ec, o, so) << "\n";
        return failure_exit(ec);
    }
    auto status = proc.supervise(o.kill_child, o.kill_signal, o.kill_grace, ec);
    if (ec) {
        std::cerr << "nsrun: " << command.front() << ": " << ns::explain(ec) << "\n";
        std::error_code ignore; // reaped here, so a failed veth delete is still said
        proc.signal(SIGKILL, ignore);
        proc.wait(ignore);
        if (!proc.cleanup_note().empty())
            std::cerr << "nsrun: warning: " << proc.cleanup_note() << "\n";
        return exit_setup;
    }
    if (!proc.cleanup_note().empty()) // PROGRAM's status stays the exit status
        std::cerr << "nsrun: warning: " << proc.cleanup_note() << "\n";
    return status.shell_status();
}
