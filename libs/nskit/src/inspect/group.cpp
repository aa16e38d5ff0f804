// group(pids, resource) and group_files(pids): classes of processes (fds)
// sharing a kernel object, by sorting with kcmp as the comparator.
#include <nskit/inspect/group.hpp>
#include "compare_internal.hpp"

#include <nskit/inspect/detail/cmp_classes.hpp>
#include <nskit/inspect/detail/cmp_proc.hpp>
#include <nskit/sys/error.hpp>

#include <algorithm>
#include <map>
#include <new>
#include <set>
#include <tuple>

namespace nskit::inspect {
namespace {

namespace cmp = detail::cmp;

using compare_detail::esrch;
using compare_detail::kcmp_op;
using compare_detail::proc_op;

using cmp::from_order;

// An error that no retry or leaving out a process can help with.
bool fatal(const std::error_code& ec) noexcept
{
    return ec == std::errc::function_not_supported || ec == std::errc::invalid_argument ||
           ec == std::errc::operation_not_supported || ec == std::errc::bad_address;
}

cmp::answer drop(bool first, bool second) noexcept
{
    return first && second ? cmp::answer::drop_both : first ? cmp::answer::drop_first : cmp::answer::drop_second;
}

struct why {
    std::error_code error;
    std::string reason;
};

// Open a pidfd for each distinct pid.  Processes already gone go to `skipped`.
bool open_all(std::span<const pid_t> pids, std::vector<sys::pidref>& procs, std::vector<ungrouped>& skipped,
              std::error_code& ec)
{
    for (pid_t p : pids)
        if (p <= 0) {
            ec = make_error_code(error::bad_pid);
            return false;
        }
    std::vector<pid_t> uniq(pids.begin(), pids.end());
    std::sort(uniq.begin(), uniq.end());
    uniq.erase(std::unique(uniq.begin(), uniq.end()), uniq.end());
    procs.reserve(uniq.size());
    for (pid_t p : uniq) {
        std::error_code e;
        auto lp = sys::pidref::open(p, e, {.allow_thread = true});
        if (e == std::errc::too_many_files_open || e == std::errc::too_many_files_open_in_system) {
            ec = e;
            return false;
        }
        if (e)
            skipped.push_back({p, -1, e, describe(e, op_kind::pidfd, "pidfd_open(" + std::to_string(p) + ")")});
        else
            procs.push_back(std::move(lp)); // one that has exited already is found at the end, as if mid-way

    }
    return true;
}

// kcmp(type) comparator on indices into procs.  A failed call is followed by
// kcmp(p, p) on each side to find the process at fault, which is left out.
struct resource_comparator {
    const std::vector<sys::pidref>& procs;
    sys::kcmp_resource type;
    std::size_t& calls;
    std::map<std::size_t, why> bad;
    std::error_code failure;
    std::string failure_op;

    bool is_bad(std::size_t i)
    {
        if (bad.count(i))
            return true;
        std::error_code ec;
        const pid_t p = procs[i].pid();
        sys::kcmp(p, p, type, ec);
        ++calls;
        if (!ec)
            return false;
        bad[i] = {ec, describe(ec, op_kind::kcmp, kcmp_op(p, p, sys::to_string(type)))};
        return true;
    }

    cmp::answer operator()(std::size_t x, std::size_t y)
    {
        if (bad.count(x) || bad.count(y))
            return drop(bad.count(x) != 0, bad.count(y) != 0);
        std::error_code ec;
        for (int attempt = 0; attempt < 2; ++attempt) {
            auto order = sys::kcmp(procs[x].pid(), procs[y].pid(), type, ec);
            ++calls;
            if (!ec)
                return from_order(order);
            if (fatal(ec))
                break;
            const bool bx = is_bad(x), by = is_bad(y);
            if (bx || by)
                return drop(bx, by);
        }
        failure = ec;
        failure_op = kcmp_op(procs[x].pid(), procs[y].pid(), sys::to_string(type));
        return cmp::answer::abort;
    }
};

bool is_resource(sys::kcmp_resource t) noexcept
{
    const auto& all = kcmp_resources();
    return std::find(all.begin(), all.end(), t) != all.end();
}

// One fd of procs[proc].
struct proc_fd {
    std::size_t proc;
    int fd;
};

struct file_comparator {
    const std::vector<sys::pidref>& procs;
    std::size_t& calls;
    std::map<std::size_t, why> bad_procs;
    std::error_code failure;
    std::string failure_op;

    // true when x cannot be compared any more: its fd was closed, or its process is out of reach
    bool is_bad(const proc_fd& x)
    {
        if (bad_procs.count(x.proc))
            return true;
        std::error_code ec;
        const pid_t p = procs[x.proc].pid();
        sys::kcmp_file(p, x.fd, p, x.fd, ec);
        ++calls;
        if (!ec)
            return false;
        if (ec != std::errc::bad_file_descriptor)
            bad_procs[x.proc] = {ec, describe(ec, op_kind::kcmp, kcmp_op(p, p, "file"))};
        return true;
    }

