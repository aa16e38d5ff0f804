// nsinfo --mounts TARGET: the mounts of a mount namespace (a process's, or
// one named by a path), from inspect::mounts: never entering it.
#include "modes.hpp"

#include "cli.hpp"

#include <nskit/inspect/mounts.hpp>
#include <nskit/sys/error.hpp>
#include <nskit/sys/nsfs.hpp>
#include <nskit/sys/pidref.hpp>

#include <iostream>
#include <map>

namespace nsinfo {
namespace {

namespace tools = nskit::tools;
using nskit::inspect::mount_info;

struct mount_column : tools::column_def {
    std::string (*get)(const mount_info&);
};

const std::vector<mount_column>& mount_columns()
{
    static const std::vector<mount_column> c = {
        {{"ID", "unique mount id (statmount)", tools::json_kind::number}, [](const mount_info& m) { return std::to_string(m.id); }},
        {{"PARENT", "unique id of the parent mount", tools::json_kind::number},
         [](const mount_info& m) { return std::to_string(m.parent_id); }},
        {{"MOUNTID", "mount id as /proc/PID/mountinfo shows it", tools::json_kind::number},
         [](const mount_info& m) { return std::to_string(m.old_id); }},
        {{"TARGET", "mount point, relative to the namespace's root", tools::json_kind::string, 0.3},
         [](const mount_info& m) { return m.target; }},
        {{"SOURCE", "source device or name"}, [](const mount_info& m) { return m.source; }},
        {{"FSTYPE", "filesystem type"}, [](const mount_info& m) { return m.fstype; }},
        {{"FSROOT", "root of the mount within its filesystem"}, [](const mount_info& m) { return m.root; }},
        {{"OPTIONS", "VFS (per-mount) options"}, [](const mount_info& m) { return m.vfs_options; }},
        {{"FS-OPTIONS", "superblock options"}, [](const mount_info& m) { return m.fs_options; }},
        {{"PROPAGATION", "shared:PEERGROUP, master:ID, unbindable or private"},
         [](const mount_info& m) { return m.propagation; }},
    };
    return c;
}

// A PID (its mount namespace, from its pidfd) or a path naming one.
nskit::unique_fd open_target(const std::string& target, std::error_code& ec)
{
    pid_t pid = 0;
    std::string message;
    if (!target.empty() && target.find_first_not_of("0123456789") == std::string::npos) {
        if (!tools::parse_pid_arg(target, pid, message))
            tools::fail("--mounts '" + target + "': " + message);
        auto p = nskit::sys::pidref::open(pid, ec);
        return ec ? nskit::unique_fd{} : p.open_namespace(nskit::sys::ns_type::mnt, ec);
    }
    auto fd = nskit::sys::open_ns_path(target.c_str(), ec);
    if (!ec && nskit::sys::ns_get_nstype(fd.get(), ec) != nskit::sys::ns_type::mnt && !ec)
        ec = std::make_error_code(std::errc::invalid_argument);
    return fd;
}

void add_rows(tools::output& out, const std::vector<const mount_column*>& cols, const std::vector<mount_info>& ms,
              bool tree)
{
    std::map<std::uint64_t, std::size_t> at;
    for (std::size_t i = 0; i < ms.size(); ++i)
        at[ms[i].id] = i;
    std::map<std::uint64_t, tools::output::row> rows;
    auto cells = [&](const mount_info& m) {
        std::vector<tools::cell> v;
        for (const auto* c : cols)
            v.push_back({c->get(m), {}, {}});
        return v;
    };
    if (!tree) {
        for (const auto& m : ms)
            out.add(cells(m));
        return;
    }
    // Parents first: walk from the roots (a mount whose parent is not listed).
    std::vector<std::size_t> order;
    std::vector<std::vector<std::size_t>> kids(ms.size());
    for (std::size_t i = 0; i < ms.size(); ++i) {
        const auto p = at.find(ms[i].parent_id);
        if (p == at.end() || ms[i].parent_id == ms[i].id)
            order.push_back(i);
        else
            kids[p->second].push_back(i);
    }
    std::vector<std::pair<std::size_t, tools::output::row>> stack;
    for (auto it = order.rbegin(); it != order.rend(); ++it)
        stack.emplace_back(*it, tools::output::no_parent);
    while (!stack.empty()) { // bounded: each mount is pushed once
        const auto [i, parent] = stack.back();
        stack.pop_back();
        const auto r = out.add(cells(ms[i]), parent);
        for (auto k = kids[i].rbegin(); k != kids[i].rend(); ++k)
            stack.emplace_back(*k, r);
    }
}

} // namespace

int run_mounts(const request& q)
{
    tools::check_style(q.style);
    const auto cols = tools::pick_columns(mount_columns(), "TARGET,SOURCE,FSTYPE,OPTIONS,PROPAGATION,ID,PARENT", q.output,
                                          q.output_all);
    std::error_code ec;
    auto fd = open_target(q.mounts, ec);
    if (ec) {
        std::cerr << "nsinfo: --mounts '" << q.mounts << "': "
                  << nskit::describe(ec, nskit::op_kind::namespace_open, "open its mount namespace")
                  << " (give a PID or the path of a mount namespace)\n";
        return exit_error;
    }
    const auto ms = nskit::inspect::mounts(fd.get(), ec);
    if (ec) {
        std::cerr << "nsinfo: --mounts '" << q.mounts << "': "
                  << nskit::describe(ec, nskit::op_kind::mount, "listmount/statmount")
                  << (ec == std::errc::function_not_supported || ec == std::errc::invalid_argument
                          ? " (unknown: the kernel lacks listmount by namespace fd, 6.18)"
                          : "")
                  << '\n';
        return exit_error;
    }
    const bool tree = !q.force_list; // as findmnt: a tree unless -l, in JSON too
    tools::output_shape shape;
    shape.tree_column = 0;
    for (std::size_t i = 0; i < cols.size(); ++i)
        if (std::string_view(cols[i]->name) == "TARGET")
            shape.tree_column = i;
    if (!tree)
        shape.tree_column = tools::output_shape::no_tree;
    tools::output out("filesystems", tools::definitions(cols), q.style, shape);
    add_rows(out, cols, ms, tree);
    out.print(std::cout);
    return exit_ok;
}

} // namespace nsinfo
