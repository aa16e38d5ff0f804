// The scan against the kernel's own list of mount namespaces
// (NS_MNT_GET_NEXT/PREV, 6.12): a mount namespace the kernel has and the
// scan could not attribute is listed as held by something it cannot see,
// never silently missing.
#include "scanner.hpp"

#include <nskit/inspect/mounts.hpp>
#include <nskit/sys/error.hpp>
#include <nskit/sys/nsfs.hpp>

#include <fcntl.h>

#include <algorithm>

namespace nskit::inspect::detail {
namespace {

// Every mount namespace, both ways from the caller's own (which comes
// first): f(fd, info) for each.  ENOENT ends a direction.
template <class F>
std::error_code walk_mount_namespaces(F&& f)
{
    std::error_code ec;
    const unique_fd self = sys::open_ns(0, ns_type::mnt, ec);
    if (ec)
        return ec;
    sys::mnt_ns_info info = sys::ns_mnt_get_info(self.get(), ec);
    if (ec)
        return ec;
    if (auto err = f(self.get(), info))
        return err;
    for (const bool next : {true, false}) {
        unique_fd at;
        for (;;) {
            const int from = at ? at.get() : self.get();
            unique_fd fd = next ? sys::ns_mnt_get_next(from, info, ec) : sys::ns_mnt_get_prev(from, info, ec);
            if (ec == std::errc::no_such_file_or_directory)
                break;
            if (ec)
                return ec;
            if (auto err = f(fd.get(), info))
                return err;
            at = std::move(fd);
        }
    }
    return {};
}

} // namespace

bool scanner::wants_kernel_list() const noexcept
{
    return opt_.kernel_mount_list && opt_.pids.empty() && !opt_.targets_only && opt_.fds && opt_.mounts;
}

void scanner::list_kernel_mount_namespaces()
{
    if (!wants_kernel_list())
        return;
    auto& k = snap_.kernel_mount_list;
    if (!sys::probe_nsfs().mnt_iterate) {
        k.error = std::make_error_code(std::errc::inappropriate_io_control_operation); // before 6.12: no list
        return;
    }
    k.error = walk_mount_namespaces([&](int, const sys::mnt_ns_info& info) {
        kernel_ids_.push_back(info.mnt_ns_id);
        return std::error_code{};
    });
    if (k.error) {
        snap_.add_gap(gap_kind::kernel_list, 0, k.error);
        return;
    }
    std::sort(kernel_ids_.begin(), kernel_ids_.end());
    kernel_walked_ = true;
}

// nsfs bind mounts in a mount namespace whose mountinfo no process gave:
// from listmount/statmount by namespace fd (6.18), never entering it.  What
// such a mount holds is named by its root ("uts:[INODE]"); not opened (that
// would need a path in that namespace), it keeps only type and inode.
void scanner::add_mounts_in(std::size_t mntns, int mntns_fd)
{
    std::error_code ec;
    const auto list = inspect::mounts(mntns_fd, ec);
    if (ec) {
        // ENOSYS/EINVAL: a kernel before 6.18 (the documented limit, not a gap)
        if (ec != std::errc::function_not_supported && ec != std::errc::invalid_argument)
            snap_.add_gap(gap_kind::mounts, 0, ec);
        return;
    }
    for (const auto& m : list) {
        ns_type type;
        std::uint64_t ino = 0;
        if (m.fstype != "nsfs" || !parse_ns_link(m.root, type, ino))
            continue;
        const auto it = by_ino_.find(ino);
        const std::size_t ns = it != by_ino_.end() ? it->second : unopened(type, ino, make_error_code(error::not_entered));
        ns_reference r{holder_kind::bind_mount, 0, 0};
        r.mount_ns = mntns;
        r.path = m.target;
        snap_.namespaces[ns].holders.push_back(std::move(r));
    }
}

void scanner::check_kernel_mount_list()
{
    if (!kernel_walked_)
        return;
    auto& k = snap_.kernel_mount_list;
    std::vector<std::size_t> listed;                        // on both walks
    std::vector<std::pair<std::size_t, unique_fd>> unread;  // of those, no process's mountinfo read
    k.error = walk_mount_namespaces([&](int fd, const sys::mnt_ns_info& info) {
        // Created during the scan: it may be held by a process read before it existed
        if (!std::binary_search(kernel_ids_.begin(), kernel_ids_.end(), info.mnt_ns_id))
            return std::error_code{};
        std::error_code ec;
        const auto inode = sys::ns_stat(fd, ec); // the NS column; ids match inodes while the fd pins it
        if (ec)
            return ec;
        std::size_t idx;
        if (auto it = by_ino_.find(inode.ino); it != by_ino_.end()) {
            idx = it->second;
        } else if ((idx = describe(fd, ns_type::mnt)) == process_info::none) {
            return std::make_error_code(std::errc::bad_file_descriptor);
        }
        listed.push_back(idx);
        if (!mount_ns_seen_.count(idx)) {
            unique_fd own(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
            if (!own)
                return nskit::detail::last_error();
            unread.emplace_back(idx, std::move(own));
        }
        return std::error_code{};
    });
    for (const auto& [idx, fd] : unread)
        add_mounts_in(idx, fd.get());
    // Attributed: a process, thread, fd, socket or bind mount refers to it
    for (std::size_t idx : listed) {
        auto& n = snap_.namespaces[idx];
        if (n.has_processes() || !n.holders.empty())
            continue;
        n.holders.push_back({holder_kind::unseen, 0, 0});
        ++k.unseen;
    }
    k.listed = listed.size();
    if (k.error) {
        snap_.add_gap(gap_kind::kernel_list, 0, k.error);
        return;
    }
    k.checked = true;
}

} // namespace nskit::inspect::detail
