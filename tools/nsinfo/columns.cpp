#include "columns.hpp"

#include <nskit/sys/nsfs.hpp>

#include <libsmartcols/libsmartcols.h>
#include <pwd.h>

#include <algorithm>
#include <set>

namespace nsinfo {
namespace {

using tools::cell;
using tools::json_kind;
using nskit::sys::ns_type;

std::string reason_of(const std::error_code& ec)
{
    std::string why = ec ? ec.message() : "not read";
    if (!why.empty())
        why[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(why[0])));
    return why;
}

// Unknown, with the reason: a zombie's released namespaces say so.
cell unknown(const row& r)
{
    if (r.target && r.target->state == in::process_state::zombie && r.error == std::errc::no_such_process)
        return tools::unknown_cell("released: the process is a zombie");
    return tools::unknown_cell(reason_of(r.error));
}

cell text(std::string s) { return {std::move(s), {}}; }

// A namespace named by index: its inode number, as /proc/PID/ns links,
// stat and lsns show it (the library still tells namespaces apart by
// sys::ns_identity; the id is the NSID column).
cell ns_name(const in::snapshot& s, std::size_t i) { return text(std::to_string(s.namespaces[i].identity.inode.ino)); }

// NSID: NS_GET_ID (Linux 6.18), never reused.
cell ns_id(const in::namespace_info& n)
{
    return n.identity.id != 0 ? text(std::to_string(n.identity.id)) : tools::unknown_cell(reason_of(n.id_error));
}

template <class T, class F>
cell from_maybe(const in::maybe<T>& m, F&& f)
{
    if (m.value)
        return f(*m.value);
    if (m.error)
        return tools::unknown_cell(reason_of(m.error));
    return {};
}

// PNS/ONS: the related namespace's inode; 0 when there is none (lsns's
// spelling), unknown with the reason when the kernel would not tell.
cell related(context& c, const in::maybe<std::size_t>& m)
{
    if (!m.value && (!m.error || c.lsns))
        return text("0");
    return from_maybe(m, [&](std::size_t i) { return ns_name(c.snap, i); });
}

// NETNSID: the nsid, "unassigned" for a net namespace without one (as lsns).
cell netnsid_cell(const in::namespace_info& n)
{
    if (n.type != ns_type::net)
        return {};
    if (!n.netnsid.value && !n.netnsid.error)
        return text("unassigned");
    return from_maybe(n.netnsid, [](std::int32_t v) { return text(std::to_string(v)); });
}

// The user namespace whose owner OUID/OUSER show: itself, or its owner.
const in::maybe<uid_t>* owner_uid(context& c, const in::namespace_info& n, cell& why)
{
    if (n.type == ns_type::user)
        return &n.owner_uid;
    if (!n.owner.value) {
        why = from_maybe(n.owner, [](std::size_t) { return cell{}; });
        return nullptr;
    }
    return &c.snap.namespaces[*n.owner.value].owner_uid;
}

std::string held_text(const in::snapshot& s, std::size_t i)
{
    std::set<std::string_view> kinds;
    for (const auto& r : in::why_alive(s, i))
        kinds.insert(to_string(r.kind));
    std::string out;
    for (auto k : kinds)
        out += (out.empty() ? "" : ",") + std::string(k);
    return out;
}

// The bind mounts' paths, each once; lsns sees only its own mount namespace's.
std::string nsfs_text(const context& c, const in::namespace_info& n)
{
    std::vector<std::string_view> paths;
    for (const auto& h : n.holders)
        if (h.kind == in::holder_kind::bind_mount && (!c.lsns || h.mount_ns == c.own_mntns) &&
            std::find(paths.begin(), paths.end(), h.path) == paths.end())
            paths.push_back(h.path);
    std::string out;
    for (auto p : paths)
        out += (out.empty() ? "" : c.nowrap ? "," : "\n") + std::string(p);
    return out;
}

cell path_cell(context& c, const row& r, const in::namespace_info& n)
{
    if (auto* p = c.lowest(r))
        return text("/proc/" + std::to_string(p->pid) + "/ns/" + std::string(nskit::sys::info(n.type).proc_entry));
    if (c.lsns)
        return {};
    for (const auto& h : n.holders) {
        if (h.kind == in::holder_kind::bind_mount)
            return text(h.path);
        if (h.kind == in::holder_kind::fd)
            return text("/proc/" + std::to_string(h.pid) + "/fd/" + std::to_string(h.fd));
    }
    return {};
}

// The command line, as lsns shows it: comm where it is empty (kernel
// threads, zombies, a process that cleared it).
cell command_cell(const in::process_info& p)
{
    if (p.details_error && p.command.empty())
        return tools::unknown_cell(reason_of(p.details_error));
    return text(p.command_line.empty() ? p.command : p.command_line);
}

// UID of a namespace no process is in: lsns asks NS_GET_OWNER_UID, which
// only a user namespace answers (0 for the others); nsinfo gives the uid
// that created its owning user namespace (OUID).
cell fallback_uid(context& c, const in::namespace_info& n, bool name)
{
    auto show = [&](uid_t u) { return text(name ? c.user(u) : std::to_string(static_cast<int>(u))); };
    if (c.lsns && n.type != ns_type::user)
        return show(0);
    cell why;
    const auto* u = owner_uid(c, n, why);
    return u ? from_maybe(*u, show) : why;
}

cell nspid_cell(const row& r)
{
    if (!r.target || r.entry != static_cast<std::size_t>(ns_type::pid))
        return {};
    if (r.target->nspid_error || r.target->nspid.empty())
        return tools::unknown_cell(reason_of(r.target->nspid_error));
    std::string out;
    for (pid_t p : r.target->nspid)
        out += (out.empty() ? "" : " ") + std::to_string(p);
    return text(out);
}

// A column about the namespace of the row: unknown when the namespace is.
template <class F>
auto of_ns(F f)
{
    return [f](context& c, const row& r) -> cell {
        const auto* n = c.ns(r);
        return n ? f(c, r, *n) : unknown(r);
    };
}

// A column about the namespace's lowest-pid process ("" when it has none).
template <class F>
auto of_lowest(F f)
{
    return of_ns([f](context& c, const row& r, const in::namespace_info&) -> cell {
        const auto* p = c.lowest(r);
        return p ? f(c, *p) : cell{};
    });
}

using N = const in::namespace_info&;
constexpr auto num = json_kind::number;
constexpr auto str = json_kind::string;
constexpr auto obj = json_kind::object;

column multiline(column c)
{
    c.multiline = true;
    return c;
}

column col(const char* name, const char* help, json_kind j, double w, int flags,
           std::function<cell(context&, const row&)> f)
{
    column c;
    c.name = name;
    c.help = help;
    c.json = j;
    c.width = w;
    c.flags = flags;
    c.get = std::move(f);
    return c;
}

} // namespace

