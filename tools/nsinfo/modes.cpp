#include "modes.hpp"

#include "cli.hpp"
#include "columns.hpp"
#include "text.hpp"

#include <nskit/sys/error.hpp>

#include <algorithm>
#include <functional>
#include <iostream>
#include <set>

namespace nsinfo {
namespace {

using nskit::sys::ns_type;
namespace json = boost::json;

constexpr const char* pid_columns_one = "TYPE,NS,INODE,ISOLATED,ONS,OUID,OUSER,PNS,NPROCS,PID,COMMAND,NSPID";
constexpr const char* pid_columns_many = "TARGET,TYPE,NS,INODE,ISOLATED,ONS,OUID,OUSER,PNS,NPROCS,PID,COMMAND,NSPID";

std::set<ns_type> parse_types(const std::string& text)
{
    std::set<ns_type> types;
    for (const auto& name : tools::split_list(text)) {
        auto t = nskit::sys::ns_type_from_name(name);
        if (!t)
            tools::fail("unknown namespace type '" + name + "' (mnt, uts, ipc, net, pid, user, cgroup, time)");
        types.insert(*t);
    }
    return types;
}

struct plan {
    std::set<ns_type> types;
    std::vector<const column*> cols;
    std::vector<nskit::sys::pidref> targets;
    int status = exit_ok;
    bool type_ok(ns_type t) const { return types.empty() || types.count(t) != 0; }
    bool shows(std::string_view name) const
    {
        return std::any_of(cols.begin(), cols.end(), [&](const column* c) { return name == c->name; });
    }
};

// Validate every pid before any work; keep the good ones, held by pidfd.
void open_targets(const request& q, plan& p)
{
    for (const auto& a : q.pid_args) {
        pid_t pid = 0;
        std::string msg;
        std::error_code ec;
        if (tools::parse_pid_arg(a, pid, msg)) {
            auto lp = nskit::sys::pidref::open(pid, ec);
            if (!ec) {
                p.targets.push_back(std::move(lp));
                continue;
            }
            msg = "process " + std::to_string(pid) + ": " +
                  (ec == std::errc::no_such_process ? "no such process" : nskit::describe(ec, nskit::op_kind::pidfd, "pidfd_open"));
        }
        std::cerr << "nsinfo: " << msg << '\n';
        p.status = exit_error;
    }
    if (q.pid_args.empty()) {
        std::error_code ec;
        p.targets.push_back(nskit::sys::pidref::open(::getpid(), ec));
    }
}

void pick(const request& q, plan& p)
{
    using R = request::mode;
    const bool many = q.pid_args.size() > 1;
    const char* defaults = q.what == R::why    ? "KIND,PID,TID,FD,COMMAND,MNTNS,PATH,NS,TYPE"
                           : q.what == R::all  ? "NS,TYPE,NPROCS,PID,USER,COMMAND,HELD"
                           : q.what == R::tree ? "NS,TYPE,NPROCS,PID,COMMAND,OUID,HELD"
                           : many              ? pid_columns_many
                                               : pid_columns_one;
    p.cols = tools::pick_columns(q.what == R::why ? why_columns() : ns_columns(), defaults, q.output, q.output_all);
}

// The scan reads only what the columns need.
in::scan_options scan_for(const request& q, const plan& p)
{
    using R = request::mode;
    in::scan_options so;
    so.threads = q.threads;
    so.details = q.what == R::why; // other modes show only each namespace's lowest-pid process
    so.netnsid = q.what != R::why && p.shows("NETNSID");
    if (q.what != R::pids)
        return so;
    const bool held = p.shows("HELD"), path = p.shows("PATH");
    so.fds = so.sockets = held || path;
    so.mounts = held || path || p.shows("NSFS");
    so.targets = p.targets;
    // Columns about one process's namespaces need no system-wide scan.
    bool all = so.mounts || so.fds;
    for (const char* c : {"NPROCS", "NTHREADS", "PID", "PPID", "COMMAND", "UID", "USER"})
        all = all || p.shows(c);
    if (!all)
        so.targets_only = true;
    return so;
}

// Says so (stderr; JSON "partial" and "missing") when something could not be read.
bool report_gaps(const in::snapshot& s, tools::output& out)
{
    out.set("partial", s.partial());
    if (!s.partial())
        return false;
    json::array missing;
    for (const auto& g : s.gaps) {
        std::string why = g.error.message();
        if (!why.empty())
            why[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(why[0])));
        std::cerr << "nsinfo: partial result: " << to_string(g.kind) << " of " << g.count
                  << (g.count == 1 ? " process" : " processes") << " not readable (" << why << ", pid "
                  << g.first_pid << "): what only they would show may be missing\n";
        missing.push_back(json::object{{"what", std::string(to_string(g.kind))},
                                       {"processes", g.count},
                                       {"first-pid", g.first_pid},
                                       {"reason", tools::json_text(why)}});
    }
    out.set("missing", std::move(missing));
    return true;
}

bool lost(const in::snapshot& s, pid_t pid, std::error_code& why)
{
    for (const auto& l : s.lost_targets)
        if (l.pid == pid) {
            why = l.error;
            return true;
        }
    return false;
}

void show_pids(context& ctx, const plan& p, tools::output& out, int& status)
{
    for (std::size_t i = 0; i < p.targets.size(); ++i) {
        const auto& t = p.targets[i];
        std::error_code why;
        const std::size_t at = i < ctx.snap.targets.size() ? ctx.snap.targets[i] : in::snapshot::npos;
        const auto* proc = at == in::snapshot::npos ? nullptr : &ctx.snap.processes[at];
        if (lost(ctx.snap, t.pid(), why) || !proc) {
            std::cerr << "nsinfo: process " << t.pid() << ": "
                      << (why && why != std::errc::no_such_process
                              ? "could not be checked against its pidfd: " + why.message()
                              : std::string("exited before it could be read (its pid may name another process now)"))
                      << '\n';
            status = exit_error;
            continue;
        }
        for (std::size_t k = 0; k < in::process_info::entry_count; ++k) {
            const ns_type ty = k < nskit::sys::ns_type_count ? nskit::sys::ns_types()[k].type
                               : k == in::process_info::pid_for_children_entry ? ns_type::pid
                                                                               : ns_type::time;
            if (!p.type_ok(ty))
                continue;
            row r;
            r.target = proc;
            r.entry = k;
            r.ns = k < nskit::sys::ns_type_count ? proc->ns[k]
                   : k == in::process_info::pid_for_children_entry ? proc->pid_for_children
                                                                   : proc->time_for_children;
            r.error = proc->ns_errors[k];
            out.add(cells(ctx, p.cols, r));
        }
    }
}

void show_all(context& ctx, const plan& p, tools::output& out)
{
    const auto& ns = ctx.snap.namespaces;
    std::vector<std::size_t> order(ns.size());
    for (std::size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return std::tie(ns[a].identity.id, ns[a].identity.inode.ino) < std::tie(ns[b].identity.id, ns[b].identity.inode.ino);
    });
    for (std::size_t i : order)
        if (p.type_ok(ns[i].type)) {
            row r;
            r.ns = i;
            out.add(cells(ctx, p.cols, r));
        }
}

