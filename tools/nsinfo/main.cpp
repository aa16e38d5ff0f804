// nsinfo — which namespaces is a process in, who else is in them, who owns
// them, how they relate, and why a namespace is still alive.
// Thin: options -> nskit::inspect::scan -> tools/common output.
#include "cli.hpp"
#include "modes.hpp"

#include <iostream>

namespace po = boost::program_options;
using nsinfo::request;

namespace {

const char* const usage = "Usage: nsinfo [options] [PID...]\n"
                          "       nsinfo --all [-t TYPE]\n"
                          "       nsinfo --tree[=owner|parent]\n"
                          "       nsinfo --why NS\n\n"
                          "Show the namespaces of processes (default: nsinfo's own, i.e. the caller's), every namespace\n"
                          "on the system, how they relate, and what keeps them alive.\n\n";

void describe_options(po::options_description& d, request& q)
{
    d.add_options()
        ("help,h", "show this help and exit")
        ("version,V", "show the version and exit")
        ("all,a", "every namespace on the machine, as lsns lists them, including those held only by fds, bind mounts "
                  "or sockets")
        ("type,t", po::value(&q.types), "only namespaces of these types (comma list: mnt,uts,ipc,net,pid,user,cgroup,time)")
        ("task,p", po::value(&q.pid_args)->composing(), "process to describe (same as a PID argument)")
        ("tree,T", po::value(&q.tree)->implicit_value("owner"), "tree: 'owner' (user namespaces and what they own) "
                                                               "or 'parent' (PID and user namespace hierarchy)")
        ("why", po::value(&q.why), "every reference holding namespace NS alive (id, inode, TYPE:[INODE] or path)")
        ("threads", po::bool_switch(&q.threads), "also look at threads (/proc/PID/task/TID/ns)")
        ("json,J", po::bool_switch(&q.style.json), "JSON output (not with --raw or --noheadings)")
        ("raw,r", po::bool_switch(&q.style.raw), "raw output (no alignment)")
        ("noheadings,n", po::bool_switch(&q.style.noheadings), "no header line")
        ("output,o", po::value(&q.output), "columns to show (comma list; '+LIST' adds to the defaults)")
        ("output-all", po::bool_switch(&q.output_all), "all columns")
        ("list-columns,H", "list the columns and exit")
        ("notruncate,u", po::bool_switch(&q.style.notruncate), "do not truncate text in columns")
        ("nowrap,W", po::bool_switch(&q.style.nowrap), "do not wrap multi-line cells")
        ("list,l", "list format (the default; accepted for lsns compatibility)");
}

int nsinfo_main(int argc, char** argv)
{
    request q;
    po::options_description visible("Options");
    describe_options(visible, q);
    po::options_description all;
    all.add(visible).add_options()("pid", po::value(&q.pid_args)->composing());
    po::positional_options_description pos;
    pos.add("pid", -1);
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(nskit::tools::normalize_args(argc, argv, all)).options(all).positional(pos).run(), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        nskit::tools::fail(e.what());
    }
    if (vm.count("help")) {
        std::cout << usage << visible << "\nSee nsinfo(1).\n";
        return 0;
    }
    if (vm.count("version")) {
        std::cout << nskit::tools::version_line("nsinfo") << '\n';
        return 0;
    }
    if (vm.count("list-columns")) {
        nsinfo::list_columns(q.style);
        return 0;
    }
    const int modes = int(vm.count("all")) + int(vm.count("why")) + int(vm.count("tree"));
    if (modes > 1)
        nskit::tools::fail("--all, --tree and --why do not combine");
    q.what = vm.count("all") ? request::mode::all : vm.count("why") ? request::mode::why
             : vm.count("tree")                    ? request::mode::tree
                                                   : request::mode::pids;
    if (q.what != request::mode::pids && !q.pid_args.empty())
        nskit::tools::fail("PID arguments do not combine with --all, --tree or --why");
    return nsinfo::run(q);
}

} // namespace

int main(int argc, char** argv)
try {
    return nsinfo_main(argc, argv);
} catch (const nskit::tools::usage_error& e) {
    std::cerr << "nsinfo: " << e.text << "\nTry 'nsinfo --help' for more information.\n";
    return nsinfo::exit_usage;
} catch (const std::exception& e) {
    std::cerr << "nsinfo: " << e.what() << '\n';
    return nsinfo::exit_error;
}
