#include "run_internal.hpp"

#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace nskit::ns::detail::run_impl {

namespace {

std::string octal(unsigned v)
{
    char b[16];
    std::snprintf(b, sizeof b, "%o", v);
    return b;
}

std::string offset_line(int clock_id, std::chrono::nanoseconds off)
{
    long long ns = off.count();
    long long s = ns / 1000000000LL;
    long long rem = ns % 1000000000LL;
    if (rem < 0) {
        rem += 1000000000LL;
        --s;
    }
    return std::to_string(clock_id) + " " + std::to_string(s) + " " + std::to_string(rem) + "\n";
}

} // namespace

std::string tmp_data(const tmp_options& t)
{
    std::string d = "mode=" + octal(t.mode);
    if (!t.size.empty())
        d += ",size=" + t.size;
    if (!t.extra.empty())
        d += "," + t.extra;
    return d;
}

std::error_code make_plan(const options& o, plan& p)
{
    if (auto ec = o.validate())
        return ec;
    p.o = &o;
    p.ns = o.namespaces();
    if (o.user) {
        auto uid = o.user->uid_map.empty() ? std::vector<id_range>{{0, static_cast<std::uint32_t>(::geteuid()), 1}}
                                           : o.user->uid_map;
        auto gid = o.user->gid_map.empty() ? std::vector<id_range>{{0, static_cast<std::uint32_t>(::getegid()), 1}}
                                           : o.user->gid_map;
        auto maps_zero = [](const std::vector<id_range>& m) {
            for (const auto& r : m)
                if (r.inside == 0)
                    return true;
            return false;
        };
        // Each id on its own: a uid map with 0 and a gid map without still
        // makes the program uid 0 (its gid stays what the kernel maps ours to).
        p.become_uid0 = maps_zero(uid);
        p.become_gid0 = maps_zero(gid);
        p.uid_text = format_id_map(uid);
        p.gid_text = format_id_map(gid);
    }
    if (o.tmp) {
        p.tmp_data = tmp_data(*o.tmp);
        p.tmp_flags = (o.tmp->nosuid ? static_cast<unsigned long>(MS_NOSUID) : 0UL) |
                      (o.tmp->nodev ? static_cast<unsigned long>(MS_NODEV) : 0UL) |
                      (o.tmp->noexec ? static_cast<unsigned long>(MS_NOEXEC) : 0UL);
    }
    if (p.ns.contains(sys::clone_flag::newtime))
        p.timens_text = offset_line(CLOCK_MONOTONIC, o.monotonic_offset) + offset_line(CLOCK_BOOTTIME, o.boottime_offset);
    if (p.ns.contains(sys::clone_flag::newns)) {
        // The child looks the working directory up again after its mounts
        // (cwd_step): a path made here, since the child cannot allocate.
        // One the caller cannot name (deleted, outside its root) is refused.
        std::string cwd(4096, '\0'); // PATH_MAX
        if (::getcwd(cwd.data(), cwd.size()) == nullptr)
            return make_setup_error(setup_step::chdir, errno);
        cwd.resize(cwd.find('\0'));
        if (cwd.empty() || cwd.front() != '/')
            return make_setup_error(setup_step::chdir, ENOENT);
        p.cwd = std::move(cwd);
    }
    if (!o.view.empty()) {
        fs_failure f;
        p.view = detail::prepare(o.view, f); // validate() has checked it
        if (f)
            return make_setup_error(setup_step::validate, EINVAL);
        if (const char* home = std::getenv("HOME"); p.view.pivot && home != nullptr && home[0] == '/')
            p.home = home;
    }
    p.handshake = o.user.has_value() || o.veth.has_value();
    p.init = o.pid || p.ns.contains(sys::clone_flag::newtime);
    // A caller ignoring SIGCHLD would have the child auto-reaped and its
    // status lost: then the child gets no exit signal (waited with __WALL).
    // exec resets the exit signal to SIGCHLD, so a program then runs under
    // a keeper (the init) that never execs and reports its status.
    struct sigaction sa{};
    ::sigaction(SIGCHLD, nullptr, &sa);
    p.exit_signal = (sa.sa_handler == SIG_IGN || (sa.sa_flags & SA_NOCLDWAIT)) ? 0 : SIGCHLD;
    if (p.exit_signal == 0 && p.fn == nullptr)
        p.init = true;
    return {};
}

} // namespace nskit::ns::detail::run_impl
