// nskit/ns/detail/threads.hpp — how many threads the calling process has.
// user and mount namespaces can be joined or made only by a single-threaded
// process; the kernel would refuse (EINVAL) or, for unshare(CLONE_NEWNS),
// silently move one thread only.
#pragma once

#include <dirent.h>

namespace nskit::ns::detail {

inline int count_threads() noexcept
{
    int n = 0;
    if (DIR* d = ::opendir("/proc/self/task")) {
        while (auto* e = ::readdir(d))
            if (e->d_name[0] != '.')
                ++n;
        ::closedir(d);
    }
    return n;
}

} // namespace nskit::ns::detail
