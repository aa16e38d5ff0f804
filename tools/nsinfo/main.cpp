// nsinfo — which namespaces is a process in, who else is in them, who owns
// them, how they relate, and why a namespace is still alive.
// Thin: options -> nskit::inspect::scan -> libsmartcols.
#include <nskit/inspect.hpp>
#include <nskit/sys/error.hpp>
#include <nskit/sys/nsfs.hpp>
#include <nskit/sys/pidfd.hpp>

#include <boost/program_options.hpp>
#include <libsmartcols/libsmartcols.h>

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace po = boost::program_options;
namespace in = nskit::inspect;
using nskit::sys::ns_type;

namespace {

constexpr const char* version = "nsinfo (nskit) 0.1";
constexpr std::size_t none = in::process_info::none;
constexpr const char* pid_columns_one = "TYPE,NS,INODE,ISOLATED,ONS,OUID,OUSER,PNS,NPROCS,PID,COMMAND,NSPID";
constexpr const char* pid_columns_many = "TARGET,TYPE,NS,INODE,ISOLATED,ONS,OUID,OUSER,PNS,NPROCS,PID,COMMAND,NSPID";

// What one table row is about.
struct row {
    std::size_t ns = none;        // namespace index (none: unknown)
    pid_t target = 0;             // the process asked about (pid mode)
    std::string_view entry;       // "net", "pid_for_children", ...
    std::error_code error;        // why ns is unknown
    const in::ns_reference* ref = nullptr; // --why rows
};

struct context {
    explicit context(const in::snapshot& s) : snap(s) {}
    const in::snapshot& snap;
    bool init_known = false;
    std::map<uid_t, std::string> users;
    const std::string& user(uid_t uid)
    {
        auto it = users.find(uid);
        if (it != users.end())
            return it->second;
        struct passwd pw{}, *res = nullptr;
        char buf[4096];
        std::string name = ::getpwuid_r(uid, &pw, buf, sizeof buf, &res) == 0 && res ? pw.pw_name : std::to_string(uid);
        return users.emplace(uid, name).first->second;
    }
    const in::namespace_info* ns(const row& r) const { return r.ns == none ? nullptr : &snap.namespaces[r.ns]; }
    const in::process_info* lowest(const row& r) const
    {
        auto* n = ns(r);
        return n && !n->processes.empty() ? &snap.processes[n->processes.front()] : nullptr;
    }
};

// A cell: text, or unknown (text holds the reason).  Empty text = no value.
struct cell {
    std::string text;
    bool unknown = false;
};
cell unknown(const std::error_code& ec) { return {in::unknown_reason(ec), true}; }
template <class T, class F>
cell from_maybe(const in::maybe<T>& m, F&& f)
{
    if (m.value)
        return {f(*m.value)};
    if (m.error)
        return unknown(m.error);
    return {};
}

struct column {
    const char* name;
    const char* help;
    int json;        // SCOLS_JSON_*
    double width;    // width hint
    int flags;
    std::function<cell(context&, const row&)> get;
};

std::string id_text(const in::snapshot& s, std::size_t i) { return in::ns_id_text(s.namespaces[i].identity); }

std::string held_text(const in::snapshot& s, std::size_t i)
{
    std::set<std::string_view> kinds;
    for (const auto& r : in::why_alive(s, i))
        kinds.insert(to_string(r.kind));
    std::string out;
    for (auto k : kinds)
    {
        if (!out.empty())
            out += ',';
        out += k;
    }
    return out;
}

const std::vector<column>& ns_columns()
{
    using C = context;
    static const std::vector<column> cols = {
        {"TARGET", "the process asked about", SCOLS_JSON_NUMBER, 5, SCOLS_FL_RIGHT,
         [](C&, const row& r) { return cell{r.target ? std::to_string(r.target) : ""}; }},
        {"NS", "namespace identity (NS_GET_ID, else dev:minor:inode)",
         nskit::sys::probe_nsfs().get_id ? SCOLS_JSON_NUMBER : SCOLS_JSON_STRING, 10, SCOLS_FL_RIGHT,
         [](C& c, const row& r) {
             if (r.ns == none)
                 return unknown(r.error);
             // No NS_GET_ID (the namespace's last process left before it could be opened): the
             // dev:minor:inode text is shown in tables, null in JSON, where the column is a number.
             const bool no_id = c.snap.namespaces[r.ns].identity.id == 0 && nskit::sys::probe_nsfs().get_id;
             return cell{id_text(c.snap, r.ns), no_id};
         }},
        {"TYPE", "namespace type (pid_for_children/time_for_children in pid mode)", SCOLS_JSON_STRING, 5, 0,
         [](C& c, const row& r) {
             if (!r.entry.empty())
                 return cell{std::string(r.entry)};
             return cell{r.ns == none ? "" : std::string(to_string(c.snap.namespaces[r.ns].type))};
         }},
        {"INODE", "inode number of the namespace file", SCOLS_JSON_NUMBER, 10, SCOLS_FL_RIGHT,
         [](C& c, const row& r) {
             return r.ns == none ? unknown(r.error) : cell{std::to_string(c.snap.namespaces[r.ns].identity.inode.ino)};
         }},
        {"PATH", "a path to the namespace (/proc/PID/ns/TYPE, fd link or bind mount)", SCOLS_JSON_STRING, 20, 0,
         [](C& c, const row& r) {
             auto* n = c.ns(r);
             if (!n)
                 return cell{};
             if (auto* p = c.lowest(r))
                 return cell{"/proc/" + std::to_string(p->pid) + "/ns/" +
                             std::string(nskit::sys::info(n->type).proc_entry)};
             for (const auto& h : n->holders) {
                 if (h.kind == in::holder_kind::bind_mount)
                     return cell{h.path};
                 if (h.kind == in::holder_kind::fd)
                     return cell{"/proc/" + std::to_string(h.pid) + "/fd/" + std::to_string(h.fd)};
             }
             return cell{};
         }},
        {"NPROCS", "number of processes in the namespace", SCOLS_JSON_NUMBER, 5, SCOLS_FL_RIGHT,
         [](C& c, const row& r) { auto* n = c.ns(r); return n ? cell{std::to_string(n->processes.size())} : unknown(r.error); }},
        {"NTHREADS", "number of non-leader threads in it (with --threads)", SCOLS_JSON_NUMBER, 5, SCOLS_FL_RIGHT,
         [](C& c, const row& r) { auto* n = c.ns(r); return n ? cell{std::to_string(n->threads.size())} : cell{}; }},
        {"PID", "lowest pid in the namespace", SCOLS_JSON_NUMBER, 5, SCOLS_FL_RIGHT,
         [](C& c, const row& r) { auto* p = c.lowest(r); return cell{p ? std::to_string(p->pid) : ""}; }},
        {"PPID", "parent of that process", SCOLS_JSON_NUMBER, 5, SCOLS_FL_RIGHT,
         [](C& c, const row& r) { auto* p = c.lowest(r); return cell{p ? std::to_string(p->ppid) : ""}; }},
        {"COMMAND", "command of that process", SCOLS_JSON_STRING, 0.2, SCOLS_FL_TRUNC,
         [](C& c, const row& r) {
             auto* p = c.lowest(r);
             if (!p)
                 return cell{};
             return cell{p->command + (p->state == in::process_state::running ? "" : " <" + std::string(to_string(p->state)) + ">")};
         }},
        {"UID", "uid of that process", SCOLS_JSON_NUMBER, 5, SCOLS_FL_RIGHT,
         [](C& c, const row& r) { auto* p = c.lowest(r); return cell{p ? std::to_string(p->uid) : ""}; }},
        {"USER", "user name of that process", SCOLS_JSON_STRING, 8, 0,
         [](C& c, const row& r) { auto* p = c.lowest(r); return cell{p ? c.user(p->uid) : ""}; }},
        {"ISOLATED", "differs from PID 1's namespace of that type (yes/no)", SCOLS_JSON_STRING, 3, 0,
         [](C& c, const row& r) {
             auto* n = c.ns(r);
             if (!n)
                 return unknown(r.error);
             if (!c.init_known && !n->initial)
                 return unknown(std::make_error_code(std::errc::permission_denied));
             return cell{n->initial ? "no" : "yes"};
         }},
        {"ONS", "owning user namespace", SCOLS_JSON_STRING, 10, SCOLS_FL_RIGHT,
         [](C& c, const row& r) {
             auto* n = c.ns(r);
             return n ? from_maybe(n->owner, [&](std::size_t o) { return id_text(c.snap, o); }) : unknown(r.error);
         }},
        {"OUID", "uid owning that user namespace", SCOLS_JSON_STRING, 5, SCOLS_FL_RIGHT,
         [](C& c, const row& r) -> cell {
             auto* n = c.ns(r);
             if (!n)
                 return unknown(r.error);
             const in::namespace_info* u = n->type == ns_type::user ? n : nullptr;
             if (!u) {
                 if (!n->owner.value)
                     return from_maybe(n->owner, [](std::size_t) { return std::string(); });
                 u = &c.snap.namespaces[*n->owner.value];
             }
             return from_maybe(u->owner_uid, [](uid_t v) { return std::to_string(v); });
         }},
        {"OUSER", "user name of that uid", SCOLS_JSON_STRING, 8, 0,
         [](C& c, const row& r) -> cell {
             auto* n = c.ns(r);
             if (!n)
                 return unknown(r.error);
             const in::namespace_info* u = n->type == ns_type::user ? n : nullptr;
             if (!u) {
                 if (!n->owner.value)
                     return from_maybe(n->owner, [](std::size_t) { return std::string(); });
                 u = &c.snap.namespaces[*n->owner.value];
             }
             return from_maybe(u->owner_uid, [&](uid_t v) { return c.user(v); });
         }},
        {"PNS", "parent namespace (pid and user namespaces)", SCOLS_JSON_STRING, 10, SCOLS_FL_RIGHT,
         [](C& c, const row& r) {
             auto* n = c.ns(r);
             return n ? from_maybe(n->parent, [&](std::size_t p) { return id_text(c.snap, p); }) : unknown(r.error);
         }},
        {"NETNSID", "nsid of a net namespace as the caller's net namespace knows it", SCOLS_JSON_NUMBER, 5,
         SCOLS_FL_RIGHT,
         [](C& c, const row& r) {
             auto* n = c.ns(r);
             return n ? from_maybe(n->netnsid, [](std::int32_t v) { return std::to_string(v); }) : cell{};
         }},
        {"MOUNTS", "number of mounts in a mount namespace (NS_MNT_GET_INFO)", SCOLS_JSON_NUMBER, 5, SCOLS_FL_RIGHT,
         [](C& c, const row& r) {
             auto* n = c.ns(r);
             return n ? from_maybe(n->mount_count, [](std::uint32_t v) { return std::to_string(v); }) : cell{};
         }},
        {"NSFS", "nsfs bind mounts of the namespace", SCOLS_JSON_STRING, 10, SCOLS_FL_WRAP,
         [](C& c, const row& r) {
             auto* n = c.ns(r);
             std::string out;
             if (n)
                 for (const auto& h : n->holders)
                     if (h.kind == in::holder_kind::bind_mount && out.find(h.path) == std::string::npos)
                     {
                         if (!out.empty())
                             out += '\n';
                         out += h.path;
                     }
             return cell{out};
         }},
        {"HELD", "what holds it: process,thread,fd,bind_mount,socket,for_children,child,owner", SCOLS_JSON_STRING, 8,
         0, [](C& c, const row& r) { return r.ns == none ? cell{} : cell{held_text(c.snap, r.ns)}; }},
        {"NSPID", "pid at each PID namespace level, outermost first (pid mode, pid row)", SCOLS_JSON_STRING, 6, 0,
         [](C&, const row& r) {
             if (r.target == 0 || r.entry != "pid")
                 return cell{};
             std::error_code ec;
             auto levels = in::pid_levels(r.target, ec);
             if (ec)
                 return unknown(ec);
             std::string out;
             for (pid_t p : levels)
             {
                 if (!out.empty())
                     out += ' ';
                 out += std::to_string(p);
             }
             return cell{out};
         }},
    };
    return cols;
}

const std::vector<column>& why_columns()
{
    using C = context;
    static const std::vector<column> cols = {
        {"KIND", "process, thread, for_children, fd, bind_mount, socket, child, owner", SCOLS_JSON_STRING, 8, 0,
         [](C&, const row& r) { return cell{std::string(to_string(r.ref->kind))}; }},
        {"PID", "process holding it (bind_mount: one in that mount namespace)", SCOLS_JSON_NUMBER, 5, SCOLS_FL_RIGHT,
         [](C&, const row& r) { return cell{r.ref->pid ? std::to_string(r.ref->pid) : ""}; }},
        {"TID", "thread holding it (kind thread)", SCOLS_JSON_NUMBER, 5, SCOLS_FL_RIGHT,
         [](C&, const row& r) {
             return cell{r.ref->kind == in::holder_kind::thread ? std::to_string(r.ref->tid) : ""};
         }},
        {"FD", "fd number (kinds fd, socket)", SCOLS_JSON_NUMBER, 3, SCOLS_FL_RIGHT,
         [](C&, const row& r) { return cell{r.ref->fd >= 0 ? std::to_string(r.ref->fd) : ""}; }},
        {"COMMAND", "command of that process", SCOLS_JSON_STRING, 0.2, SCOLS_FL_TRUNC,
         [](C& c, const row& r) {
             auto* p = r.ref->pid ? c.snap.find_process(r.ref->pid) : nullptr;
             return cell{p ? p->command : ""};
         }},
        {"MNTNS", "mount namespace of a bind mount", SCOLS_JSON_STRING, 10, SCOLS_FL_RIGHT,
         [](C& c, const row& r) {
             return cell{r.ref->mount_ns != in::ns_reference::npos ? id_text(c.snap, r.ref->mount_ns) : ""};
         }},
        {"PATH", "bind mount path, as seen in that mount namespace", SCOLS_JSON_STRING, 20, 0,
         [](C&, const row& r) { return cell{r.ref->path}; }},
        {"NS", "child or owned namespace (kinds child, owner)", SCOLS_JSON_STRING, 10, SCOLS_FL_RIGHT,
         [](C& c, const row& r) {
             return cell{r.ref->other != in::ns_reference::npos ? id_text(c.snap, r.ref->other) : ""};
         }},
        {"TYPE", "type of that namespace", SCOLS_JSON_STRING, 5, 0,
         [](C& c, const row& r) {
             return cell{r.ref->other != in::ns_reference::npos
                             ? std::string(to_string(c.snap.namespaces[r.ref->other].type))
                             : ""};
         }},
    };
    return cols;
}

struct output_options {
    bool json = false, raw = false, noheadings = false, notruncate = false, nowrap = false;
};

class table {
public:
    table(const char* name, const std::vector<const column*>& cols, const output_options& o, bool tree)
        : cols_(cols), json_(o.json)
    {
        tb_ = scols_new_table();
        if (!tb_)
            throw std::bad_alloc();
        scols_table_set_name(tb_, name);
        scols_table_enable_json(tb_, o.json);
        scols_table_enable_raw(tb_, o.raw);
        scols_table_enable_noheadings(tb_, o.noheadings);
        scols_table_enable_nowrap(tb_, o.nowrap);
        for (std::size_t i = 0; i < cols.size(); ++i) {
            int flags = cols[i]->flags;
            if (o.notruncate)
                flags &= ~SCOLS_FL_TRUNC;
            if (tree && i == 0)
                flags = (flags & ~SCOLS_FL_RIGHT) | SCOLS_FL_TREE;
            auto* cl = scols_table_new_column(tb_, cols[i]->name, cols[i]->width, flags);
            if (!cl)
                throw std::bad_alloc();
            scols_column_set_json_type(cl, cols[i]->json);
        }
    }
    ~table() { scols_unref_table(tb_); }
    table(const table&) = delete;
    table& operator=(const table&) = delete;

