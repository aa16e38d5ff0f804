// compare(): the open files two processes share (one open file description)
// and the epoll fds of one that watch files of the other.
#include "compare_internal.hpp"

#include <nskit/inspect/detail/cmp_classes.hpp>
#include <nskit/inspect/detail/cmp_proc.hpp>
#include <nskit/sys/error.hpp>

#include <algorithm>
#include <array>
#include <map>
#include <optional>
#include <tuple>

namespace nskit::inspect::compare_detail {

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


namespace {

namespace cmp = detail::cmp;

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
    if (grouping == grouping_t::inode)
        for (int side = 0; side < 2; ++side)
            stat_side(side, t, names);
    std::vector<cmp::keyed_fd<fd_item>> all;
    for (int side = 0; side < 2; ++side)
        for (const auto& e : t.fds[side]) {
            cmp::keyed_fd<fd_item> k{0, 0, {}, static_cast<std::size_t>(side), {side, e.fd}};
            if (grouping == grouping_t::inode) {
                k.dev = e.dev;
                k.ino = e.ino;
            } else if (grouping == grouping_t::target) {
                k.text = cmp::without_deleted(names.get(side, e.fd).target);
            }
            all.push_back(std::move(k));
        }
    file_comparator cmpf{pid, r.kcmp_calls, {}, {}};
    bool fallback = false;
    const auto st = cmp::classes_by_key(all, cmpf, fallback,
                                        [&](cmp::classes<fd_item>&& c) { t.buckets.push_back(std::move(c)); });
    t.in_kcmp_order = grouping == grouping_t::none && !fallback;
    if (st == cmp::sort_status::aborted) {
        r.fds_error = r.epoll_error = cmpf.failure;
        r.fds_reason = r.epoll_reason = describe(cmpf.failure, op_kind::kcmp, cmpf.failure_op);
        return false;
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

// Finds, for each epoll fd of either process, the other's fds in its interest list.
class epoll_finder {
public:
    epoll_finder(const std::array<pid_t, 2>& pid, fd_classes& t, describer& names, comparison& r)
        : pid_(pid), t_(t), names_(names), r_(r), binary_search_(t.in_kcmp_order && t.buckets.size() == 1)
    {
    }

    void run(bool targets_read)
    {
        for (int owner = 0; owner < 2; ++owner) {
            if (owner == 1 && pid_[0] == pid_[1])
                break; // the same process: a's watches are b's
            for (const auto& e : t_.fds[owner])
                if (is_epoll(pid_[owner], e.fd, owner, targets_read, names_, r_.kcmp_calls) && !epoll_fd(owner, e.fd))
                    return;
        }
        std::sort(r_.epoll.begin(), r_.epoll.end(), [](const epoll_watch& x, const epoll_watch& y) {
            return std::tie(x.owner, x.epoll_fd, x.target_fd, x.target_offset, x.other.fd) <
                   std::tie(y.owner, y.epoll_fd, y.target_fd, y.target_offset, y.other.fd);
        });
        r_.epoll_compared = true;
    }

private:
    const std::array<pid_t, 2>& pid_;
    fd_classes& t_;
    describer& names_;
    comparison& r_;
    const bool binary_search_;

    void fail(std::error_code ec, op_kind kind, const std::string& op)
    {
        r_.epoll.clear();
        r_.epoll_error = ec;
        r_.epoll_reason = describe(ec, kind, op);
    }

    // false: the epoll section is unknown (r_'s reasons say why)
    bool epoll_fd(int owner, int epfd)
    {
        std::error_code ec;
        const auto items = cmp::read_epoll_items(pid_[owner], epfd, ec);
        if (ec == std::errc::no_such_file_or_directory)
            return true; // closed meanwhile
        if (ec) {
            fail(ec, op_kind::proc_read, proc_op(pid_[owner], "fdinfo/" + std::to_string(epfd)));
            return false;
        }
        if (!binary_search_ && !items.empty())
            stat_side(1 - owner, t_, names_); // the items say which inode they watch
        for (const auto& it : items)
            if (!item(owner, epfd, it))
                return false;
        return true;
    }

    // The other process's fds that are the file behind one item.
    bool item(int owner, int epfd, const cmp::epoll_item& it)
    {
        const int other = 1 - owner;
        const sys::kcmp_epoll_target slot{static_cast<unsigned>(epfd), static_cast<unsigned>(it.target_fd),
                                        it.target_offset};
        std::error_code ec;
        // Is fd x of the other process the file behind (tfd, toff) in owner's epoll fd?
        auto probe = [&](const fd_item& x) {
            auto order = sys::kcmp_epoll_tfd(pid_[x.side], x.fd, pid_[owner], slot, ec);
            ++r_.kcmp_calls;
            return ec ? cmp::answer::abort : from_order(order);
        };
        auto report = [&](int fd) {
            r_.epoll.push_back({owner == 0 ? epoll_watch::side::a : epoll_watch::side::b, epfd, it.target_fd,
                                it.target_offset, it.events, names_.get(other, fd)});
        };
        bool failed = false;
        if (binary_search_) {
            // the watched file's place in the kcmp order of all fds: log2 K calls
            const auto& classes = t_.buckets.front();
            auto k = cmp::binary_find(classes, probe, failed);
            if (!failed && k < classes.size())
                for (const auto& x : classes[k])
                    if (x.side == other)
                        report(x.fd);
        } else {
            // candidates: the other's fds on the item's inode (all of them if unknown)
            for (const auto& c : t_.fds[other]) {
                if (it.has_inode && (c.dev != 0 || c.ino != 0) && (c.dev != it.dev || c.ino != it.ino))
                    continue;
                const auto a = probe({other, c.fd});
                if (a == cmp::answer::equal)
                    report(c.fd);
                if (a == cmp::answer::abort && ec != std::errc::bad_file_descriptor) {
                    failed = true;
                    break;
                }
            }
        }
        // ENOENT: the item went away meanwhile; EBADF: an fd did
        if (failed && ec != std::errc::no_such_file_or_directory && ec != std::errc::bad_file_descriptor) {
            fail(ec, op_kind::kcmp, kcmp_op(pid_[other], pid_[owner], "epoll_tfd"));
            return false;
        }
        return true;
    }
};

} // namespace

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
        epoll_finder(pid, t, names, r).run(o.grouping == compare_options::fd_grouping::target);
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


} // namespace nskit::inspect::compare_detail
