// nskit/sys/detail/syscall.hpp — kernel ABI that Debian 12's 6.1 headers lack,
// and raw syscall shims.  Each constant carries the kernel that introduced it.
#pragma once

#include <linux/nsfs.h>
#include <linux/sched.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>

// --- syscall numbers (x86_64 values, used only if libc lacks them) ---
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424 // 5.1
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434        // 5.3
#endif
#ifndef SYS_clone3
#define SYS_clone3 435            // 5.3
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438       // 5.6
#endif

// waitid(P_PIDFD) is idtype 3 (5.4); glibc 2.36 declares P_PIDFD in its enum.
#ifndef PIDFD_NONBLOCK
#define PIDFD_NONBLOCK 04000      // O_NONBLOCK, 5.10
#endif
#ifndef PIDFD_THREAD
#define PIDFD_THREAD 0200         // O_EXCL, 6.9: a pidfd for a thread id
#endif

// --- nsfs ioctls (magic 0xb7) ---
#ifndef NS_GET_MNTNS_ID
#define NS_GET_MNTNS_ID _IOR(NSIO, 0x5, std::uint64_t)       // 6.11
#endif
#ifndef NS_GET_PID_FROM_PIDNS
#define NS_GET_PID_FROM_PIDNS _IOR(NSIO, 0x6, int)           // 6.11
#define NS_GET_TGID_FROM_PIDNS _IOR(NSIO, 0x7, int)          // 6.11
#define NS_GET_PID_IN_PIDNS _IOR(NSIO, 0x8, int)             // 6.11
#define NS_GET_TGID_IN_PIDNS _IOR(NSIO, 0x9, int)            // 6.11
#endif
namespace nskit::sys::detail {
struct kernel_mnt_ns_info {   // struct mnt_ns_info, 6.12
    std::uint32_t size;
    std::uint32_t nr_mounts;
    std::uint64_t mnt_ns_id;
};
inline constexpr std::uint32_t mnt_ns_info_size_ver0 = 16;
} // namespace nskit::sys::detail
#ifndef NS_MNT_GET_INFO
#define NS_MNT_GET_INFO _IOR(NSIO, 10, nskit::sys::detail::kernel_mnt_ns_info) // 6.12
#define NS_MNT_GET_NEXT _IOR(NSIO, 11, nskit::sys::detail::kernel_mnt_ns_info) // 6.12
#define NS_MNT_GET_PREV _IOR(NSIO, 12, nskit::sys::detail::kernel_mnt_ns_info) // 6.12
#endif
#ifndef NS_GET_ID
#define NS_GET_ID _IOR(NSIO, 13, std::uint64_t)              // 6.18
#endif

// --- kcmp (3.5, CONFIG_KCMP) ---
#ifndef SYS_kcmp
#define SYS_kcmp 312
#endif

// --- nsfs superblock magic, for "is this fd a namespace?" ---
#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif
#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

namespace nskit::sys::detail {

// struct clone_args as of 5.7 (CLONE_ARGS_SIZE_VER2 = 88 bytes).
struct kernel_clone_args {
    std::uint64_t flags;
    std::uint64_t pidfd;
    std::uint64_t child_tid;
    std::uint64_t parent_tid;
    std::uint64_t exit_signal;
    std::uint64_t stack;
    std::uint64_t stack_size;
    std::uint64_t tls;
    std::uint64_t set_tid;
    std::uint64_t set_tid_size;
    std::uint64_t cgroup;
};
static_assert(sizeof(kernel_clone_args) == 88);

// clone3 whose child starts in fn(arg) on the stack given in k and exits
// with its return value (never returning into the caller's frames).
// x86_64 only: elsewhere ENOSYS.  clone3_run returns the child's pid, or -1
// with errno; clone3_start returns the pid or -errno and leaves errno alone
// (for a caller that shares its memory, and so its errno, with others).
long clone3_run(kernel_clone_args* k, int (*fn)(void*), void* arg) noexcept;
long clone3_start(kernel_clone_args* k, int (*fn)(void*), void* arg) noexcept;

} // namespace nskit::sys::detail
