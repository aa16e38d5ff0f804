// nskit/inspect/mounts.hpp — the mounts of any mount namespace, from
// listmount/statmount (6.8; by namespace fd 6.18), never entering it: works
// for a mount namespace no process is in (held by an fd or a bind mount).
#pragma once

#include <cstdint>
#include <string>
#include <system_error>
#include <vector>

namespace nskit::inspect {

struct mount_info {
    std::uint64_t id = 0, parent_id = 0;          // unique ids (root: its own parent)
    std::uint32_t old_id = 0, old_parent_id = 0;  // as /proc/PID/mountinfo numbers them
    std::string target{};     // relative to the namespace's root
    std::string root{};       // of the mount within its filesystem
    std::string source{}, fstype{};
    std::string vfs_options{}; // as mountinfo's field 6: "rw,nosuid,relatime"
    std::string fs_options{}; // superblock: "ro"/"rw" then the filesystem's own
    std::string propagation{}; // "private", or "shared:N", "master:N", both, "unbindable"
    std::uint64_t peer_group = 0, master = 0;
};

// In id order (parents before children).  ENOSYS: the kernel lacks listmount
// (before 6.8) or cannot take a namespace fd (before 6.18: EINVAL);
// ENOTTY/EINVAL: the fd is not a mount namespace.
std::vector<mount_info> mounts(int mntns_fd, std::error_code& ec);
std::vector<mount_info> mounts(int mntns_fd);

} // namespace nskit::inspect