context::context(const in::snapshot& s) : snap(s)
{
    for (const auto& n : s.namespaces)
        init_known = init_known || n.initial;
}

const std::string& context::user(uid_t uid)
{
    auto it = users_.find(uid);
    if (it != users_.end())
        return it->second;
    struct passwd pw{}, *res = nullptr;
    char buf[4096];
    std::string name = ::getpwuid_r(uid, &pw, buf, sizeof buf, &res) == 0 && res ? pw.pw_name : std::to_string(uid);
    return users_.emplace(uid, name).first->second;
}

const in::process_info* context::lowest(const row& r) const
{
    if (r.process)
        return r.process;
    auto* n = ns(r);
    return n && !n->processes.empty() ? &snap.processes[n->processes.front()] : nullptr;
}

const std::vector<column>& ns_columns()
{
    static const std::vector<column> cols = {
        col("TARGET", "the process asked about", num, 5, SCOLS_FL_RIGHT,
            [](context&, const row& r) { return r.target ? text(std::to_string(r.target->pid)) : cell{}; }),
        col("NS", "namespace identifier (inode number)", num, 10, SCOLS_FL_RIGHT,
            of_ns([](context& c, const row& r, N) { return ns_name(c.snap, r.ns); })),
        col("NSID", "namespace id (NS_GET_ID, Linux 6.18; never reused)", num, 10, SCOLS_FL_RIGHT,
            of_ns([](context&, const row&, N n) { return ns_id(n); })),
        col("TYPE", "kind of namespace", str, 5, 0,
            [](context& c, const row& r) {
                if (r.entry != none)
                    return text(std::string(in::ns_entry_name(r.entry)));
                return r.ns == none ? cell{} : text(std::string(to_string(c.snap.namespaces[r.ns].type)));
            }),
        col("INODE", "inode number of the namespace file", num, 10, SCOLS_FL_RIGHT,
            of_ns([](context&, const row&, N n) { return text(std::to_string(n.identity.inode.ino)); })),
        col("PATH", "path to the namespace", str, 0, 0,
            of_ns(path_cell)),
        col("NPROCS", "number of processes in the namespace", num, 5, SCOLS_FL_RIGHT,
            of_ns([](context&, const row&, N n) { return text(std::to_string(n.processes.size())); })),
        col("NTHREADS", "number of non-leader threads in it (with --threads)", num, 5, SCOLS_FL_RIGHT,
            of_ns([](context&, const row&, N n) { return text(std::to_string(n.threads.size())); })),
        col("PID", "lowest PID in the namespace", num, 5, SCOLS_FL_RIGHT,
            of_lowest([](context&, const in::process_info& p) { return text(std::to_string(p.pid)); })),
        col("PPID", "PPID of the PID", num, 5, SCOLS_FL_RIGHT,
            of_lowest([](context&, const in::process_info& p) {
                return p.details_error ? tools::unknown_cell(reason_of(p.details_error)) : text(std::to_string(p.ppid));
            })),
        col("COMMAND", "command line of the PID", str, 0, SCOLS_FL_TRUNC,
            of_lowest([](context&, const in::process_info& p) { return command_cell(p); })),
        col("STATE", "state of the PID: running, zombie, kernel_thread", str, 5, 0,
            of_lowest([](context&, const in::process_info& p) { return text(std::string(to_string(p.state))); })),
        col("UID", "UID of the PID", num, 0, SCOLS_FL_RIGHT,
            of_ns([](context& c, const row& r, N n) {
                const auto* p = c.lowest(r);
                return p ? text(std::to_string(static_cast<int>(p->uid))) : fallback_uid(c, n, false);
            })),
        col("USER", "username of the PID", str, 0, 0,
            of_ns([](context& c, const row& r, N n) {
                const auto* p = c.lowest(r);
                return p ? text(c.user(p->uid)) : fallback_uid(c, n, true);
            })),
        col("ISOLATED", "differs from PID 1's namespace of that type (yes/no)", str, 3, 0,
            of_ns([](context& c, const row&, N n) {
                if (!c.init_known && !n.initial)
                    return tools::unknown_cell("initial namespaces not readable");
                return text(n.initial ? "no" : "yes");
            })),
        col("ONS", "owner namespace identifier (inode number)", num, 10, SCOLS_FL_RIGHT,
            of_ns([](context& c, const row&, N n) { return related(c, n.owner); })),
        col("OUID", "uid owning that user namespace", num, 5, SCOLS_FL_RIGHT, of_ns([](context& c, const row&, N n) {
                cell why;
                const auto* u = owner_uid(c, n, why);
                return u ? from_maybe(*u, [](uid_t v) { return text(std::to_string(v)); }) : why;
            })),
        col("OUSER", "user name of that uid", str, 8, 0, of_ns([](context& c, const row&, N n) {
                cell why;
                const auto* u = owner_uid(c, n, why);
                return u ? from_maybe(*u, [&](uid_t v) { return text(c.user(v)); }) : why;
            })),
        col("PNS", "parent namespace identifier (inode number)", num, 10,
            SCOLS_FL_RIGHT, of_ns([](context& c, const row&, N n) { return related(c, n.parent); })),
        col("NETNSID", "namespace ID as used by network subsystem", str, 0,
            SCOLS_FL_RIGHT, of_ns([](context&, const row&, N n) { return netnsid_cell(n); })),
        col("MOUNTS", "number of mounts in a mount namespace (NS_MNT_GET_INFO)", num, 5, SCOLS_FL_RIGHT,
            of_ns([](context&, const row&, N n) {
                return from_maybe(n.mount_count, [](std::uint32_t v) { return text(std::to_string(v)); });
            })),
        multiline(col("NSFS", "nsfs mountpoint (usually used network subsystem)", str,
                      0, SCOLS_FL_WRAP, of_ns([](context& c, const row&, N n) { return text(nsfs_text(c, n)); }))),
        col("HELD", "what holds it: process,thread,fd,bind_mount,socket,for_children,child,owner,unseen", str, 8, 0,
            of_ns([](context& c, const row& r, N) { return text(held_text(c.snap, r.ns)); })),
        col("NSPID", "pid at each PID namespace level, outermost first (pid mode, pid row)", str, 6, 0,
            [](context&, const row& r) { return nspid_cell(r); }),
        col("CONTAINER", "container of its processes (engine/name; mixed) from cgroups and engine state", obj, 0, 0,
            container_cell),
        col("UNIT", "systemd unit or scope of its processes, when not in a container", str, 0, 0, unit_cell),
        col("CAPS", "capabilities the process (TARGET, else PID) holds in the owning user namespace", str, 0,
            SCOLS_FL_TRUNC, [](context& c, const row& r) { return caps_cell(c, r, false); }),
        col("CAPSRULE", "the kernel's rule that gave CAPS: same_user_namespace, owner_of_ancestor, outside, not_owner",
            str, 0, 0, [](context& c, const row& r) { return caps_cell(c, r, true); }),
    };
    return cols;
}

