#include "modes.hpp"

#include "cli.hpp"
#include "columns.hpp"
#include "plan.hpp"
#include "text.hpp"

#include <nskit/sys/error.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>
#include <functional>
#include <iostream>
#include <set>

namespace nsinfo {
namespace {

using nskit::sys::ns_type;
namespace json = boost::json;

constexpr const char* pid_columns_one = "TYPE,NS,ISOLATED,ONS,OUID,OUSER,PNS,NPROCS,PID,COMMAND,NSPID";
constexpr const char* pid_columns_many = "TARGET,TYPE,NS,ISOLATED,ONS,OUID,OUSER,PNS,NPROCS,PID,COMMAND,NSPID";

std::set<ns_type> parse_types(const std::vector<std::string>& lists, bool lsns)
{
    std::set<ns_type> types;
    for (const auto& list : lists)
        for (const auto& name : tools::split_list(list)) {
            auto t = nskit::sys::ns_type_from_name(name);
            if (!t)
                tools::fail(lsns ? "unknown namespace type: " + name
                                 : "unknown namespace type '" + name + "' (mnt, uts, ipc, net, pid, user, cgroup, time)");
            types.insert(*t);
        }
    return types;
}

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

constexpr const char* lsns_all_columns = "NS,TYPE,PATH,NPROCS,PID,PPID,COMMAND,UID,USER,NETNSID,NSFS,PNS,ONS";

// lsns's defaults: NS,TYPE,NPROCS,PID,USER[,NETNSID,NSFS with -t net],COMMAND;
// for one namespace's processes PID,PPID,USER,COMMAND.
std::string lsns_defaults(const request& q, const plan& p)
{
    if (!q.lsns_namespace.empty())
        return "PID,PPID,USER,COMMAND";
    return p.types.count(ns_type::net) ? "NS,TYPE,NPROCS,PID,USER,NETNSID,NSFS,COMMAND" : "NS,TYPE,NPROCS,PID,USER,COMMAND";
}

void pick(const request& q, plan& p)
{
    using R = request::mode;
    const bool many = q.pid_args.size() > 1;
    const std::string defaults = q.what == R::why    ? "KIND,PID,TID,FD,COMMAND,MNTNS,PATH,NS,TYPE"
                                 : q.what == R::all  ? "NS,TYPE,NPROCS,PID,USER,COMMAND,HELD"
                                 : q.what == R::tree ? "NS,TYPE,NPROCS,PID,COMMAND,OUID,CONTAINER,HELD"
                                 : q.what == R::caps ? "TARGET,NS,TYPE,ONS,CAPS,CAPSRULE"
                                 : q.what == R::lsns ? lsns_defaults(q, p)
                                 : many              ? pid_columns_many
                                                     : pid_columns_one;
    if (q.what == R::lsns && q.output_all) { // lsns's own columns, in its order
        p.cols = tools::pick_columns(ns_columns(), lsns_all_columns, "", false);
        return;
    }
    p.cols = tools::pick_columns(q.what == R::why ? why_columns() : ns_columns(), defaults, q.output, q.output_all);
}

// -Q: parsed and its columns resolved before any work.
void prepare_filter(const request& q, plan& p)
{
    if (!q.filter_given)
        return;
    const bool lsns = q.what == request::mode::lsns;
    try {
        p.filter = tools::filter::parse(q.filter);
    } catch (const tools::filter_syntax_error& e) {
        tools::fail((lsns ? "failed to parse \"" : "--filter '") + q.filter + (lsns ? "\": " : "': ") + "column " +
                    std::to_string(e.column) + ": " + e.what);
    }
    std::string unknown;
    for (const auto& name : p.filter->holders()) {
        const column* found = nullptr;
        for (const auto& c : ns_columns())
            if (tools::upper(name) == c.name)
                found = &c;
        if (!found) {
            unknown += (unknown.empty() ? "" : ", ") + name + " (column " + std::to_string(p.filter->holder_column(name)) + ")";
            continue;
        }
        p.filter_cols.push_back(found);
        p.filter_types.push_back(found->json == tools::json_kind::number ? tools::filter::holder_type::number
                                                                           : tools::filter::holder_type::string);
    }
    if (!unknown.empty())
        tools::fail("--filter: unknown column " + unknown);
}

// The scan reads only what the columns need.
in::scan_options scan_for(const request& q, const plan& p)
{
    using R = request::mode;
    in::scan_options so;
    so.threads = q.threads;
    so.details = q.what == R::why || !q.lsns_namespace.empty(); // else only each namespace's lowest pid
    so.command_lines = p.needs("COMMAND");
    so.netnsid = q.what != R::why && p.needs("NETNSID");
    so.cgroups = p.needs("CONTAINER") || p.needs("UNIT");
    so.credentials = p.needs("CAPS") || p.needs("CAPSRULE");
    // The whole-machine views check against the kernel's list of mount
    // namespaces; lsns's view shows what lsns shows.
    so.kernel_mount_list = q.what == R::all || q.what == R::tree || q.what == R::why;
    // lsns reads no *_for_children link and its list never shows what only
    // they hold; they are read where they still show (`lsns NS` finds such a
    // namespace, HELD and KIND name the reference)
    so.for_children = q.what != R::lsns || !q.lsns_namespace.empty() || p.needs("HELD") || p.needs("KIND");
    if (q.what == R::caps)
        so.targets = p.targets; // the whole system: NS may be any namespace
    if (q.what != R::pids)
        return so;
    const bool held = p.needs("HELD"), path = p.needs("PATH");
    so.fds = so.sockets = held || path;
    so.mounts = held || path || p.needs("NSFS");
    so.targets = p.targets;
    // Columns about one process's namespaces need no system-wide scan.
    bool all = so.mounts || so.fds;
    for (const char* c : {"NPROCS", "NTHREADS", "PID", "PPID", "COMMAND", "STATE", "UID", "USER"})
        all = all || p.needs(c);
    if (!all)
        so.targets_only = true;
    return so;
}

std::string lower_first(std::string why)
{
    if (!why.empty())
        why[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(why[0])));
    return why;
}

std::string kernel_list_reason(const std::error_code& ec)
{
    if (ec == std::errc::inappropriate_io_control_operation)
        return "kernel lacks NS_MNT_GET_NEXT (Linux 6.12)";
    if (ec == std::errc::operation_not_permitted)
        return "operation not permitted: needs CAP_SYS_ADMIN in the initial user and PID namespaces";
    return lower_first(ec.message());
}

// JSON "kernel-mount-list": how the scan compares with the kernel's list of
// mount namespaces; a stderr note when there was none to compare with (a
// failed walk is a gap, said by report_gaps).
void report_kernel_list(const in::snapshot& s, tools::output& out, const request& q)
{
    const auto& k = s.kernel_mount_list;
    if (q.what == request::mode::lsns || (!k.checked && !k.error))
        return;
    if (k.checked) {
        out.set("kernel-mount-list", json::object{{"status", "checked"}, {"listed", k.listed}, {"unseen", k.unseen}});
        return;
    }
    out.set("kernel-mount-list", json::object{{"status", "unknown"}, {"reason", kernel_list_reason(k.error)}});
    if (k.error == std::errc::inappropriate_io_control_operation)
        std::cerr << "nsinfo: note: not checked against the kernel's list of mount namespaces ("
                  << kernel_list_reason(k.error) << "): one that only something nsinfo cannot see holds is not listed\n";
}

// Says so (stderr; JSON "partial" and "missing") when something could not
// be read — or a filter decided on a cell that is unknown.  lsns never does.
bool report_gaps(const in::snapshot& s, tools::output& out, const plan& p, bool lsns)
{
    const bool partial = s.partial() || p.filter_read_unknown;
    out.set("partial", partial);
    if (!partial || lsns)
        return false;
    json::array missing;
    for (const auto& g : s.gaps) {
        const std::string why = lower_first(g.error.message());
        if (g.kind == in::gap_kind::kernel_list) {
            const std::string reason = kernel_list_reason(g.error);
            std::cerr << "nsinfo: partial result: the kernel's list of mount namespaces could not be read (" << reason
                      << "): one that only something nsinfo cannot see holds may be missing\n";
            missing.push_back(json::object{{"what", std::string(to_string(g.kind))}, {"reason", tools::json_text(reason)}});
            continue;
        }
        if (g.kind == in::gap_kind::listing) { // no process to name: the list itself
            std::cerr << "nsinfo: partial result: the /proc listing was cut short (" << why
                      << "): processes after that point may be missing\n";
            missing.push_back(json::object{{"what", "listing"}, {"reason", tools::json_text(why)}});
            continue;
        }
        std::cerr << "nsinfo: partial result: " << to_string(g.kind) << " of " << g.count
                  << (g.count == 1 ? " process" : " processes") << " not readable (" << why << ", pid "
                  << g.first_pid << "): what only they would show may be missing\n";
        missing.push_back(json::object{{"what", std::string(to_string(g.kind))},
                                       {"processes", g.count},
                                       {"first-pid", g.first_pid},
                                       {"reason", tools::json_text(why)}});
    }
    if (p.filter_read_unknown) {
        std::cerr << "nsinfo: partial result: the filter read cells that are unknown (taken as empty)\n";
        missing.push_back(json::object{{"what", "filter"}, {"reason", "a filtered column was unknown for some rows"}});
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

void show_pids(context& ctx, plan& p, tools::output& out, int& status)
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
            emit(ctx, p, out, r);
        }
    }
}