    libscols_line* add(context& c, const row& r, libscols_line* parent = nullptr)
    {
        auto* ln = scols_table_new_line(tb_, parent);
        if (!ln)
            throw std::bad_alloc();
        for (std::size_t i = 0; i < cols_.size(); ++i) {
            cell v = cols_[i]->get(c, r);
            if (v.text.empty() || (v.unknown && json_ && cols_[i]->json == SCOLS_JSON_NUMBER))
                continue; // JSON null: a number column cannot carry the reason
            scols_line_set_data(ln, i, v.text.c_str());
        }
        return ln;
    }
    void print() { scols_print_table(tb_); }

private:
    libscols_table* tb_ = nullptr;
    std::vector<const column*> cols_;
    bool json_;
};

std::vector<const column*> pick(const std::vector<column>& all, const std::string& list, bool everything)
{
    std::vector<const column*> out;
    if (everything) {
        for (const auto& c : all)
            out.push_back(&c);
        return out;
    }
    std::string_view rest = list;
    if (!rest.empty() && rest[0] == '+')
        rest.remove_prefix(1);
    while (!rest.empty()) {
        auto comma = rest.find(',');
        std::string name(rest.substr(0, comma));
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char ch) { return std::toupper(ch); });
        auto it = std::find_if(all.begin(), all.end(), [&](const column& c) { return name == c.name; });
        if (it == all.end())
            throw po::error("unknown column '" + name + "' (see --list-columns)");
        out.push_back(&*it);
    }
    return out;
}

