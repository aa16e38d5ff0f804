// compare(a, b): namespaces, kcmp resources, shared open files, epoll targets.
#include <nskit/inspect/compare.hpp>

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

std::string proc_op(pid_t pid, std::string_view what)
{
    return "open /proc/" + std::to_string(pid) + "/" + std::string(what);
}

std::string exited_reason(pid_t pid)
{
    return "process " + std::to_string(pid) + " exited while being compared (its pid may name another process now)";
}

std::string kcmp_op(pid_t a, pid_t b, std::string_view what)
{
    return "kcmp(" + std::to_string(a) + ", " + std::to_string(b) + ", " + std::string(what) + ")";
}

const std::error_code esrch = std::make_error_code(std::errc::no_such_process);

// ---- namespaces ----

struct ns_side {
    unique_fd fd;
    sys::ns_inode inode;
    std::error_code error;
    std::string reason;
};

ns_side open_side(pid_t pid, sys::ns_type t)
{
    ns_side s;
    s.fd = sys::open_ns(pid, t, s.error);
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

void compare_namespaces(const sys::pidref& a, const sys::pidref& b, const compare_options& o, comparison& r)
{
    const auto& types = o.namespaces;
    if (types.empty())
        return;
    std::vector<ns_side> sa, sb;
    for (auto t : types) {
        sa.push_back(open_side(a.pid(), t));
        sb.push_back(open_side(b.pid(), t));
    }
    ns_side ua = open_side(a.pid(), sys::ns_type::user), ub = open_side(b.pid(), sys::ns_type::user);
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
            if (c.state == sharing::different &&
                (c.type == sys::ns_type::pid || c.type == sys::ns_type::user)) {
                auto up_a = ancestors(x.fd.get());
                auto it = std::find(up_a.begin(), up_a.end(), y.inode);
                if (it != up_a.end()) {
                    c.distance = static_cast<unsigned>(it - up_a.begin()) + 1;
                    c.relation = c.distance == 1 ? ns_relation::child : ns_relation::descendant;
                } else {
                    auto up_b = ancestors(y.fd.get());
                    auto jt = std::find(up_b.begin(), up_b.end(), x.inode);
                    if (jt != up_b.end()) {
                        c.distance = static_cast<unsigned>(jt - up_b.begin()) + 1;
                        c.relation = c.distance == 1 ? ns_relation::parent : ns_relation::ancestor;
                    }
                }
            }
            c.a_owned_by_b_user = owned_by(x.fd.get(), ub);
            c.b_owned_by_a_user = owned_by(y.fd.get(), ua);
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

// ---- shared fds and epoll ----

// (side, fd) of one of the two processes
struct fd_item {
    int side; // 0 = a, 1 = b
    int fd;
};

using cmp::from_order;

// kcmp_file comparator that drops fds closed meanwhile and stops on
// anything that concerns the process rather than one fd.
struct file_comparator {
    std::array<pid_t, 2> pid;
    std::size_t& calls;
    std::error_code failure;
    std::string failure_op;

    bool fd_gone(const fd_item& x)
    {
        std::error_code ec;
        sys::kcmp_file(pid[x.side], x.fd, pid[x.side], x.fd, ec);
        ++calls;
        return ec == std::errc::bad_file_descriptor;
    }

    cmp::answer operator()(const fd_item& x, const fd_item& y)
    {
        std::error_code ec;
        auto order = sys::kcmp_file(pid[x.side], x.fd, pid[y.side], y.fd, ec);
        ++calls;
        if (!ec)
            return from_order(order);
        if (ec == std::errc::bad_file_descriptor) {
            const bool gx = fd_gone(x), gy = fd_gone(y);
            if (gx && gy)
                return cmp::answer::drop_both;
            if (gx)
                return cmp::answer::drop_first;
            if (gy)
                return cmp::answer::drop_second;
        }
        failure = ec;
        failure_op = kcmp_op(pid[x.side], pid[y.side], "file");
        return cmp::answer::abort;
    }
};

// readlink of each fd, once; also the /proc/PID/fd directory fds.
class describer {
public:
    explicit describer(std::array<pid_t, 2> pid) : pid_(pid) {}
    int dir(int side)
    {
        if (!dir_[side]) {
            dir_[side] = cmp::open_fd_dir(pid_[side]);
            if (!dir_[side])
                note(side, nskit::detail::last_error());
        }
        return dir_[side].get();
    }
    // The first failure to read an fd that was not just closed: what was
    // found is then partial, and reported as unknown with this.
    const std::error_code& error() const noexcept { return error_; }
    pid_t error_pid() const noexcept { return error_pid_; }
    const fd_description& get(int side, int fd)
    {
        auto key = std::make_pair(side, fd);
        auto it = cache_.find(key);
        if (it != cache_.end())
            return it->second;
        fd_description d;
        d.fd = fd;
        d.target = cmp::fd_target_at(dir(side), fd, d.target_error);
        if (d.target_error && d.target_error != std::errc::no_such_file_or_directory)
            note(side, d.target_error);
        d.kind = cmp::classify_fd_target(d.target);
        return cache_.emplace(key, std::move(d)).first->second;
    }

private:
    void note(int side, std::error_code ec)
    {
        if (!error_) {
            error_ = ec;
            error_pid_ = pid_[side];
        }
    }
    std::error_code error_;
    pid_t error_pid_ = 0;
    std::array<pid_t, 2> pid_;
    std::array<unique_fd, 2> dir_;
    std::map<std::pair<int, int>, fd_description> cache_;
};

// Both processes' fds, sorted into classes of one open file description each.
struct fd_classes {
    std::array<std::vector<cmp::fd_entry>, 2> fds; // dev/ino valid where stated[side]
    std::array<bool, 2> stated{false, false};
    std::vector<cmp::classes<fd_item>> buckets;    // classes per group of fds
    bool in_kcmp_order = false;                    // one group, sorted: binary search works
};

// One open file description reads the same through every fd; " (deleted)"
// may appear between two readlinks.
std::string_view grouping_text(const std::string& target)
{
    std::string_view t(target);
    constexpr std::string_view deleted = " (deleted)";
    if (t.ends_with(deleted))
        t.remove_suffix(deleted.size());
    return t;
}

void stat_side(int side, fd_classes& t, describer& names)
{
    if (t.stated[side])
        return;
    const int dir = names.dir(side);
    for (auto& e : t.fds[side])
        if (!cmp::stat_fd_at(dir, e.fd, e.dev, e.ino))
            e.dev = e.ino = 0;
    t.stated[side] = true;
}

// Group and sort the fds; false with r's reasons set when kcmp cannot go on.
bool sort_fds(const std::array<pid_t, 2>& pid, compare_options::fd_grouping grouping, fd_classes& t,
              describer& names, comparison& r)
{
    using grouping_t = compare_options::fd_grouping;
    struct keyed {
        std::uint64_t dev, ino;
        std::string_view text;
        fd_item item;
    };
    if (grouping == grouping_t::inode)
        for (int side = 0; side < 2; ++side)
            stat_side(side, t, names);
    std::vector<keyed> all;
    for (int side = 0; side < 2; ++side)
        for (const auto& e : t.fds[side]) {
            keyed k{0, 0, {}, {side, e.fd}};
            if (grouping == grouping_t::inode) {
                k.dev = e.dev;
                k.ino = e.ino;
            } else if (grouping == grouping_t::target) {
                k.text = grouping_text(names.get(side, e.fd).target);
            }
            all.push_back(k);
        }
    if (grouping != grouping_t::none)
        std::sort(all.begin(), all.end(), [](const keyed& x, const keyed& y) {
            return std::tie(x.dev, x.ino, x.text, x.item.side, x.item.fd) <
                   std::tie(y.dev, y.ino, y.text, y.item.side, y.item.fd);
        });
    file_comparator cmpf{pid, r.kcmp_calls, {}, {}};
    t.in_kcmp_order = grouping == grouping_t::none;
    for (std::size_t i = 0; i < all.size();) {
        std::size_t j = i;
        bool sides[2] = {false, false};
        while (j < all.size() && all[j].dev == all[i].dev && all[j].ino == all[i].ino && all[j].text == all[i].text)
            sides[all[j++].item.side] = true;
        if (sides[0] && sides[1]) {
            std::vector<fd_item> bucket;
            for (std::size_t k = i; k < j; ++k)
                bucket.push_back(all[k].item);
            cmp::classes<fd_item> classes;
            std::vector<fd_item> dropped;
            auto st = cmp::sort_into_classes(bucket, cmpf, classes, dropped);
            if (st == cmp::sort_status::unordered) {
                t.in_kcmp_order = false;
                dropped.clear();
                st = cmp::pairwise_classes(bucket, cmpf, classes, dropped);
            }
            if (st == cmp::sort_status::aborted) {
                r.fds_error = r.epoll_error = cmpf.failure;
                r.fds_reason = r.epoll_reason = describe(cmpf.failure, op_kind::kcmp, cmpf.failure_op);
                return false;
            }
            t.buckets.push_back(std::move(classes));
        }
        i = j;
    }
    return true;
}

void collect_shared_fds(const fd_classes& t, describer& names, comparison& r)
{
    for (const auto& classes : t.buckets)
        for (const auto& cls : classes) {
            // one open file description reads the same through every fd: one readlink per class
            std::optional<fd_description> what;
            auto describe_fd = [&](const fd_item& x) {
                if (!what)
                    what = names.get(x.side, x.fd);
                fd_description d = *what;
                d.fd = x.fd;
                return d;
            };
            for (const auto& x : cls)
                for (const auto& y : cls)
                    if (x.side == 0 && y.side == 1)
                        r.shared_fds.push_back({describe_fd(x), describe_fd(y)});
        }
    std::sort(r.shared_fds.begin(), r.shared_fds.end(), [](const shared_fd& x, const shared_fd& y) {
        return std::tie(x.a.fd, x.b.fd) < std::tie(y.a.fd, y.b.fd);
    });
    r.shared_fds_compared = true;
}

// Is fd an epoll fd?  When the targets were not read: KCMP_EPOLL_TFD looks
// the slot up in the epoll fd and answers EINVAL when it is not one, ENOENT
// when it is but has no such item — one kcmp call instead of a readlink.
// Any other answer is settled by readlink.
bool is_epoll(pid_t pid, int fd, int side, bool targets_read, describer& names, std::size_t& calls)
{
    constexpr std::string_view eventpoll = "anon_inode:[eventpoll]";
    if (targets_read)
        return names.get(side, fd).target == eventpoll;
    std::error_code ec;
    const sys::kcmp_epoll_target no_item{static_cast<unsigned>(fd), 0x7fffffffu, 0};
    sys::kcmp_epoll_tfd(pid, fd, pid, no_item, ec);
    ++calls;
    if (ec == std::errc::invalid_argument || ec == std::errc::bad_file_descriptor)
        return false;
    if (ec == std::errc::no_such_file_or_directory)
        return true;
    return names.get(side, fd).target == eventpoll;
}

void find_epoll_watches(const std::array<pid_t, 2>& pid, fd_classes& t, bool targets_read, describer& names,
                        comparison& r)
{
    auto fail = [&](std::error_code ec, pid_t p1, pid_t p2) {
        r.epoll.clear();
        r.epoll_error = ec;
        r.epoll_reason = describe(ec, op_kind::kcmp, kcmp_op(p1, p2, "epoll_tfd"));
    };
    const bool binary_search = t.in_kcmp_order && t.buckets.size() == 1;
    for (int owner = 0; owner < 2; ++owner) {
        if (owner == 1 && pid[0] == pid[1])
            break; // the same process: a's watches are b's
        const int other = 1 - owner;
        for (const auto& e : t.fds[owner]) {
            if (!is_epoll(pid[owner], e.fd, owner, targets_read, names, r.kcmp_calls))
                continue;
            std::error_code ec;
            auto items = cmp::read_epoll_items(pid[owner], e.fd, ec);
            if (ec == std::errc::no_such_file_or_directory)
                continue; // closed meanwhile
            if (ec) {
                r.epoll.clear();
                r.epoll_error = ec;
                r.epoll_reason = describe(ec, op_kind::proc_read, proc_op(pid[owner], "fdinfo/" + std::to_string(e.fd)));
                return;
            }
            if (!binary_search && !items.empty())
                stat_side(other, t, names); // the items say which inode they watch
            for (const auto& it : items) {
                const sys::kcmp_epoll_target slot{static_cast<unsigned>(e.fd), static_cast<unsigned>(it.target_fd),
                                                it.target_offset};
                // Is fd x of the other process the file behind (tfd, toff) in owner's epoll fd?
                auto probe = [&](const fd_item& x) {
                    auto order = sys::kcmp_epoll_tfd(pid[x.side], x.fd, pid[owner], slot, ec);
                    ++r.kcmp_calls;
                    return ec ? cmp::answer::abort : from_order(order);
                };
                auto report = [&](int fd) {
                    r.epoll.push_back({owner == 0 ? epoll_watch::side::a : epoll_watch::side::b, e.fd,
                                       it.target_fd, it.target_offset, it.events, names.get(other, fd)});
                };
                bool failed = false;
                if (binary_search) {
                    // the watched file's place in the kcmp order of all fds: log2 K calls
                    const auto& classes = t.buckets.front();
                    auto k = cmp::binary_find(classes, probe, failed);
                    if (!failed && k < classes.size())
                        for (const auto& x : classes[k])
                            if (x.side == other)
                                report(x.fd);
                } else {
                    // candidates: the other's fds on the item's inode (all of them if unknown)
                    for (const auto& c : t.fds[other]) {
                        if (it.has_inode && (c.dev != 0 || c.ino != 0) && (c.dev != it.dev || c.ino != it.ino))
                            continue;
                        auto a = probe({other, c.fd});
                        if (a == cmp::answer::equal)
                            report(c.fd);
                        if (a == cmp::answer::abort && ec != std::errc::bad_file_descriptor) {
                            failed = true;
                            break;
                        }
                    }
                }
                if (failed && ec != std::errc::no_such_file_or_directory && ec != std::errc::bad_file_descriptor) {
                    fail(ec, pid[other], pid[owner]);
                    return;
                }
                // ENOENT: the item went away meanwhile; EBADF: an fd did
            }
        }
    }
    std::sort(r.epoll.begin(), r.epoll.end(), [](const epoll_watch& x, const epoll_watch& y) {
        return std::tie(x.owner, x.epoll_fd, x.target_fd, x.target_offset, x.other.fd) <
               std::tie(y.owner, y.epoll_fd, y.target_fd, y.target_offset, y.other.fd);
    });
    r.epoll_compared = true;
}

void compare_fds(const sys::pidref& a, const sys::pidref& b, const compare_options& o, comparison& r)
{
    if (!o.shared_fds && !o.epoll)
        return;
    const std::array<pid_t, 2> pid{a.pid(), b.pid()};
    fd_classes t;
    std::error_code ec;
    for (int side = 0; side < 2; ++side) {
        for (int fd : cmp::list_fd_numbers(pid[side], ec))
            t.fds[side].push_back({fd, 0, 0});
        if (ec) {
            r.fds_error = r.epoll_error = ec;
            r.fds_reason = r.epoll_reason = describe(ec, op_kind::proc_read, proc_op(pid[side], "fd"));
            return;
        }
    }
    describer names(pid);
    if (!sort_fds(pid, o.grouping, t, names, r))
        return;
    if (o.shared_fds)
        collect_shared_fds(t, names, r);
    if (o.epoll)
        find_epoll_watches(pid, t, o.grouping == compare_options::fd_grouping::target, names, r);
    if (names.error()) { // some fd could not be read: what was found is partial
        const auto op = proc_op(names.error_pid(), "fd");
        r.shared_fds.clear();
        r.shared_fds_compared = false;
        r.fds_error = names.error();
        r.fds_reason = describe(names.error(), op_kind::proc_read, op);
        if (r.epoll_compared || !r.epoll_error) {
            r.epoll.clear();
            r.epoll_compared = false;
            r.epoll_error = names.error();
            r.epoll_reason = r.fds_reason;
        }
    }
    if (!a.alive() || !b.alive()) {
        const pid_t gone = a.alive() ? b.pid() : a.pid();
        r.shared_fds.clear();
        r.epoll.clear();
        r.shared_fds_compared = r.epoll_compared = false;
        r.fds_error = r.epoll_error = esrch;
        r.fds_reason = r.epoll_reason = exited_reason(gone);
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

compare_options::compare_options() : resources(kcmp_resources())
{
    for (const auto& i : sys::ns_types())
        namespaces.push_back(i.type);
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
