// run() and spawn(): the plan, the launch, and for run() the supervision
// until the callable's child is gone.
#include <nskit/ns/run.hpp>

#include "run_internal.hpp"

#include <pthread.h>
#include <signal.h>

namespace nskit::ns {

using namespace detail::run_impl;

// ---------------------------------------------------------------- run

sys::exit_status run(const std::function<int()>& fn, const options& opts, std::error_code& ec) noexcept
{
    plan p;
    p.fn = &fn;
    program_image env; // only its environment
    try {
        if ((ec = make_plan(opts, p)) || (ec = make_environment(opts.env, env)))
            return {};
        p.envp = env.envp.empty() ? nullptr : env.envp.data();
    } catch (...) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return {};
    }
    // Block the forwarded signals from before the clone (the child unblocks
    // them): one arriving before supervise() is forwarded, not fatal to us.
    const sigset_t set = forwarded_signal_set();
    sigset_t old;
    ::pthread_sigmask(SIG_BLOCK, &set, &old);
    unique_fd report;
    auto proc = launch(p, ec, &report);
    sys::exit_status status;
    if (!ec) {
        status = proc.supervise(opts.kill_child, opts.kill_signal, opts.kill_grace, ec);
        // The child is gone: its report (if a step failed) is in the pipe.
        if (auto setup_ec = read_report(report.get())) {
            ec = setup_ec;
            status = {};
        }
    }
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    return status;
}

sys::exit_status run(const std::function<int()>& fn, const options& opts)
{
    check_options(op_name("run", opts), opts);
    std::error_code ec;
    auto s = run(fn, opts, ec);
    throw_if(ec, op_kind::other, with_input(op_name("run", opts), ec, opts, {}));
    return s;
}

// ---------------------------------------------------------------- spawn

process spawn(const std::string& program, const std::vector<std::string>& args, const options& opts,
              const spawn_options& so, std::error_code& ec) noexcept
{
    try {
        plan p;
        program_image img;
        if ((ec = make_plan(opts, p)) || (ec = make_image(program, args, opts.env, so, img)))
            return {};
        p.path = img.path.c_str();
        p.argv = img.argv.data();
        p.envp = img.envp.data();
        p.so = &so;
        return launch(p, ec);
    } catch (...) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return {};
    }
}

process spawn(const std::string& program, const std::vector<std::string>& args, const options& opts,
              const spawn_options& so)
{
    check_options(op_name("spawn", opts) + " " + program, opts);
    std::error_code ec;
    auto proc = spawn(program, args, opts, so, ec);
    throw_if(ec, op_kind::other, with_input(op_name("spawn", opts) + " " + program, ec, opts, so));
    return proc;
}

} // namespace nskit::ns