std::string columns_for(const std::string& defaults, const std::string& requested)
{
    if (requested.empty())
        return defaults;
    return requested[0] == '+' ? defaults + "," + requested.substr(1) : requested;
}

int usage_error(const std::string& msg)
{
    std::cerr << "nsinfo: " << msg << "\nTry 'nsinfo --help' for more information.\n";
    return 2;
}

} // namespace

int main(int argc, char** argv)
try {
    po::options_description visible("Options");
    std::string output, tree, why, type_text;
    output_options out;
    std::vector<std::string> task_args;
    visible.add_options()
        ("help,h", "show this help and exit")
        ("version,V", "show the version and exit")
        ("all,a", "every namespace on the machine, as lsns lists them, including those held only by fds, bind mounts "
                  "or sockets")
        ("type,t", po::value(&type_text), "only namespaces of these types (comma list: mnt,uts,ipc,net,pid,user,"
                                          "cgroup,time)")
        ("task,p", po::value(&task_args)->composing(), "process to describe (same as a PID argument)")
        ("tree,T", po::value(&tree)->implicit_value("owner"), "tree: 'owner' (user namespaces and what they own) "
                                                              "or 'parent' (PID and user namespace hierarchy)")
        ("why", po::value(&why), "every reference holding namespace NS alive (id, inode, TYPE:[INODE] or path)")
        ("threads", "also look at threads (/proc/PID/task/TID/ns)")
        ("json,J", po::bool_switch(&out.json), "JSON output")
        ("raw,r", po::bool_switch(&out.raw), "raw output (no alignment)")
        ("noheadings,n", po::bool_switch(&out.noheadings), "no header line")
        ("output,o", po::value(&output), "columns to show (comma list; '+LIST' adds to the defaults)")
        ("output-all", "all columns")
        ("list-columns,H", "list the columns and exit")
        ("notruncate,u", po::bool_switch(&out.notruncate), "do not truncate text in columns")
        ("nowrap,W", po::bool_switch(&out.nowrap), "do not wrap multi-line cells")
        ("list,l", "list format (the default; accepted for lsns compatibility)");
    po::options_description hidden;
    hidden.add_options()("pid", po::value(&task_args)->composing());
    po::options_description all_opts;
    all_opts.add(visible).add(hidden);
    po::positional_options_description pos;
    pos.add("pid", -1);

    // "-1" looks like an option to the parser; it is a bad pid, reported as such.
    std::vector<std::string> args;
    std::vector<std::string> negative;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a.size() > 1 && a[0] == '-' && std::all_of(a.begin() + 1, a.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
            negative.push_back(a);
        else
            args.push_back(a);
    }
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(args).options(all_opts).positional(pos).run(), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        return usage_error(e.what());
    }
    if (vm.count("help")) {
        std::cout << "Usage: nsinfo [options] [PID...]\n"
                     "       nsinfo --all [-t TYPE]\n"
                     "       nsinfo --tree[=owner|parent]\n"
                     "       nsinfo --why NS\n\n"
                     "Show the namespaces of processes (default: nsinfo's own, i.e. the caller's), every namespace\n"
                     "on the system, how they relate, and what keeps them alive.\n\n"
                  << visible << "\nSee nsinfo(1).\n";
        return 0;
    }
    if (vm.count("version")) {
        std::cout << version << "\n";
        return 0;
    }
    const bool all = vm.count("all") != 0;
    const bool why_mode = vm.count("why") != 0;
    const bool tree_mode = vm.count("tree") != 0;
    if (vm.count("list-columns")) {
        output_options lo = out;
        libscols_table* tb = scols_new_table();
        scols_table_set_name(tb, "columns");
        scols_table_enable_json(tb, lo.json);
        scols_table_enable_raw(tb, lo.raw);
        scols_table_enable_noheadings(tb, lo.noheadings);
        scols_table_new_column(tb, "NAME", 8, 0);
        scols_table_new_column(tb, "MODE", 10, 0);
        scols_table_new_column(tb, "DESCRIPTION", 0.5, 0);
        for (auto* set : {&ns_columns(), &why_columns()})
            for (const auto& c : *set) {
                auto* ln = scols_table_new_line(tb, nullptr);
                scols_line_set_data(ln, 0, c.name);
                scols_line_set_data(ln, 1, set == &ns_columns() ? "namespaces" : "why");
                scols_line_set_data(ln, 2, c.help);
            }
        scols_print_table(tb);
        scols_unref_table(tb);
        return 0;
    }
    if (int modes = (all ? 1 : 0) + (why_mode ? 1 : 0) + (tree_mode ? 1 : 0); modes > 1)
        return usage_error("--all, --tree and --why do not combine");
    if ((all || why_mode || tree_mode) && (!task_args.empty() || !negative.empty()))
        return usage_error("PID arguments do not combine with --all, --tree or --why");
    if (tree_mode && tree != "owner" && tree != "parent")
        return usage_error("--tree takes 'owner' or 'parent', not '" + tree + "'");
    std::set<ns_type> types;
    if (!type_text.empty()) {
        std::string_view rest = type_text;
        while (!rest.empty()) {
            auto comma = rest.find(',');
            auto t = nskit::sys::ns_type_from_name(rest.substr(0, comma));
            if (!t)
                return usage_error("unknown namespace type '" + std::string(rest.substr(0, comma)) +
                                   "' (mnt, uts, ipc, net, pid, user, cgroup, time)");
            types.insert(*t);
            rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        }
    }
    auto type_ok = [&](ns_type t) { return types.empty() || types.count(t) != 0; };

    // Validate every pid before any work; keep the good ones.
    int status = 0;
    std::vector<pid_t> pids;
    for (const auto& a : negative) {
        std::cerr << "nsinfo: '" << a << "': not a valid process id (expected a number from 1 to 4194304)\n";
        status = 1;
    }
    for (const auto& a : task_args) {
        std::error_code ec;
        pid_t p = in::parse_pid(a, ec);
        if (ec) {
            std::cerr << "nsinfo: '" << a << "': not a valid process id (expected a number from 1 to 4194304)\n";
            status = 1;
            continue;
        }
        auto fd = nskit::sys::pidfd_open(p, ec);
        if (ec) {
            std::cerr << "nsinfo: " << p << ": " << (ec == std::errc::no_such_process ? "no such process" : ec.message())
                      << "\n";
            status = 1;
            continue;
        }
        pids.push_back(p);
    }
    if (!all && !why_mode && !tree_mode && task_args.empty() && negative.empty())
        pids.push_back(::getpid());
    if (pids.empty() && !all && !why_mode && !tree_mode)
        return status;

    std::vector<std::string> col_names;
    std::string defaults;
    // Columns first: a bad -o is a usage error before any work, and the scan
    // reads only what the columns need.
    const bool everything = vm.count("output-all") != 0;
    std::vector<const column*> cols;
    try {
        if (why_mode)
            cols = pick(why_columns(), columns_for("KIND,PID,TID,FD,COMMAND,MNTNS,PATH,NS,TYPE", output), everything);
        else if (all)
            cols = pick(ns_columns(), columns_for("NS,TYPE,NPROCS,PID,USER,COMMAND,HELD", output), everything);
        else if (tree_mode)
            cols = pick(ns_columns(), columns_for("NS,TYPE,NPROCS,PID,COMMAND,OUID,HELD", output), everything);
        else
            cols = pick(ns_columns(), columns_for(pids.size() > 1 ? pid_columns_many : pid_columns_one, output),
                        everything);
    } catch (const po::error& e) {
        return usage_error(e.what());
    }
    auto shows = [&](std::string_view name) {
        return std::any_of(cols.begin(), cols.end(), [&](const column* c) { return name == c->name; });
    };
    in::scan_options so;
    so.threads = vm.count("threads") != 0;
    so.details = why_mode; // other modes show only each namespace's lowest-pid process
    so.netnsid = !why_mode && shows("NETNSID");
    if (!all && !why_mode) { // pid and tree modes do not list holders
        so.fds = so.sockets = so.mounts = tree_mode;
    }
    if (!all && !why_mode && !tree_mode) {
        // Columns about one process's namespaces need no system-wide scan.
        bool need = false;
        for (const char* c : {"PATH", "NPROCS", "NTHREADS", "PID", "PPID", "COMMAND", "UID", "USER", "NSFS", "HELD"})
            need = need || shows(c);
        if (!need)
            so.pids = pids;
    }
    std::error_code ec;
    in::snapshot snap = in::scan(so, ec);
    if (ec) {
        if (ec == nskit::error::proc_not_mounted)
            std::cerr << "nsinfo: /proc is not mounted (procfs needed): mount -t proc proc /proc\n";
        else
            std::cerr << "nsinfo: " << nskit::describe(ec, nskit::op_kind::proc_read, "scan(/proc)") << "\n";
        return 1;
    }
    context ctx{snap};
    ctx.init_known = std::any_of(snap.namespaces.begin(), snap.namespaces.end(),
                                 [](const in::namespace_info& n) { return n.initial; });
    try {
        if (why_mode) {
            std::size_t i = in::find_namespace(snap, why, ec);
            if (ec) {
                std::cerr << "nsinfo: --why " << why << ": "
                          << (ec == std::errc::no_such_file_or_directory ? "no such namespace (give an id, an inode, "
                                                                           "TYPE:[INODE] or a namespace path)"
                                                                         : ec.message())
                          << "\n";
                return 1;
            }
            auto refs = in::why_alive(snap, i);
            table t("references", cols, out, false);
            for (const auto& r : refs) {
                row rw;
                rw.ns = i;
                rw.ref = &r;
                t.add(ctx, rw);
            }
            t.print();
        } else if (all) {
            table t("namespaces", cols, out, false);
            std::vector<std::size_t> order(snap.namespaces.size());
            for (std::size_t i = 0; i < order.size(); ++i)
                order[i] = i;
            std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
                const auto& x = snap.namespaces[a];
                const auto& y = snap.namespaces[b];
                return std::tie(x.identity.id, x.identity.inode.ino) < std::tie(y.identity.id, y.identity.inode.ino);
            });
            for (std::size_t i : order)
                if (type_ok(snap.namespaces[i].type)) {
                    row rw;
                    rw.ns = i;
                    t.add(ctx, rw);
                }
            t.print();
            std::fflush(stdout);
            if (snap.holders_unknown && !out.json)
                std::cerr << "nsinfo: fds of " << snap.holders_unknown << " processes not readable ("
                          << snap.holders_error.message() << "): namespaces held only by them may be missing\n";
        } else if (tree_mode) {
            table t("namespaces", cols, out, true);
            const bool by_owner = tree == "owner";
            // Children of each node: owner tree = owned namespaces; parent tree = pid/user children.
            std::vector<std::vector<std::size_t>> kids(snap.namespaces.size());
            std::vector<std::size_t> roots;
            for (std::size_t i = 0; i < snap.namespaces.size(); ++i) {
                const auto& n = snap.namespaces[i];
                if (!by_owner && n.type != ns_type::pid && n.type != ns_type::user)
                    continue;
                if (by_owner && n.type != ns_type::user && !type_ok(n.type))
                    continue;
                if (!by_owner && !type_ok(n.type))
                    continue;
                const auto& up = by_owner ? n.owner : n.parent;
                if (up.value)
                    kids[*up.value].push_back(i);
                else
                    roots.push_back(i);
            }
            std::function<void(std::size_t, libscols_line*)> add = [&](std::size_t i, libscols_line* parent) {
                row rw;
                rw.ns = i;
                auto* ln = t.add(ctx, rw, parent);
                auto& k = kids[i];
                // child user namespaces last, so what a namespace owns reads first
                std::stable_sort(k.begin(), k.end(), [&](std::size_t a, std::size_t b) {
                    return (snap.namespaces[a].type == ns_type::user) < (snap.namespaces[b].type == ns_type::user);
                });
                for (std::size_t c : k)
                    add(c, ln);
            };
            for (std::size_t r : roots)
                add(r, nullptr);
            t.print();
        } else {
            table t("namespaces", cols, out, false);
            for (pid_t p : pids) {
                const auto* proc = snap.find_process(p);
                if (!proc) { // exited between validation and scan
                    std::cerr << "nsinfo: " << p << ": no such process\n";
                    status = 1;
                    continue;
                }
                for (std::size_t k = 0; k < nskit::sys::ns_type_count + 2; ++k) {
                    row rw;
                    rw.target = p;
                    ns_type ty = k < nskit::sys::ns_type_count ? nskit::sys::ns_types()[k].type
                                                                : (k == 8 ? ns_type::pid : ns_type::time);
                    if (!type_ok(ty))
                        continue;
                    rw.entry = k < nskit::sys::ns_type_count ? nskit::sys::ns_types()[k].name
                                                              : nskit::sys::info(ty).for_children_entry;
                    rw.ns = k < nskit::sys::ns_type_count ? proc->ns[k]
                                                           : (k == 8 ? proc->pid_for_children : proc->time_for_children);
                    rw.error = proc->ns_error;
                    if (rw.ns == none && !rw.error)
                        rw.error = std::make_error_code(std::errc::no_such_file_or_directory);
                    if (proc->state == in::process_state::zombie)
                        rw.error = std::make_error_code(std::errc::no_such_process);
                    t.add(ctx, rw);
                }
            }
            t.print();
        }
    } catch (const po::error& e) {
        return usage_error(e.what());
    }
    return status;
} catch (const std::exception& e) {
    std::cerr << "nsinfo: " << e.what() << "\n";
    return 1;
}
