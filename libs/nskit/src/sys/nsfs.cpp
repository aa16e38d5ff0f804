#include <nskit/sys/detail/syscall.hpp>
#include <nskit/sys/error.hpp>
#include <nskit/sys/nsfs.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <cstdio>
#include <string>

namespace nskit::sys {
namespace {

using nskit::detail::last_error;

unique_fd open_path(const char* path, std::error_code& ec) noexcept
{
    ec.clear();
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        ec = last_error();
        return {};
    }
    return unique_fd(fd);
}

unique_fd open_entry(pid_t pid, std::string_view entry, std::error_code& ec) noexcept
{
    if (pid < 0 || entry.empty()) {
        ec = std::make_error_code(std::errc::invalid_argument);
        return {};
    }
    char path[96];
    if (pid == 0)
        std::snprintf(path, sizeof path, "/proc/self/ns/%.*s", static_cast<int>(entry.size()), entry.data());
    else
        std::snprintf(path, sizeof path, "/proc/%d/ns/%.*s", pid, static_cast<int>(entry.size()), entry.data());
    return open_path(path, ec);
}

unique_fd fd_ioctl(int fd, unsigned long req, std::error_code& ec) noexcept
{
    ec.clear();
    int r = ::ioctl(fd, req);
    if (r < 0) {
        ec = last_error();
        return {};
    }
    return unique_fd(r);
}

template <class T>
T value_ioctl(int fd, unsigned long req, std::error_code& ec) noexcept
{
    ec.clear();
    T v{};
    if (::ioctl(fd, req, &v) < 0)
        ec = last_error();
    return v;
}

pid_t pid_ioctl(int fd, unsigned long req, pid_t pid, std::error_code& ec) noexcept
{
    ec.clear();
    if (pid <= 0) {
        ec = std::make_error_code(std::errc::invalid_argument);
        return -1;
    }
    int r = ::ioctl(fd, req, static_cast<unsigned long>(pid)); // the pid is passed by value
    if (r < 0) {
        ec = last_error();
        return -1;
    }
    return r;
}

unique_fd mnt_iter(int fd, unsigned long req, mnt_ns_info& info, std::error_code& ec) noexcept
{
    ec.clear();
    detail::kernel_mnt_ns_info k{};
    k.size = detail::mnt_ns_info_size_ver0;
    int r = ::ioctl(fd, req, &k);
    if (r < 0) {
        ec = last_error();
        return {};
    }
    info = {k.nr_mounts, k.mnt_ns_id};
    return unique_fd(r);
}

template <class F>
auto throwing(const char* op, F&& f)
{
    std::error_code ec;
    auto r = f(ec);
    throw_if(ec, op_kind::nsfs_ioctl, op);
    return r;
}

std::string entry_op(const char* call, pid_t pid, std::string_view entry)
{
    return std::string(call) + "(/proc/" + (pid ? std::to_string(pid) : std::string("self")) + "/ns/" +
           std::string(entry) + ")";
}

} // namespace

unique_fd open_ns(pid_t pid, ns_type t, std::error_code& ec) noexcept
{
    return open_entry(pid, info(t).proc_entry, ec);
}
unique_fd open_ns(pid_t pid, ns_type t)
{
    std::error_code ec;
    auto fd = open_ns(pid, t, ec);
    throw_if(ec, op_kind::namespace_open, entry_op("open_ns", pid, info(t).proc_entry));
    return fd;
}

unique_fd open_ns_for_children(pid_t pid, ns_type t, std::error_code& ec) noexcept
{
    if (info(t).for_children_entry.empty()) {
        ec = std::make_error_code(std::errc::invalid_argument);
        return {};
    }
    return open_entry(pid, info(t).for_children_entry, ec);
}
unique_fd open_ns_for_children(pid_t pid, ns_type t)
{
    std::error_code ec;
    auto fd = open_ns_for_children(pid, t, ec);
    throw_if(ec, op_kind::namespace_open, entry_op("open_ns_for_children", pid, info(t).for_children_entry));
    return fd;
}

