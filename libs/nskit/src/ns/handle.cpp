#include <nskit/ns/handle.hpp>
#include <nskit/sys/error.hpp>
#include <nskit/sys/nsfs.hpp>
#include <nskit/sys/pidfd.hpp>
#include <nskit/sys/clone.hpp>

#include <fcntl.h>

namespace nskit::ns {

namespace_handle namespace_handle::adopt(unique_fd fd, std::error_code& ec) noexcept
{
    namespace_handle h;
    h.identity_ = sys::identify(fd.get(), ec);
    if (!ec)
        h.fd_ = std::move(fd);
    return h;
}

namespace_handle namespace_handle::adopt(unique_fd fd)
{
    std::error_code ec;
    const int raw = fd.get();
    auto h = adopt(std::move(fd), ec);
    throw_if(ec, op_kind::nsfs_ioctl, "ns_adopt(fd " + std::to_string(raw) + ")");
    return h;
}

namespace_handle namespace_handle::from_pid(pid_t pid, sys::ns_type type, std::error_code& ec) noexcept
{
    if (pid < 0) {
        ec = make_error_code(error::bad_pid);
        return {};
    }
    auto fd = sys::open_ns(pid, type, ec);
    if (ec)
        return {};
    return adopt(std::move(fd), ec);
}

namespace_handle namespace_handle::from_pid(pid_t pid, sys::ns_type type)
{
    std::error_code ec;
    auto h = from_pid(pid, type, ec);
    throw_if(ec, op_kind::namespace_open, "ns_open(/proc/" + std::to_string(pid) + "/ns/" + std::string(sys::to_string(type)) + ")");
    return h;
}

namespace_handle namespace_handle::from_pidref(const sys::pidref& p, sys::ns_type type, std::error_code& ec) noexcept
{
    auto fd = p.open_namespace(type, ec);
    if (ec)
        return {};
    return adopt(std::move(fd), ec);
}

namespace_handle namespace_handle::from_pidref(const sys::pidref& p, sys::ns_type type)
{
    std::error_code ec;
    auto h = from_pidref(p, type, ec);
    throw_if(ec, op_kind::namespace_open,
             "ns_open(pid " + std::to_string(p.pid()) + ", " + std::string(sys::to_string(type)) + ")");
    return h;
}

namespace_handle namespace_handle::from_pidfd(int pidfd, sys::ns_type type, std::error_code& ec) noexcept
{
    // The process's own namespace, no /proc (6.11): no pid needed.
    auto fd = sys::pidfd_get_namespace(pidfd, type, ec);
    if (!ec)
        return adopt(std::move(fd), ec);
    if (ec != std::errc::inappropriate_io_control_operation && ec != std::errc::invalid_argument)
        return {};
    // Older kernels: a pidref of our own (the pid from the pidfd) and its /proc path.
    unique_fd own(::fcntl(pidfd, F_DUPFD_CLOEXEC, 3));
    if (!own) {
        ec = nskit::detail::last_error();
        return {};
    }
    const auto ref = sys::pidref::adopt(std::move(own), ec);
    if (ec)
        return {};
    return from_pidref(ref, type, ec);
}

namespace_handle namespace_handle::from_pidfd(int pidfd, sys::ns_type type)
{
    std::error_code ec;
    auto h = from_pidfd(pidfd, type, ec);
    throw_if(ec, op_kind::namespace_open, "ns_open(pidfd " + std::to_string(pidfd) + ", " + std::string(sys::to_string(type)) + ")");
    return h;
}

namespace_handle namespace_handle::from_path(const std::string& path, std::error_code& ec) noexcept
{
    auto fd = sys::open_ns_path(path.c_str(), ec);
    if (ec)
        return {};
    return adopt(std::move(fd), ec);
}

namespace_handle namespace_handle::from_path(const std::string& path)
{
    std::error_code ec;
    auto h = from_path(path, ec);
    throw_if(ec, op_kind::namespace_open, "ns_open(" + path + ")");
    return h;
}

namespace_handle namespace_handle::current(sys::ns_type type, std::error_code& ec) noexcept
{
    return from_pid(0, type, ec);
}

namespace_handle namespace_handle::current(sys::ns_type type)
{
    return from_pid(0, type);
}

namespace_handle namespace_handle::owner(std::error_code& ec) const noexcept
{
    auto fd = sys::ns_get_userns(fd_.get(), ec);
    if (ec)
        return {};
    return adopt(std::move(fd), ec);
}

namespace_handle namespace_handle::owner() const
{
    std::error_code ec;
    auto h = owner(ec);
    throw_if(ec, op_kind::nsfs_ioctl, "NS_GET_USERNS(" + to_string(identity_) + ")");
    return h;
}

namespace_handle namespace_handle::parent(std::error_code& ec) const noexcept
{
    auto fd = sys::ns_get_parent(fd_.get(), ec);
    if (ec)
        return {};
    return adopt(std::move(fd), ec);
}

namespace_handle namespace_handle::parent() const
{
    std::error_code ec;
    auto h = parent(ec);
    throw_if(ec, op_kind::nsfs_ioctl, "NS_GET_PARENT(" + to_string(identity_) + ")");
    return h;
}

uid_t namespace_handle::owner_uid(std::error_code& ec) const noexcept
{
    if (type() == sys::ns_type::user)
        return sys::ns_get_owner_uid(fd_.get(), ec);
    auto o = owner(ec);
    if (ec)
        return static_cast<uid_t>(-1);
    return sys::ns_get_owner_uid(o.fd(), ec);
}

uid_t namespace_handle::owner_uid() const
{
    std::error_code ec;
    auto u = owner_uid(ec);
    throw_if(ec, op_kind::nsfs_ioctl, "NS_GET_OWNER_UID(" + to_string(identity_) + ")");
    return u;
}

void namespace_handle::enter(std::error_code& ec) const noexcept
{
    if (!valid()) {
        ec = std::make_error_code(std::errc::bad_file_descriptor);
        return;
    }
    sys::setns(fd_.get(), type(), ec);
}

void namespace_handle::enter() const
{
    std::error_code ec;
    enter(ec);
    throw_if(ec, op_kind::namespace_enter, "setns(" + to_string(identity_) + ")");
}

} // namespace nskit::ns
