#include "columns.hpp"

#include <nskit/sys/nsfs.hpp>

#include <libsmartcols/libsmartcols.h>
#include <pwd.h>

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

// A namespace named by index: its id where known, else dev:minor:inode
// (null in JSON, with the reason).
cell ns_name(const in::snapshot& s, std::size_t i)
{
    const auto& n = s.namespaces[i];
    if (n.identity.id != 0)
        return text(std::to_string(n.identity.id));
    if (!nskit::sys::probe_nsfs().get_id) // no ids on this kernel: the text is the identity
        return text(in::ns_id_text(n.identity));
    return {in::ns_id_text(n.identity), reason_of(n.id_error)};
}

// Namespace identities are numbers where the kernel gives ids (6.18), else dev:minor:inode text.
json_kind id_kind() { return nskit::sys::probe_nsfs().get_id ? json_kind::number : json_kind::string; }

template <class T, class F>
cell from_maybe(const in::maybe<T>& m, F&& f)
{
    if (m.value)
        return f(*m.value);
    if (m.error)
        return tools::unknown_cell(reason_of(m.error));
    return {};
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

std::string nsfs_text(const in::namespace_info& n)
{
    std::string out;
    for (const auto& h : n.holders)
        if (h.kind == in::holder_kind::bind_mount && out.find(h.path) == std::string::npos)
            out += (out.empty() ? "" : "\n") + h.path;
    return out;
}

cell path_cell(context& c, const row& r, const in::namespace_info& n)
{
    if (auto* p = c.lowest(r))
        return text("/proc/" + std::to_string(p->pid) + "/ns/" + std::string(nskit::sys::info(n.type).proc_entry));
    for (const auto& h : n.holders) {
        if (h.kind == in::holder_kind::bind_mount)
            return text(h.path);
        if (h.kind == in::holder_kind::fd)
            return text("/proc/" + std::to_string(h.pid) + "/fd/" + std::to_string(h.fd));
    }
    return {};
}

cell command_cell(const in::process_info& p)
{
    if (p.details_error && p.command.empty())
        return tools::unknown_cell(reason_of(p.details_error));
    return text(p.command + (p.state == in::process_state::running ? "" : " <" + std::string(to_string(p.state)) + ">"));
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
    auto* n = ns(r);
    return n && !n->processes.empty() ? &snap.processes[n->processes.front()] : nullptr;
}

const std::vector<column>& ns_columns()
{
    static const std::vector<column> cols = {
        col("TARGET", "the process asked about", num, 5, SCOLS_FL_RIGHT,
            [](context&, const row& r) { return r.target ? text(std::to_string(r.target->pid)) : cell{}; }),
        col("NS", "namespace identity (NS_GET_ID, else dev:minor:inode)", id_kind(), 10, SCOLS_FL_RIGHT, of_ns([](context& c, const row& r, N) { return ns_name(c.snap, r.ns); })),
        col("TYPE", "namespace type (pid_for_children/time_for_children in pid mode)", str, 5, 0,
            [](context& c, const row& r) {
                if (r.entry != none)
                    return text(std::string(in::ns_entry_name(r.entry)));
                return r.ns == none ? cell{} : text(std::string(to_string(c.snap.namespaces[r.ns].type)));
            }),
        col("INODE", "inode number of the namespace file", num, 10, SCOLS_FL_RIGHT,
            of_ns([](context&, const row&, N n) { return text(std::to_string(n.identity.inode.ino)); })),
        col("PATH", "a path to the namespace (/proc/PID/ns/TYPE, fd link or bind mount)", str, 20, 0,
            of_ns(path_cell)),
        col("NPROCS", "number of processes in the namespace", num, 5, SCOLS_FL_RIGHT,
            of_ns([](context&, const row&, N n) { return text(std::to_string(n.processes.size())); })),
        col("NTHREADS", "number of non-leader threads in it (with --threads)", num, 5, SCOLS_FL_RIGHT,
            of_ns([](context&, const row&, N n) { return text(std::to_string(n.threads.size())); })),
        col("PID", "lowest pid in the namespace", num, 5, SCOLS_FL_RIGHT,
            of_lowest([](context&, const in::process_info& p) { return text(std::to_string(p.pid)); })),
        col("PPID", "parent of that process", num, 5, SCOLS_FL_RIGHT,
            of_lowest([](context&, const in::process_info& p) {
                return p.details_error ? tools::unknown_cell(reason_of(p.details_error)) : text(std::to_string(p.ppid));
            })),
        col("COMMAND", "command of that process", str, 0.2, SCOLS_FL_TRUNC,
            of_lowest([](context&, const in::process_info& p) { return command_cell(p); })),
        col("UID", "uid of that process", num, 5, SCOLS_FL_RIGHT,
            of_lowest([](context&, const in::process_info& p) { return text(std::to_string(p.uid)); })),
        col("USER", "user name of that process", str, 8, 0,
            of_lowest([](context& c, const in::process_info& p) { return text(c.user(p.uid)); })),
        col("ISOLATED", "differs from PID 1's namespace of that type (yes/no)", str, 3, 0,
            of_ns([](context& c, const row&, N n) {
                if (!c.init_known && !n.initial)
                    return tools::unknown_cell("initial namespaces not readable");
                return text(n.initial ? "no" : "yes");
            })),
        col("ONS", "owning user namespace", id_kind(), 10, SCOLS_FL_RIGHT, of_ns([](context& c, const row&, N n) {
                return from_maybe(n.owner, [&](std::size_t o) { return ns_name(c.snap, o); });
            })),
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
        col("PNS", "parent namespace (pid and user namespaces)", id_kind(), 10, SCOLS_FL_RIGHT,
            of_ns([](context& c, const row&, N n) {
                return from_maybe(n.parent, [&](std::size_t p) { return ns_name(c.snap, p); });
            })),
        col("NETNSID", "nsid of a net namespace as the caller's net namespace knows it", num, 5, SCOLS_FL_RIGHT,
            of_ns([](context&, const row&, N n) {
                return from_maybe(n.netnsid, [](std::int32_t v) { return text(std::to_string(v)); });
            })),
        col("MOUNTS", "number of mounts in a mount namespace (NS_MNT_GET_INFO)", num, 5, SCOLS_FL_RIGHT,
            of_ns([](context&, const row&, N n) {
                return from_maybe(n.mount_count, [](std::uint32_t v) { return text(std::to_string(v)); });
            })),
        col("NSFS", "nsfs bind mounts of the namespace", str, 10, SCOLS_FL_WRAP,
            of_ns([](context&, const row&, N n) { return text(nsfs_text(n)); })),
        col("HELD", "what holds it: process,thread,fd,bind_mount,socket,for_children,child,owner", str, 8, 0,
            of_ns([](context& c, const row& r, N) { return text(held_text(c.snap, r.ns)); })),
        col("NSPID", "pid at each PID namespace level, outermost first (pid mode, pid row)", str, 6, 0,
            [](context&, const row& r) { return nspid_cell(r); }),
    };
    return cols;
}

const std::vector<column>& why_columns()
{
    using R = const row&;
    static const std::vector<column> cols = {
        col("KIND", "process, thread, for_children, fd, bind_mount, socket, child, owner", str, 8, 0,
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
        col("MNTNS", "mount namespace of a bind mount", id_kind(), 10, SCOLS_FL_RIGHT, [](context& c, R r) {
            return r.ref->mount_ns != in::ns_reference::npos ? ns_name(c.snap, r.ref->mount_ns) : cell{};
        }),
        col("PATH", "bind mount path, as seen in that mount namespace", str, 20, 0,
            [](context&, R r) { return text(r.ref->path); }),
        col("NS", "child or owned namespace (kinds child, owner)", id_kind(), 10, SCOLS_FL_RIGHT, [](context& c, R r) {
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
