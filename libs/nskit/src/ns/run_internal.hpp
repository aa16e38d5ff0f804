// Private to the ns layer: the pieces of run(), spawn() and setup() shared
// between their files (see doc/architecture.md, "Running in new namespaces").
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
    detail::fs_plan view;   // options::view prepared
    std::string home;       // a new root without the caller's cwd: $HOME, else / (bwrap's rule)
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

// plan.cpp
std::error_code make_plan(const options& o, plan& p);
std::string tmp_data(const tmp_options& t); // the tmpfs mount data: "mode=1777,size=64m,..."

// child_steps.cpp: async-signal-safe, raw system calls only (see raw.hpp).
[[noreturn]] void fail(int report_w, setup_step s, int err, int code = setup_failed_exit) noexcept;
[[noreturn]] void fail_at(int report_w, const wire& w, int code = setup_failed_exit) noexcept;
int mount_steps(const plan& p, setup_step& step) noexcept; // also run by setup(): no allocation
int uts_steps(const plan& p, setup_step& step) noexcept;
int time_steps(const plan& p, setup_step& step) noexcept;
int session_step(const plan& p, setup_step& step) noexcept; // setsid() when new_session
int cwd_step(const plan& p, setup_step& step) noexcept;     // after every mount step

// view_steps.cpp: options::view and options::rlimits (async-signal-safe);
// a failure as a report with its index and phase.
wire view_step(const plan& p) noexcept;   // after /tmp and /proc, before cwd_step
wire rlimit_step(const plan& p) noexcept; // right before the payload
// The index and phase of the last failure this thread read or made (for
// failed_input: the error code holds only the step and the errno).
void note_failure(const wire& w) noexcept;
wire last_failure() noexcept;
[[noreturn]] void run_payload(const plan& p, int report_w) noexcept;

// init.cpp: the child after clone, and the PID-1 init.
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

std::error_code write_maps(pid_t pid, const plan& p);
std::error_code as_setup_error(setup_step s, const std::error_code& ec);
std::error_code read_report(int fd) noexcept;
process launch(const plan& p, std::error_code& ec, unique_fd* report_out = nullptr) noexcept;

} // namespace nskit::ns::detail::run_impl
