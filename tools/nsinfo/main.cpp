// nsinfo — which namespaces is a process in, who else is in them, who owns
// them, how they relate, and why a namespace is still alive.  Invoked as
// `lsns` (a symlink) or with --lsns, it is util-linux's lsns: its options,
// default columns, order, output and exit statuses.
// Thin: options -> nskit::inspect::scan -> tools/common output.
#include "cli.hpp"
#include "modes.hpp"

#include <cstdio>
#include <clocale>
#include <cstring>
#include <iostream>

namespace po = boost::program_options;
using nsinfo::request;

namespace {

const char* const usage = "Usage: nsinfo [options] [PID...]\n"
                          "       nsinfo --all [-t TYPE] [-P] [-Q EXPR]\n"
                          "       nsinfo --tree[=owner|parent|process]\n"
                          "       nsinfo --why NS\n"
                          "       nsinfo --mounts PID|PATH\n"
                          "       nsinfo --lsns [lsns options] [NS]   (also: invoked as lsns)\n\n"
                          "Show the namespaces of processes (default: nsinfo's own, i.e. the caller's), every namespace\n"
                          "on the system, how they relate, and what keeps them alive.\n\n";
const char* const lsns_usage = "\nUsage:\n lsns [options] [<namespace ID>]\n\nList system namespaces.\n\n";

// The options lsns has, with its meaning; nsinfo's own come on top.
void common_options(po::options_description& d, request& q)
{
    d.add_options()
        ("help,h", "show this help and exit")
        ("version,V", "show the version and exit")
        ("json,J", po::bool_switch(&q.style.json), "JSON output")
        ("list,l", po::bool_switch(&q.force_list), "list format output (not a tree)")
        ("noheadings,n", po::bool_switch(&q.style.noheadings), "no header line")
        ("output,o", po::value(&q.output), "columns to show (comma list; '+LIST' adds to the defaults)")
        ("output-all", po::bool_switch(&q.output_all), "all columns")
        ("persistent,P", po::bool_switch(&q.persistent), "only namespaces without processes")
        ("filter,Q", po::value(&q.filter), "only rows matching EXPR (scols-filter(5): NPROCS > 1 && USER != \"root\")")
        ("raw,r", po::bool_switch(&q.style.raw), "raw output (no alignment)")
        ("notruncate,u", po::bool_switch(&q.style.notruncate), "do not truncate text in columns")
        ("nowrap,W", po::bool_switch(&q.style.nowrap), "do not use multi-line text in columns")
        ("type,t", po::value(&q.types)->composing(), "only namespaces of these types (mnt,net,ipc,user,pid,uts,cgroup,time)")
        ("tree,T", po::value(&q.tree)->implicit_value("owner"), "tree: owner (default), parent or process")
        ("list-columns,H", "list the columns and exit");
}

void nsinfo_options(po::options_description& d, request& q)
{
    common_options(d, q);
    d.add_options()
        ("all,a", "every namespace on the machine, including those held only by fds, bind mounts or sockets")
        ("task,p", po::value(&q.pid_args)->composing(), "process to describe (same as a PID argument)")
        ("why", po::value(&q.why), "every reference holding namespace NS alive (inode, TYPE:[INODE], :NSID or path)")
        ("threads", po::bool_switch(&q.threads), "also look at threads (/proc/PID/task/TID/ns)")
        ("mounts", po::value(&q.mounts), "the mounts of mount namespace TARGET (a PID or a path), from listmount/statmount")
        ("caps", "--caps PID NS: may PID act on namespace NS (its capabilities in NS's owning user namespace, and the rule)")
        ("lsns", "behave as util-linux's lsns (its options, columns, order and exit statuses)");
}

void lsns_options(po::options_description& d, request& q)
{
    common_options(d, q);
    d.add_options()("task,p", po::value(&q.lsns_task), "print process namespaces")("lsns", "(accepted)");
}

bool invoked_as_lsns(int argc, char** argv)
{
    const char* base = std::strrchr(argv[0], '/');
    if (std::strcmp(base ? base + 1 : argv[0], "lsns") == 0)
        return true;
    for (int i = 1; i < argc && std::strcmp(argv[i], "--") != 0; ++i)
        if (std::strcmp(argv[i], "--lsns") == 0)
            return true;
    return false;
}

// lsns's rules on top of the parsed options (sys-utils/lsns.c main()).
void lsns_request(request& q, const po::variables_map& vm, const std::vector<std::string>& positional)
{
    q.what = request::mode::lsns;
    if (q.style.json && q.style.raw)
        nskit::tools::fail("mutually exclusive arguments: --json --raw");
    if (q.persistent && !q.lsns_task.empty())
        nskit::tools::fail("mutually exclusive arguments: --persistent --task");
    if (q.force_list && vm.count("tree"))
        nskit::tools::fail("mutually exclusive arguments: --list --tree");
    if (positional.size() > 1)
        nskit::tools::fail("unexpected argument: '" + positional[1] + "'");
    if (!positional.empty()) {
        if (!q.lsns_task.empty())
            nskit::tools::fail("--task is mutually exclusive with <namespace>");
        q.lsns_namespace = positional[0];
    }
    q.tree_given = vm.count("tree") != 0;
    if (!q.tree.empty() && q.tree.front() == '=')
        q.tree.erase(0, 1);
    if (q.tree != "owner" && q.tree != "parent" && q.tree != "process")
        nskit::tools::fail("unknown tree type: " + q.tree);
    // lsns's default view is the process tree, unless -l or --output-all
    if (!q.tree_given && !q.force_list && !q.output_all) {
        q.tree = "process";
        q.tree_given = true;
    }
    if (q.style.raw)
        q.style.nowrap = true; // lsns -r: NSFS on one line too
}

void nsinfo_request(request& q, const po::variables_map& vm)
{
    const int modes = int(vm.count("all")) + int(vm.count("why")) + int(vm.count("tree")) + int(vm.count("caps"));
    if (modes > 1)
        nskit::tools::fail("--all, --tree, --why and --caps do not combine");
    if (vm.count("mounts")) {
        if (modes > 0 || !q.pid_args.empty())
            nskit::tools::fail("--mounts takes one TARGET and combines only with -J, -l, -o, -n, -r, -u");
        return;
    }
    if (vm.count("caps")) {
        if (q.pid_args.size() != 2)
            nskit::tools::fail("--caps takes a PID and a namespace (--caps PID NS)");
        q.what = request::mode::caps;
        q.why = q.pid_args[1];
        q.pid_args.resize(1);
        return;
    }
    q.what = vm.count("all") ? request::mode::all : vm.count("why") ? request::mode::why
             : vm.count("tree")                    ? request::mode::tree
                                                   : request::mode::pids;
    if (q.what != request::mode::pids && !q.pid_args.empty())
        nskit::tools::fail("PID arguments do not combine with --all, --tree or --why");
    if ((q.persistent || q.filter_given) && q.what == request::mode::why)
        nskit::tools::fail("--persistent and --filter do not combine with --why");
    if (q.persistent && q.what == request::mode::pids)
        q.what = request::mode::all; // -P alone: the namespaces no process is in
}

int nsinfo_main(int argc, char** argv, bool lsns)
{
    request q;
    std::vector<std::string> positional;
    po::options_description visible("Options");
    (lsns ? lsns_options : nsinfo_options)(visible, q);
    po::options_description all;
    all.add(visible).add_options()("pid", po::value(&positional)->composing());
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
        std::cout << (lsns ? lsns_usage : usage) << visible << (lsns ? "\nSee lsns(8), nsinfo(1).\n" : "\nSee nsinfo(1).\n");
        return 0;
    }
    if (vm.count("version")) {
        std::cout << nskit::tools::version_line(lsns ? "lsns" : "nsinfo") << '\n';
        return 0;
    }
    if (vm.count("list-columns")) {
        nsinfo::list_columns(q.style, lsns);
        return 0;
    }
    q.filter_given = vm.count("filter") != 0;
    if (lsns) {
        lsns_request(q, vm, positional);
    } else {
        q.pid_args.insert(q.pid_args.end(), positional.begin(), positional.end());
        nsinfo_request(q, vm);
    }
    return vm.count("mounts") && !lsns ? nsinfo::run_mounts(q) : nsinfo::run(q);
}

