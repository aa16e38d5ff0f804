// The filesystem view's child side: raw system calls only (see raw.hpp),
// nothing allocated, every string made by prepare().  The layout follows
// bubblewrap: with a new root, a tmpfs is staged on /tmp and pivoted into
// (the old root at /oldroot, the view at /newroot), the steps bind from
// /oldroot into /newroot, then the process pivots into /newroot and the
// stage and the old root are detached.  Mounts are made with the mount API
// (open_tree, fsopen, move_mount onto an O_PATH fd): no path is looked up
// twice, and every destination is resolved with RESOLVE_IN_ROOT.
#include <nskit/ns/detail/fs_plan.hpp>

#include "raw.hpp"

#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/syscall.h>

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452 // 6.6
#endif

namespace nskit::ns::detail {
namespace {

namespace r = raw;

constexpr unsigned long resolve_flags = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;

// Closes an fd on scope exit (raw close: no libc in the child).
struct fd_guard {
    long fd = -1;
    fd_guard() = default;
    explicit fd_guard(long f) noexcept : fd(f) {}
    fd_guard(const fd_guard&) = delete;
    fd_guard& operator=(const fd_guard&) = delete;
    ~fd_guard() { reset(); }
    void reset(long f = -1) noexcept
    {
        if (fd >= 0)
            r::close(static_cast<int>(fd));
        fd = f;
    }
    int get() const noexcept { return static_cast<int>(fd); }
};

long open_in(int root, const char* path, long flags, long mode = 0) noexcept
{
    open_how how{};
    how.flags = static_cast<unsigned long long>(flags | O_CLOEXEC);
    how.mode = static_cast<unsigned long long>(mode);
    how.resolve = resolve_flags;
    return r::call(SYS_openat2, root, r::arg(path), r::arg(&how), sizeof how);
}

long file_type_of(int fd) noexcept
{
    struct statx stx{};
    const long e = r::call(SYS_statx, fd, r::arg(""), AT_EMPTY_PATH, STATX_TYPE, r::arg(&stx));
    return e < 0 ? e : static_cast<long>(stx.stx_mode & S_IFMT);
}

long set_attr(int fd, unsigned long long set, bool recursive) noexcept
{
    mount_attr a{};
    a.attr_set = set;
    return r::call(SYS_mount_setattr, fd, r::arg(""), AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), r::arg(&a),
                   sizeof a);
}

long attach(int mnt, int dest) noexcept
{
    return r::call(SYS_move_mount, mnt, r::arg(""), dest, r::arg(""), MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
}

enum class dest_kind { dir, file, parent };

// The directories on the way to a --dir of `mode` are no more open than it
// (bubblewrap's rule): rwx for the owner, r-x for group and others only
// where the mode gives them anything.  Other steps' get 0755.
mode_t parent_mode(const fs_plan_step& s) noexcept
{
    if (s.action != fs_action::dir)
        return 0755;
    return 0700 | ((s.mode & 0070) != 0 ? 0050 : 0) | ((s.mode & 0007) != 0 ? 0005 : 0);
}

// Resolves the step's dest under root, creating what is missing: the
// directories on the way (parent_mode), the last one as `kind` (a file
// 0444, as bubblewrap's).  Returns an O_PATH fd (the parent's for
// dest_kind::parent) or -errno.
long make_dest(int root, const fs_plan_step& s, dest_kind kind, mode_t mode) noexcept
{
    const std::size_t n = s.names.size() - (kind == dest_kind::parent ? 1 : 0);
    const mode_t on_the_way = parent_mode(s);
    long parent = r::call(SYS_fcntl, root, F_DUPFD_CLOEXEC, 3);
    for (std::size_t i = 0; i < n && parent >= 0; ++i) {
        const bool file = kind == dest_kind::file && i + 1 == s.names.size();
        const long flags = O_PATH | (file ? 0 : O_DIRECTORY);
        long fd = open_in(root, s.prefixes[i].c_str(), flags);
        if (fd == -ENOENT) {
            const char* name = s.names[i].c_str();
            const bool last = i + 1 == s.names.size();
            const mode_t m = file ? 0444 : (last ? mode : on_the_way);
            long e = file ? r::call(SYS_mknodat, parent, r::arg(name), S_IFREG | m, 0)
                          : r::call(SYS_mkdirat, parent, r::arg(name), m);
            if (e == 0) // the umask does not apply
                e = r::call(SYS_fchmodat, parent, r::arg(name), m);
            fd = (e == 0 || e == -EEXIST) ? open_in(root, s.prefixes[i].c_str(), flags) : e;
        }
        r::close(static_cast<int>(parent));
        parent = fd;
    }
    return parent;
}

fs_failure fail(fs_phase p, long e) noexcept { return {0, p, static_cast<int>(-e)}; }

fs_failure bind_step(int src_root, int root, const fs_plan_step& s) noexcept
{
    fd_guard src(open_in(src_root, s.source.c_str(), O_PATH));
    if (src.fd == -ENOENT && s.if_exists)
        return {};
    if (src.fd < 0)
        return fail(fs_phase::open_source, src.fd);
    const long type = file_type_of(src.get());
    if (type < 0)
        return fail(fs_phase::open_source, type);
    fd_guard tree(r::call(SYS_open_tree, src.get(), r::arg(""),
                          OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH));
    if (tree.fd < 0)
        return fail(fs_phase::clone_source, tree.fd);
    unsigned long long attrs = MOUNT_ATTR_NOSUID;
    if (s.action != fs_action::dev_bind)
        attrs |= MOUNT_ATTR_NODEV;
    if (s.action == fs_action::ro_bind)
        attrs |= MOUNT_ATTR_RDONLY;
    if (const long e = set_attr(tree.get(), attrs, true); e < 0)
        return fail(fs_phase::set_flags, e);
    fd_guard dest(make_dest(root, s, type == S_IFDIR ? dest_kind::dir : dest_kind::file, 0755));
    if (dest.fd < 0)
        return fail(fs_phase::create_dest, dest.fd);
    if (const long e = attach(tree.get(), dest.get()); e < 0)
        return fail(fs_phase::attach, e);
    return {};
}

// fsopen + fsconfig + fsmount: the new filesystem's mount fd, or -errno.
long new_fs(const char* type, const char* mode, const char* size, unsigned long attrs,
            const char* flag = nullptr, const char* key = nullptr, const char* value = nullptr) noexcept
{
    fd_guard fs(r::call(SYS_fsopen, r::arg(type), FSOPEN_CLOEXEC));
    if (fs.fd < 0)
        return fs.fd;
    long e = 0;
    if (mode)
        e = r::call(SYS_fsconfig, fs.get(), FSCONFIG_SET_STRING, r::arg("mode"), r::arg(mode), 0);
    if (e == 0 && size && *size)
        e = r::call(SYS_fsconfig, fs.get(), FSCONFIG_SET_STRING, r::arg("size"), r::arg(size), 0);
    if (e == 0 && flag)
        e = r::call(SYS_fsconfig, fs.get(), FSCONFIG_SET_FLAG, r::arg(flag), 0, 0);
    if (e == 0 && key)
        e = r::call(SYS_fsconfig, fs.get(), FSCONFIG_SET_STRING, r::arg(key), r::arg(value), 0);
    if (e == 0)
        e = r::call(SYS_fsconfig, fs.get(), FSCONFIG_CMD_CREATE, 0, 0, 0);
    return e < 0 ? e : r::call(SYS_fsmount, fs.get(), FSMOUNT_CLOEXEC, static_cast<long>(attrs));
}

// Mounts a new filesystem on dest; the mount fd stays open in *out if asked.
fs_failure fs_step(int root, const fs_plan_step& s, const char* type, const char* mode, unsigned long attrs,
                   fd_guard* out = nullptr) noexcept
{
    fd_guard mnt(new_fs(type, mode, s.size.c_str(), attrs));
    if (mnt.fd < 0)
        return fail(fs_phase::make_fs, mnt.fd);
    fd_guard dest(make_dest(root, s, dest_kind::dir, 0755));
    if (dest.fd < 0)
        return fail(fs_phase::create_dest, dest.fd);
    if (const long e = attach(mnt.get(), dest.get()); e < 0)
        return fail(fs_phase::attach, e);
    if (out)
        out->reset(mnt.fd), mnt.fd = -1;
    return {};
}

long dev_node(int src_root, int dev, const char* name, const char* host_path) noexcept
{
    if (long e = r::call(SYS_mknodat, dev, r::arg(name), S_IFREG | 0644, 0); e < 0)
        return e;
    fd_guard src(open_in(src_root, host_path, O_PATH));
    if (src.fd < 0)
        return src.fd;
    fd_guard tree(r::call(SYS_open_tree, src.get(), r::arg(""), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH));
    if (tree.fd < 0)
        return tree.fd;
    if (const long e = set_attr(tree.get(), MOUNT_ATTR_NOSUID, false); e < 0) // as bwrap's: exec mappings of /dev/zero work
        return e;
    fd_guard dest(open_in(dev, name, O_PATH | O_NOFOLLOW));
    return dest.fd < 0 ? dest.fd : attach(tree.get(), dest.get());
}

fs_failure dev_step(int src_root, int root, const fs_plan_step& s) noexcept
{
    fd_guard dev;
    if (fs_failure f = fs_step(root, s, "tmpfs", "0755", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, &dev))
        return f;
    static constexpr const char* nodes[][2] = {{"null", "/dev/null"},     {"zero", "/dev/zero"},
                                               {"full", "/dev/full"},     {"random", "/dev/random"},
                                               {"urandom", "/dev/urandom"}, {"tty", "/dev/tty"}};
    for (const auto& n : nodes)
        if (const long e = dev_node(src_root, dev.get(), n[0], n[1]); e < 0)
            return fail(fs_phase::make_node, e);
    static constexpr const char* links[][2] = {{"fd", "/proc/self/fd"},        {"stdin", "/proc/self/fd/0"},
                                               {"stdout", "/proc/self/fd/1"},  {"stderr", "/proc/self/fd/2"},
                                               {"core", "/proc/kcore"},        {"ptmx", "pts/ptmx"}};
    for (const auto& l : links)
        if (const long e = r::call(SYS_symlinkat, r::arg(l[1]), dev.get(), r::arg(l[0])); e < 0)
            return fail(fs_phase::make_node, e);
    for (const char* d : {"shm", "pts"})
        if (long e = r::call(SYS_mkdirat, dev.get(), r::arg(d), 0755); e < 0 ||
            (e = r::call(SYS_fchmodat, dev.get(), r::arg(d), d[0] == 's' ? 01777 : 0755)) < 0)
            return fail(fs_phase::make_node, e);
    fd_guard pts(new_fs("devpts", "620", nullptr, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, "newinstance", "ptmxmode",
                        "0666"));
    if (pts.fd < 0)
        return fail(fs_phase::make_fs, pts.fd);
    fd_guard pts_dir(open_in(dev.get(), "pts", O_PATH | O_DIRECTORY));
    if (pts_dir.fd < 0)
        return fail(fs_phase::make_node, pts_dir.fd);
    if (const long e = attach(pts.get(), pts_dir.get()); e < 0)
        return fail(fs_phase::attach, e);
    return {};
}

// A new procfs with its old writable corners read-only (sysrq-trigger can
// shut the machine down), as bwrap covers them: each one that exists and
// is writable gets a read-only bind of itself.
fs_failure proc_step(int root, const fs_plan_step& s) noexcept
{
    fd_guard proc;
    if (fs_failure f = fs_step(root, s, "proc", nullptr, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, &proc))
        return f;
    for (const char* sub : {"sys", "sysrq-trigger", "irq", "bus"}) {
        const long w = r::call(SYS_faccessat, proc.get(), r::arg(sub), W_OK);
        if (w == -EACCES || w == -ENOENT || w == -EROFS)
            continue;
        fd_guard at(r::call(SYS_openat, proc.get(), r::arg(sub), O_PATH | O_NOFOLLOW | O_CLOEXEC));
        if (at.fd < 0)
            return fail(fs_phase::make_node, at.fd);
        fd_guard tree(r::call(SYS_open_tree, at.get(), r::arg(""), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH));
        if (tree.fd < 0)
            return fail(fs_phase::clone_source, tree.fd);
        if (const long e = set_attr(tree.get(), MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, false); e < 0)
            return fail(fs_phase::set_flags, e);
        if (const long e = attach(tree.get(), at.get()); e < 0)
            return fail(fs_phase::attach, e);
    }
    return {};
}

fs_failure symlink_step(int root, const fs_plan_step& s) noexcept
{
    if (s.names.empty())
        return fail(fs_phase::make_link, -EEXIST);
    fd_guard parent(make_dest(root, s, dest_kind::parent, 0755));
    if (parent.fd < 0)
        return fail(fs_phase::create_dest, parent.fd);
    const char* name = s.names.back().c_str();
    const long e = r::call(SYS_symlinkat, r::arg(s.source.c_str()), parent.get(), r::arg(name));
    if (e == -EEXIST) { // the same link may be there already
        char buf[4096];
        const long n = r::call(SYS_readlinkat, parent.get(), r::arg(name), r::arg(buf), sizeof buf);
        bool same = n >= 0 && static_cast<std::size_t>(n) == s.source.size();
        for (long k = 0; same && k < n; ++k)
            same = buf[k] == s.source[static_cast<std::size_t>(k)];
        if (same)
            return {};
    }
    return e < 0 ? fail(fs_phase::make_link, e) : fs_failure{};
}

fs_failure existing_step(int root, const fs_plan_step& s) noexcept
{
    const char* path = s.prefixes.empty() ? "/" : s.prefixes.back().c_str();
    fd_guard fd(open_in(root, path, O_PATH | O_NOFOLLOW));
    if (fd.fd < 0)
        return fail(fs_phase::create_dest, fd.fd);
    if (s.action == fs_action::remount_ro) {
        const long e = set_attr(fd.get(), MOUNT_ATTR_RDONLY, false);
        return e < 0 ? fail(fs_phase::remount, e) : fs_failure{};
    }
    const long e = r::call(SYS_fchmodat2, fd.get(), r::arg(""), s.mode, AT_EMPTY_PATH);
    return e < 0 ? fail(fs_phase::change_mode, e) : fs_failure{};
}

fs_failure apply_step(int src_root, int root, const fs_plan_step& s) noexcept
{
    switch (s.action) {
    case fs_action::bind:
    case fs_action::ro_bind:
    case fs_action::dev_bind: return bind_step(src_root, root, s);
    case fs_action::tmpfs: return fs_step(root, s, "tmpfs", s.mode_text.c_str(), MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
    case fs_action::proc: return proc_step(root, s);
    case fs_action::mqueue:
        return fs_step(root, s, "mqueue", nullptr, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
    case fs_action::dev: return dev_step(src_root, root, s);
    case fs_action::dir: {
        fd_guard fd(make_dest(root, s, dest_kind::dir, s.mode));
        return fd.fd < 0 ? fail(fs_phase::create_dest, fd.fd) : fs_failure{};
    }
    case fs_action::symlink: return symlink_step(root, s);
    case fs_action::remount_ro:
    case fs_action::chmod: return existing_step(root, s);
    }
    return fail(fs_phase::none, -EINVAL);
}

// tmpfs on /tmp, pivoted into: the old root at /oldroot, /newroot made.
long stage() noexcept
{
    long e = r::mount("tmpfs", "/tmp", "tmpfs", MS_NODEV | MS_NOSUID, "mode=0755");
    if (e == 0)
        e = r::call(SYS_mkdirat, AT_FDCWD, r::arg("/tmp/newroot"), 0755);
    if (e == 0)
        e = r::call(SYS_mkdirat, AT_FDCWD, r::arg("/tmp/oldroot"), 0755);
    if (e == 0)
        e = r::call(SYS_pivot_root, r::arg("/tmp"), r::arg("/tmp/oldroot"));
    if (e == 0)
        e = r::call(SYS_chdir, r::arg("/"));
    return e;
}

long mount_new_root(const fs_plan& p) noexcept
{
    fd_guard dest(r::call(SYS_openat, AT_FDCWD, r::arg("/newroot"), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (dest.fd < 0)
        return dest.fd;
    if (p.root.empty()) {
        fd_guard mnt(new_fs("tmpfs", "0755", nullptr, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV));
        return mnt.fd < 0 ? mnt.fd : attach(mnt.get(), dest.get());
    }
    fd_guard old(r::call(SYS_openat, AT_FDCWD, r::arg("/oldroot"), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (old.fd < 0)
        return old.fd;
    fd_guard src(open_in(old.get(), p.root.c_str(), O_PATH | O_DIRECTORY));
    if (src.fd < 0)
        return src.fd;
    fd_guard tree(r::call(SYS_open_tree, src.get(), r::arg(""),
                          OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH));
    return tree.fd < 0 ? tree.fd : attach(tree.get(), dest.get());
}

// Into /newroot; the stage (and the old root under it) detached.
fs_failure finish_pivot() noexcept
{
    if (const long e = r::call(SYS_umount2, r::arg("/oldroot"), MNT_DETACH); e < 0)
        return fail(fs_phase::detach_old, e);
    long e = r::call(SYS_chdir, r::arg("/newroot"));
    if (e == 0)
        e = r::call(SYS_pivot_root, r::arg("."), r::arg("."));
    if (e < 0)
        return fail(fs_phase::pivot, e);
    if ((e = r::call(SYS_umount2, r::arg("."), MNT_DETACH)) < 0)
        return fail(fs_phase::detach_old, e);
    return (e = r::call(SYS_chdir, r::arg("/"))) < 0 ? fail(fs_phase::pivot, e) : fs_failure{};
}

long open_dir(const char* path) noexcept
{
    return r::call(SYS_openat, AT_FDCWD, r::arg(path), O_PATH | O_DIRECTORY | O_CLOEXEC);
}

} // namespace

fs_failure apply(const fs_plan& p) noexcept
{
    const std::size_t end = p.steps.size();
    if (p.pivot) {
        if (const long e = stage(); e < 0)
            return {end, fs_phase::stage, static_cast<int>(-e)};
        if (const long e = mount_new_root(p); e < 0)
            return {end, fs_phase::new_root, static_cast<int>(-e)};
    }
    fd_guard src_root(open_dir(p.pivot ? "/oldroot" : "/"));
    fd_guard root(open_dir(p.pivot ? "/newroot" : "/"));
    if (src_root.fd < 0 || root.fd < 0)
        return {end, fs_phase::stage, static_cast<int>(src_root.fd < 0 ? -src_root.fd : -root.fd)};
    for (std::size_t i = 0; i < end; ++i) {
        fs_failure f = apply_step(src_root.get(), root.get(), p.steps[i]);
        if (f) {
            f.step = i;
            return f;
        }
        if (p.pivot && p.steps[i].names.empty()) // mounted on the root: look up the new top
            root.reset(open_dir("/newroot"));
    }
    root.reset();
    src_root.reset();
    if (p.pivot)
        if (fs_failure f = finish_pivot()) {
            f.step = end;
            return f;
        }
    if (!p.chdir.empty())
        if (const long e = r::call(SYS_chdir, r::arg(p.chdir.c_str())); e < 0)
            return {end, fs_phase::chdir, static_cast<int>(-e)};
    return {};
}

} // namespace nskit::ns::detail
