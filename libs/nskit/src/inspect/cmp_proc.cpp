// /proc readers for compare and group: fd lists and epoll interest lists.
#include <nskit/inspect/detail/cmp_proc.hpp>
#include <nskit/inspect/detail/proc_text.hpp>

#include <nskit/sys/error.hpp>
#include <nskit/sys/unique_fd.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <map>

namespace nskit::inspect::detail::cmp {
namespace {

bool parse_int(std::string_view s, int& out) noexcept
{
    if (s.empty())
        return false;
    auto [p, e] = std::from_chars(s.data(), s.data() + s.size(), out);
    return e == std::errc() && p == s.data() + s.size();
}

// The value after `key` in `line` ("tfd:" -> "  5"), parsed in `base`.
template <class T>
bool field(std::string_view line, std::string_view key, int base, T& out) noexcept
{
    auto k = line.find(key);
    if (k == std::string_view::npos)
        return false;
    auto rest = line.substr(k + key.size());
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t'))
        rest.remove_prefix(1);
    auto [p, e] = std::from_chars(rest.data(), rest.data() + rest.size(), out, base);
    return e == std::errc() && p != rest.data();
}

} // namespace

std::vector<fd_entry> list_fds(pid_t pid, std::error_code& ec)
{
    ec.clear();
    std::vector<fd_entry> out;
    const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        ec = nskit::detail::last_error();
        return out;
    }
    DIR* d = ::fdopendir(dfd);
    if (d == nullptr) {
        ec = nskit::detail::last_error();
        ::close(dfd);
        return out;
    }
    // Our own directory fd shows up when pid shares our fd table: leave it out.
    struct stat self_dir {};
    const bool have_self = ::fstat(dfd, &self_dir) == 0;
    errno = 0;
    while (auto* e = ::readdir(d)) {
        int fd;
        if (!parse_int(e->d_name, fd))
            continue;
        struct stat st {};
        if (::fstatat(dfd, e->d_name, &st, 0) != 0) {
            const int err = errno;
            if (err == EACCES || err == EPERM) {
                ec = {err, std::system_category()};
                break;
            }
            continue; // closed meanwhile, or a target that cannot be stat'ed
        }
        if (have_self && st.st_dev == self_dir.st_dev && st.st_ino == self_dir.st_ino && fd == dfd)
            continue;
        out.push_back({fd, static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)});
    }
    ::closedir(d);
    std::sort(out.begin(), out.end(), [](const fd_entry& x, const fd_entry& y) { return x.fd < y.fd; });
    return out;
}

std::vector<int> list_fd_numbers(pid_t pid, std::error_code& ec)
{
    ec.clear();
    std::vector<int> out;
    const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) {
        ec = nskit::detail::last_error();
        return out;
    }
    const int own = ::dirfd(d); // shows up when pid shares our fd table
    const bool shares_ours = pid == ::getpid();
    errno = 0;
    while (auto* e = ::readdir(d)) {
        int fd;
        if (parse_int(e->d_name, fd) && !(shares_ours && fd == own))
            out.push_back(fd);
    }
    if (errno != 0 && out.empty())
        ec = nskit::detail::last_error();
    ::closedir(d);
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

std::uint64_t kernel_dev_to_user(std::uint64_t kdev) noexcept
{
    return static_cast<std::uint64_t>(::makedev(static_cast<unsigned>(kdev >> 20), static_cast<unsigned>(kdev & 0xfffff)));
}

std::vector<epoll_item> parse_epoll_fdinfo(std::string_view text)
{
    // Each watched item (fs/eventpoll.c, ep_show_fdinfo):
    // "tfd: %8d events: %8x data: %16llx  pos:%lli ino:%lx sdev:%x"
    // in the order the kernel walks its tree: the same order KCMP_EPOLL_TFD
    // counts `toff` in.
    std::vector<epoll_item> out;
    std::map<int, unsigned> seen;
    while (!text.empty()) {
        auto nl = text.find('\n');
        auto line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        if (!line.starts_with("tfd:"))
            continue;
        epoll_item it;
        if (!field(line, "tfd:", 10, it.target_fd) || it.target_fd < 0)
            continue;
        field(line, "events:", 16, it.events);
        std::uint64_t sdev = 0;
        it.has_inode = field(line, " ino:", 16, it.ino) && field(line, "sdev:", 16, sdev);
        it.dev = it.has_inode ? kernel_dev_to_user(sdev) : 0;
        it.target_offset = seen[it.target_fd]++;
        out.push_back(it);
    }
    return out;
}

std::vector<epoll_item> read_epoll_items(pid_t pid, int epoll_fd, std::error_code& ec)
{
    ec.clear();
    const std::string path = "/proc/" + std::to_string(pid) + "/fdinfo/" + std::to_string(epoll_fd);
    unique_fd f(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!f) {
        ec = nskit::detail::last_error();
        return {};
    }
    std::string text;
    char buf[8192];
    for (;;) {
        ssize_t n = ::read(f.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ec = nskit::detail::last_error();
            return {};
        }
        if (n == 0)
            break;
        text.append(buf, static_cast<std::size_t>(n));
    }
    return parse_epoll_fdinfo(text);
}

} // namespace nskit::inspect::detail::cmp
