// setup(): the namespaces engaged in the calling process, each feature's
// in-process side in order.
#include <nskit/ns/run.hpp>
#include <nskit/ns/detail/threads.hpp>

#include "features.hpp"
#include "run_internal.hpp"

#include <sched.h>

namespace nskit::ns {

using namespace detail::run_impl;

namespace {

// The caller cannot become PID 1 (its children would, with no init); its
// environment is not ours to edit under its other threads; a user or mount
// namespace needs it single-threaded.
std::error_code check_in_process(const plan& p)
{
    const auto& env = p.o->env;
    if (p.o->pid || env.clear || !env.keep.empty() || !env.edits.empty())
        return make_setup_error(setup_step::validate, EINVAL);
    if (p.ns.intersects(sys::clone_flag::newuser | sys::clone_flag::newns) && detail::count_threads() > 1)
        return make_error_code(error::thread_unsafe);
    return {};
}

// Every namespace but the user one (user_ns::here has made it).
std::error_code unshare_rest(const plan& p) noexcept
{
    const auto rest = p.ns - sys::clone_flag::newuser;
    if (!rest.empty() && ::unshare(static_cast<int>(rest.bits())) != 0)
        return make_setup_error(setup_step::unshare, errno);
    return {};
}

} // namespace

void setup(const options& opts, std::error_code& ec) noexcept
{
    try {
        plan p;
        unique_fd outer_net;
        if ((ec = make_plan(opts, p)) || (ec = check_in_process(p)) ||
            (ec = net_ns::here_before_unshare(p, outer_net)) || (ec = user_ns::here(p)) || (ec = unshare_rest(p)) ||
            (ec = ipc_ns::here(p)) || (ec = mount_ns::here(p)) || (ec = uts_ns::here(p)) ||
            (ec = net_ns::here(p, outer_net.get())) || (ec = time_ns::here(p)) || (ec = limits::here(p)))
            return;
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
