// The scan against the kernel's own list of mount namespaces
// (NS_MNT_GET_NEXT/PREV, 6.12): a mount namespace the kernel has and the
// scan could not attribute is listed as held by something it cannot see,
// never silently missing.
#include "scanner.hpp"

#include <nskit/sys/nsfs.hpp>

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

void scanner::check_kernel_mount_list()
{
    if (!kernel_walked_)
        return;
    auto& k = snap_.kernel_mount_list;
    k.error = walk_mount_namespaces([&](int fd, const sys::mnt_ns_info& info) {
        // Created during the scan: it may be held by a process read before it existed
        if (!std::binary_search(kernel_ids_.begin(), kernel_ids_.end(), info.mnt_ns_id))
            return std::error_code{};
        std::error_code ec;
        const auto inode = sys::ns_stat(fd, ec); // the NS column; ids match inodes while the fd pins it
        if (ec)
            return ec;
        ++k.listed;
        std::size_t idx;
        if (auto it = by_ino_.find(inode.ino); it != by_ino_.end()) {
            idx = it->second;
            const auto& n = snap_.namespaces[idx];
            if (n.has_processes() || !n.holders.empty())
                return std::error_code{}; // attributed
        } else {
            idx = describe(fd, ns_type::mnt);
            if (idx == process_info::none)
                return std::make_error_code(std::errc::bad_file_descriptor);
        }
        snap_.namespaces[idx].holders.push_back({holder_kind::unseen, 0, 0});
        ++k.unseen;
        return std::error_code{};
    });
    if (k.error) {
        snap_.add_gap(gap_kind::kernel_list, 0, k.error);
        return;
    }
    k.checked = true;
}

} // namespace nskit::inspect::detail
