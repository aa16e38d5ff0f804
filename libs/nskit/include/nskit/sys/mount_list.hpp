// nskit/sys/mount_list.hpp — listmount(2) and statmount(2) (6.8; another
// mount namespace by id 6.11, by fd 6.18): the mounts of any mount namespace,
// read without entering it.
#pragma once

#include <cstdint>
#include <string>
#include <system_error>
#include <vector>

namespace nskit::sys {

// Which mount namespace: by its 64-bit id (NS_GET_MNTNS_ID), by an fd of it
// (6.18), or neither: the caller's.
struct mount_ns_ref {
    std::uint64_t id = 0;
    int fd = -1;
};

// Unique 64-bit ids of every mount in the namespace (its root mount first),
// ascending.  ENOSYS: kernel before 6.8; ENOENT: no such namespace;
// EPERM: the namespace's owner is beyond the caller's reach.
std::vector<std::uint64_t> listmount(mount_ns_ref ns, std::error_code& ec);
std::vector<std::uint64_t> listmount(mount_ns_ref ns = {});

// One mount, as statmount reports it.  Paths are relative to the root of the
// namespace's root mount (for the caller's: to the caller's root).
struct mount_stat {
    std::uint64_t mask = 0;              // STATMOUNT_* fields the kernel filled
    std::uint64_t id = 0, parent_id = 0; // unique ids (a root mount is its own parent)
    std::uint32_t old_id = 0, old_parent_id = 0; // the ids /proc/PID/mountinfo shows
    std::uint32_t dev_major = 0, dev_minor = 0;
    std::uint64_t sb_magic = 0;
    std::uint32_t sb_flags = 0;          // SB_RDONLY, SB_SYNCHRONOUS, SB_DIRSYNC, SB_LAZYTIME
    std::uint64_t attr = 0;              // MOUNT_ATTR_*
    std::uint64_t propagation = 0;       // MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE
    std::uint64_t peer_group = 0, master = 0, propagate_from = 0;
    std::uint64_t mnt_ns_id = 0;
    std::string fs_type{}, root{}, point{};
    std::string options{};               // superblock options, comma separated (6.10)
    std::string source{};                // (6.11)
};
mount_stat statmount(std::uint64_t mount_id, mount_ns_ref ns, std::error_code& ec);
mount_stat statmount(std::uint64_t mount_id, mount_ns_ref ns = {});

} // namespace nskit::sys
