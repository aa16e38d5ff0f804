// nskit/ns/run.hpp — engage namespaces: in this process (setup), around a
// callable (run) or a program (spawn).
#pragma once

#include <nskit/ns/options.hpp>
#include <nskit/ns/process.hpp>
#include <nskit/sys/error.hpp>
#include <nskit/sys/pidfd.hpp>

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>
#include <nskit/export.hpp>

NSKIT_API_BEGIN
namespace nskit::ns {

// The steps of setting up namespaces; a failure names one of them.
enum class setup_step {
    none = 0, validate, threads, pipe, clone, fork, user_wait, setgroups, gid_map, uid_map, unshare,
    make_private, tmp_check, mount_tmp, mount_proc, hostname, domainname, loopback, veth,
    timens_offsets, sysvsem, die_with_parent, signals, close_fds, chdir, exec, enter_userns,
    setns, chroot, become_root, setsid,
    report,       // the parent's read of the child's report pipe
    signalfd,     // supervise(): the signalfd for the forwarded signals
    poll,         // supervise(): poll on the child's pidfd and the signals
    wait,         // waitid on the child's pidfd
    parent_pidfd, // pidfd_open of the caller, for die_with_parent
    parent_check, // die_with_parent: ppoll of the caller's pidfd
    fs_view,      // a step of options::view (failed_input names it: "bind /a -> /b: open the source")
    rlimit,       // prlimit64 of one of options::rlimits
};
std::string_view to_string(setup_step s) noexcept;

// Errors from a setup step carry the step and the errno: message() is
// "mount /tmp: Permission denied", and they compare equal to the errno's
// std::errc (ec == std::errc::permission_denied holds).
const std::error_category& setup_category() noexcept;
std::error_code make_setup_error(setup_step step, int err) noexcept;
setup_step failed_step(const std::error_code& ec) noexcept; // none for other categories
int failed_errno(const std::error_code& ec) noexcept;       // the errno (ec.value() for system errors)
// One line saying what failed and how to fix it ("mount /tmp: needs CAP_SYS_ADMIN ...: Permission denied").
std::string explain(const std::error_code& ec);

// Engage the namespaces in the calling process, for the rest of its life.
// Each step is checked.  Refuses (nskit::error::thread_unsafe) a user or
// mount namespace when the caller has more than one thread, and a PID
// namespace (needs run/spawn: the caller itself cannot move into one).
// A time namespace, like the kernel's, applies to the caller's future children.
void setup(const options& opts, std::error_code& ec) noexcept;
void setup(const options& opts);

// clone3 (CLONE_PIDFD + namespace flags; CLONE_INTO_CGROUP with cgroup_fd)
// a child, set it up, run fn in it and return how it ended (fn's return
// value is the exit code; an exception gives 255).  With a PID or time
// namespace the first child is an init that reaps zombies, forwards signals
// and exits with fn's status.  A failed setup step comes back as a setup
// error (see setup_category), not as an exit status.
sys::exit_status run(const std::function<int()>& fn, const options& opts, std::error_code& ec) noexcept;
sys::exit_status run(const std::function<int()>& fn, const options& opts);

struct spawn_options {
    std::vector<std::string> env{};    // "K=V"; empty with inherit_env=false: empty environment
    bool inherit_env = true;           // use environ (then `env` entries are added/override)
    // chdir before exec, after the mounts (a relative path: from the caller's
    // working directory, looked up again in a new mount namespace; see ns.md)
    std::string cwd{};
    std::vector<int> keep_fds{};       // inherited as they are; all others >= 3 are made CLOEXEC
    bool search_path = true;           // resolve a program without '/' in PATH (in the parent)
    // Called in the child right before exec (async-signal-safe code only);
    // a nonzero return is reported as errno of step exec.  Where it can, the
    // child borrows our memory until exec, like posix_spawn's (no copy):
    // what the hook writes, we see; it must leave our state alone.
    int (*pre_exec)(void* ctx) = nullptr;
    void* pre_exec_ctx = nullptr;
    // Where the program runs under an init (a PID namespace): the init
    // shares our memory (CLONE_VM) instead of a copy, which spares copying
    // and tearing down the page tables (~0.4 ms per sandbox).  The process
    // must then be reaped through its `process` (wait, supervise or its
    // destructor), which frees the init's stack: detach() refuses it.
    // Ignored with a user namespace (nothing in the sandbox may reach our
    // memory through PID 1), a time namespace, under ASan and off x86_64.
    bool share_memory_with_init = false;
};

// The input the failed step of `ec` used, as a person gave it: "directory
// '/nonexistent'" (chdir), "options 'mode=1777,bogus'" (mount tmpfs),
// "'box'" (sethostname), the map (uid_map, gid_map), the offsets, the veth
// names (with the net layer's detail of the request that failed); empty
// for a step with no input of the caller's.
std::string failed_input(const std::error_code& ec, const options& o, const spawn_options& so);
// explain(ec) with failed_input() after the step: "chdir (directory
// '/nonexistent'): No such file or directory".
std::string explain(const std::error_code& ec, const options& o, const spawn_options& so);

// Execute a program in the new namespaces.  Returns when the program has
// been exec'd (or with the failing step).  Between clone and exec only
// async-signal-safe calls are made.
process spawn(const std::string& program, const std::vector<std::string>& args, const options& opts,
              const spawn_options& sopts, std::error_code& ec) noexcept;
process spawn(const std::string& program, const std::vector<std::string>& args, const options& opts,
              const spawn_options& sopts = {});

// Resolve `program` like execvp would (no '/' -> PATH); ENOENT if absent.
std::string find_program(const std::string& program, std::error_code& ec);

} // namespace nskit::ns
NSKIT_API_END
