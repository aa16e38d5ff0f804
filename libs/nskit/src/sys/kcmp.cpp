#include <nskit/sys/detail/syscall.hpp>
#include <nskit/sys/error.hpp>
#include <nskit/sys/kcmp.hpp>

#include <string>

namespace nskit::sys {
namespace {

struct kernel_epoll_slot { // struct kcmp_epoll_slot, uapi/linux/kcmp.h (4.13)
    std::uint32_t efd;
    std::uint32_t tfd;
    std::uint32_t toff;
};

kcmp_order call(pid_t p1, pid_t p2, int type, unsigned long i1, unsigned long i2, std::error_code& ec) noexcept
{
    ec.clear();
    long r = ::syscall(SYS_kcmp, p1, p2, type, i1, i2);
    if (r < 0) {
        ec = nskit::detail::last_error();
        return kcmp_order::unordered;
    }
    if (r > 3) {
        ec = std::make_error_code(std::errc::bad_message);
        return kcmp_order::unordered;
    }
    return static_cast<kcmp_order>(r);
}

std::string op(pid_t p1, pid_t p2, kcmp_resource t)
{
    return "kcmp(" + std::to_string(p1) + ", " + std::to_string(p2) + ", " + std::string(to_string(t)) + ")";
}

} // namespace

std::string_view to_string(kcmp_resource t) noexcept
{
    switch (t) {
    case kcmp_resource::file: return "file";
    case kcmp_resource::vm: return "vm";
    case kcmp_resource::files: return "files";
    case kcmp_resource::fs: return "fs";
    case kcmp_resource::sighand: return "sighand";
    case kcmp_resource::io: return "io";
    case kcmp_resource::sysvsem: return "sysvsem";
    case kcmp_resource::epoll_tfd: return "epoll_tfd";
    }
    return "unknown";
}

std::string_view to_string(kcmp_order o) noexcept
{
    switch (o) {
    case kcmp_order::equal: return "equal";
    case kcmp_order::less: return "less";
    case kcmp_order::greater: return "greater";
    case kcmp_order::unordered: return "unordered";
    }
    return "unknown";
}

kcmp_order kcmp(pid_t p1, pid_t p2, kcmp_resource t, std::error_code& ec) noexcept
{
    if (t == kcmp_resource::file || t == kcmp_resource::epoll_tfd) { // these need fds: use kcmp_file / kcmp_epoll_tfd
        ec = std::make_error_code(std::errc::invalid_argument);
        return kcmp_order::unordered;
    }
    return call(p1, p2, static_cast<int>(t), 0, 0, ec);
}

kcmp_order kcmp(pid_t p1, pid_t p2, kcmp_resource t)
{
    std::error_code ec;
    auto r = kcmp(p1, p2, t, ec);
    throw_if(ec, op_kind::kcmp, op(p1, p2, t));
    return r;
}

kcmp_order kcmp_file(pid_t p1, int fd1, pid_t p2, int fd2, std::error_code& ec) noexcept
{
    if (fd1 < 0 || fd2 < 0) {
        ec = std::make_error_code(std::errc::bad_file_descriptor);
        return kcmp_order::unordered;
    }
    return call(p1, p2, static_cast<int>(kcmp_resource::file), static_cast<unsigned long>(fd1),
                static_cast<unsigned long>(fd2), ec);
}

kcmp_order kcmp_file(pid_t p1, int fd1, pid_t p2, int fd2)
{
    std::error_code ec;
    auto r = kcmp_file(p1, fd1, p2, fd2, ec);
    throw_if(ec, op_kind::kcmp, op(p1, p2, kcmp_resource::file));
    return r;
}

kcmp_order kcmp_epoll_tfd(pid_t p1, int fd1, pid_t p2, const kcmp_epoll_target& s, std::error_code& ec) noexcept
{
    if (fd1 < 0) {
        ec = std::make_error_code(std::errc::bad_file_descriptor);
        return kcmp_order::unordered;
    }
    // The kernel wants a pointer to the slot (Linux::Clone passed an integer).
    kernel_epoll_slot slot{s.epoll_fd, s.target_fd, s.target_offset};
    return call(p1, p2, static_cast<int>(kcmp_resource::epoll_tfd), static_cast<unsigned long>(fd1),
                reinterpret_cast<unsigned long>(&slot), ec);
}

kcmp_order kcmp_epoll_tfd(pid_t p1, int fd1, pid_t p2, const kcmp_epoll_target& s)
{
    std::error_code ec;
    auto r = kcmp_epoll_tfd(p1, fd1, p2, s, ec);
    throw_if(ec, op_kind::kcmp, op(p1, p2, kcmp_resource::epoll_tfd));
    return r;
}

} // namespace nskit::sys
