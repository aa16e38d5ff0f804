// Private to inspect: the numeric entries of a /proc directory (/proc,
// /proc/PID/task, /proc/PID/fd), one loop for every listing, with one rule:
// a listing cut short is an error, never a shorter list.
#pragma once

#include <nskit/inspect/detail/proc_text.hpp>
#include <nskit/sys/error.hpp>

#include <dirent.h>
#include <unistd.h>

#include <cstdint>
#include <system_error>

namespace nskit::inspect::detail {

// Numeric entries of a freshly opened directory fd, via getdents64 (no
// per-entry allocation).  procfs fills the buffer until the directory ends,
// so a reply with room to spare for more entries was the last one.
// Returns the getdents64 error, if any.
template <class F>
std::error_code for_each_number(int dirfd, F&& f)
{
    alignas(8) char buf[16384];
    constexpr ssize_t room_for_more = 1024; // > a few dirents of /proc names
    for (;;) {
        const ssize_t n = ::getdents64(dirfd, buf, sizeof buf);
        if (n < 0)
            return nskit::detail::last_error();
        if (n == 0)
            return {};
        const bool last = n < static_cast<ssize_t>(sizeof buf) - room_for_more;
        for (ssize_t off = 0; off < n;) {
            auto* d = reinterpret_cast<struct dirent64*>(buf + off);
            off += d->d_reclen;
            std::uint64_t v = 0;
            if (parse_decimal(d->d_name, v) && v <= 0x7fffffff)
                f(static_cast<int>(v), d->d_name);
        }
        if (last)
            return {};
    }
}

} // namespace nskit::inspect::detail
