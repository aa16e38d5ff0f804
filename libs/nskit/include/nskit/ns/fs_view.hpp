// nskit/ns/fs_view.hpp — a filesystem view built in a new mount namespace,
// bubblewrap's model: a list of steps applied in order (bind this here,
// a tmpfs there, a minimal /dev, ...), optionally on a new root that the
// process pivot_root()s into, the old root detached.
//
// Paths inside the view (every `dest`) are resolved inside the view's root:
// a symbolic link there never leads out of it (openat2 RESOLVE_IN_ROOT).
// Missing directories on the way are created with mode 0755 (for a dir
// step: 0700, plus r-x for group and others where its mode gives them
// anything, as bubblewrap); a missing mount point is created as a
// directory, or as an empty file (0444) when a file is bound there.  Sources of binds are paths of the caller's view,
// their symbolic links resolved in the caller's root.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <nskit/export.hpp>

NSKIT_API_BEGIN
namespace nskit::ns {

enum class fs_action {
    bind,       // recursive bind of source on dest, nosuid, nodev
    ro_bind,    // the same, read-only (recursively)
    dev_bind,   // the same, device nodes usable (no nodev)
    tmpfs,      // a tmpfs (mode, size), nosuid, nodev
    proc,       // procfs of the caller's PID namespace, nosuid, nodev, noexec;
                // sys, sysrq-trigger, irq, bus made read-only where writable (as bwrap)
    dev,        // a minimal /dev (a tmpfs, nosuid, nodev): null zero full random
                // urandom tty bound from the caller's /dev (nosuid), fd stdin
                // stdout stderr core ptmx links, shm (01777; bwrap's is 0755)
                // and a new devpts instance on pts
    mqueue,     // an mqueue filesystem
    dir,        // a directory (mode); an existing one is left as it is
    symlink,    // a symbolic link dest -> source; an identical one is accepted
    remount_ro, // the mount at dest made read-only
    chmod,      // dest's mode set to mode (the link itself is never followed)
};
std::string_view to_string(fs_action a) noexcept; // "bind", "ro-bind", "tmpfs", ...

struct fs_step {
    fs_action action = fs_action::bind;
    std::string source{};    // bind*: a path in the caller's view; symlink: the link's text
    std::string dest{};      // an absolute path in the view
    bool if_exists = false;  // bind*: skip the step when source does not exist (bwrap's -try)
    mode_t mode = 0755;      // tmpfs (root dir), dir, chmod; the umask does not apply
    std::string size{};      // tmpfs: size= ("64m", "10%"); empty: the kernel's default
};

struct fs_view {
    // Where the steps apply.  With fresh_root, root, or a step whose dest
    // is "/", the view is assembled on a new root (a fresh tmpfs, or a
    // recursive bind of `root`) and the process pivot_root()s into it,
    // the old root detached.  Otherwise the steps apply to the caller's
    // view (in the new, private mount namespace).
    bool fresh_root = false;
    std::string root{};
    std::vector<fs_step> steps{};
    std::string chdir{};     // working directory afterwards, resolved inside the view

    bool empty() const noexcept { return !fresh_root && root.empty() && steps.empty() && chdir.empty(); }
    bool new_root() const noexcept;
};

// The phases of a step; a failure names one of them.
enum class fs_phase {
    none = 0,
    bad_dest,     // validation: dest empty, relative, with "..", or a NUL byte
    bad_source,   // validation: source empty or with a NUL byte
    bad_mode,     // validation: mode beyond 07777
    bad_size,     // validation: size not NUMBER[k|m|g|%]
    stage,        // mount the staging tmpfs on /tmp, pivot_root into it
    new_root,     // mount the new root on the stage
    open_source,  // open the source (RESOLVE_IN_ROOT of the caller's root)
    clone_source, // open_tree(OPEN_TREE_CLONE)
    set_flags,    // mount_setattr (ro, nosuid, nodev)
    create_dest,  // resolve dest in the view, creating what is missing
    make_fs,      // fsopen / fsconfig / fsmount
    attach,       // move_mount onto dest
    make_node,    // /dev: a mount point, a link, a directory inside it
    make_link,    // symlinkat
    change_mode,  // fchmodat
    remount,      // mount_setattr(MOUNT_ATTR_RDONLY) on the mount at dest
    detach_old,   // umount the old root
    pivot,        // pivot_root into the view
    chdir,        // chdir in the view
};
std::string_view to_string(fs_phase p) noexcept; // "open the source", ...

// What failed: steps[step] (steps.size() for the root, the pivot and the
// chdir), in which phase, with which errno.
struct fs_failure {
    std::size_t step = 0;
    fs_phase phase = fs_phase::none;
    int error = 0;
    explicit operator bool() const noexcept { return phase != fs_phase::none; }
};

// Checks every step before any side effect; the first bad one comes back
// with error EINVAL.
fs_failure validate(const fs_view& view) noexcept;

// One line naming the step, its paths and the reason:
// "bind /nonexistent -> /x: open the source: no such file or directory".
std::string describe(const fs_view& view, const fs_failure& f);

} // namespace nskit::ns
NSKIT_API_END
