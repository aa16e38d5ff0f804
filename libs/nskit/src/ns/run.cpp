#include <nskit/ns/run.hpp>
#include <nskit/ns/detail/threads.hpp>
#include <nskit/sys/error.hpp>
#include <nskit/sys/nsfs.hpp>

#include "network.hpp"
#include "raw.hpp"
#include "run_internal.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

extern char** environ;

namespace nskit::ns {

using namespace detail::run_impl;
namespace raw = detail::raw;

namespace {

std::string op_name(const char* what, const options& o)
{
    return std::string(what) + "(" + sys::to_string(o.namespaces()) + ")";
}

using detail::count_threads;

// The payload's environment: `base` edited by env, then the "K=V"
// entries of `overrides` replacing (or adding) their names.
struct environment {
    std::vector<std::string> strings;
    std::vector<char*> envp;
    std::error_code make(const env_options& env, const char* const* base, const std::vector<std::string>& overrides)
    {
        std::error_code ec;
        strings = make_environment(env, base, ec);
        if (ec)
            return make_setup_error(setup_step::validate, EINVAL);
        for (const auto& x : overrides) {
            const auto key = std::string_view(x).substr(0, x.find('=') + 1);
            std::erase_if(strings, [&](const std::string& e) { return std::string_view(e).substr(0, key.size()) == key; });
        }
        strings.insert(strings.end(), overrides.begin(), overrides.end());
        for (auto& s : strings)
            envp.push_back(s.data());
        envp.push_back(nullptr);
        return {};
    }
};

// "spawn(mnt) true (directory '/nonexistent')": the operation and what the failed step used.
std::string with_input(std::string op, const std::error_code& ec, const options& o, const spawn_options& so)
{
    if (!ec)
        return op;
    if (const auto input = failed_input(ec, o, so); !input.empty())
        op += " (" + input + ")";
    return op;
}

// The throwing forms refuse bad options with the field, value and rule
// ("run(uts): hostname 'hhh...' is 65 bytes; the kernel's limit is 64").
void check_options(const std::string& op, const options& o)
{
    if (auto p = o.problem(); p.ec)
        throw_error(p.ec, op_kind::input, op + ": " + p.reason);
}

} // namespace

// ---------------------------------------------------------------- run

sys::exit_status run(const std::function<int()>& fn, const options& opts, std::error_code& ec) noexcept
{
    plan p;
    p.fn = &fn;
    environment env;
    try {
        if ((ec = make_plan(opts, p)))
            return {};
        if (opts.env.clear || !opts.env.keep.empty() || !opts.env.edits.empty()) { // else environ as it is
            if ((ec = env.make(opts.env, environ, {})))
                return {};
            p.envp = env.envp.data();
        }
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

std::string find_program(const std::string& program, std::error_code& ec)
{
    ec.clear();
    if (program.empty()) {
        ec = std::make_error_code(std::errc::no_such_file_or_directory);
        return {};
    }
    if (program.find('/') != std::string::npos)
        return program;
    const char* path = std::getenv("PATH");
    std::string_view dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
    int first_err = ENOENT;
    while (true) {
        const auto colon = dirs.find(':');
        std::string dir(dirs.substr(0, colon));
        std::string cand = (dir.empty() ? std::string(".") : dir) + "/" + program;
        if (::access(cand.c_str(), X_OK) == 0) {
            struct stat st{};
            if (::stat(cand.c_str(), &st) == 0 && S_ISREG(st.st_mode))
                return cand;
        } else if (errno == EACCES) {
            first_err = EACCES;
        }
        if (colon == std::string_view::npos)
            break;
        dirs.remove_prefix(colon + 1);
    }
    ec = std::error_code(first_err, std::system_category());
    return {};
}

process spawn(const std::string& program, const std::vector<std::string>& args, const options& opts,
              const spawn_options& so, std::error_code& ec) noexcept
{
    try {
        plan p;
        if ((ec = make_plan(opts, p)))
            return {};
        std::string path = so.search_path ? find_program(program, ec) : program;
        if (ec) {
            ec = make_setup_error(setup_step::exec, ec.value());
            return {};
        }
        std::vector<std::string> argv_s;
        argv_s.push_back(program);
        argv_s.insert(argv_s.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (auto& s : argv_s)
            argv.push_back(s.data());
        argv.push_back(nullptr);
        environment env;
        if ((ec = env.make(opts.env, so.inherit_env ? environ : nullptr, so.env)))
            return {};
        p.path = path.c_str();
        p.argv = argv.data();
        p.envp = env.envp.data();
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

// ---------------------------------------------------------------- setup

namespace {

// Writes the maps of the caller's new user namespace: a helper forked
// before unshare stays in the parent namespace, where it has the right to.
std::error_code setup_user(const plan& p)
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

void setup(const options& opts, std::error_code& ec) noexcept
{
    try {
        plan p;
        if ((ec = make_plan(opts, p)))
            return;
        // The caller cannot become PID 1 (its children would, with no init);
        // its environment is not ours to edit under its other threads.
        if (opts.pid || opts.env.clear || !opts.env.keep.empty() || !opts.env.edits.empty()) {
            ec = make_setup_error(setup_step::validate, EINVAL);
            return;
        }
        if (p.ns.intersects(sys::clone_flag::newuser | sys::clone_flag::newns) && count_threads() > 1) {
            ec = make_error_code(error::thread_unsafe);
            return;
        }
        unique_fd outer_net;
        if (opts.veth) {
            outer_net = sys::open_ns(0, sys::ns_type::net, ec);
            if (ec) {
                ec = as_setup_error(setup_step::veth, ec);
                return;
            }
        }
        if (opts.user && (ec = setup_user(p)))
            return;
        if ((p.become_gid0 && ::setresgid(0, 0, 0) != 0) || (p.become_uid0 && ::setresuid(0, 0, 0) != 0)) {
            ec = make_setup_error(setup_step::become_root, errno);
            return;
        }
        const auto rest = p.ns - sys::clone_flag::newuser;
        if (!rest.empty() && ::unshare(static_cast<int>(rest.bits())) != 0) {
            ec = make_setup_error(setup_step::unshare, errno);
            return;
        }
        if (opts.sysvsem && ::unshare(CLONE_SYSVSEM) != 0) {
            ec = make_setup_error(setup_step::sysvsem, errno);
            return;
        }
        setup_step step = setup_step::none;
        if (int e = mount_steps(p, step)) {
            ec = make_setup_error(step, e);
            return;
        }
        for (const wire w : {view_step(p), rlimit_step(p)})
            if (w.step != 0) {
                note_failure(w);
                ec = make_setup_error(static_cast<setup_step>(w.step), w.err);
                return;
            }
        if (int e = cwd_step(p, step); e || (e = uts_steps(p, step))) {
            ec = make_setup_error(step, e);
            return;
        }
        if (p.ns.contains(sys::clone_flag::newnet)) {
            detail::configure_loopback(ec);
            if (ec) {
                ec = as_setup_error(setup_step::loopback, ec);
                return;
            }
        }
        if (opts.veth) {
            // We moved in: our end is the inner one, the peer goes back out.
            veth_options v = *opts.veth;
            veth_options swapped{v.peer.empty() ? "eth0" : v.peer, v.name, v.peer_address, v.address, -1, v.routes};
            detail::connect_veth(swapped, -1, v.peer_netns_fd >= 0 ? v.peer_netns_fd : outer_net.get(), ec);
            if (ec) {
                ec = as_setup_error(setup_step::veth, ec);
                return;
            }
        }
        if (p.ns.contains(sys::clone_flag::newtime)) {
            unique_fd fd(::open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC));
            if (!fd) {
                ec = make_setup_error(setup_step::timens_offsets, errno);
                return;
            }
            if (const long r = raw::write_all(fd.get(), p.timens_text.data(), p.timens_text.size()); r < 0) {
                ec = make_setup_error(setup_step::timens_offsets, static_cast<int>(-r));
                return;
            }
        }
        ec.clear();
    } catch (...) {
        ec = std::make_error_code(std::errc::not_enough_memory);
    }
}

void setup(const options& opts)
{
    check_options(op_name("setup", opts), opts);
    std::error_code ec;
    setup(opts, ec);
    throw_if(ec, op_kind::other, with_input(op_name("setup", opts), ec, opts, {}));
}

} // namespace nskit::ns

