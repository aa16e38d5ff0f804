// /proc readers for compare and group: fd lists and epoll interest lists.
#include <nskit/inspect/detail/cmp_proc.hpp>
#include <nskit/inspect/detail/proc_text.hpp>

#include <nskit/sys/error.hpp>
#include <nskit/sys/unique_fd.hpp>

#include "dir_numbers.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <map>

namespace nskit::inspect::detail::cmp {

std::vector<fd_entry> list_fds(pid_t pid, std::error_code& ec)
{
    ec.clear();
    std::vector<fd_entry> out;
    const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
    const unique_fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dfd) {
        ec = nskit::detail::last_error();
        return out;
    }
    // Our own directory fd shows up when pid shares our fd table: leave it out.
    struct stat self_dir {};
    const bool have_self = ::fstat(dfd.get(), &self_dir) == 0;
    std::error_code refused; // a target we may not stat: the whole table is unknown
    ec = for_each_number(dfd.get(), [&](int fd, const char* name) {
        if (refused)
            return;
        struct stat st {};
        if (::fstatat(dfd.get(), name, &st, 0) != 0) {
            if (errno == EACCES || errno == EPERM)
                refused = nskit::detail::last_error();
            return; // else closed meanwhile, or a target that cannot be stat'ed
        }
        if (have_self && st.st_dev == self_dir.st_dev && st.st_ino == self_dir.st_ino && fd == dfd.get())
            return;
        out.push_back({fd, static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)});
    });
    if (!ec)
        ec = refused;
    if (ec)
        out.clear();
    std::sort(out.begin(), out.end(), [](const fd_entry& x, const fd_entry& y) { return x.fd < y.fd; });
    return out;
}

std::vector<int> list_fd_numbers(pid_t pid, std::error_code& ec)
{
    ec.clear();
    std::vector<int> out;
    const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
    const unique_fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dfd) {
        ec = nskit::detail::last_error();
        return out;
    }
    const bool shares_ours = pid == ::getpid(); // then our directory fd shows up
    ec = for_each_number(dfd.get(), [&](int fd, const char*) {
        if (!(shares_ours && fd == dfd.get()))
            out.push_back(fd);
    });
    if (ec)
        out.clear();
    std::sort(out.begin(), out.end());
    return out;
}

unique_fd open_fd_dir(pid_t pid) noexcept
{
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/fd", pid);
    return unique_fd(::open(path, O_PATH | O_DIRECTORY | O_CLOEXEC));
}

std::string fd_target_at(int fd_dir, int fd, std::error_code& ec)
{
    char name[16];
    std::snprintf(name, sizeof name, "%d", fd);
    return inspect::detail::read_link_at(fd_dir, name, ec);
}

bool stat_fd_at(int fd_dir, int fd, std::uint64_t& dev, std::uint64_t& ino) noexcept
{
    char name[16];
    std::snprintf(name, sizeof name, "%d", fd);
    struct stat st {};
    if (::fstatat(fd_dir, name, &st, 0) != 0)
        return false;
    dev = static_cast<std::uint64_t>(st.st_dev);
    ino = static_cast<std::uint64_t>(st.st_ino);
    return true;
}

bool stat_fd(pid_t pid, int fd, std::uint64_t& dev, std::uint64_t& ino) noexcept
{
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/fd/%d", pid, fd);
    struct stat st {};
    if (::stat(path, &st) != 0)
        return false;
    dev = static_cast<std::uint64_t>(st.st_dev);
    ino = static_cast<std::uint64_t>(st.st_ino);
    return true;
}

std::string fd_target(pid_t pid, int fd, std::error_code& ec)
{
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/fd/%d", pid, fd);
    return inspect::detail::read_link_at(AT_FDCWD, path, ec);
}

fd_kind classify_fd_target(std::string_view t) noexcept
{
    if (t.starts_with("/"))
        return fd_kind::path;
    if (t.starts_with("socket:["))
        return fd_kind::socket;
    if (t.starts_with("pipe:["))
        return fd_kind::pipe;
    if (t.starts_with("anon_inode:"))
        return fd_kind::anon_inode;
    return fd_kind::other;
}

std::string without_deleted(std::string target)
{
    constexpr std::string_view deleted = " (deleted)";
    if (std::string_view(target).ends_with(deleted))
        target.resize(target.size() - deleted.size());
    return target;
}

std::vector<epoll_item> read_epoll_items(pid_t pid, int epoll_fd, std::error_code& ec)
{
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/fdinfo/%d", pid, epoll_fd);
    const std::string text = inspect::detail::read_text_at(AT_FDCWD, path, ec);
    return ec ? std::vector<epoll_item>{} : parse_epoll_fdinfo(text);
}

} // namespace nskit::inspect::detail::cmp