int show_why(context& ctx, plan& p, const std::string& spec, tools::output& out)
{
    std::error_code ec;
    const std::size_t i = in::find_namespace(ctx.snap, spec, ec);
    if (ec) {
        std::cerr << "nsinfo: --why '" << spec << "': "
                  << (ec == std::errc::invalid_argument ? "not a namespace (give an inode, TYPE:[INODE], :NSID or a path)"
                      : ec == std::errc::no_such_file_or_directory && spec.find('/') == std::string::npos
                          ? "no such namespace (give an inode, TYPE:[INODE], :NSID or a path)"
                          : nskit::describe(ec, nskit::op_kind::namespace_open, "open"))
                  << '\n';
        return exit_error;
    }
    bool unseen = false;
    for (const auto& ref : in::why_alive(ctx.snap, i)) {
        row r;
        r.ns = i;
        r.ref = &ref;
        emit(ctx, p, out, r);
        unseen = unseen || ref.kind == in::holder_kind::unseen;
    }
    if (unseen)
        std::cerr << "nsinfo: --why '" << spec << "': held by something nsinfo cannot see: the kernel lists this mount "
                  << "namespace, but no process, fd or bind mount visible here refers to it (an fd in flight over a "
                  << "unix socket, a process outside this /proc, a bind mount in a mount namespace no visible process "
                  << "is in)\n";
    return exit_ok;
}