void show_tree(context& ctx, const plan& p, bool by_owner, tools::output& out)
{
    const auto& ns = ctx.snap.namespaces;
    // Children of each node: owner tree = owned namespaces; parent tree = pid/user children.
    std::vector<std::vector<std::size_t>> kids(ns.size());
    std::vector<std::size_t> roots;
    for (std::size_t i = 0; i < ns.size(); ++i) {
        const auto& n = ns[i];
        const bool hierarchical = n.type == ns_type::pid || n.type == ns_type::user;
        if ((!by_owner && !hierarchical) || !(p.type_ok(n.type) || (by_owner && n.type == ns_type::user)))
            continue;
        const auto& up = by_owner ? n.owner : n.parent;
        (up.value ? kids[*up.value] : roots).push_back(i);
    }
    std::function<void(std::size_t, tools::output::row)> add = [&](std::size_t i, tools::output::row parent) {
        row r;
        r.ns = i;
        const auto line = out.add(cells(ctx, p.cols, r), parent);
        auto& k = kids[i];
        // child user namespaces last, so what a namespace owns reads first
        std::stable_sort(k.begin(), k.end(),
                         [&](std::size_t a, std::size_t b) { return (ns[a].type == ns_type::user) < (ns[b].type == ns_type::user); });
        for (std::size_t c : k)
            add(c, line);
    };
    for (std::size_t r : roots)
        add(r, tools::output::no_parent);
}

