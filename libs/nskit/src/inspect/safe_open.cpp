#include "safe_open.hpp"

#include <nskit/sys/error.hpp>

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h> // Linux 5.6
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <string>

namespace nskit::inspect::detail {
namespace {

using nskit::detail::last_error;

unique_fd open_path_in_root(int dirfd, std::string_view path, std::error_code& ec) noexcept
{
    // Inside the root the mount table names paths from "/": relative to dirfd.
    while (!path.empty() && path.front() == '/')
        path.remove_prefix(1);
    // A stack copy (no allocation in a noexcept path); the kernel refuses
    // longer paths with ENAMETOOLONG all the same.
    char rel[PATH_MAX];
    if (path.size() >= sizeof rel) {
        ec = std::make_error_code(std::errc::filename_too_long);
        return {};
    }
    if (path.empty())
        path = ".";
    std::memcpy(rel, path.data(), path.size());
    rel[path.size()] = '\0';
    open_how how{};
    how.flags = O_PATH | O_CLOEXEC | O_NOFOLLOW;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    const long fd = ::syscall(SYS_openat2, dirfd, rel, &how, sizeof how);
    if (fd >= 0)
        return unique_fd(static_cast<int>(fd));
    ec = last_error();
    if (ec == std::errc::function_not_supported) // before 5.6 (or a seccomp filter)
        return open_path_no_symlinks(dirfd, path, ec);
    return {};
}

// An ns link names an nsfs file and nothing else, and opening one has no
// side effect: no O_PATH step to look first (one path walk, not two).
unique_fd open_ns_link(int dirfd, std::string_view path, std::uint64_t expected_ino, std::error_code& ec) noexcept
{
    char buf[256];
    if (path.size() >= sizeof buf) {
        ec = std::make_error_code(std::errc::filename_too_long);
        return {};
    }
    path.copy(buf, path.size());
    buf[path.size()] = '\0';
    unique_fd fd(::openat(dirfd, buf, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
    struct statfs sf{};
    struct stat st{};
    if (!fd || ::fstatfs(fd.get(), &sf) != 0 || ::fstat(fd.get(), &st) != 0) {
        ec = last_error();
        return {};
    }
    if (sf.f_type != NSFS_MAGIC) {
        ec = make_error_code(error::not_a_namespace);
        return {};
    }
    if (expected_ino != 0 && st.st_ino != expected_ino) {
        ec = std::error_code(ESTALE, std::system_category());
        return {};
    }
    return fd;
}

} // namespace

unique_fd open_path_no_symlinks(int dirfd, std::string_view path, std::error_code& ec) noexcept
{
    ec.clear();
    try {
        unique_fd cur(::openat(dirfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!cur) {
            ec = last_error();
            return {};
        }
        while (!path.empty()) {
            const auto slash = path.find('/');
            const std::string name(path.substr(0, slash));
            path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
            if (name.empty() || name == ".")
                continue;
            if (name == "..") { // could climb out of the root
                ec = std::make_error_code(std::errc::operation_not_permitted);
                return {};
            }
            unique_fd next(::openat(cur.get(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
            if (!next) {
                ec = last_error();
                return {};
            }
            struct stat st{};
            if (::fstat(next.get(), &st) != 0) {
                ec = last_error();
                return {};
            }
            if (S_ISLNK(st.st_mode)) {
                ec = std::make_error_code(std::errc::too_many_symbolic_link_levels);
                return {};
            }
            cur = std::move(next);
        }
        return cur;
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return {};
    }
}

unique_fd open_nsfs(int dirfd, std::string_view path, path_rule rule, std::uint64_t expected_ino, int proc_dirfd,
                    std::error_code& ec) noexcept
{
    ec.clear();
    unique_fd opath;
    if (rule == path_rule::ns_link)
        return open_ns_link(dirfd, path, expected_ino, ec);
    if (rule == path_rule::in_root) {
        opath = open_path_in_root(dirfd, path, ec);
    } else {
        char buf[4096];
        if (path.size() >= sizeof buf) {
            ec = std::make_error_code(std::errc::filename_too_long);
            return {};
        }
        path.copy(buf, path.size());
        buf[path.size()] = '\0';
        // follow: the caller's own path; magic_link: the procfs link is the file itself
        opath.reset(::openat(dirfd, buf, O_PATH | O_CLOEXEC));
        if (!opath)
            ec = last_error();
    }
    if (ec)
        return {};
    struct statfs sf{};
    struct stat st{};
    if (::fstatfs(opath.get(), &sf) != 0 || ::fstat(opath.get(), &st) != 0) {
        ec = last_error();
        return {};
    }
    if (sf.f_type != NSFS_MAGIC) {
        ec = make_error_code(error::not_a_namespace);
        return {};
    }
    if (expected_ino != 0 && st.st_ino != expected_ino) {
        ec = std::error_code(ESTALE, std::system_category());
        return {};
    }
    char self[48];
    std::snprintf(self, sizeof self, proc_dirfd == AT_FDCWD ? "/proc/self/fd/%d" : "self/fd/%d", opath.get());
    unique_fd fd(::openat(proc_dirfd, self, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
    if (!fd)
        ec = last_error();
    return fd;
}

} // namespace nskit::inspect::detail
