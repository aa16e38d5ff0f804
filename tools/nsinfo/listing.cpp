// Namespace listings: --all (and -P), the trees, and lsns's list, trees and
// process listing, each row in lsns's order (by inode) and nested as lsns
// nests it (util-linux sys-utils/lsns.c: show_namespaces, show_namespace,
// show_namespace_processes, add_scols_line).
#include "plan.hpp"

#include "cli.hpp"

#include <algorithm>
#include <charconv>
#include <functional>
#include <unordered_map>

namespace nsinfo {
namespace {

using nskit::sys::ns_type;
using out_row = tools::output::row;
constexpr out_row no_row = tools::output::no_parent;

std::vector<std::size_t> by_inode(const in::snapshot& s)
{
    std::vector<std::size_t> order(s.namespaces.size());
    for (std::size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return s.namespaces[a].identity.inode.ino < s.namespaces[b].identity.inode.ino;
    });
    return order;
}

// lsns -p PID: the process whose namespaces are listed (nullptr: none asked).
const in::process_info* task_of(const context& c, const request& q)
{
    if (q.lsns_task.empty())
        return nullptr;
    pid_t pid = 0;
    std::string msg;
    if (!tools::parse_pid_arg(q.lsns_task, pid, msg))
        tools::fail("invalid PID argument: '" + q.lsns_task + "'");
    static const in::process_info nobody{};
    const auto* p = c.snap.find_process(pid);
    return p ? p : &nobody; // a pid in no namespace lists nothing
}

bool has_process(const in::snapshot& s, const in::namespace_info& n, const in::process_info* task)
{
    return std::any_of(n.processes.begin(), n.processes.end(),
                       [&](std::size_t i) { return s.processes[i].pid == task->pid && task->pid != 0; });
}

// A top-level candidate row: visible, of the types asked, -p and -P applied.
struct selection {
    std::vector<char> visible;
    const in::process_info* task = nullptr;
    bool wanted(const context& c, const plan& p, std::size_t i) const
    {
        const auto& n = c.snap.namespaces[i];
        return visible[i] && p.type_ok(n.type) && (!p.q.persistent || n.processes.empty()) &&
               (!task || has_process(c.snap, n, task));
    }
};

selection select(const context& c, const plan& p)
{
    selection s;
    s.visible = c.lsns ? lsns_visible(c, p) : std::vector<char>(c.snap.namespaces.size(), 1);
    s.task = task_of(c, p.q);
    return s;
}

bool nested_by_process(const plan& p)
{
    return p.q.tree == "process" && (p.q.what == request::mode::tree || p.q.tree_given);
}

// lsns --tree=owner|parent: a namespace's owner (parent) is shown first, and
// its row goes under the owner's (parent's) row.
void lsns_tree(context& c, plan& p, const selection& sel, tools::output& out)
{
    const auto& ns = c.snap.namespaces;
    const bool by_parent = p.q.tree == "parent";
    std::vector<out_row> outline(ns.size(), no_row);
    auto related = [&](const in::maybe<std::size_t>& m) {
        return m.value && sel.visible[*m.value] && p.type_ok(ns[*m.value].type) ? *m.value : in::snapshot::npos;
    };
    std::function<void(std::size_t)> show = [&](std::size_t i) {
        const std::size_t owner = related(ns[i].owner);
        const std::size_t parent = by_parent && (ns[i].type == ns_type::pid || ns[i].type == ns_type::user)
                                       ? related(ns[i].parent)
                                       : in::snapshot::npos;
        if (parent != in::snapshot::npos) {
            if (outline[parent] == no_row)
                show(parent);
        } else if (owner != in::snapshot::npos && outline[owner] == no_row) {
            show(owner);
        }
        const std::size_t up = by_parent ? parent : owner;
        row r;
        r.ns = i;
        outline[i] = emit(c, p, out, r, up == in::snapshot::npos ? no_row : outline[up]);
    };
    for (std::size_t i : by_inode(c.snap))
        if (sel.wanted(c, p, i) && outline[i] == no_row)
            show(i);
}

// nsinfo --tree=owner|parent: user namespaces with what they own (owner), or
// the pid and user hierarchies (parent); a row the filter drops leaves its
// children to the nearest row shown above it.
void nsinfo_tree(context& c, plan& p, tools::output& out)
{
    const auto& ns = c.snap.namespaces;
    const bool by_owner = p.q.tree == "owner";
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
    std::function<void(std::size_t, out_row)> add = [&](std::size_t i, out_row parent) {
        row r;
        r.ns = i;
        const bool shown = !p.q.persistent || ns[i].processes.empty();
        const out_row line = shown ? emit(c, p, out, r, parent) : no_row;
        auto& k = kids[i];
        // child user namespaces last, so what a namespace owns reads first
        std::stable_sort(k.begin(), k.end(), [&](std::size_t a, std::size_t b) {
            return (ns[a].type == ns_type::user) < (ns[b].type == ns_type::user);
        });
        for (std::size_t ch : k)
            add(ch, line == no_row ? parent : line);
    };
    for (std::size_t r : roots)
        add(r, no_row);
}

} // namespace

