#include <nskit/ns/enter.hpp>
#include <nskit/ns/detail/threads.hpp>
#include <nskit/ns/handle.hpp>
#include <nskit/ns/run.hpp>
#include <nskit/sys/clone.hpp>
#include <nskit/sys/error.hpp>
#include <nskit/sys/nsfs.hpp>
#include <nskit/sys/pidfd.hpp>
#include <nskit/sys/pidref.hpp>
#include <nskit/sys/detail/proc_status.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <string>

namespace nskit::ns {

using nskit::detail::last_error;

namespace {

using detail::count_threads;

// CAP_SYS_ADMIN in the caller's own user namespace (CapEff bit 21); not
// when /proc cannot tell.
bool privileged() noexcept
{
    std::error_code ec;
    const auto caps = sys::detail::own_status_mask("CapEff:", ec);
    return !ec && ((caps >> 21) & 1) != 0;
}

// nsenter(1)'s order; the user namespace is placed by the caller.
constexpr std::array order = {sys::ns_type::cgroup, sys::ns_type::ipc, sys::ns_type::uts, sys::ns_type::net,
                              sys::ns_type::pid,    sys::ns_type::mnt, sys::ns_type::time};

struct target_root {
    unique_fd root, cwd;
};

std::error_code open_root(int pidfd, pid_t pid, target_root& t)
{
    const std::string base = "/proc/" + std::to_string(pid);
    t.root.reset(::open((base + "/root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!t.root)
        return make_setup_error(setup_step::chroot, errno);
    t.cwd.reset(::open((base + "/cwd").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!t.cwd)
        return make_setup_error(setup_step::chdir, errno);
    std::error_code ec;
    sys::pidfd_send_signal(pidfd, 0, ec); // still the process the pidfd names?
    return ec;
}

std::error_code follow_root(const target_root& t)
{
    if (::fchdir(t.root.get()) != 0 || ::chroot(".") != 0)
        return make_setup_error(setup_step::chroot, errno);
    if (::fchdir(t.cwd.get()) != 0)
        return make_setup_error(setup_step::chdir, errno);
    return {};
}

std::error_code prepare(int pidfd, const enter_options& o, sys::clone_flags& types, pid_t& pid, target_root& root)
{
    std::error_code ec;
    pid = sys::pidfd_get_pid(pidfd, ec);
    if (ec)
        return ec;
    if (pid <= 0)
        return std::make_error_code(std::errc::no_such_process);
    // Joining a namespace we are already in is a no-op at best and EINVAL
    // for the user namespace: drop those.
    auto differing = differing_namespaces(pidfd, ec);
    if (ec)
        return ec;
    types = o.types.empty() ? differing : (o.types.namespaces() & differing);
    if (o.types.namespaces() != o.types)
        return make_error_code(error::flag_conflict);
    if (types.intersects(sys::clone_flag::newuser | sys::clone_flag::newns) && count_threads() > 1)
        return make_error_code(error::thread_unsafe);
    if (types.contains(sys::clone_flag::newns) && o.follow_root_and_cwd)
        if ((ec = open_root(pidfd, pid, root)))
            return ec;
    return {};
}

} // namespace

sys::clone_flags differing_namespaces(int pidfd, std::error_code& ec) noexcept
{
    sys::clone_flags out;
    for (const auto& t : sys::ns_types()) {
        std::error_code e1, e2;
        auto mine = namespace_handle::current(t.type, e1);
        auto theirs = namespace_handle::from_pidfd(pidfd, t.type, e2);
        // ENOENT where our own file exists: the target has exited (a zombie
        // has no namespace files), not a type this kernel lacks.
        if (e2 && (e2 != std::errc::no_such_file_or_directory || !e1)) {
            ec = e2 == std::errc::no_such_file_or_directory ? std::make_error_code(std::errc::no_such_process) : e2;
            return {};
        }
        if (!e1 && !e2 && !(mine == theirs))
            out |= t.flag;
    }
    ec.clear();
    return out;
}

void enter_each(int pidfd, const enter_options& o, std::error_code& ec) noexcept
{
    try {
        sys::clone_flags types;
        pid_t pid = 0;
        target_root root;
        if ((ec = prepare(pidfd, o, types, pid, root)))
            return;
        // Every fd first: once we have moved, /proc may show another world.
        std::array<namespace_handle, sys::ns_type_count> fds;
        for (const auto& t : sys::ns_types())
            if (types.contains(t.flag)) {
                fds[static_cast<std::size_t>(t.type)] = namespace_handle::from_pidfd(pidfd, t.type, ec);
                if (ec)
                    return;
            }
        const bool user = types.contains(sys::clone_flag::newuser);
        // Unprivileged: the user namespace first, to gain capabilities over
        // the others.  Privileged: last, so our capabilities are kept.
        const bool user_first = user && !privileged();
        auto join = [&](sys::ns_type t) {
            auto& h = fds[static_cast<std::size_t>(t)];
            if (!h.valid())
                return true;
            h.enter(ec);
            if (ec)
                ec = make_setup_error(t == sys::ns_type::user ? setup_step::enter_userns : setup_step::setns,
                                      ec.value());
            return !ec;
        };
        if (user_first && !join(sys::ns_type::user))
            return;
        for (auto t : order)
            if (!join(t))
                return;
        if (user && !user_first && !join(sys::ns_type::user))
            return;
        if (root.root)
            ec = follow_root(root);
    } catch (...) {
        ec = std::make_error_code(std::errc::not_enough_memory);
    }
}

void enter(int pidfd, const enter_options& o, std::error_code& ec) noexcept
{
    try {
        sys::clone_flags types;
        pid_t pid = 0;
        target_root root;
        if ((ec = prepare(pidfd, o, types, pid, root)))
            return;
        if (types.empty())
            return;
        // One atomic call: all or nothing, credentials handled by the kernel.
        sys::setns_pidfd(pidfd, types, ec);
        if (ec == std::errc::invalid_argument || ec == std::errc::bad_file_descriptor) { // kernel < 5.8
            enter_each(pidfd, o, ec);
            return;
        }
        if (ec) {
            ec = make_setup_error(setup_step::setns, ec.value());
            return;
        }
        if (root.root)
            ec = follow_root(root);
    } catch (...) {
        ec = std::make_error_code(std::errc::not_enough_memory);
    }
}

void enter(int pidfd, const enter_options& o)
{
    std::error_code ec;
    enter(pidfd, o, ec);
    throw_if(ec, op_kind::namespace_enter, "enter(pidfd " + std::to_string(pidfd) + ")");
}

void enter_pid(pid_t pid, const enter_options& o, std::error_code& ec) noexcept
{
    if (pid <= 0) {
        ec = make_error_code(error::bad_pid);
        return;
    }
    auto target = sys::pidref::open(pid, ec); // a thread id: error::thread_id, not ENOENT
    if (ec)
        return;
    enter(target.pidfd(), o, ec);
}

void enter_pid(pid_t pid, const enter_options& o)
{
    std::error_code ec;
    enter_pid(pid, o, ec);
    throw_if(ec, op_kind::namespace_enter, "enter(" + std::to_string(pid) + ")");
}

} // namespace nskit::ns
