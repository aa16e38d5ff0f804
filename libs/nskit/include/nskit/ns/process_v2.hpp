// nskit/ns/process_v2.hpp — opt-in Boost.Process v2 interop (header-only;
// the only nskit header that includes Boost).
//
//   asio::io_context ctx;
//   nskit::ns::process_v2::launcher l(opts);       // namespaces to create
//   bp2::process p = l(ctx, "/bin/hostname", {}, bp2::process_stdio{{}, out_pipe, {}});
//   p.async_wait(...);
//
// Every bp2 initializer works (stdio, environment, start_dir): their
// on_setup hooks run in the parent, their on_exec_setup hooks in the child
// right before exec.  The child is created by nskit::ns::spawn, not by bp2's
// fork, which works around Boost 1.81's launcher defects:
//  * on_error / on_exec_error never fire for a failed exec -> called here;
//  * the (ctx, ec, ...) overload throws anyway          -> never throws here;
//  * the child calls exit() (atexit handlers, stdio flush) after a failed
//    exec, and the parent leaves a zombie                -> nskit's child
//    reports {step, errno} and _exit()s; the failed child is reaped.
// Two more 1.81 header defects are handled here: with std::filesystem its
// headers miss includes (added below), and header-only builds never compile
// process_environment::on_setup — include
// <boost/process/v2/impl/environment.ipp> in exactly one .cpp if you use
// bp2::process_environment (or pass the environment in spawn_options::env).
#pragma once

#ifndef BOOST_PROCESS_USE_STD_FS
#define BOOST_PROCESS_USE_STD_FS 1
#endif
// 1.81's headers with std::filesystem miss these includes of their own.
#include <boost/optional.hpp>
#include <boost/type_traits/remove_pointer.hpp>
#include <type_traits>
#include <boost/process/v2.hpp>

#include <nskit/ns/run.hpp>

#include <string>
#include <system_error>
#include <vector>
#include <nskit/export.hpp>

NSKIT_API_BEGIN
namespace nskit::ns::process_v2 {

namespace bp2 = boost::process::v2;

class launcher : public bp2::posix::default_launcher {
public:
    explicit launcher(options opts, spawn_options sopts = {}) : opts_(std::move(opts)), sopts_(std::move(sopts)) {}

    // The nskit error of the last launch (a setup_category error names the step).
    const std::error_code& last_error() const noexcept { return last_error_; }

    template <typename ExecutionContext, typename Args, typename... Inits>
    auto operator()(ExecutionContext& context, const bp2::filesystem::path& executable, Args&& args,
                    Inits&&... inits) -> bp2::basic_process<typename ExecutionContext::executor_type>
    {
        bp2::error_code ec;
        auto proc = launch(context.get_executor(), ec, executable, std::forward<Args>(args), inits...);
        if (ec) // last_error_ is set whenever ec is
            nskit::throw_error(last_error_, op_kind::other, "nskit::ns::process_v2::launcher");
        return proc;
    }

    template <typename ExecutionContext, typename Args, typename... Inits>
    auto operator()(ExecutionContext& context, bp2::error_code& ec, const bp2::filesystem::path& executable,
                    Args&& args, Inits&&... inits) -> bp2::basic_process<typename ExecutionContext::executor_type>
    {
        return launch(context.get_executor(), ec, executable, std::forward<Args>(args), inits...);
    }

private:
    template <typename Executor, typename Args, typename... Inits>
    bp2::basic_process<Executor> launch(Executor exec, bp2::error_code& ec, const bp2::filesystem::path& executable,
                                        Args&& args, Inits&... inits)
    {
        std::vector<std::string> arg_strings;
        for (auto&& a : args)
            arg_strings.emplace_back(a);
        std::vector<const char*> argv_storage;
        const std::string exe = executable.string();
        argv_storage.push_back(exe.c_str());
        for (auto& a : arg_strings)
            argv_storage.push_back(a.c_str());
        argv_storage.push_back(nullptr);
        const char* const* argv = argv_storage.data();

        last_error_.clear();
        ec = bp2::posix::detail::on_setup(*this, executable, argv, inits...);
        if (ec) {
            last_error_ = std::error_code(ec.value(), std::system_category());
            bp2::posix::detail::on_error(*this, executable, argv, ec, inits...);
            return bp2::basic_process<Executor>(exec);
        }
        spawn_options so = sopts_;
        so.search_path = false;
        so.inherit_env = false;
        so.env.clear();
        for (auto e = this->env; e != nullptr && *e != nullptr; ++e)
            so.env.emplace_back(*e);
        // bp2's on_exec_setup hooks (dup2 for stdio, chdir...) run in the child.
        auto hook = [&]() -> int {
            auto e = bp2::posix::detail::on_exec_setup(*this, executable, argv, inits...);
            return e ? (e.value() != 0 ? e.value() : EIO) : 0;
        };
        using hook_type = decltype(hook);
        so.pre_exec = [](void* ctx) -> int { return (*static_cast<hook_type*>(ctx))(); };
        so.pre_exec_ctx = &hook;

        process child = spawn(exe, arg_strings, opts_, so, last_error_);
        if (last_error_) {
            ec.assign(failed_errno(last_error_), boost::system::system_category());
            bp2::posix::detail::on_error(*this, executable, argv, ec, inits...);
            return bp2::basic_process<Executor>(exec);
        }
        this->pid = child.pid();
        child.detach(); // bp2 waits for it from now on (by pid, through its own pidfd)
        bp2::posix::detail::on_success(*this, executable, argv, inits...);
        return bp2::basic_process<Executor>(exec, this->pid);
    }

    options opts_;
    spawn_options sopts_;
    std::error_code last_error_;
};

} // namespace nskit::ns::process_v2
NSKIT_API_END