int show_why(context& ctx, const plan& p, const std::string& spec, tools::output& out)
{
    std::error_code ec;
    const std::size_t i = in::find_namespace(ctx.snap, spec, ec);
    if (ec) {
        std::cerr << "nsinfo: --why '" << spec << "': "
                  << (ec == std::errc::invalid_argument ? "not a namespace (give an id, an inode, TYPE:[INODE] or a path)"
                      : ec == std::errc::no_such_file_or_directory && spec.find('/') == std::string::npos
                          ? "no such namespace (give an id, an inode, TYPE:[INODE] or a path)"
                          : nskit::describe(ec, nskit::op_kind::namespace_open, "open"))
                  << '\n';
        return exit_error;
    }
    for (const auto& ref : in::why_alive(ctx.snap, i)) {
        row r;
        r.ns = i;
        r.ref = &ref;
        out.add(cells(ctx, p.cols, r));
    }
    return exit_ok;
}

} // namespace

int run(const request& q)
{
    using R = request::mode;
    tools::check_style(q.style);
    if (q.what == R::tree && q.tree != "owner" && q.tree != "parent")
        tools::fail("--tree takes 'owner' or 'parent', not '" + q.tree + "'");
    plan p;
    p.types = parse_types(q.types);
    pick(q, p); // a bad -o is a usage error before any work
    if (q.what == R::pids) {
        open_targets(q, p);
        if (p.targets.empty())
            return p.status;
    }
    std::error_code ec;
    const in::snapshot snap = in::scan(scan_for(q, p), ec);
    if (ec) {
        std::cerr << "nsinfo: "
                  << (ec == nskit::error::proc_not_mounted ? "/proc is not mounted (procfs needed): mount -t proc proc /proc"
                                                           : nskit::describe(ec, nskit::op_kind::proc_read, "scan(/proc)"))
                  << '\n';
        return exit_error;
    }
    context ctx{snap};
    tools::output out(q.what == R::why ? "references" : "namespaces", tools::definitions(p.cols), q.style,
                      q.what == R::tree);
    int status = p.status;
    switch (q.what) {
    case R::pids: show_pids(ctx, p, out, status); break;
    case R::all: show_all(ctx, p, out); break;
    case R::tree: show_tree(ctx, p, q.tree == "owner", out); break;
    case R::why: status = show_why(ctx, p, q.why, out); break;
    }
    if (status == exit_error && out.empty())
        return status;
    const bool partial = report_gaps(snap, out);
    out.print(std::cout);
    return status != exit_ok ? status : partial ? exit_partial : exit_ok;
}

void list_columns(const nskit::tools::output_style& style)
{
    tools::check_style(style);
    tools::print_column_list({{"namespaces", tools::definitions(tools::pick_columns(ns_columns(), "", "", true))},
                              {"why", tools::definitions(tools::pick_columns(why_columns(), "", "", true))}},
                             style, std::cout);
}

} // namespace nsinfo
