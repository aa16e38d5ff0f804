// nscmp — what do two processes share?  Namespaces, kernel resources
// (kcmp), open files and epoll targets; or, with --group, the classes of
// processes sharing each resource.
//
// Exit status (like cmp(1)): 0 everything compared is shared, 1 something
// differs, 2 trouble (bad input, or nothing could be compared).
#include <nskit/inspect/compare.hpp>
#include <nskit/inspect/group.hpp>
#include <nskit/inspect/process.hpp>
#include <nskit/sys/error.hpp>
#include <nskit/sys/ns_type.hpp>

#include "cli.hpp"
#include "text.hpp"

#include <boost/json.hpp>
#include <boost/program_options.hpp>
#include <libsmartcols/libsmartcols.h>

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace po = boost::program_options;
namespace insp = nskit::inspect;
namespace sys = nskit::sys;

namespace {

using nskit::tools::fail;
using nskit::tools::json_text;

pid_t parse_pid(const std::string& s)
{
    pid_t pid = 0;
    std::string msg;
    if (!nskit::tools::parse_pid_arg(s, pid, msg))
        fail(msg);
    return pid;
}

// Append `item` to a `sep`-separated list.
void append(std::string& list, std::string_view item, std::string_view sep = ",")
{
    if (!list.empty())
        list += sep;
    list += item;
}

std::vector<std::string> split(const std::string& s)
{
    std::vector<std::string> out;
    std::stringstream in(s);
    std::string item;
    while (std::getline(in, item, ','))
        if (!item.empty())
            out.push_back(item);
    return out;
}

std::string lower(std::string s)
{
    for (auto& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string upper(std::string s)
{
    for (auto& c : s)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

std::optional<sys::kcmp_resource> resource_from_name(const std::string& n)
{
    for (auto t : insp::kcmp_resources())
        if (n == sys::to_string(t))
            return t;
    return std::nullopt;
}

// ---- libsmartcols, RAII ----

struct table {
    libscols_table* tb = scols_new_table();
    table() { if (!tb) throw std::bad_alloc(); }
    ~table() { scols_unref_table(tb); }
    table(const table&) = delete;
    table& operator=(const table&) = delete;
};

struct output_style {
    bool raw = false, noheadings = false;
};

struct column_def {
    const char* name;
    const char* help;
    int flags;
};

void print_table(const std::vector<column_def>& cols, const std::vector<std::vector<std::string>>& rows,
                 const output_style& style, const char* title)
{
    table t;
    scols_table_enable_raw(t.tb, style.raw);
    scols_table_enable_noheadings(t.tb, style.noheadings);
    if (title && !style.raw && !style.noheadings)
        scols_cell_set_data(scols_table_get_title(t.tb), title);
    for (const auto& c : cols)
        if (!scols_table_new_column(t.tb, c.name, 0, c.flags))
            throw std::bad_alloc();
    for (const auto& r : rows) {
        libscols_line* ln = scols_table_new_line(t.tb, nullptr);
        if (!ln)
            throw std::bad_alloc();
        for (std::size_t i = 0; i < r.size(); ++i)
            scols_line_set_data(ln, i, r[i].c_str());
    }
    scols_print_table(t.tb);
}

// ---- compare ----

const std::vector<column_def> compare_columns{
    {"TYPE", "namespace type or kcmp resource", 0},
    {"KIND", "namespace or resource", 0},
    {"RESULT", "same, different, parent, child, ancestor, descendant, or unknown", 0},
    {"RELATION", "a's namespace relative to b's (pid and user namespaces)", 0},
    {"A", "a's namespace (type:[inode])", 0},
    {"B", "b's namespace (type:[inode])", 0},
    {"A-ID", "a's namespace id (NS_GET_ID, 6.18)", SCOLS_FL_RIGHT},
    {"B-ID", "b's namespace id", SCOLS_FL_RIGHT},
    {"DETAIL", "how they relate, who owns them, or why unknown", SCOLS_FL_WRAP},
};
const char* const default_compare_columns = "TYPE,RESULT,A,B,DETAIL";

const std::vector<column_def> group_columns{
    {"RESOURCE", "kcmp resource (vm, files, fs, sighand, io, sysvsem, file)", 0},
    {"CLASS", "class number, largest first", SCOLS_FL_RIGHT},
    {"SIZE", "processes (or fds, for file) in the class", SCOLS_FL_RIGHT},
    {"MEMBERS", "pids, or pid:fd for file", SCOLS_FL_WRAP},
    {"WHAT", "for file: what the fds refer to", SCOLS_FL_WRAP},
};
const char* const default_group_columns = "RESOURCE,CLASS,SIZE,MEMBERS,WHAT";

std::vector<std::size_t> pick_columns(const std::vector<column_def>& all, const std::string& list)
{
    std::vector<std::size_t> out;
    for (const auto& name : split(list)) {
        const std::string u = upper(name);
        auto it = std::find_if(all.begin(), all.end(), [&](const column_def& c) { return u == c.name; });
        if (it == all.end()) {
            std::string names;
            for (const auto& c : all)
                append(names, c.name);
            fail("-o: unknown column '" + name + "' (columns: " + names + ")");
        }
        out.push_back(static_cast<std::size_t>(it - all.begin()));
    }
    if (out.empty())
        fail("-o: no columns given");
    return out;
}

std::string ns_label(sys::ns_type t, const sys::ns_inode& i)
{
    return std::string(sys::to_string(t)) + ":[" + std::to_string(i.ino) + "]";
}

std::string relation_text(const insp::ns_comparison& n)
{
    const std::string levels = " (" + std::to_string(n.distance) + " levels)";
    switch (n.relation) {
    case insp::ns_relation::parent: return "a's is the parent of b's";
    case insp::ns_relation::child: return "a's is a child of b's";
    case insp::ns_relation::ancestor: return "a's is an ancestor of b's" + levels;
    case insp::ns_relation::descendant: return "a's is a descendant of b's" + levels;
    case insp::ns_relation::none: break;
    }
    return {};
}

std::string ns_detail(const insp::ns_comparison& n)
{
    if (n.state == insp::sharing::unknown)
        return n.reason;
    std::string d = relation_text(n);
    auto add = [&](const std::string& s) { append(d, s, "; "); };
    // Ownership is news only when one side's owner is the other's user namespace but not its own.
    if (n.a_owned_by_b_user == true && n.b_owned_by_a_user != true)
        add("a's is owned by b's user namespace");
    if (n.b_owned_by_a_user == true && n.a_owned_by_b_user != true)
        add("b's is owned by a's user namespace");
    return d;
}

std::string ns_result(const insp::ns_comparison& n)
{
    if (n.state == insp::sharing::different && n.relation != insp::ns_relation::none)
        return std::string(insp::to_string(n.relation));
    return std::string(insp::to_string(n.state));
}

// Every row as all columns, in compare_columns order; nullopt cells are JSON null.
using cells = std::vector<std::optional<std::string>>;

std::vector<cells> comparison_rows(const insp::comparison& c)
{
    std::vector<cells> rows;
    for (const auto& n : c.namespaces) {
        const bool known = n.state != insp::sharing::unknown;
        auto id = [&](std::uint64_t v) { return known && v ? std::optional<std::string>(std::to_string(v)) : std::nullopt; };
        std::string detail = ns_detail(n);
        rows.push_back({std::string(sys::to_string(n.type)), "namespace", ns_result(n),
                        n.relation != insp::ns_relation::none ? std::optional<std::string>(insp::to_string(n.relation))
                                                              : std::nullopt,
                        known ? std::optional<std::string>(ns_label(n.type, n.a_inode)) : std::nullopt,
                        known ? std::optional<std::string>(ns_label(n.type, n.b_inode)) : std::nullopt, id(n.a_id),
                        id(n.b_id), detail.empty() ? std::nullopt : std::optional<std::string>(detail)});
    }
    for (const auto& r : c.resources) {
        std::optional<std::string> detail;
        if (!r.reason.empty())
            detail = r.reason;
        else if (r.state == insp::sharing::same &&
                 (r.resource == sys::kcmp_resource::io || r.resource == sys::kcmp_resource::sysvsem))
            detail = "one object, or neither has one yet (allocated on first use)";
        rows.push_back({std::string(sys::to_string(r.resource)), "resource", std::string(insp::to_string(r.state)),
                        std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt, detail});
    }
    return rows;
}

// What an fd refers to, or why that is unknown.
std::string fd_what(const insp::fd_description& d)
{
    return d.target_error ? "unknown (" + d.target_error.message() + ")" : d.target;
}

std::string hex(std::uint32_t v)
{
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%x", v);
    return buf;
}

struct compare_request {
    insp::compare_options options;
    std::vector<std::size_t> columns;
    output_style style;
    bool json = false, quiet = false;
};

int run_compare(pid_t pa, pid_t pb, const compare_request& q)
{
    std::error_code ec;
    auto a = sys::pidref::open(pa, ec, {.allow_thread = true});
    if (ec)
        fail(std::to_string(pa) + ": " + (ec == std::errc::no_such_process ? "no such process" : ec.message()));
    auto b = sys::pidref::open(pb, ec, {.allow_thread = true});
    if (ec)
        fail(std::to_string(pb) + ": " + (ec == std::errc::no_such_process ? "no such process" : ec.message()));
    auto c = insp::compare(a, b, q.options, ec);
    if (ec == std::errc::no_such_process)
        fail(std::to_string(a.alive() ? pb : pa) + ": the process has exited");
    if (ec)
        fail(nskit::describe(ec, nskit::op_kind::proc_read, "compare(" + std::to_string(pa) + ", " + std::to_string(pb) + ")"));

    const bool rows_asked = !q.options.namespaces.empty() || !q.options.resources.empty();
    const bool sections_ok = (!q.options.shared_fds || c.shared_fds_compared) && (!q.options.epoll || c.epoll_compared);
    int status = c.something_differs() ? 1 : 0;
    if (rows_asked ? !c.anything_compared() : !sections_ok)
        status = 2;
    if (q.quiet)
        return status;

    auto rows = comparison_rows(c);
    if (q.json) {
        boost::json::object doc;
        doc["a"] = pa;
        doc["b"] = pb;
        boost::json::array comparisons;
        for (const auto& r : rows) {
            boost::json::object o;
            for (auto i : q.columns) {
                const std::string key = lower(compare_columns[i].name);
                if (!r[i])
                    o[key] = nullptr;
                else if ((key == "a-id" || key == "b-id"))
                    o[key] = std::stoull(*r[i]);
                else
                    o[key] = json_text(*r[i]);
            }
            comparisons.push_back(std::move(o));
        }
        doc["comparisons"] = std::move(comparisons);
        auto fd_json = [](const insp::fd_description& d) {
            return boost::json::object{{"fd", d.fd}, {"kind", std::string(insp::to_string(d.kind))}, {"what", json_text(fd_what(d))}};
        };
        if (q.options.shared_fds) {
            if (c.shared_fds_compared) {
                boost::json::array fds;
                for (const auto& s : c.shared_fds)
                    fds.push_back(boost::json::object{{"a-fd", s.a.fd}, {"b-fd", s.b.fd},
                                                      {"kind", std::string(insp::to_string(s.a.kind))},
                                                      {"what", json_text(fd_what(s.a))}});
                doc["shared-fds"] = std::move(fds);
            } else {
                doc["shared-fds"] = nullptr;
                doc["shared-fds-unknown"] = json_text(c.fds_reason);
            }
        }
        if (q.options.epoll) {
            if (c.epoll_compared) {
                boost::json::array ep;
                for (const auto& w : c.epoll)
                    ep.push_back(boost::json::object{{"owner", w.owner == insp::epoll_watch::side::a ? "a" : "b"},
                                                     {"epfd", w.epoll_fd},
                                                     {"tfd", w.target_fd},
                                                     {"offset", w.target_offset},
                                                     {"events", hex(w.events)},
                                                     {"other", fd_json(w.other)}});
                doc["epoll"] = std::move(ep);
            } else {
                doc["epoll"] = nullptr;
                doc["epoll-unknown"] = json_text(c.epoll_reason);
            }
        }
        doc["kcmp-calls"] = c.kcmp_calls;
        std::cout << boost::json::serialize(doc) << '\n';
        return status;
    }

    if (!rows.empty()) {
        std::vector<column_def> cols;
        for (auto i : q.columns)
            cols.push_back(compare_columns[i]);
        std::vector<std::vector<std::string>> text;
        for (const auto& r : rows) {
            std::vector<std::string> line;
            for (auto i : q.columns)
                line.push_back(r[i].value_or("-"));
            text.push_back(std::move(line));
        }
        const std::string title = "process a = " + std::to_string(pa) + ", b = " + std::to_string(pb);
        print_table(cols, text, q.style, title.c_str());
    }
    if (q.options.shared_fds) {
        if (!c.shared_fds_compared) {
            std::cerr << "nscmp: open files not compared: " << c.fds_reason << '\n';
        } else if (!c.shared_fds.empty()) {
            std::vector<std::vector<std::string>> text;
            for (const auto& s : c.shared_fds)
                text.push_back({std::to_string(s.a.fd), std::to_string(s.b.fd), std::string(insp::to_string(s.a.kind)),
                                fd_what(s.a)});
            std::cout << (q.style.raw || q.style.noheadings ? "" : "\n");
            print_table({{"A-FD", "", SCOLS_FL_RIGHT}, {"B-FD", "", SCOLS_FL_RIGHT}, {"KIND", "", 0}, {"WHAT", "", SCOLS_FL_WRAP}},
                        text, q.style, "open files shared (one open file description)");
        }
    }
    if (q.options.epoll) {
        if (!c.epoll_compared) {
            std::cerr << "nscmp: epoll interest lists not compared: " << c.epoll_reason << '\n';
        } else if (!c.epoll.empty()) {
            std::vector<std::vector<std::string>> text;
            for (const auto& w : c.epoll)
                text.push_back({w.owner == insp::epoll_watch::side::a ? "a" : "b", std::to_string(w.epoll_fd),
                                std::to_string(w.target_fd) + (w.target_offset ? "+" + std::to_string(w.target_offset) : ""),
                                hex(w.events), std::to_string(w.other.fd), fd_what(w.other)});
            std::cout << (q.style.raw || q.style.noheadings ? "" : "\n");
            print_table({{"OWNER", "", 0}, {"EPFD", "", SCOLS_FL_RIGHT}, {"TFD", "", SCOLS_FL_RIGHT},
                         {"EVENTS", "", 0}, {"FD", "", SCOLS_FL_RIGHT}, {"WHAT", "", SCOLS_FL_WRAP}},
                        text, q.style, "epoll fds of one watching files of the other (FD: the other's fd)");
        }
    }
    if (status == 2)
        std::cerr << "nscmp: nothing could be compared between " << pa << " and " << pb << '\n';
    return status;
}

// ---- group ----

// Kernel threads have no address space or files of their own (NULL pointers
// compare equal): --all leaves them out.  PF_KTHREAD is in /proc/PID/stat's flags.
bool kernel_thread(pid_t pid)
{
    std::FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "re");
    if (!f)
        return false;
    char buf[1024];
    const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    buf[n] = '\0';
    const char* p = std::strrchr(buf, ')'); // comm may contain spaces and parentheses
    unsigned long flags = 0;
    return p && std::sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %lu", &flags) == 1 && (flags & 0x00200000UL) != 0;
}

std::vector<pid_t> all_pids()
{
    std::vector<pid_t> out;
    DIR* d = ::opendir("/proc");
    if (!d)
        fail("cannot read /proc: " + std::error_code(errno, std::system_category()).message() + " (is procfs mounted?)");
    const pid_t self = ::getpid();
    while (auto* e = ::readdir(d)) {
        int v = 0;
        const std::string_view n(e->d_name);
        auto [p, ec] = std::from_chars(n.data(), n.data() + n.size(), v);
        if (ec == std::errc() && p == n.data() + n.size() && v > 0 && v != self && !kernel_thread(v))
            out.push_back(v);
    }
    ::closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

struct group_request {
    std::vector<std::string> resources; // names, "file" included
    std::vector<std::size_t> columns;
    output_style style;
    bool json = false, quiet = false, shared_only = false;
};

std::string join_pids(const std::vector<pid_t>& v)
{
    std::string s;
    for (auto p : v)
        append(s, std::to_string(p));
    return s;
}

void report_skipped(const std::string& what, const std::vector<insp::ungrouped>& skipped)
{
    if (skipped.empty())
        return;
    std::cerr << "nscmp: " << what << ": " << skipped.size() << (skipped.size() == 1 ? " process" : " processes")
              << " left out (pid " << skipped.front().pid << ": " << skipped.front().reason << ")\n";
}

int run_group(const std::vector<pid_t>& pids, const group_request& q)
{
    std::vector<std::vector<std::string>> rows; // all group columns
    boost::json::array doc;
    std::size_t grouped = 0;
    for (const auto& name : q.resources) {
        std::error_code ec;
        boost::json::object jr;
        jr["resource"] = name;
        boost::json::array jclasses, jskipped;
        if (name == "file") {
            auto r = insp::group_files(pids, insp::fd_grouping::target, ec);
            if (ec)
                fail("group by open file: " + (r.error_reason.empty() ? ec.message() : r.error_reason));
            std::size_t n = 0;
            for (const auto& cls : r.classes) {
                std::string members;
                std::set<pid_t> owners;
                boost::json::array jm;
                for (const auto& f : cls) {
                    append(members, std::to_string(f.pid) + ":" + std::to_string(f.fd.fd));
                    owners.insert(f.pid);
                    jm.push_back(boost::json::object{{"pid", f.pid}, {"fd", f.fd.fd}});
                }
                ++n;
                rows.push_back({"file", std::to_string(n), std::to_string(cls.size()), members, fd_what(cls.front().fd)});
                jclasses.push_back(boost::json::object{{"members", std::move(jm)},
                                                       {"kind", std::string(insp::to_string(cls.front().fd.kind))},
                                                       {"what", json_text(fd_what(cls.front().fd))}});
            }
            grouped += pids.size() - std::min(pids.size(), r.skipped.size());
            for (const auto& s : r.skipped)
                jskipped.push_back(boost::json::object{{"pid", s.pid}, {"reason", json_text(s.reason)}});
            jr["kcmp-calls"] = r.kcmp_calls;
            jr["fds"] = r.fds_examined;
            if (!q.quiet && !q.json)
                report_skipped(name, r.skipped);
        } else {
            const auto type = *resource_from_name(name);
            auto r = insp::group(pids, type, ec);
            if (ec)
                fail("group by " + name + ": " + (r.error_reason.empty() ? ec.message() : r.error_reason));
            std::size_t n = 0;
            for (const auto& cls : r.classes) {
                ++n;
                grouped += cls.size();
                if (q.shared_only && cls.size() < 2)
                    continue;
                rows.push_back({name, std::to_string(n), std::to_string(cls.size()), join_pids(cls), ""});
                boost::json::array jp;
                for (auto p : cls)
                    jp.push_back(p);
                jclasses.push_back(std::move(jp));
            }
            for (const auto& s : r.skipped)
                jskipped.push_back(boost::json::object{{"pid", s.pid}, {"reason", json_text(s.reason)}});
            jr["kcmp-calls"] = r.kcmp_calls;
            jr["pairwise-fallback"] = r.pairwise_fallback;
            if (!q.quiet && !q.json)
                report_skipped(name, r.skipped);
        }
        jr["classes"] = std::move(jclasses);
        jr["skipped"] = std::move(jskipped);
        doc.push_back(std::move(jr));
    }
    const int status = grouped > 0 ? 0 : 2;
    if (q.quiet)
        return status;
    if (q.json) {
        std::cout << boost::json::serialize(boost::json::object{{"groups", std::move(doc)}}) << '\n';
    } else {
        std::vector<column_def> cols;
        for (auto i : q.columns)
            cols.push_back(group_columns[i]);
        std::vector<std::vector<std::string>> text;
        for (const auto& r : rows) {
            std::vector<std::string> line;
            for (auto i : q.columns)
                line.push_back(r[i].empty() ? "-" : r[i]);
            text.push_back(std::move(line));
        }
        print_table(cols, text, q.style, nullptr);
    }
    if (status == 2)
        std::cerr << "nscmp: no process could be grouped\n";
    return status;
}

void raise_fd_limit()
{
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max; // one pidfd per process while grouping
        ::setrlimit(RLIMIT_NOFILE, &rl);
    }
}

std::string column_help(const std::vector<column_def>& cols, const char* defaults)
{
    std::string s;
    for (const auto& c : cols) {
        const std::string name(c.name);
        s += "  " + name + std::string(name.size() < 10 ? 10 - name.size() : 1, ' ') + c.help + "\n";
    }
    return s + "  default: " + defaults + "\n";
}

int run(int argc, char** argv)
{
    po::options_description opts("Options");
    opts.add_options()
        ("json,J", "JSON output")
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
    po::options_description hidden;
    hidden.add_options()("pid", po::value<std::vector<std::string>>());
    po::options_description all;
    all.add(opts).add(hidden);
    po::positional_options_description pos;
    pos.add("pid", -1);
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(nskit::tools::normalize_args(argc, argv, all)).options(all).positional(pos).run(),
                  vm);
        po::notify(vm);
    } catch (const po::error& e) {
        fail(std::string(e.what()) + " (see --help)");
    }
    if (vm.count("help")) {
        std::cout << "Usage:\n"
                     "  nscmp [options] PID1 PID2\n"
                     "  nscmp --group [--resource LIST] [options] (PID... | --all)\n\n"
                     "What two processes share: namespaces (same, different, or parent/child/ancestor/\n"
                     "descendant in the pid and user namespace trees), kernel resources compared with\n"
                     "kcmp(2), open file descriptions and epoll targets.  With --group: classes of\n"
                     "processes sharing each resource, found by sorting with kcmp (N log N calls).\n\n"
                  << opts
                  << "\nColumns (compare):\n" << column_help(compare_columns, default_compare_columns)
                  << "\nColumns (--group):\n" << column_help(group_columns, default_group_columns)
                  << "\nExit status: 0 everything compared is shared, 1 something differs, 2 trouble.\n"
                     "See nscmp(1).\n";
        return 0;
    }
    if (vm.count("version")) {
        std::cout << nskit::tools::version_line("nscmp") << '\n';
        return 0;
    }
    std::vector<pid_t> pids;
    if (vm.count("pid"))
        for (const auto& s : vm["pid"].as<std::vector<std::string>>())
            pids.push_back(parse_pid(s));
    output_style style{vm.count("raw") != 0, vm.count("noheadings") != 0};
    const bool json = vm.count("json") != 0, quiet = vm.count("quiet") != 0;
    if (json && (style.raw || style.noheadings))
        fail("--json does not combine with --raw or --noheadings");

    if (vm.count("group")) {
        if (vm.count("type"))
            fail("--type applies to comparing two processes, not to --group (use --resource)");
        group_request q;
        q.style = style;
        q.json = json;
        q.quiet = quiet;
        q.shared_only = vm.count("shared") != 0;
        q.columns = pick_columns(group_columns, vm.count("output") ? vm["output"].as<std::string>() : default_group_columns);
        for (const auto& r : split(vm["resource"].as<std::string>())) {
            const std::string n = lower(r);
            if (n == "all") {
                for (auto t : insp::kcmp_resources())
                    q.resources.emplace_back(sys::to_string(t));
                q.resources.emplace_back("file");
            } else if (n == "file" || resource_from_name(n)) {
                q.resources.push_back(n);
            } else {
                fail("--resource: unknown resource '" + r + "' (vm, files, fs, sighand, io, sysvsem, file, all)");
            }
        }
        if (q.resources.empty())
            fail("--resource: nothing given");
        if (vm.count("all") && !pids.empty())
            fail("--all and a list of pids exclude each other");
        if (vm.count("all"))
            pids = all_pids();
        else if (pids.empty())
            fail("--group needs process ids or --all");
        raise_fd_limit();
        return run_group(pids, q);
    }

    for (const char* o : {"all", "shared"})
        if (vm.count(o))
            fail(std::string("--") + o + " applies only to --group");
    if (!vm["resource"].defaulted())
        fail("--resource applies only to --group (use --type to restrict a comparison)");
    if (pids.size() != 2)
        fail("expected two process ids, got " + std::to_string(pids.size()) + " (see --help)");
    compare_request q;
    q.style = style;
    q.json = json;
    q.quiet = quiet;
    q.columns = pick_columns(compare_columns, vm.count("output") ? vm["output"].as<std::string>() : default_compare_columns);
    if (vm.count("type")) {
        auto& o = q.options;
        o.namespaces.clear();
        o.resources.clear();
        o.shared_fds = o.epoll = false;
        for (const auto& name : split(vm["type"].as<std::string>())) {
            const std::string n = lower(name);
            if (n == "fds")
                o.shared_fds = true;
            else if (n == "epoll")
                o.epoll = true;
            else if (auto r = resource_from_name(n))
                o.resources.push_back(*r);
            else if (auto t = sys::ns_type_from_name(n))
                o.namespaces.push_back(*t);
            else
                fail("--type: unknown type '" + name +
                     "' (mnt, uts, ipc, net, pid, user, cgroup, time, vm, files, fs, sighand, io, sysvsem, fds, epoll)");
        }
        if (o.namespaces.empty() && o.resources.empty() && !o.shared_fds && !o.epoll)
            fail("--type: nothing given");
    }
    return run_compare(pids[0], pids[1], q);
}

} // namespace

int main(int argc, char** argv)
{
    try {
        return run(argc, argv);
    } catch (const nskit::tools::usage_error& e) {
        std::cerr << "nscmp: " << e.text << '\n';
    } catch (const std::exception& e) {
        std::cerr << "nscmp: " << e.what() << '\n';
    }
    return 2;
}