const std::vector<column>& why_columns()
{
    using R = const row&;
    static const std::vector<column> cols = {
        col("KIND", "process, thread, for_children, fd, bind_mount, socket, child, owner, unseen", str, 8, 0,
            [](context&, R r) { return text(std::string(to_string(r.ref->kind))); }),
        col("PID", "process holding it (bind_mount: one in that mount namespace)", num, 5, SCOLS_FL_RIGHT,
            [](context&, R r) { return r.ref->pid ? text(std::to_string(r.ref->pid)) : cell{}; }),
        col("TID", "thread holding it (kind thread)", num, 5, SCOLS_FL_RIGHT, [](context&, R r) {
            return r.ref->kind == in::holder_kind::thread ? text(std::to_string(r.ref->tid)) : cell{};
        }),
        col("FD", "fd number (kinds fd, socket)", num, 3, SCOLS_FL_RIGHT,
            [](context&, R r) { return r.ref->fd >= 0 ? text(std::to_string(r.ref->fd)) : cell{}; }),
        col("COMMAND", "command of that process", str, 0.2, SCOLS_FL_TRUNC, [](context& c, R r) {
            auto* p = r.ref->pid ? c.snap.find_process(r.ref->pid) : nullptr;
            return p ? command_cell(*p) : cell{};
        }),
        col("MNTNS", "mount namespace of a bind mount (inode number)", num, 10, SCOLS_FL_RIGHT, [](context& c, R r) {
            return r.ref->mount_ns != in::ns_reference::npos ? ns_name(c.snap, r.ref->mount_ns) : cell{};
        }),
        col("PATH", "bind mount path, as seen in that mount namespace", str, 20, 0,
            [](context&, R r) { return text(r.ref->path); }),
        col("NS", "child or owned namespace (kinds child, owner; inode number)", num, 10, SCOLS_FL_RIGHT, [](context& c, R r) {
            return r.ref->other != in::ns_reference::npos ? ns_name(c.snap, r.ref->other) : cell{};
        }),
        col("TYPE", "type of that namespace", str, 5, 0, [](context& c, R r) {
            return r.ref->other != in::ns_reference::npos
                       ? text(std::string(to_string(c.snap.namespaces[r.ref->other].type)))
                       : cell{};
        }),
    };
    return cols;
}

std::vector<tools::cell> cells(context& c, const std::vector<const column*>& cols, const row& r)
{
    std::vector<tools::cell> out;
    out.reserve(cols.size());
    for (const auto* col : cols)
        out.push_back(col->get(c, r));
    return out;
}

} // namespace nsinfo
