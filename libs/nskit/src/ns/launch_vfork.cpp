// vfork-like: a program without an init or handshake runs on a stack of
// its own in our memory (CLONE_VM | CLONE_VFORK) and we are suspended until
// it execs, as with posix_spawn: nothing is copied at clone.
#include "run_internal.hpp"

namespace nskit::ns::detail::run_impl {

bool clone_vfork_like(const plan& p, const sys::clone3_args& a, init_args& ia, sys::clone_result& r,
                      sys::clone_stack& child_stack, std::error_code& ec) noexcept
{
    (void)p;
    child_stack = sys::clone_stack(std::size_t{256} * 1024, ec); // 256 KiB: for pre_exec
    if (ec) {
        ec = as_setup_error(setup_step::clone, ec);
        return false;
    }
    sys::clone3_args shared = a;
    shared.flags |= sys::clone_flag::vm | sys::clone_flag::vfork;
    char* const base = static_cast<char*>(child_stack.top()) - child_stack.size();
    return clone_on_stack(shared, base, child_stack.size(), ia, r, child_stack, ec);
}

} // namespace nskit::ns::detail::run_impl