    cmp::answer operator()(const proc_fd& x, const proc_fd& y)
    {
        if (bad_procs.count(x.proc) || bad_procs.count(y.proc))
            return drop(bad_procs.count(x.proc) != 0, bad_procs.count(y.proc) != 0);
        std::error_code ec;
        auto order = sys::kcmp_file(procs[x.proc].pid(), x.fd, procs[y.proc].pid(), y.fd, ec);
        ++calls;
        if (!ec)
            return from_order(order);
        if (!fatal(ec)) {
            const bool bx = is_bad(x), by = is_bad(y);
            if (bx || by)
                return drop(bx, by);
        }
        failure = ec;
        failure_op = kcmp_op(procs[x.proc].pid(), procs[y.proc].pid(), "file");
        return cmp::answer::abort;
    }
};

void sort_skipped(std::vector<ungrouped>& s)
{
    std::sort(s.begin(), s.end(), [](const ungrouped& a, const ungrouped& b) { return std::tie(a.pid, a.fd) < std::tie(b.pid, b.fd); });
}

// The fds of every process, keyed as `grouping` says.  A process whose fds
// cannot all be read is left out (skipped, with the reason).
std::vector<cmp::keyed_fd<proc_fd>> keyed_fds(const std::vector<sys::pidref>& procs, fd_grouping grouping,
                                              file_group_result& r, std::set<std::size_t>& unreadable)
{
    std::vector<cmp::keyed_fd<proc_fd>> all;
    for (std::size_t i = 0; i < procs.size(); ++i) {
        const pid_t pid = procs[i].pid();
        std::error_code e;
        std::vector<cmp::fd_entry> table;
        if (grouping == fd_grouping::inode)
            table = cmp::list_fds(pid, e);
        else
            for (int fd : cmp::list_fd_numbers(pid, e))
                table.push_back({fd, 0, 0});
        std::string op = proc_op(pid, "fd");
        const unique_fd dir = !e && grouping == fd_grouping::target ? cmp::open_fd_dir(pid) : unique_fd();
        if (!e && grouping == fd_grouping::target && !dir)
            e = nskit::detail::last_error();
        const std::size_t first = all.size();
        for (std::size_t k = 0; k < table.size() && !e; ++k) {
            cmp::keyed_fd<proc_fd> key{table[k].dev, table[k].ino, {}, i, {i, table[k].fd}};
            if (grouping == fd_grouping::target) {
                key.text = cmp::without_deleted(cmp::fd_target_at(dir.get(), table[k].fd, e));
                if (e == std::errc::no_such_file_or_directory)
                    e.clear(); // closed meanwhile: kcmp drops it
                op = "readlink /proc/" + std::to_string(pid) + "/fd";
            }
            all.push_back(std::move(key));
        }
        if (e) {
            all.resize(first);
            r.skipped.push_back({pid, -1, e, describe(e, op_kind::proc_read, op)});
            unreadable.insert(i);
        }
    }
    return all;
}

// Classes of fds -> the result: members whose process exited or could not be
// compared are left out (so is a class that no longer spans two processes).
void finish_file_classes(const std::vector<sys::pidref>& procs, const file_comparator& c,
                         const std::set<std::size_t>& unreadable, std::vector<std::vector<proc_fd>>& found,
                         file_group_result& r)
{
    for (const auto& [i, w] : c.bad_procs)
        r.skipped.push_back({procs[i].pid(), -1, w.error, w.reason});
    std::vector<bool> alive(procs.size());
    for (std::size_t i = 0; i < procs.size(); ++i) {
        alive[i] = procs[i].alive();
        if (!alive[i] && !c.bad_procs.count(i) && !unreadable.count(i))
            r.skipped.push_back({procs[i].pid(), -1, esrch,
                                 "process " + std::to_string(procs[i].pid()) + " exited while being grouped"});
    }
    for (auto& cls : found) {
        std::erase_if(cls, [&](const proc_fd& x) { return !alive[x.proc] || c.bad_procs.count(x.proc) != 0; });
        std::set<std::size_t> owners;
        for (const auto& x : cls)
            owners.insert(x.proc);
        if (owners.size() < 2)
            continue;
        std::vector<fd_ref> out;
        for (const auto& x : cls) {
            fd_ref f;
            f.pid = procs[x.proc].pid();
            f.fd.fd = x.fd;
            f.fd.target = cmp::fd_target(f.pid, x.fd, f.fd.target_error);
            f.fd.kind = cmp::classify_fd_target(f.fd.target);
            out.push_back(std::move(f));
        }
        std::sort(out.begin(), out.end(),
                  [](const fd_ref& a, const fd_ref& b) { return std::tie(a.pid, a.fd.fd) < std::tie(b.pid, b.fd.fd); });
        r.classes.push_back(std::move(out));
    }
    std::sort(r.classes.begin(), r.classes.end(), [](const auto& a, const auto& b) {
        if (a.size() != b.size())
            return a.size() > b.size();
        return std::tie(a.front().pid, a.front().fd.fd) < std::tie(b.front().pid, b.front().fd.fd);
    });
    sort_skipped(r.skipped);
}

// Classes of processes -> the result: members left out by the comparator, or
// that exited during the run (the pid may have been reused), are skipped.
void finish_classes(const std::vector<sys::pidref>& procs, const resource_comparator& c,
                    const cmp::classes<std::size_t>& classes, group_result& r)
{
    for (const auto& [i, w] : c.bad)
        r.skipped.push_back({procs[i].pid(), -1, w.error, w.reason});
    for (const auto& cls : classes) {
        std::vector<pid_t> out;
        for (auto i : cls) {
            if (c.bad.count(i))
                continue;
            if (procs[i].alive())
                out.push_back(procs[i].pid());
            else
                r.skipped.push_back({procs[i].pid(), -1, esrch,
                                     "process " + std::to_string(procs[i].pid()) + " exited while being grouped"});
        }
        if (!out.empty()) {
            std::sort(out.begin(), out.end());
            r.classes.push_back(std::move(out));
        }
    }
    std::sort(r.classes.begin(), r.classes.end(), [](const auto& a, const auto& b) {
        return a.size() != b.size() ? a.size() > b.size() : a.front() < b.front();
    });
    sort_skipped(r.skipped);
}

} // namespace

group_result group(std::span<const pid_t> pids, sys::kcmp_resource resource, std::error_code& ec) noexcept
{
    group_result r;
    r.resource = resource;
    ec.clear();
    try {
        if (!is_resource(resource)) {
            ec = std::make_error_code(std::errc::invalid_argument);
            return r;
        }
        std::vector<sys::pidref> procs;
        if (!open_all(pids, procs, r.skipped, ec)) {
            r.error_reason = describe(ec, op_kind::pidfd, "pidfd_open");
            return r;
        }
        std::vector<std::size_t> items(procs.size());
        for (std::size_t i = 0; i < items.size(); ++i)
            items[i] = i;
        resource_comparator c{procs, resource, r.kcmp_calls, {}, {}, {}};
        cmp::classes<std::size_t> classes;
        std::vector<std::size_t> dropped;
        auto st = cmp::sort_into_classes(items, c, classes, dropped);
        if (st == cmp::sort_status::unordered) {
            r.pairwise_fallback = true;
            dropped.clear();
            std::erase_if(items, [&](std::size_t i) { return c.bad.count(i) != 0; });
            st = cmp::pairwise_classes(items, c, classes, dropped);
        }
        if (st == cmp::sort_status::aborted) {
            ec = c.failure;
            r.error_reason = describe(c.failure, op_kind::kcmp, c.failure_op);
            return r;
        }
        finish_classes(procs, c, classes, r);
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
    }
    return r;
}

group_result group(std::span<const pid_t> pids, sys::kcmp_resource resource)
{
    std::error_code ec;
    auto r = group(pids, resource, ec);
    throw_if(ec, op_kind::kcmp, "group(" + std::to_string(pids.size()) + " processes, " + std::string(sys::to_string(resource)) + ")");
    return r;
}

file_group_result group_files(std::span<const pid_t> pids, fd_grouping grouping, std::error_code& ec) noexcept
{
    file_group_result r;
    ec.clear();
    try {
        std::vector<sys::pidref> procs;
        if (!open_all(pids, procs, r.skipped, ec)) {
            r.error_reason = describe(ec, op_kind::pidfd, "pidfd_open");
            return r;
        }
        std::set<std::size_t> unreadable;
        auto all = keyed_fds(procs, grouping, r, unreadable);
        r.fds_examined = all.size();
        file_comparator c{procs, r.kcmp_calls, {}, {}, {}};
        std::vector<std::vector<proc_fd>> found;
        const auto st = cmp::classes_by_key(all, c, r.pairwise_fallback, [&](cmp::classes<proc_fd>&& classes) {
            for (auto& cls : classes)
                found.push_back(std::move(cls));
        });
        if (st == cmp::sort_status::aborted) {
            ec = c.failure;
            r.error_reason = describe(c.failure, op_kind::kcmp, c.failure_op);
            return r;
        }
        finish_file_classes(procs, c, unreadable, found, r);
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
    }
    return r;
}

file_group_result group_files(std::span<const pid_t> pids, fd_grouping grouping)
{
    std::error_code ec;
    auto r = group_files(pids, grouping, ec);
    throw_if(ec, op_kind::kcmp, "group_files(" + std::to_string(pids.size()) + " processes)");
    return r;
}

} // namespace nskit::inspect
