// Shared memory without vfork: the child runs on its own stack in our
// memory (CLONE_VM).  Until the program is exec'd we are blocked reading
// the report, except during a handshake, when it is blocked reading `go`;
// an init then makes raw system calls only: the two never use shared state
// at once.  An init runs on the top 64 KiB, its program's worker below
// (freed with it once the init is reaped).
#include "run_internal.hpp"

#include <nskit/sys/error.hpp>
#include <nskit/sys/detail/clone_args.hpp>

namespace nskit::ns::detail::run_impl {

bool clone_shared_memory(const plan& p, const sys::clone3_args& a, init_args& ia, sys::clone_result& r,
                         sys::clone_stack& child_stack, std::error_code& ec) noexcept
{
    constexpr std::size_t init_part = std::size_t{64} * 1024;
    child_stack = sys::clone_stack(p.init ? init_part + program_worker_stack : std::size_t{256} * 1024, ec);
    if (ec) {
        ec = as_setup_error(setup_step::clone, ec);
        return false;
    }
    sys::clone3_args shared = a;
    shared.flags |= sys::clone_flag::vm;
    char* const base = static_cast<char*>(child_stack.top()) - child_stack.size();
    if (!p.init)
        return clone_on_stack(shared, base, child_stack.size(), ia, r, child_stack, ec);
    ia.worker_stack = reinterpret_cast<long>(base);
    return clone_on_stack(shared, base + program_worker_stack, init_part, ia, r, child_stack, ec);
}

bool clone_on_stack(sys::clone3_args a, char* stack, std::size_t size, init_args& ia, sys::clone_result& r,
                    sys::clone_stack& child_stack, std::error_code& ec) noexcept
{
    a.stack = stack;
    a.stack_size = size;
    int pidfd = -1;
    auto k = sys::detail::to_kernel(a, &pidfd);
    const long pid = sys::detail::clone3_run(&k, shared_memory_init, &ia);
    if (pid >= 0) {
        r.pid = static_cast<pid_t>(pid);
        r.pidfd.reset(pidfd);
        return true;
    }
    if (errno != ENOSYS)
        ec = as_setup_error(setup_step::clone, nskit::detail::last_error());
    else
        child_stack = sys::clone_stack(); // no clone3: forked
    return false;
}

} // namespace nskit::ns::detail::run_impl
