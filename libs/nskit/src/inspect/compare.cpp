// compare(a, b): namespaces, kcmp resources, shared open files, epoll targets.
#include <nskit/inspect/compare.hpp>

#include "compare_internal.hpp"

#include <nskit/inspect/detail/cmp_classes.hpp>
#include <nskit/inspect/detail/cmp_proc.hpp>
#include <nskit/sys/detail/syscall.hpp>
#include <nskit/sys/error.hpp>
#include <nskit/sys/nsfs.hpp>
#include <nskit/sys/pidfd.hpp>

#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <map>
#include <new>
#include <tuple>

namespace nskit::inspect {
namespace {

namespace cmp = detail::cmp;
using namespace compare_detail;

// ---- namespaces ----

struct ns_side {
    unique_fd fd;
    sys::ns_inode inode;
    std::error_code error;
    std::string reason;
};

// From the pidfd (the process's own, no /proc), or /proc confirmed by it.
ns_side open_side(const sys::pidref& p, sys::ns_type t)
{
    const pid_t pid = p.pid();
    ns_side s;
    s.fd = p.open_namespace(t, s.error);
    if (!s.error)
        s.inode = sys::ns_stat(s.fd.get(), s.error);
    if (s.error)
        s.reason = describe(s.error, op_kind::namespace_open, proc_op(pid, "ns/" + std::string(sys::info(t).proc_entry)));
    return s;
}

// Inodes of the ancestors of a pid/user namespace, parent first.  Stops at
// the root or where NS_GET_PARENT says EPERM (beyond the caller's reach).
std::vector<sys::ns_inode> ancestors(int ns_fd)
{
    std::vector<sys::ns_inode> out;
    std::error_code ec;
    unique_fd cur = sys::ns_get_parent(ns_fd, ec);
    for (int depth = 0; !ec && cur && depth < 64; ++depth) { // nesting is limited to 32 levels
        auto ino = sys::ns_stat(cur.get(), ec);
        if (ec)
            break;
        out.push_back(ino);
        cur = sys::ns_get_parent(cur.get(), ec);
    }
    return out;
}

std::optional<bool> owned_by(int ns_fd, const ns_side& user)
{
    if (user.error)
        return std::nullopt;
    std::error_code ec;
    unique_fd owner = sys::ns_get_userns(ns_fd, ec);
    if (ec)
        return std::nullopt;
    auto ino = sys::ns_stat(owner.get(), ec);
    if (ec)
        return std::nullopt;
    return ino == user.inode;
}

// Pid and user namespaces: is one an ancestor of the other, and how far up?
void relate(const ns_side& x, const ns_side& y, ns_comparison& c)
{
    auto up_a = ancestors(x.fd.get());
    auto it = std::find(up_a.begin(), up_a.end(), y.inode);
    if (it != up_a.end()) {
        c.distance = static_cast<unsigned>(it - up_a.begin()) + 1;
        c.relation = c.distance == 1 ? ns_relation::child : ns_relation::descendant;
        return;
    }
    auto up_b = ancestors(y.fd.get());
    auto jt = std::find(up_b.begin(), up_b.end(), x.inode);
    if (jt != up_b.end()) {
        c.distance = static_cast<unsigned>(jt - up_b.begin()) + 1;
        c.relation = c.distance == 1 ? ns_relation::parent : ns_relation::ancestor;
    }
}

// One type, both sides open: inodes, ids, sharing, relation, owners.
void compare_opened(const ns_side& x, const ns_side& y, const ns_side& ua, const ns_side& ub, bool have_id,
                    ns_comparison& c)
{
    c.a_inode = x.inode;
    c.b_inode = y.inode;
    if (have_id) {
        std::error_code ec;
        c.a_id = sys::ns_get_id(x.fd.get(), ec);
        if (ec)
            c.a_id = 0;
        c.b_id = sys::ns_get_id(y.fd.get(), ec);
        if (ec)
            c.b_id = 0;
    }
    c.state = x.inode == y.inode ? sharing::same : sharing::different;
    if (c.state == sharing::different && (c.type == sys::ns_type::pid || c.type == sys::ns_type::user))
        relate(x, y, c);
    c.a_owned_by_b_user = owned_by(x.fd.get(), ub);
    c.b_owned_by_a_user = owned_by(y.fd.get(), ua);
}

void compare_namespaces(const sys::pidref& a, const sys::pidref& b, const compare_options& o, comparison& r)
{
    const auto& types = o.namespaces;
    if (types.empty())
        return;
    std::vector<ns_side> sa, sb;
    for (auto t : types) {
        sa.push_back(open_side(a, t));
        sb.push_back(open_side(b, t));
    }
    ns_side ua = open_side(a, sys::ns_type::user), ub = open_side(b, sys::ns_type::user);
    // What was opened by pid belongs to a and b only if both are still alive now.
    const bool a_ok = a.alive(), b_ok = b.alive();
    const bool have_id = sys::probe_nsfs().get_id;
    for (std::size_t i = 0; i < types.size(); ++i) {
        ns_comparison c;
        c.type = types[i];
        auto& x = sa[i];
        auto& y = sb[i];
        if (!a_ok || !b_ok) {
            c.error = esrch;
            c.reason = exited_reason(a_ok ? b.pid() : a.pid());
        } else if (x.error || y.error) {
            c.error = x.error ? x.error : y.error;
            c.reason = x.error ? x.reason : y.reason;
        } else {
            compare_opened(x, y, ua, ub, have_id, c);
        }
        r.namespaces.push_back(std::move(c));
    }
}

// ---- kcmp resources ----

void compare_resources(const sys::pidref& a, const sys::pidref& b, const compare_options& o, comparison& r)
{
    for (auto t : o.resources) {
        resource_comparison c;
        c.resource = t;
        std::error_code ec;
        auto order = sys::kcmp(a.pid(), b.pid(), t, ec);
        ++r.kcmp_calls;
        if (ec) {
            c.error = ec;
            c.reason = describe(ec, op_kind::kcmp, kcmp_op(a.pid(), b.pid(), sys::to_string(t)));
        } else {
            c.state = order == sys::kcmp_order::equal ? sharing::same : sharing::different;
        }
        r.resources.push_back(std::move(c));
    }
    if (!a.alive() || !b.alive()) {
        const pid_t gone = a.alive() ? b.pid() : a.pid();
        for (auto& c : r.resources) {
            if (c.error && c.error != esrch)
                continue; // keep a reason that does not depend on the exit (EPERM, ENOSYS)
            c.state = sharing::unknown;
            c.error = esrch;
            c.reason = exited_reason(gone);
        }
    }
}

} // namespace

// ---- names ----

std::string_view to_string(sharing s) noexcept
{
    switch (s) {
    case sharing::same: return "same";
    case sharing::different: return "different";
    case sharing::unknown: return "unknown";
    }
    return "unknown";
}

std::string_view to_string(ns_relation r) noexcept
{
    switch (r) {
    case ns_relation::none: return "none";
    case ns_relation::parent: return "parent";
    case ns_relation::child: return "child";
    case ns_relation::ancestor: return "ancestor";
    case ns_relation::descendant: return "descendant";
    }
    return "none";
}

std::string_view to_string(fd_kind k) noexcept
{
    switch (k) {
    case fd_kind::path: return "path";
    case fd_kind::socket: return "socket";
    case fd_kind::pipe: return "pipe";
    case fd_kind::anon_inode: return "anon_inode";
    case fd_kind::other: return "other";
    }
    return "other";
}

const std::vector<sys::kcmp_resource>& kcmp_resources()
{
    static const std::vector<sys::kcmp_resource> all{sys::kcmp_resource::vm,      sys::kcmp_resource::files,
                                                 sys::kcmp_resource::fs,      sys::kcmp_resource::sighand,
                                                 sys::kcmp_resource::io,      sys::kcmp_resource::sysvsem};
    return all;
}

std::optional<sys::kcmp_resource> kcmp_resource_from_name(std::string_view name) noexcept
{
    for (auto t : kcmp_resources())
        if (name == sys::to_string(t))
            return t;
    return std::nullopt;
}

std::vector<sys::ns_type> all_namespace_types()
{
    std::vector<sys::ns_type> all;
    for (const auto& i : sys::ns_types())
        all.push_back(i.type);
    return all;
}

bool comparison::anything_compared() const noexcept
{
    return std::any_of(namespaces.begin(), namespaces.end(), [](auto& c) { return c.state != sharing::unknown; }) ||
           std::any_of(resources.begin(), resources.end(), [](auto& c) { return c.state != sharing::unknown; });
}

bool comparison::something_differs() const noexcept
{
    return std::any_of(namespaces.begin(), namespaces.end(), [](auto& c) { return c.state == sharing::different; }) ||
           std::any_of(resources.begin(), resources.end(), [](auto& c) { return c.state == sharing::different; });
}

// ---- compare ----

comparison compare(const sys::pidref& a, const sys::pidref& b, const compare_options& o, std::error_code& ec) noexcept
{
    comparison r;
    ec.clear();
    try {
        r.a = a.pid();
        r.b = b.pid();
        for (const auto* p : {&a, &b}) {
            if (!p->alive()) {
                ec = p->pidfd() < 0 ? std::make_error_code(std::errc::bad_file_descriptor) : esrch;
                return r;
            }
        }
        for (auto t : o.resources)
            if (t == sys::kcmp_resource::file || t == sys::kcmp_resource::epoll_tfd ||
                static_cast<int>(t) < 0 || static_cast<int>(t) > 7) {
                ec = std::make_error_code(std::errc::invalid_argument);
                return r;
            }
        compare_namespaces(a, b, o, r);
        compare_resources(a, b, o, r);
        compare_fds(a, b, o, r);
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
    }
    return r;
}

comparison compare(const sys::pidref& a, const sys::pidref& b, const compare_options& o)
{
    std::error_code ec;
    auto r = compare(a, b, o, ec);
    throw_if(ec, op_kind::proc_read, "compare(" + std::to_string(a.pid()) + ", " + std::to_string(b.pid()) + ")");
    return r;
}

comparison compare(pid_t a, pid_t b, const compare_options& o, std::error_code& ec) noexcept
{
    auto pa = sys::pidref::open(a, ec, {.allow_thread = true});
    if (ec)
        return {};
    auto pb = sys::pidref::open(b, ec, {.allow_thread = true});
    if (ec)
        return {};
    return compare(pa, pb, o, ec);
}

comparison compare(pid_t a, pid_t b, const compare_options& o)
{
    std::error_code ec;
    auto r = compare(a, b, o, ec);
    throw_if(ec, op_kind::proc_read, "compare(" + std::to_string(a) + ", " + std::to_string(b) + ")");
    return r;
}

} // namespace nskit::inspect
