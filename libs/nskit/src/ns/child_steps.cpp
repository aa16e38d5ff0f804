// The child's steps between clone and exec / the callable: only
// async-signal-safe calls.  The child's calls go through raw:: (see raw.hpp):
// no errno, no lazy binding, no libc locks.  Only a callable's own code uses libc.
#include "raw.hpp"
#include "run_internal.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <cstdio>
#include <iostream>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2) // 5.11
#endif

extern char** environ;

namespace nskit::ns::detail::run_impl {

[[noreturn]] void fail(int report_w, setup_step s, int err, int code) noexcept
{
    const wire w{static_cast<std::int32_t>(s), err};
    raw::write_all(report_w, &w, sizeof w);
    raw::exit_group(code);
}

// Steps that both setup() and a child run (no allocation).
int mount_steps(const plan& p, setup_step& step) noexcept
{
    const auto& o = *p.o;
    if (p.ns.contains(sys::clone_flag::newns)) {
        step = setup_step::make_private;
        if (const long r = raw::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr); r < 0)
            return static_cast<int>(-r);
    }
    if (o.tmp) {
        step = setup_step::tmp_check;
        const long type = raw::file_type("/tmp");
        if (type < 0)
            return static_cast<int>(-type);
        if (type == S_IFLNK)
            return ELOOP;
        if (type != S_IFDIR)
            return ENOTDIR;
        step = setup_step::mount_tmp;
        if (const long r = raw::mount("tmpfs", "/tmp", "tmpfs", p.tmp_flags, p.tmp_data.c_str()); r < 0)
            return static_cast<int>(-r);
    }
    return 0;
}

int uts_steps(const plan& p, setup_step& step) noexcept
{
    const auto& o = *p.o;
    if (!o.hostname.empty()) {
        step = setup_step::hostname;
        if (const long r = raw::call(SYS_sethostname, raw::arg(o.hostname.data()), static_cast<long>(o.hostname.size()));
            r < 0)
            return static_cast<int>(-r);
    }
    if (!o.domainname.empty()) {
        step = setup_step::domainname;
        if (const long r =
                raw::call(SYS_setdomainname, raw::arg(o.domainname.data()), static_cast<long>(o.domainname.size()));
            r < 0)
            return static_cast<int>(-r);
    }
    return 0;
}

int time_steps(const plan& p, setup_step& step) noexcept
{
    step = setup_step::unshare;
    if (const long r = raw::call(SYS_unshare, CLONE_NEWTIME); r < 0)
        return static_cast<int>(-r);
    step = setup_step::timens_offsets;
    const long fd = raw::call(SYS_openat, AT_FDCWD, raw::arg("/proc/self/timens_offsets"), O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return static_cast<int>(-fd);
    const long r = raw::write_all(static_cast<int>(fd), p.timens_text.data(), p.timens_text.size());
    raw::close(static_cast<int>(fd));
    return static_cast<int>(-r);
}

// With a new mount namespace: the caller's working directory, looked up
// again by path in the new view (the old one may be the host's /tmp under
// a fresh tmpfs).  An absolute spawn_options::cwd replaces it.
int cwd_step(const plan& p, setup_step& step) noexcept
{
    if (p.cwd.empty() || (p.so != nullptr && !p.so->cwd.empty() && p.so->cwd.front() == '/'))
        return 0;
    step = setup_step::chdir;
    long r = raw::call(SYS_chdir, raw::arg(p.cwd.c_str()));
    if (r < 0 && p.view.pivot) // a new root without it: $HOME, else / (as bwrap)
        if (p.home.empty() || (r = raw::call(SYS_chdir, raw::arg(p.home.c_str()))) < 0)
            r = raw::call(SYS_chdir, raw::arg("/"));
    return static_cast<int>(-r);
}

// A session of its own: no controlling terminal, so nothing in the sandbox
// can push input into the caller's terminal (TIOCSTI) or signal its jobs.
int session_step(const plan& p, setup_step& step) noexcept
{
    if (!p.o->new_session)
        return 0;
    step = setup_step::setsid;
    const long r = raw::call(SYS_setsid);
    return r < 0 ? static_cast<int>(-r) : 0;
}

[[noreturn]] void run_payload(const plan& p, int report_w) noexcept
{
    setup_step step = setup_step::none;
    if (const wire w = rlimit_step(p); w.step != 0)
        fail_at(report_w, w, p.fn != nullptr ? setup_failed_exit : 127);
    if (p.fn != nullptr) {
        if (p.envp != nullptr) // our own copy of the caller's memory: no one else reads it
            environ = const_cast<char**>(p.envp); // execve takes the same array
        if (int e = session_step(p, step))
            fail(report_w, step, e);
        raw::close(report_w); // setup done: the parent reads EOF
        int r = 255;
        try {
            r = (*p.fn)();
        } catch (...) {
            r = 255;
        }
        std::cout.flush();
        std::cerr.flush();
        (void)std::fflush(nullptr); // best effort: the status is what is reported
        ::_exit(r & 0xff);
    }
    const spawn_options& so = *p.so;
    if (!so.cwd.empty())
        if (const long r = raw::call(SYS_chdir, raw::arg(so.cwd.c_str())); r < 0)
            fail(report_w, setup_step::chdir, static_cast<int>(-r), 127);
    constexpr unsigned last_fd = ~0U; // close_range's "to the end"
    if (const long r = raw::call(SYS_close_range, 3, static_cast<long>(last_fd), CLOSE_RANGE_CLOEXEC); r < 0)
        fail(report_w, setup_step::close_fds, static_cast<int>(-r), 127);
    for (int fd : so.keep_fds)
        if (fd >= 0 && fd != report_w)
            if (const long r = raw::call(SYS_fcntl, fd, F_SETFD, 0); r < 0)
                fail(report_w, setup_step::close_fds, static_cast<int>(-r), 127);
    if (int e = session_step(p, step)) // before pre_exec: a hook may give it a terminal of its own
        fail(report_w, step, e, 127);
    if (so.pre_exec != nullptr)
        if (int e = so.pre_exec(so.pre_exec_ctx); e != 0)
            fail(report_w, setup_step::exec, e, 127);
    const long r = raw::call(SYS_execve, raw::arg(p.path), raw::arg(p.argv), raw::arg(p.envp));
    fail(report_w, setup_step::exec, static_cast<int>(-r), 127);
}

} // namespace nskit::ns::detail::run_impl
