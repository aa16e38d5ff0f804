// Private to the ns layer: the pieces of run(), spawn() and setup() shared
// between their files (see doc/architecture.md, "Running in new namespaces").
// Each namespace feature is a file of its own with the same sides
// (features.hpp); the child, the init, the worker and each way of cloning
// are files of their own too.
#pragma once

#include <nskit/ns/options.hpp>
#include <nskit/ns/detail/fs_plan.hpp>
#include <nskit/ns/process.hpp>
#include <nskit/ns/run.hpp>
#include <nskit/sys/clone.hpp>
#include <nskit/sys/unique_fd.hpp>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <functional>
#include <string>
#include <system_error>
#include <vector>

namespace nskit::ns::detail::run_impl {

// A failed child step, as written to the report pipe.
struct wire {
    std::int32_t step;
    std::int32_t err;
    std::int32_t index = 0; // fs_view: the view's step; rlimit: the limit
    std::int32_t phase = 0; // fs_view: the fs_phase
};

constexpr int setup_failed_exit = 125;

// Everything the child needs, computed (and allocated) before clone: the
// child makes system calls only.
struct plan {
    const options* o = nullptr;
    sys::clone_flags ns;
    std::string uid_text, gid_text;
    std::string tmp_data;
    unsigned long tmp_flags = 0;
    std::string timens_text;
    std::string cwd; // with a new mount namespace: the caller's getcwd(), chdir'd to after the mounts
    detail::fs_plan view; // options::view prepared
    std::string home;     // a new root without the caller's cwd: $HOME there, else / (bwrap's rule)
    // What a failed step knows beyond its errno (the view's step, the
    // limit), set by the child in its own view of the plan: this call's
    // alone (on the caller's stack when it shares our memory), so no other
    // thread reads it.
    mutable wire detail{};
    bool handshake = false, init = false;
    // inside uid / gid 0 is mapped: switch to it (like unshare -r), each on its own
    bool become_uid0 = false, become_gid0 = false;
    int exit_signal = SIGCHLD;
    // payload: a callable, or a program
    const std::function<int()>* fn = nullptr;
    const char* path = nullptr;
    char* const* argv = nullptr;
    char* const* envp = nullptr;
    const spawn_options* so = nullptr;
};

// setup_error.cpp: the throwing forms' texts.
std::string op_name(const char* what, const options& o); // "run(mnt,pid)"
// "spawn(mnt) true (directory '/nonexistent')": the operation and what the failed step used.
std::string with_input(std::string op, const std::error_code& ec, const options& o, const spawn_options& so);
// Refuses bad options with the field, value and rule
// ("run(uts): hostname 'hhh...' is 65 bytes; the kernel's limit is 64").
void check_options(const std::string& op, const options& o);

// plan.cpp: validate, then each feature's prepare.
std::error_code make_plan(const options& o, plan& p);
bool proc_missing() noexcept; // /proc is not procfs (or absent) in the caller's mount namespace

// child.cpp: the child after clone, async-signal-safe, raw system calls
// only (see raw.hpp).
[[noreturn]] void fail(int report_w, setup_step s, int err, int code = setup_failed_exit) noexcept;
[[noreturn]] void fail_at(int report_w, const wire& w, int code = setup_failed_exit) noexcept; // with the detail
int session_step(const plan& p, setup_step& step) noexcept; // setsid() when new_session
[[noreturn]] void run_payload(const plan& p, int report_w) noexcept;
// worker_stack: where a program's worker runs (program_worker_stack bytes
// from there), 0: the init maps one.
[[noreturn]] void child_main(const plan& p, int report_w, int go_r, int status_w, int parent_pidfd,
                            long worker_stack = 0) noexcept;
constexpr std::size_t program_worker_stack = std::size_t{256} * 1024; // room for pre_exec

struct init_args {
    const plan* p;
    int report_w, go_r, status_w, parent_pidfd;
    long worker_stack = 0;
};

int shared_memory_init(void* a) noexcept; // clone3_run entry: child_main(*init_args)

// worker.cpp: the init's worker and where it runs.
struct worker_args {
    const plan* p;
    int report_w, status_w;
    int ready_r, ready_w; // the worker waits for EOF on ready_r: the init has closed the caller's fds
};
// Starts the worker (PID 2 in a new PID namespace; it enters
// time_for_children): returns its pid or -errno.
long start_worker(const plan& p, worker_args& args, int report_w, long worker_stack) noexcept;

// init.cpp: PID 1 (or a time namespace's keeper): starts the worker, then
// reaps and forwards `waited` until the worker is gone.
[[noreturn]] void run_as_init(const plan& p, int report_w, int status_w, std::uint64_t waited,
                              long worker_stack) noexcept;

// launch.cpp: the parent side.
struct pipe_pair {
    unique_fd r, w;
    std::error_code open() noexcept
    {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0)
            return make_setup_error(setup_step::pipe, errno);
        r.reset(fds[0]);
        w.reset(fds[1]);
        return {};
    }
};

std::error_code as_setup_error(setup_step s, const std::error_code& ec);
std::error_code read_report(int fd) noexcept;
// view_steps.cpp: the detail of the last failure this thread read (or
// setup() made), for failed_input: the error code holds the step and errno only.
void note_failure(const wire& w) noexcept;
wire last_failure() noexcept;
process launch(const plan& p, std::error_code& ec, unique_fd* report_out = nullptr) noexcept;

// The ways to clone the child (launch_*.cpp).  Each returns true in the
// parent with the child started; false with `ec` on failure, or false with
// `ec` empty where clone3 is missing (the caller forks then).
// launch_vfork.cpp: a program without an init or handshake: CLONE_VM |
// CLONE_VFORK, we are suspended until it execs.
bool clone_vfork_like(const plan& p, const sys::clone3_args& a, init_args& ia, sys::clone_result& r,
                      sys::clone_stack& child_stack, std::error_code& ec) noexcept;
// launch_shared.cpp: CLONE_VM without vfork: an init for a program (its
// worker's stack below the init's) or a program after a handshake.
bool clone_shared_memory(const plan& p, const sys::clone3_args& a, init_args& ia, sys::clone_result& r,
                         sys::clone_stack& child_stack, std::error_code& ec) noexcept;
// Both: clone3_run with `a` on [stack, stack + size) of child_stack.
bool clone_on_stack(sys::clone3_args a, char* stack, std::size_t size, init_args& ia, sys::clone_result& r,
                    sys::clone_stack& child_stack, std::error_code& ec) noexcept;
// launch_fork.cpp: a copy of our memory (clone3 without CLONE_VM).
bool clone_forked(const plan& p, const sys::clone3_args& a, init_args& ia, sys::clone_result& r,
                  std::error_code& ec) noexcept;

// program.cpp: what execve gets, made before the clone.
struct program_image {
    std::string path;
    std::vector<std::string> argv_s, env_s;
    std::vector<char*> argv, envp;
};
// The environment: the caller's (so.inherit_env) edited by `env`, then so.env over it.
std::error_code make_image(const std::string& program, const std::vector<std::string>& args,
                           const env_options& env, const spawn_options& so, program_image& img);
// run()'s callable: the caller's environment edited by `env` (empty envp when not edited).
std::error_code make_environment(const env_options& env, program_image& img);

} // namespace nskit::ns::detail::run_impl
