// nscmp — what do two processes share?  Namespaces, kernel resources
// (kcmp), open files and epoll targets; or, with --group, the classes of
// processes sharing each resource.  Exit status like cmp(1): 0 everything
// compared is shared, 1 something differs, 2 trouble (bad input, or nothing
// could be compared).
#include "cli.hpp"
#include "text.hpp"
#include "views_run.hpp"

#include <cstdio>
#include <nskit/inspect/process.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>

namespace po = boost::program_options;
namespace tools = nskit::tools;
namespace insp = nskit::inspect;
using tools::fail;

namespace {

void describe_options(po::options_description& d)
{
    d.add_options()
        ("json,J", "JSON output (not with --raw or --noheadings)")
        ("raw,r", "raw output (no column alignment)")
        ("noheadings,n", "no header line")
        ("output,o", po::value<std::string>(), "columns to print (see below)")
        ("type,t", po::value<std::string>(),
         "compare only these, comma-separated: namespace types (mnt,uts,ipc,net,pid,user,cgroup,time), "
         "resources (vm,files,fs,sighand,io,sysvsem), fds (shared open files), epoll")
        ("quiet,q", "print nothing; only the exit status")
        ("group,g", "group processes by the resources they share")
        ("resource,R", po::value<std::string>()->default_value("all"),
         "with --group: vm|files|fs|sighand|io|sysvsem|file|all (comma-separated list allowed)")
        ("all,a", "with --group: every process in /proc (not kernel threads, not nscmp itself)")
        ("shared,s", "with --group: only classes of two or more processes")
        ("help,h", "show this help")
        ("version,V", "show the version");
}

std::string column_help(const std::vector<tools::column_def>& cols, const char* defaults)
{
    std::string s;
    for (const auto& c : cols) {
        const std::string name(c.name);
        s += "  " + name + std::string(name.size() < 10 ? 10 - name.size() : 1, ' ') + c.help + "\n";
    }
    return s + "  default: " + defaults + "\n";
}

void print_help(const po::options_description& opts)
{
    std::cout << "Usage:\n"
                 "  nscmp [options] PID1 PID2\n"
                 "  nscmp --group [--resource LIST] [options] (PID... | --all)\n\n"
                 "What two processes share: namespaces (same, different, or parent/child/ancestor/\n"
                 "descendant in the pid and user namespace trees), kernel resources compared with\n"
                 "kcmp(2), open file descriptions and epoll targets.  With --group: classes of\n"
                 "processes sharing each resource, found by sorting with kcmp (N log N calls).\n\n"
              << opts << "\nColumns (compare):\n" << column_help(nscmp::compare_columns(), nscmp::default_compare_columns)
              << "\nColumns (--group):\n" << column_help(nscmp::group_columns(), nscmp::default_group_columns)
              << "\nExit status: 0 everything compared is shared, 1 something differs, 2 trouble.\n"
                 "See nscmp(1).\n";
}

std::vector<std::size_t> columns(const po::variables_map& vm, const std::vector<tools::column_def>& all,
                                 const char* defaults)
{
    std::vector<std::string_view> names;
    for (const auto& c : all)
        names.emplace_back(c.name);
    const std::string asked = vm.count("output") ? vm["output"].as<std::string>() : "";
    if (vm.count("output") && tools::split_list(asked).empty())
        fail("-o: no columns given");
    return tools::pick_column_indices(names, defaults, asked);
}

std::vector<std::string> resources(const std::string& list)
{
    std::vector<std::string> out;
    for (const auto& r : tools::split_list(list)) {
        const std::string n = tools::lower(r);
        if (n == "all") {
            for (auto t : insp::kcmp_resources())
                out.emplace_back(nskit::sys::to_string(t));
            out.emplace_back("file");
        } else if (n == "file" || insp::kcmp_resource_from_name(n)) {
            out.push_back(n);
        } else {
            fail("--resource: unknown resource '" + r + "' (vm, files, fs, sighand, io, sysvsem, file, all)");
        }
    }
    if (out.empty())
        fail("--resource: nothing given");
    return out;
}

// --all: every process but kernel threads (their NULL mm/files would all
// compare equal) and nscmp itself.
std::vector<pid_t> all_processes()
{
    std::error_code ec;
    auto pids = insp::list_pids(true, ec);
    if (ec)
        fail("cannot read /proc: " + ec.message() + " (is procfs mounted?)");
    std::erase(pids, ::getpid());
    return pids;
}

void raise_fd_limit()
{
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max; // one pidfd per process while grouping
        ::setrlimit(RLIMIT_NOFILE, &rl);
    }
}

