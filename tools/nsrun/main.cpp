// nsrun — run a program in new namespaces (unshare/bwrap-like), or in
// another process's namespaces (--enter, nsenter-like).  A thin front end
// to nskit::ns: options -> nskit::ns::options -> spawn + supervise.
#include "cli.hpp"
#include "values.hpp"
#include "view_args.hpp"

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
#include <optional>
#include <string>
#include <vector>

namespace po = boost::program_options;
namespace ns = nskit::ns;
using nskit::tools::nsrun::usage_error;
using nskit::tools::nsrun::whole_number;
using nskit::tools::nsrun::signal_number;
using nskit::tools::nsrun::seconds_offset;
namespace nsrun = nskit::tools::nsrun;

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
        {"monotonic_offset", "--monotonic"}, {"boottime_offset", "--boottime"}, {"view", "filesystem view"},
        {"env", "--setenv/--unsetenv/--keep-env"}, {"rlimits", "--rlimit"}};
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
nskit::net::veth_recipe veth_from(const std::string& veth, const std::string* addr, const std::string* peer_addr)
{
    nskit::net::veth_recipe v;
    const auto colon = veth.find(':');
    v.local_name = veth.substr(0, colon);
    v.peer_name = colon == std::string::npos ? "eth0" : veth.substr(colon + 1);
    if (colon != std::string::npos && v.peer_name.empty())
        throw usage_error("--veth: '" + veth + "': no PEER name after ':'");
    bool inside_from_addr = false;
    if (addr) {
        const auto comma = addr->find(',');
        if (comma != std::string::npos && addr->find(',', comma + 1) != std::string::npos)
            throw usage_error("--addr: '" + *addr + "': at most two addresses, OUTSIDE[,INSIDE]");
        v.local_address = interface_address("--addr", addr->substr(0, comma));
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

// The option values as given; vm says which options were.
struct arguments {
    std::string tmp, uts, user, gid_map, veth, addr, peer_addr, monotonic, boottime, kill_child, enter_types,
        domainname, cgroup_dir, chdir_to;
    std::string enter_arg, grace = "200";
    std::vector<std::string> command;
    std::vector<po::option> ordered; // as given: the view's steps and the environment's edits keep their order
    pid_t enter_pid = 0;
    po::variables_map vm;
    bool given(const char* option) const { return vm.count(option) > 0; }
};

constexpr const char* usage = "Usage: nsrun [OPTIONS] [--] PROGRAM [ARGS...]\n"
                              "       nsrun --enter PID [--types LIST] [--] PROGRAM [ARGS...]\n"
                              "Run PROGRAM in new namespaces (or in those of process PID).\n\nOptions";
constexpr const char* exit_statuses = "\nExit status: PROGRAM's, 128+N when killed by signal N; 120 bad arguments, "
                                      "121 permission, 122 namespace limit, 123 bad id map, 124 setup failed, "
                                      "125 --enter failed, 126 not executable, 127 not found.\n";

void add_options(po::options_description& desc, arguments& a)
{
    desc.add_options()
        ("help,h", "print this help and exit")
        ("version,V", "print the version and exit")
        ("mount,m", "private mount namespace (mounts made recursively private)")
        ("tmp", po::value(&a.tmp)->implicit_value(""), "private tmpfs on /tmp; OPTS: size=64m,mode=1777,nr_inodes=...")
        ("pid,p", "private PID namespace; PROGRAM runs under an init that reaps and forwards signals")
        ("no-proc", "with --pid: do not mount a fresh /proc")
        ("net,n", "private network namespace with lo up")
        ("veth", po::value(&a.veth), "NAME[:PEER]: veth pair, NAME outside, PEER (default eth0) inside")
        ("addr", po::value(&a.addr), "ADDR/PFX[,PEER/PFX]: address of the outside end (and of the inside end)")
        ("peer-addr", po::value(&a.peer_addr), "ADDR/PFX of the inside end")
        ("no-routes", "do not add routes via the veth")
        ("ipc,i", "private IPC namespace")
        ("sysvsem", "fresh SysV semaphore undo list")
        ("uts,u", po::value(&a.uts)->implicit_value(""), "private UTS namespace, optionally with HOSTNAME")
        ("domainname", po::value(&a.domainname), "NIS domain name inside (implies --uts)")
        ("user,U", po::value(&a.user)->implicit_value(""),
         "user namespace; MAP like 0:100000:65536 (default: you become root)")
        ("gid-map", po::value(&a.gid_map), "gid MAP (default: as --user MAP, or your gid as root)")
        ("cgroup,C", "private cgroup namespace")
        ("cgroup-dir", po::value(&a.cgroup_dir), "start PROGRAM in this cgroup directory (CLONE_INTO_CGROUP)")
        ("time,T", "private time namespace")
        ("monotonic", po::value(&a.monotonic), "CLOCK_MONOTONIC offset in seconds (implies --time)")
        ("boottime", po::value(&a.boottime), "CLOCK_BOOTTIME offset in seconds (implies --time)")
        ("kill-child", po::value(&a.kill_child)->implicit_value("TERM"),
         "on a signal to nsrun: forward it, send SIG (default TERM), SIGKILL after the grace period (default on)")
        ("no-kill-child", "only forward signals")
        ("grace", po::value(&a.grace), "milliseconds between SIG and SIGKILL (default 200)")
        ("die-with-parent", "PROGRAM (and its init) get SIGKILL when nsrun dies")
        ("chdir", po::value(&a.chdir_to), "working directory of PROGRAM")
        ("same-session", "PROGRAM stays in nsrun's session and terminal (unsafe: see nsrun(1))")
        ("enter", po::value(&a.enter_arg), "join the namespaces of process PID instead of creating new ones")
        ("types", po::value(&a.enter_types), "with --enter: namespace types, e.g. net,uts (default: all that differ)");
}

// desc's options, then PROGRAM and its arguments as the positional words.
void parse_command_line(int argc, char** argv, const po::options_description& desc, arguments& a)
{
    po::options_description hidden;
    hidden.add_options()("command", po::value(&a.command));
    po::options_description all;
    all.add(desc).add(hidden);
    po::positional_options_description pos;
    pos.add("command", -1);
    const auto parsed = po::command_line_parser(
                            nskit::tools::normalize_args(argc, argv, all, true, nsrun::view_option_words()))
                            .options(all)
                            .positional(pos)
                            .run();
    po::store(parsed, a.vm);
    a.ordered = parsed.options;
    po::notify(a.vm);
}

// A PROGRAM is given; --enter takes a pid and no option that creates a
// namespace; --types only with --enter.
void check_modes(arguments& a)
{
    if (a.command.empty())
        throw usage_error("no PROGRAM given (nsrun [OPTIONS] -- PROGRAM [ARGS])");
    if (!a.given("enter")) {
        if (a.given("types"))
            throw usage_error("--types needs --enter");
        return;
    }
    std::string why;
    if (!nskit::tools::parse_pid_arg(a.enter_arg, a.enter_pid, why))
        throw usage_error("--enter: " + why);
    for (const char* creating : {"mount", "tmp", "pid", "no-proc", "net", "veth", "addr", "peer-addr", "no-routes",
                                 "ipc", "sysvsem", "uts", "domainname", "user", "gid-map", "cgroup", "cgroup-dir",
                                 "time", "monotonic", "boottime"})
        if (a.given(creating))
            throw usage_error(std::string("--") + creating + " creates a namespace: not with --enter");
    if (const char* view = nsrun::first_view_option(a.ordered))
        throw usage_error(std::string("--") + view + " builds a filesystem view in a new mount namespace: not with --enter");
    if (a.given("types") && a.enter_types.empty())
        throw usage_error("--types: no namespace types given");
}

// One id map, or bad_id_map (exit 123) with the option named.
std::vector<ns::id_range> id_map(const char* option, const std::string& text)
{
    try {
        return ns::parse_id_map(text);
    } catch (const std::system_error& e) { // its ": strerror" added again by the new one: once
        throw std::system_error(e.code(), std::string(option) + ": " + nskit::tools::nsrun::reason(e));
    }
}

// --user [MAP], --gid-map MAP: the gid map defaults to the uid map.
ns::user_options user_from(const arguments& a)
{
    ns::user_options u;
    if (!a.user.empty())
        u.uid_map = id_map("--user", a.user);
    if (!a.gid_map.empty())
        u.gid_map = id_map("--gid-map", a.gid_map);
    else if (!a.user.empty())
        u.gid_map = u.uid_map;
    return u;
}

ns::options options_from(const arguments& a)
{
    ns::options o;
    o.mount = a.given("mount");
    if (a.given("tmp"))
        o.tmp = nskit::tools::nsrun::tmp_options_from(a.tmp);
    o.pid = a.given("pid");
    o.proc = !a.given("no-proc");
    o.net = a.given("net");
    if (a.given("veth")) {
        o.veth = veth_from(a.veth, a.given("addr") ? &a.addr : nullptr, a.given("peer-addr") ? &a.peer_addr : nullptr);
        o.veth->routes = !a.given("no-routes");
    } else if (a.given("addr") || a.given("peer-addr")) {
        throw usage_error("--addr/--peer-addr need --veth NAME[:PEER]");
    }
    o.ipc = a.given("ipc");
    o.sysvsem = a.given("sysvsem");
    o.uts = a.given("uts");
    o.hostname = a.uts;
    o.domainname = a.domainname;
    if (a.given("user") || a.given("gid-map"))
        o.user = user_from(a);
    o.cgroup = a.given("cgroup");
    o.time = a.given("time");
    if (a.given("monotonic"))
        o.monotonic_offset = seconds_offset("--monotonic", a.monotonic, CLOCK_MONOTONIC);
    if (a.given("boottime"))
        o.boottime_offset = seconds_offset("--boottime", a.boottime, CLOCK_BOOTTIME);
    o.kill_child = !a.given("no-kill-child");
    if (a.given("kill-child"))
        o.kill_signal = signal_number(a.kill_child);
    o.kill_grace = std::chrono::milliseconds(whole_number("--grace", a.grace, 0, 86400000));
    o.die_with_parent = a.given("die-with-parent");
    o.new_session = !a.given("same-session");
    nsrun::view_options_from(a.ordered, o);
    if (o.view.new_root())
        o.proc = false; // a new root has the /proc its view mounts (--proc DEST), as bwrap's
    return o;
}

// The command line as arguments and options; an exit status when nsrun is
// done already (--help, --version, a usage error), nullopt to go on.
std::optional<int> read_arguments(int argc, char** argv, arguments& a, ns::options& o)
{
    po::options_description desc(usage), view(
        "Filesystem view, environment, limits (bwrap's options, applied in command-line order; in nsrun's own\n"
        "view, privately, unless --root, --fresh-root or a step on / makes a new root)");
    add_options(desc, a);
    nsrun::add_view_options(view);
    desc.add(view);
    try {
        parse_command_line(argc, argv, desc, a);
        if (a.given("help")) {
            std::cout << desc << exit_statuses;
            return 0;
        }
        if (a.given("version")) {
            std::cout << version << "\n";
            return 0;
        }
        check_modes(a);
        o = options_from(a);
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
    return std::nullopt;
}

// --cgroup-dir: the directory fd for CLONE_INTO_CGROUP, or an empty fd
// after saying why, with the status: a path that is no directory is a bad
// value (120), a refusal or a resource shortage a setup failure.
nskit::unique_fd open_cgroup_dir(const std::string& dir, int& status)
{
    nskit::unique_fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) {
        const int e = errno; // before the stream can change it
        std::cerr << "nsrun: --cgroup-dir " << dir << ": open: " << std::system_category().message(e) << "\n";
        status = (e == ENOENT || e == ENOTDIR) ? exit_usage
                 : (e == EPERM || e == EACCES) ? exit_permission
                                               : exit_setup;
    }
    return fd;
}

// --enter: this process joins PID's namespaces; the program is then forked
// with no new ones, so it lands in an entered PID namespace too.  An exit
// status on failure, nullopt to go on.
std::optional<int> enter(const arguments& a, ns::options& o)
{
    std::error_code ec;
    ns::enter_options eo;
    if (!a.enter_types.empty()) {
        eo.types = nskit::sys::parse_clone_flags(a.enter_types, ec);
        if (ec || eo.types.namespaces() != eo.types) {
            std::cerr << "nsrun: --types: '" << a.enter_types << "' is not a list of namespace types\n";
            return exit_usage;
        }
    }
    if (!a.chdir_to.empty())
        eo.follow_root_and_cwd = true;
    ns::enter_pid(a.enter_pid, eo, ec);
    if (ec) {
        std::cerr << "nsrun: enter " << a.enter_pid << ": "
                  << (ec == std::errc::no_such_process ? std::string("the process has exited") : one_line(ec))
                  << "\n";
        return ec == std::errc::no_such_process ? exit_enter
                                                : (failure_exit(ec) == exit_setup ? exit_enter : failure_exit(ec));
    }
    ns::options entered;
    entered.env = std::move(o.env);
    entered.rlimits = std::move(o.rlimits);
    o = std::move(entered);
    o.kill_child = !a.given("no-kill-child");
    o.new_session = !a.given("same-session");
    return std::nullopt;
}

// PROGRAM started and supervised: its shell status, or nsrun's own failure's.
int spawn_and_supervise(const arguments& a, const ns::options& o)
{
    // Blocked from before the clone (the child unblocks them): a signal that
    // arrives before supervise() is forwarded, not fatal to nsrun.
    const sigset_t forwarded = ns::forwarded_signal_set();
    ::pthread_sigmask(SIG_BLOCK, &forwarded, nullptr);
    ns::spawn_options so;
    so.cwd = a.chdir_to;
    so.share_memory_with_init = true; // we always reap it (supervise)
    const auto& program = a.command.front();
    const std::vector<std::string> args(a.command.begin() + 1, a.command.end());
    std::error_code ec;
    auto proc = ns::spawn(program, args, o, so, ec);
    if (ec) {
        std::cerr << "nsrun: " << program << ": " << chdir_context(ec, a.chdir_to) << one_line(ec, o, so) << "\n";
        return failure_exit(ec);
    }
    auto status = proc.supervise(o.kill_child, o.kill_signal, o.kill_grace, ec);
    if (ec) {
        std::cerr << "nsrun: " << program << ": " << ns::explain(ec) << "\n";
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

} // namespace

int main(int argc, char** argv)
{
    arguments a;
    ns::options o;
    if (const auto done = read_arguments(argc, argv, a, o))
        return *done;
    nskit::unique_fd cgroup_fd;
    if (!a.cgroup_dir.empty()) {
        int status = exit_setup;
        cgroup_fd = open_cgroup_dir(a.cgroup_dir, status);
        if (!cgroup_fd)
            return status;
        o.cgroup_fd = cgroup_fd.get();
    }
    (void)::signal(SIGCHLD, SIG_DFL); // cannot fail for SIGCHLD with SIG_DFL
    if (a.given("enter"))
        if (const auto failed = enter(a, o))
            return *failed;
    return spawn_and_supervise(a, o);
}
