// The user namespace: its id maps (written from outside: by the caller
// while the child waits, or by a helper for setup()), and becoming uid /
// gid 0 inside where 0 is mapped.
#include "features.hpp"
#include "raw.hpp"

#include <nskit/sys/error.hpp>

#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

namespace nskit::ns::detail::run_impl::user_ns {

namespace {

std::error_code write_proc(pid_t pid, const char* file, const std::string& text)
{
    const std::string path = "/proc/" + std::to_string(pid) + "/" + file;
    unique_fd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) {
        const auto ec = nskit::detail::last_error();
        // with procfs there, a missing file means the child is gone
        return ec == std::errc::no_such_file_or_directory && !proc_missing()
                   ? std::make_error_code(std::errc::no_such_process)
                   : ec;
    }
    // uid_map and gid_map take the whole map in one write at offset 0
    const ssize_t n = ::write(fd.get(), text.data(), text.size());
    if (n < 0)
        return nskit::detail::last_error();
    if (static_cast<std::size_t>(n) != text.size())
        return std::make_error_code(std::errc::io_error);
    return {};
}

std::error_code write_maps(pid_t pid, const plan& p)
{
    if (p.o->user->deny_setgroups)
        if (auto ec = write_proc(pid, "setgroups", "deny"))
            return make_setup_error(setup_step::setgroups, ec.value());
    if (auto ec = write_proc(pid, "gid_map", p.gid_text))
        return make_setup_error(setup_step::gid_map, ec.value());
    if (auto ec = write_proc(pid, "uid_map", p.uid_text))
        return make_setup_error(setup_step::uid_map, ec.value());
    return {};
}

bool maps_zero(const std::vector<id_range>& m) noexcept
{
    for (const auto& r : m)
        if (r.inside == 0)
            return true;
    return false;
}

} // namespace

void prepare(const options& o, plan& p)
{
    if (!o.user)
        return;
    auto uid = o.user->uid_map.empty() ? std::vector<id_range>{{0, static_cast<std::uint32_t>(::geteuid()), 1}}
                                       : o.user->uid_map;
    auto gid = o.user->gid_map.empty() ? std::vector<id_range>{{0, static_cast<std::uint32_t>(::getegid()), 1}}
                                       : o.user->gid_map;
    // Each id on its own: a uid map with 0 and a gid map without still
    // makes the program uid 0 (its gid stays what the kernel maps ours to).
    p.become_uid0 = maps_zero(uid);
    p.become_gid0 = maps_zero(gid);
    p.uid_text = format_id_map(uid);
    p.gid_text = format_id_map(gid);
}

int child(const plan& p, setup_step& step) noexcept
{
    // raw: glibc's setresuid would signal the parent's threads.  The gid
    // first: it needs CAP_SETGID, which a uid change could drop.
    step = setup_step::become_root;
    if (p.become_gid0)
        if (const long r = raw::call(SYS_setresgid, 0, 0, 0); r < 0)
            return static_cast<int>(-r);
    if (p.become_uid0)
        if (const long r = raw::call(SYS_setresuid, 0, 0, 0); r < 0)
            return static_cast<int>(-r);
    return 0;
}

std::error_code parent(pid_t child, const plan& p)
{
    return p.o->user ? write_maps(child, p) : std::error_code{};
}

namespace {

// Writes the maps of the caller's new user namespace: a helper forked
// before unshare stays in the parent namespace, where it has the right to.
std::error_code unshare_with_helper(const plan& p)
{
    pipe_pair go, report;
    if (auto ec = go.open())
        return ec;
    if (auto ec = report.open())
        return ec;
    const pid_t self = ::getpid();
    const pid_t h = ::fork();
    if (h < 0)
        return make_setup_error(setup_step::fork, errno);
    if (h == 0) {
        go.w.reset();
        report.r.reset();
        // It stays in every namespace of the caller: like the init and the
        // keeper it keeps nothing of the caller's but 0-2, only its pipes.
        const int kept[] = {go.r.get(), report.w.get()};
        if (const long r = raw::close_all_but(kept, 2); r < 0)
            fail(report.w.get(), setup_step::close_fds, static_cast<int>(-r));
        char c;
        if (::read(go.r.get(), &c, 1) != 1)
            ::_exit(0);
        std::error_code ec = write_maps(self, p);
        if (ec)
            fail(report.w.get(), failed_step(ec), failed_errno(ec));
        ::_exit(0);
    }
    go.r.reset();
    report.w.reset();
    std::error_code result;
    if (::unshare(CLONE_NEWUSER) != 0)
        result = make_setup_error(setup_step::unshare, errno);
    else if (::write(go.w.get(), "g", 1) != 1)
        result = make_setup_error(setup_step::user_wait, errno);
    go.w.reset();
    wire w{};
    if (::read(report.r.get(), &w, sizeof w) == static_cast<ssize_t>(sizeof w) && !result)
        result = make_setup_error(static_cast<setup_step>(w.step), w.err);
    while (::waitpid(h, nullptr, 0) < 0 && errno == EINTR) {
    }
    return result;
}

} // namespace

std::error_code here(const plan& p)
{
    if (p.o->user)
        if (auto ec = unshare_with_helper(p))
            return ec;
    if ((p.become_gid0 && ::setresgid(0, 0, 0) != 0) || (p.become_uid0 && ::setresuid(0, 0, 0) != 0))
        return make_setup_error(setup_step::become_root, errno);
    return {};
}

} // namespace nskit::ns::detail::run_impl::user_ns