void compare_types(const std::string& list, insp::compare_options& o)
{
    o.namespaces.clear();
    o.resources.clear();
    o.shared_fds = o.epoll = false;
    for (const auto& name : tools::split_list(list)) {
        const std::string n = tools::lower(name);
        if (n == "fds")
            o.shared_fds = true;
        else if (n == "epoll")
            o.epoll = true;
        else if (auto r = insp::kcmp_resource_from_name(n))
            o.resources.push_back(*r);
        else if (auto t = nskit::sys::ns_type_from_name(n))
            o.namespaces.push_back(*t);
        else
            fail("--type: unknown type '" + name +
                 "' (mnt, uts, ipc, net, pid, user, cgroup, time, vm, files, fs, sighand, io, sysvsem, fds, epoll)");
    }
    if (o.namespaces.empty() && o.resources.empty() && !o.shared_fds && !o.epoll)
        fail("--type: nothing given");
}

int group_mode(const po::variables_map& vm, std::vector<pid_t> pids, const tools::output_style& style)
{
    if (vm.count("type"))
        fail("--type applies to comparing two processes, not to --group (use --resource)");
    nscmp::group_request q{resources(vm["resource"].as<std::string>()),
                           columns(vm, nscmp::group_columns(), nscmp::default_group_columns), style,
                           vm.count("quiet") != 0, vm.count("shared") != 0};
    if (vm.count("all") && !pids.empty())
        fail("--all and a list of pids exclude each other");
    if (vm.count("all"))
        pids = all_processes();
    else if (pids.empty())
        fail("--group needs process ids or --all");
    raise_fd_limit();
    return nscmp::run_group(pids, q);
}

int compare_mode(const po::variables_map& vm, const std::vector<pid_t>& pids, const tools::output_style& style)
{
    for (const char* o : {"all", "shared"})
        if (vm.count(o))
            fail(std::string("--") + o + " applies only to --group");
    if (!vm["resource"].defaulted())
        fail("--resource applies only to --group (use --type to restrict a comparison)");
    if (pids.size() != 2)
        fail("expected two process ids, got " + std::to_string(pids.size()) + " (see --help)");
    nscmp::compare_request q;
    q.style = style;
    q.quiet = vm.count("quiet") != 0;
    q.columns = columns(vm, nscmp::compare_columns(), nscmp::default_compare_columns);
    if (vm.count("type"))
        compare_types(vm["type"].as<std::string>(), q.options);
    return nscmp::run_compare(pids[0], pids[1], q);
}

int nscmp_main(int argc, char** argv)
{
    po::options_description opts("Options");
    describe_options(opts);
    po::options_description all;
    all.add(opts).add_options()("pid", po::value<std::vector<std::string>>());
    po::positional_options_description pos;
    pos.add("pid", -1);
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(tools::normalize_args(argc, argv, all)).options(all).positional(pos).run(), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        fail(std::string(e.what()) + " (see --help)");
    }
    if (vm.count("help")) {
        print_help(opts);
        return 0;
    }
    if (vm.count("version")) {
        std::cout << tools::version_line("nscmp") << '\n';
        return 0;
    }
    std::vector<pid_t> pids;
    for (const auto& s : vm.count("pid") ? vm["pid"].as<std::vector<std::string>>() : std::vector<std::string>{}) {
        std::string msg;
        if (!tools::parse_pid_arg(s, pids.emplace_back(), msg))
            fail(msg);
    }
    const tools::output_style style{vm.count("json") != 0, vm.count("raw") != 0, vm.count("noheadings") != 0};
    tools::check_style(style);
    return vm.count("group") ? group_mode(vm, pids, style) : compare_mode(vm, pids, style);
}

} // namespace

int main(int argc, char** argv)
{
    try {
        const int status = nscmp_main(argc, argv);
        // A failed write would leave a shorter answer under a success status
        if (std::fflush(stdout) != 0 || std::ferror(stdout) != 0 || !std::cout.flush()) {
            std::cerr << "nscmp: write error on standard output\n";
            return nscmp::exit_trouble;
        }
        return status;
    } catch (const tools::usage_error& e) {
        std::cerr << "nscmp: " << e.text << '\n';
    } catch (const std::exception& e) {
        std::cerr << "nscmp: " << e.what() << '\n';
    }
    return nscmp::exit_trouble;
}