unique_fd open_ns_path(const char* path, std::error_code& ec) noexcept
{
    if (path == nullptr || *path == '\0') {
        ec = std::make_error_code(std::errc::invalid_argument);
        return {};
    }
    return open_path(path, ec);
}
unique_fd open_ns_path(const char* path)
{
    std::error_code ec;
    auto fd = open_ns_path(path, ec);
    throw_if(ec, op_kind::namespace_open, std::string("open_ns_path(") + (path ? path : "null") + ")");
    return fd;
}

unique_fd ns_get_userns(int fd, std::error_code& ec) noexcept { return fd_ioctl(fd, NS_GET_USERNS, ec); }
unique_fd ns_get_userns(int fd) { return throwing("NS_GET_USERNS", [&](auto& ec) { return ns_get_userns(fd, ec); }); }

unique_fd ns_get_parent(int fd, std::error_code& ec) noexcept { return fd_ioctl(fd, NS_GET_PARENT, ec); }
unique_fd ns_get_parent(int fd) { return throwing("NS_GET_PARENT", [&](auto& ec) { return ns_get_parent(fd, ec); }); }

ns_type ns_get_nstype(int fd, std::error_code& ec) noexcept
{
    ec.clear();
    int r = ::ioctl(fd, NS_GET_NSTYPE);
    if (r < 0) {
        ec = last_error();
        return ns_type::mnt;
    }
    if (auto t = ns_type_from_kernel(r))
        return *t;
    ec = make_error_code(error::not_a_namespace); // a type newer than nskit
    return ns_type::mnt;
}
ns_type ns_get_nstype(int fd) { return throwing("NS_GET_NSTYPE", [&](auto& ec) { return ns_get_nstype(fd, ec); }); }

uid_t ns_get_owner_uid(int fd, std::error_code& ec) noexcept { return value_ioctl<uid_t>(fd, NS_GET_OWNER_UID, ec); }
uid_t ns_get_owner_uid(int fd)
{
    return throwing("NS_GET_OWNER_UID", [&](auto& ec) { return ns_get_owner_uid(fd, ec); });
}

std::uint64_t ns_get_mntns_id(int fd, std::error_code& ec) noexcept
{
    return value_ioctl<std::uint64_t>(fd, NS_GET_MNTNS_ID, ec);
}
std::uint64_t ns_get_mntns_id(int fd)
{
    return throwing("NS_GET_MNTNS_ID", [&](auto& ec) { return ns_get_mntns_id(fd, ec); });
}

std::uint64_t ns_get_id(int fd, std::error_code& ec) noexcept { return value_ioctl<std::uint64_t>(fd, NS_GET_ID, ec); }
std::uint64_t ns_get_id(int fd) { return throwing("NS_GET_ID", [&](auto& ec) { return ns_get_id(fd, ec); }); }

pid_t ns_get_pid_from_pidns(int fd, pid_t pid, std::error_code& ec) noexcept
{
    return pid_ioctl(fd, NS_GET_PID_FROM_PIDNS, pid, ec);
}
pid_t ns_get_pid_from_pidns(int fd, pid_t pid)
{
    return throwing("NS_GET_PID_FROM_PIDNS", [&](auto& ec) { return ns_get_pid_from_pidns(fd, pid, ec); });
}
pid_t ns_get_tgid_from_pidns(int fd, pid_t pid, std::error_code& ec) noexcept
{
    return pid_ioctl(fd, NS_GET_TGID_FROM_PIDNS, pid, ec);
}
pid_t ns_get_tgid_from_pidns(int fd, pid_t pid)
{
    return throwing("NS_GET_TGID_FROM_PIDNS", [&](auto& ec) { return ns_get_tgid_from_pidns(fd, pid, ec); });
}
pid_t ns_get_pid_in_pidns(int fd, pid_t pid, std::error_code& ec) noexcept
{
    return pid_ioctl(fd, NS_GET_PID_IN_PIDNS, pid, ec);
}
pid_t ns_get_pid_in_pidns(int fd, pid_t pid)
{
    return throwing("NS_GET_PID_IN_PIDNS", [&](auto& ec) { return ns_get_pid_in_pidns(fd, pid, ec); });
}
pid_t ns_get_tgid_in_pidns(int fd, pid_t pid, std::error_code& ec) noexcept
{
    return pid_ioctl(fd, NS_GET_TGID_IN_PIDNS, pid, ec);
}
pid_t ns_get_tgid_in_pidns(int fd, pid_t pid)
{
    return throwing("NS_GET_TGID_IN_PIDNS", [&](auto& ec) { return ns_get_tgid_in_pidns(fd, pid, ec); });
}