// lsns's words for the errors scripts may match.
std::string lsns_wording(const std::string& text, bool lsns)
{
    const std::string col = "unknown column '";
    if (lsns && text.rfind(col, 0) == 0)
        return "unknown column: " + text.substr(col.size(), text.find('\'', col.size()) - col.size());
    return text;
}

} // namespace

int main(int argc, char** argv)
{
    // as lsns: libsmartcols then cuts and encodes by character, not byte (a failure leaves "C":
    // bytes, as before); no other thread exists yet
    (void)std::setlocale(LC_ALL, ""); // NOLINT(concurrency-mt-unsafe)
    const bool lsns = invoked_as_lsns(argc, argv);
    const char* name = lsns ? "lsns" : "nsinfo";
    try {
        const int status = nsinfo_main(argc, argv, lsns);
        // A failed write would leave a shorter answer under a success status
        if (std::fflush(stdout) != 0 || std::ferror(stdout) != 0 || !std::cout.flush()) {
            std::cerr << name << ": write error on standard output\n";
            return nsinfo::exit_error;
        }
        return status;
    } catch (const nskit::tools::usage_error& e) {
        std::cerr << name << ": " << lsns_wording(e.text, lsns);
        if (!lsns || e.text.find("option") != std::string::npos)
            std::cerr << "\nTry '" << name << " --help' for more information.";
        std::cerr << '\n';
        return lsns ? nsinfo::exit_error : nsinfo::exit_usage;
    } catch (const std::exception& e) {
        std::cerr << name << ": " << e.what() << '\n';
        return nsinfo::exit_error;
    }
}