// --caps PID NS: one row, the process and the namespace.
int show_caps(context& ctx, plan& p, tools::output& out)
{
    std::error_code why;
    const std::size_t at = ctx.snap.targets.empty() ? in::snapshot::npos : ctx.snap.targets[0];
    if (at == in::snapshot::npos || lost(ctx.snap, p.targets[0].pid(), why)) {
        std::cerr << "nsinfo: process " << p.targets[0].pid() << ": exited before it could be read\n";
        return exit_error;
    }
    std::error_code ec;
    const std::size_t ns = in::find_namespace(ctx.snap, p.q.why, ec);
    if (ec) {
        std::cerr << "nsinfo: --caps '" << p.q.why << "': no such namespace (give an inode, TYPE:[INODE], :NSID or a path)\n";
        return exit_error;
    }
    row r;
    r.ns = ns;
    r.target = &ctx.snap.processes[at];
    emit(ctx, p, out, r);
    return exit_ok;
}

tools::output_shape shape_for(const request& q, const plan& p)
{
    tools::output_shape shape;
    const bool lsns = q.what == request::mode::lsns;
    shape.scols_json = shape.unknown_as_empty = lsns;
    auto index_of = [&](std::string_view name) {
        for (std::size_t i = 0; i < p.cols.size(); ++i)
            if (p.cols[i]->name == name)
                return i;
        return tools::output_shape::no_tree;
    };
    if (q.what == request::mode::tree || (lsns && q.tree_given)) {
        if (q.tree == "process")
            shape.tree_column = index_of("COMMAND");
        else
            shape.tree_column = lsns ? index_of("NS") : 0;
    }
    return shape;
}

// The namespace lsns was given (lsns NS): an inode.
std::size_t lsns_namespace(const context& c, const request& q)
{
    std::uint64_t ino = 0;
    const auto& t = q.lsns_namespace;
    if (auto [end, e] = std::from_chars(t.data(), t.data() + t.size(), ino); e != std::errc() || end != t.data() + t.size())
        tools::fail("invalid namespace argument: '" + q.lsns_namespace + "'");
    const std::size_t i = c.snap.find_inode(ino);
    if (i == in::snapshot::npos)
        throw std::runtime_error("not found namespace: " + q.lsns_namespace);
    return i;
}

