// The mount namespace: mounts made private, a tmpfs on /tmp, a fresh /proc
// for a new PID namespace, the filesystem view (view_steps.cpp), and the
// working directory looked up again in the new view.
#include "features.hpp"
#include "raw.hpp"

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>

namespace nskit::ns::detail::run_impl::mount_ns {

namespace {

std::string octal(unsigned v)
{
    char b[16];
    std::snprintf(b, sizeof b, "%o", v);
    return b;
}

int tmp_step(const plan& p, setup_step& step) noexcept
{
    step = setup_step::tmp_check;
    const long type = raw::file_type("/tmp");
    if (type < 0)
        return static_cast<int>(-type);
    if (type == S_IFLNK)
        return ELOOP;
    if (type != S_IFDIR)
        return ENOTDIR;
    step = setup_step::mount_tmp;
    const long r = raw::mount("tmpfs", "/tmp", "tmpfs", p.tmp_flags, p.tmp_data.c_str());
    return r < 0 ? static_cast<int>(-r) : 0;
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

std::error_code prepare(const options& o, plan& p)
{
    if (o.tmp) {
        p.tmp_data = tmp_data(*o.tmp);
        p.tmp_flags = (o.tmp->nosuid ? static_cast<unsigned long>(MS_NOSUID) : 0UL) |
                      (o.tmp->nodev ? static_cast<unsigned long>(MS_NODEV) : 0UL) |
                      (o.tmp->noexec ? static_cast<unsigned long>(MS_NOEXEC) : 0UL);
    }
    if (auto ec = view::prepare(o, p))
        return ec;
    if (!p.ns.contains(sys::clone_flag::newns))
        return {};
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
    return {};
}

// Also setup()'s (which refuses a PID namespace, so never mounts /proc).
int child(const plan& p, setup_step& step) noexcept
{
    const auto& o = *p.o;
    if (p.ns.contains(sys::clone_flag::newns)) {
        step = setup_step::make_private;
        if (const long r = raw::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr); r < 0)
            return static_cast<int>(-r);
    }
    if (o.tmp)
        if (int e = tmp_step(p, step))
            return e;
    if (o.pid && o.proc) {
        step = setup_step::mount_proc;
        if (const long r = raw::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr); r < 0)
            return static_cast<int>(-r);
    }
    if (int e = view::child(p, step))
        return e;
    return cwd_step(p, step); // the mounts are done: look the working directory up again
}

std::error_code here(const plan& p) noexcept
{
    setup_step step = setup_step::none;
    const int e = child(p, step);
    if (e != 0 && step == setup_step::fs_view)
        note_failure(p.detail);
    return e != 0 ? make_setup_error(step, e) : std::error_code{};
}

} // namespace nskit::ns::detail::run_impl::mount_ns
