// nskit/sys/detail/raw.hpp — system calls without libc, for a child between
// clone and exec (or its payload) and for what such a child calls (ns's
// child steps, net's loopback).  Such a child shares the caller's
// memory (CLONE_VM) or is a fork of it: libc's errno is thread-local state
// it would share, a first call through the PLT would run the dynamic linker
// (lazy binding) in it, and libc's locks may be held by a thread that is
// not there.  Each call returns its result, or -errno.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>

#ifndef SYS_close_range
#define SYS_close_range 436 // 5.9
#endif

namespace nskit::sys::detail::raw {

#if defined(__x86_64__)
#define NSKIT_RAW_SYSCALLS 1
inline long call(long n, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0, long f = 0) noexcept
{
    long ret;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}
#elif defined(__aarch64__)
#define NSKIT_RAW_SYSCALLS 1
inline long call(long n, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0, long f = 0) noexcept
{
    register long x8 __asm__("x8") = n;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    register long x4 __asm__("x4") = e;
    register long x5 __asm__("x5") = f;
    __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory");
    return x0;
}
#else
#define NSKIT_RAW_SYSCALLS 0 // libc's syscall(), errno kept as it was
inline long call(long n, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0, long f = 0) noexcept
{
    const int saved = errno;
    long r = ::syscall(n, a, b, c, d, e, f);
    if (r < 0)
        r = -errno;
    errno = saved;
    return r;
}
#endif

template <class T>
long arg(T* p) noexcept
{
    return reinterpret_cast<long>(p);
}

// The kernel's sigset: one bit per signal, 64 signals.
using sigmask = std::uint64_t;
constexpr sigmask bit(int sig) noexcept { return sigmask{1} << (sig - 1); }

inline long set_mask(sigmask m) noexcept
{
    return call(SYS_rt_sigprocmask, SIG_SETMASK, arg(&m), 0, sizeof m);
}

// Default disposition (no handler: no sa_restorer needed).
inline long set_default(int sig) noexcept
{
    struct {
        void* handler;
        unsigned long flags;
        void* restorer;
        sigmask mask;
    } act{nullptr, 0, nullptr, 0}; // SIG_DFL is 0
    return call(SYS_rt_sigaction, sig, arg(&act), 0, sizeof(sigmask));
}

inline long write_all(int fd, const void* data, std::size_t len) noexcept
{
    const char* p = static_cast<const char*>(data);
    while (len > 0) {
        const long n = call(SYS_write, fd, arg(p), static_cast<long>(len));
        if (n == -EINTR)
            continue;
        if (n < 0)
            return n;
        if (n == 0)
            return -EIO;
        p += n;
        len -= static_cast<std::size_t>(n);
    }
    return 0;
}

inline long read_some(int fd, void* data, std::size_t len) noexcept
{
    long n;
    do
        n = call(SYS_read, fd, arg(data), static_cast<long>(len));
    while (n == -EINTR);
    return n;
}

[[noreturn]] inline void exit_group(int code) noexcept
{
    for (;;)
        call(SYS_exit_group, code);
}

inline long close(int fd) noexcept { return call(SYS_close, fd); }

// close_range_or_loop closes [first, last]; close_all_but every fd >= 3
// but those kept: close_range, or where the kernel lacks it (before 5.9: ENOSYS) one close
// per fd below the hard RLIMIT_NOFILE (capped at 2^20, the default
// fs.nr_open).  For processes that never exec: CLOSE_RANGE_CLOEXEC would
// close nothing for them.
inline long close_range_or_loop(unsigned first, unsigned last) noexcept
{
    if (first > last)
        return 0;
    const long r = call(SYS_close_range, first, last, 0);
    if (r != -ENOSYS)
        return r;
    struct {
        std::uint64_t cur, max;
    } lim{}; // the kernel's rlimit64, whatever libc's rlim_t is
    if (const long g = call(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, arg(&lim)); g < 0)
        return g;
    const unsigned long top = lim.max < (1UL << 20) ? static_cast<unsigned long>(lim.max) : (1UL << 20);
    for (unsigned long fd = first; fd <= last && fd < top; ++fd)
        call(SYS_close, static_cast<long>(fd)); // EBADF for most: nothing open there
    return 0;
}

// keep[0..n) in any order, duplicates and fds < 3 allowed; no allocation.
inline long close_all_but(const int* keep, std::size_t n) noexcept
{
    unsigned next = 3;
    for (;;) {
        long lowest = -1; // the lowest kept fd >= next
        for (std::size_t i = 0; i < n; ++i)
            if (keep[i] >= static_cast<long>(next) && (lowest < 0 || keep[i] < lowest))
                lowest = keep[i];
        if (lowest < 0)
            return close_range_or_loop(next, ~0U);
        if (const long r = close_range_or_loop(next, static_cast<unsigned>(lowest) - 1); r < 0)
            return r;
        next = static_cast<unsigned>(lowest) + 1;
    }
}

inline long mount(const char* source, const char* target, const char* type, unsigned long flags,
                  const void* data) noexcept
{
    return call(SYS_mount, arg(source), arg(target), arg(type), static_cast<long>(flags), arg(data));
}

// The file type of `path` itself (a symlink is not followed): S_IFDIR, ...
inline long file_type(const char* path) noexcept
{
    struct statx stx{};
    const long r = call(SYS_statx, AT_FDCWD, arg(path), AT_SYMLINK_NOFOLLOW, STATX_TYPE, arg(&stx));
    return r < 0 ? r : static_cast<long>(stx.stx_mode & S_IFMT);
}

} // namespace nskit::sys::detail::raw