std::vector<char> lsns_visible(const context& c, const plan& p)
{
    const auto& ns = c.snap.namespaces;
    std::vector<char> vis(ns.size(), 0);
    std::function<void(std::size_t)> with_ancestors = [&](std::size_t i) {
        vis[i] = 1;
        for (const auto* m : {&ns[i].owner, &ns[i].parent})
            if (m->value && !vis[*m->value])
                with_ancestors(*m->value);
    };
    for (std::size_t i = 0; i < ns.size(); ++i) {
        const auto& n = ns[i];
        if (!n.processes.empty())
            vis[i] = 1;
        for (const auto& h : n.holders) {
            const bool own_mount = h.kind == in::holder_kind::bind_mount && h.mount_ns == c.own_mntns;
            // lsns adds the owners and parents of what an fd or socket holds,
            // and of a bind-mounted namespace it had not met in a process
            if (h.kind == in::holder_kind::fd || h.kind == in::holder_kind::socket || (own_mount && n.processes.empty()))
                with_ancestors(i);
            else if (own_mount)
                vis[i] = 1;
        }
    }
    if (p.q.tree_given && (p.q.tree == "owner" || p.q.tree == "parent"))
        for (std::size_t i = 0; i < ns.size(); ++i)
            if (vis[i])
                with_ancestors(i);
    return vis;
}

void show_list(context& c, plan& p, tools::output& out)
{
    const selection sel = select(c, p);
    const bool nest = nested_by_process(p);
    std::unordered_map<pid_t, out_row> outline; // pid -> the last row it stood for
    for (std::size_t i : by_inode(c.snap)) {
        if (!sel.wanted(c, p, i))
            continue;
        row r;
        r.ns = i;
        const auto* rep = c.lowest(r);
        out_row parent = no_row;
        if (nest && rep)
            if (auto it = outline.find(rep->ppid); it != outline.end())
                parent = it->second;
        const out_row line = emit(c, p, out, r, parent);
        if (line != no_row && rep)
            outline[rep->pid] = line;
    }
}

void show_tree(context& c, plan& p, tools::output& out)
{
    if (p.q.tree == "process")
        show_list(c, p, out);
    else if (c.lsns)
        lsns_tree(c, p, select(c, p), out);
    else
        nsinfo_tree(c, p, out);
}

void show_namespace_processes(context& c, plan& p, std::size_t ns, tools::output& out)
{
    const bool nest = nested_by_process(p);
    const auto& n = c.snap.namespaces[ns];
    const auto type = static_cast<std::size_t>(n.type);
    std::unordered_map<pid_t, out_row> outline;
    std::unordered_map<pid_t, bool> done;
    std::function<void(const in::process_info&)> show = [&](const in::process_info& proc) {
        const auto* parent = nest ? c.snap.find_process(proc.ppid) : nullptr;
        if (parent && !done[parent->pid] && parent->ns[type] == ns) // its parent first, in the same namespace
            show(*parent);
        done[proc.pid] = true;
        row r;
        r.ns = ns;
        r.process = &proc;
        const auto up = parent ? outline.find(parent->pid) : outline.end();
        const out_row line = emit(c, p, out, r, up == outline.end() ? no_row : up->second);
        if (line != no_row)
            outline[proc.pid] = line;
    };
    for (std::size_t i : n.processes)
        if (!done[c.snap.processes[i].pid])
            show(c.snap.processes[i]);
}

} // namespace nsinfo