int show(context& ctx, plan& p, tools::output& out)
{
    using R = request::mode;
    int status = p.status;
    switch (p.q.what) {
    case R::pids: show_pids(ctx, p, out, status); break;
    case R::all: show_list(ctx, p, out); break;
    case R::tree: show_tree(ctx, p, out); break;
    case R::why: status = show_why(ctx, p, p.q.why, out); break;
    case R::caps: status = show_caps(ctx, p, out); break;
    case R::lsns:
        if (!p.q.lsns_namespace.empty())
            show_namespace_processes(ctx, p, lsns_namespace(ctx, p.q), out);
        else if (p.q.tree == "process" || !p.q.tree_given)
            show_list(ctx, p, out); // lsns's list, nested by process when --tree=process
        else
            show_tree(ctx, p, out);
        break;
    }
    return status;
}

std::size_t own_mount_namespace(const in::snapshot& s)
{
    struct stat st{};
    return ::stat("/proc/self/ns/mnt", &st) == 0 ? s.find_inode(st.st_ino) : in::snapshot::npos;
}

} // namespace

bool plan::needs(std::string_view name) const
{
    auto named = [&](const column* c) { return name == c->name; };
    return std::any_of(cols.begin(), cols.end(), named) || std::any_of(filter_cols.begin(), filter_cols.end(), named);
}

bool passes(context& c, plan& p, const row& r)
{
    if (!p.filter)
        return true;
    return p.filter->matches(p.filter_types, [&](std::size_t h) -> std::optional<std::string> {
        const tools::cell cell = p.filter_cols[h]->get(c, r);
        if (cell.unknown()) {
            p.filter_read_unknown = true;
            return std::nullopt;
        }
        if (cell.text.empty())
            return std::nullopt;
        return cell.text;
    });
}

tools::output::row emit(context& c, plan& p, tools::output& out, const row& r, tools::output::row parent)
{
    if (!passes(c, p, r))
        return tools::output::no_parent;
    return out.add(cells(c, p.cols, r), parent);
}

int run(const request& q)
{
    using R = request::mode;
    const bool lsns = q.what == R::lsns;
    if (!lsns)
        tools::check_style(q.style);
    if (q.what == R::tree && q.tree != "owner" && q.tree != "parent" && q.tree != "process")
        tools::fail("--tree takes 'owner', 'parent' or 'process', not '" + q.tree + "'");
    plan p{q};
    p.types = parse_types(q.types, lsns);
    pick(q, p); // a bad -o or -Q is a usage error before any work
    prepare_filter(q, p);
    if (q.what == R::pids || q.what == R::caps) {
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
    ctx.lsns = lsns;
    ctx.nowrap = q.style.nowrap;
    ctx.own_mntns = own_mount_namespace(snap);
    tools::output out(q.what == R::why ? "references" : "namespaces", tools::definitions(p.cols), q.style,
                      shape_for(q, p));
    int status = exit_ok;
    try {
        status = show(ctx, p, out);
    } catch (const tools::filter_eval_error& e) {
        std::cerr << (lsns ? "lsns" : "nsinfo") << ": --filter: " << e.text << '\n';
        return exit_error;
    }
    if (status == exit_error && out.empty())
        return status;
    report_kernel_list(snap, out, q);
    const bool partial = report_gaps(snap, out, p, lsns);
    out.print(std::cout);
    if (lsns)
        return status == exit_ok ? exit_ok : exit_error;
    return status != exit_ok ? status : partial ? exit_partial : exit_ok;
}

void list_columns(const nskit::tools::output_style& style, bool lsns)
{
    if (lsns) {
        tools::print_holder_list("lsns-columns",
                                 tools::definitions(tools::pick_columns(ns_columns(), lsns_all_columns, "", false)), style,
                                 std::cout);
        return;
    }
    tools::check_style(style);
    tools::print_column_list({{"namespaces", tools::definitions(tools::pick_columns(ns_columns(), "", "", true))},
                              {"why", tools::definitions(tools::pick_columns(why_columns(), "", "", true))}},
                             style, std::cout);
}

} // namespace nsinfo
