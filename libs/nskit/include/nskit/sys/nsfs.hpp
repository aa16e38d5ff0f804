// nskit/sys/nsfs.hpp — namespace files and every nsfs ioctl (ioctl_ns(2)).
#pragma once

#include <nskit/sys/ns_type.hpp>
#include <nskit/sys/unique_fd.hpp>

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <system_error>
#include <nskit/export.hpp>

NSKIT_API_BEGIN
namespace nskit::sys {

// Open /proc/PID/ns/<entry> (pid 0: "self") O_RDONLY|O_CLOEXEC.
unique_fd open_ns(pid_t pid, ns_type type, std::error_code& ec) noexcept;
unique_fd open_ns(pid_t pid, ns_type type);
// Open /proc/PID/ns/{pid,time}_for_children.
unique_fd open_ns_for_children(pid_t pid, ns_type type, std::error_code& ec) noexcept;
unique_fd open_ns_for_children(pid_t pid, ns_type type);
// Open any path naming a namespace (a /proc link or a bind mount).
unique_fd open_ns_path(const char* path, std::error_code& ec) noexcept;
unique_fd open_ns_path(const char* path);

// NS_GET_USERNS (4.9): the user namespace that owns the namespace.
unique_fd ns_get_userns(int ns_fd, std::error_code& ec) noexcept;
unique_fd ns_get_userns(int ns_fd);
// NS_GET_PARENT (4.9): parent of a pid or user namespace.  EPERM at the root
// (or beyond the caller's reach), EINVAL for non-hierarchical types.
unique_fd ns_get_parent(int ns_fd, std::error_code& ec) noexcept;
unique_fd ns_get_parent(int ns_fd);
// NS_GET_NSTYPE (4.11).
ns_type ns_get_nstype(int ns_fd, std::error_code& ec) noexcept;
ns_type ns_get_nstype(int ns_fd);
// NS_GET_OWNER_UID (4.11): owner of a user namespace, in the caller's user ns.
uid_t ns_get_owner_uid(int userns_fd, std::error_code& ec) noexcept;
uid_t ns_get_owner_uid(int userns_fd);
// NS_GET_MNTNS_ID (6.11): 64-bit id of a mount namespace.
std::uint64_t ns_get_mntns_id(int mntns_fd, std::error_code& ec) noexcept;
std::uint64_t ns_get_mntns_id(int mntns_fd);
// NS_GET_ID (6.18): 64-bit id of any namespace, never reused.
std::uint64_t ns_get_id(int ns_fd, std::error_code& ec) noexcept;
std::uint64_t ns_get_id(int ns_fd);

// PID translation (6.11), on a pid namespace fd:
//   from_pidns: pid/tgid as numbered inside pidns  -> as the caller sees it
//   in_pidns:   pid/tgid as the caller sees it      -> as numbered inside pidns
pid_t ns_get_pid_from_pidns(int pidns_fd, pid_t pid, std::error_code& ec) noexcept;
pid_t ns_get_pid_from_pidns(int pidns_fd, pid_t pid);
pid_t ns_get_tgid_from_pidns(int pidns_fd, pid_t pid, std::error_code& ec) noexcept;
pid_t ns_get_tgid_from_pidns(int pidns_fd, pid_t pid);
pid_t ns_get_pid_in_pidns(int pidns_fd, pid_t pid, std::error_code& ec) noexcept;
pid_t ns_get_pid_in_pidns(int pidns_fd, pid_t pid);
pid_t ns_get_tgid_in_pidns(int pidns_fd, pid_t pid, std::error_code& ec) noexcept;
pid_t ns_get_tgid_in_pidns(int pidns_fd, pid_t pid);

// NS_MNT_GET_INFO / NEXT / PREV (6.12), on a mount namespace fd.
struct mnt_ns_info {
    std::uint32_t nr_mounts = 0;  // mounts, without the namespace's root mount
    std::uint64_t mnt_ns_id = 0;
};
mnt_ns_info ns_mnt_get_info(int mntns_fd, std::error_code& ec) noexcept;
mnt_ns_info ns_mnt_get_info(int mntns_fd);
// Walk the caller's mount namespaces in id order: returns an fd to the next
// (or previous) one and fills `info`.  ENOENT at the end.  Needs CAP_SYS_ADMIN
// in the initial user namespace.
unique_fd ns_mnt_get_next(int mntns_fd, mnt_ns_info& info, std::error_code& ec) noexcept;
unique_fd ns_mnt_get_next(int mntns_fd, mnt_ns_info& info);
unique_fd ns_mnt_get_prev(int mntns_fd, mnt_ns_info& info, std::error_code& ec) noexcept;
unique_fd ns_mnt_get_prev(int mntns_fd, mnt_ns_info& info);

// Device + inode of a namespace file: the identity every kernel gives.
struct ns_inode {
    std::uint64_t dev = 0;
    std::uint64_t ino = 0;
    friend bool operator==(const ns_inode&, const ns_inode&) = default;
    friend auto operator<=>(const ns_inode&, const ns_inode&) = default;
};
ns_inode ns_stat(int ns_fd, std::error_code& ec) noexcept;
ns_inode ns_stat(int ns_fd);

// Which nsfs ioctls the running kernel answers (probed once on /proc/self/ns).
struct nsfs_support {
    bool get_userns = false, get_parent = false, get_nstype = false, get_owner_uid = false;
    bool get_mntns_id = false, pid_translation = false, mnt_get_info = false, mnt_iterate = false;
    bool get_id = false;
};
const nsfs_support& probe_nsfs() noexcept;

} // namespace nskit::sys
NSKIT_API_END