mnt_ns_info ns_mnt_get_info(int fd, std::error_code& ec) noexcept
{
    ec.clear();
    detail::kernel_mnt_ns_info k{};
    k.size = detail::mnt_ns_info_size_ver0;
    if (::ioctl(fd, NS_MNT_GET_INFO, &k) < 0) {
        ec = last_error();
        return {};
    }
    return {k.nr_mounts, k.mnt_ns_id};
}
mnt_ns_info ns_mnt_get_info(int fd)
{
    return throwing("NS_MNT_GET_INFO", [&](auto& ec) { return ns_mnt_get_info(fd, ec); });
}

unique_fd ns_mnt_get_next(int fd, mnt_ns_info& info, std::error_code& ec) noexcept
{
    return mnt_iter(fd, NS_MNT_GET_NEXT, info, ec);
}
unique_fd ns_mnt_get_next(int fd, mnt_ns_info& info)
{
    return throwing("NS_MNT_GET_NEXT", [&](auto& ec) { return ns_mnt_get_next(fd, info, ec); });
}
unique_fd ns_mnt_get_prev(int fd, mnt_ns_info& info, std::error_code& ec) noexcept
{
    return mnt_iter(fd, NS_MNT_GET_PREV, info, ec);
}
unique_fd ns_mnt_get_prev(int fd, mnt_ns_info& info)
{
    return throwing("NS_MNT_GET_PREV", [&](auto& ec) { return ns_mnt_get_prev(fd, info, ec); });
}

ns_inode ns_stat(int fd, std::error_code& ec) noexcept
{
    ec.clear();
    struct stat st{};
    if (::fstat(fd, &st) != 0) {
        ec = last_error();
        return {};
    }
    return {static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)};
}
ns_inode ns_stat(int fd) { return throwing("ns_stat", [&](auto& ec) { return ns_stat(fd, ec); }); }

const nsfs_support& probe_nsfs() noexcept
{
    static const nsfs_support s = [] {
        nsfs_support r;
        std::error_code ec;
        auto answered = [](const std::error_code& e) { return !e || (e.value() != ENOTTY && e.value() != ENOSYS); };
        auto user = open_ns(0, ns_type::user, ec);
        auto mnt = open_ns(0, ns_type::mnt, ec);
        auto pid = open_ns(0, ns_type::pid, ec);
        if (!user || !mnt || !pid)
            return r;
        ns_get_userns(mnt.get(), ec);
        r.get_userns = answered(ec);
        ns_get_parent(user.get(), ec); // EPERM at the root still proves the ioctl exists
        r.get_parent = answered(ec);
        ns_get_nstype(mnt.get(), ec);
        r.get_nstype = answered(ec);
        ns_get_owner_uid(user.get(), ec);
        r.get_owner_uid = answered(ec);
        ns_get_mntns_id(mnt.get(), ec);
        r.get_mntns_id = answered(ec);
        ns_get_pid_in_pidns(pid.get(), ::getpid(), ec);
        r.pid_translation = answered(ec);
        ns_mnt_get_info(mnt.get(), ec);
        r.mnt_get_info = answered(ec);
        mnt_ns_info info;
        ns_mnt_get_next(mnt.get(), info, ec); // ENOENT (last) or EPERM still prove it exists
        r.mnt_iterate = answered(ec);
        ns_get_id(mnt.get(), ec);
        r.get_id = answered(ec);
        return r;
    }();
    return s;
}

} // namespace nskit::sys
