// Forked: clone3 without CLONE_VM, the child in a copy of our memory.  For
// a callable, a user or time namespace's init, and where clone3_run is
// missing.
#include "run_internal.hpp"

namespace nskit::ns::detail::run_impl {

bool clone_forked(const plan& p, const sys::clone3_args& a, init_args& ia, sys::clone_result& r,
                  std::error_code& ec) noexcept
{
    r = sys::clone3(a, ec);
    if (ec) {
        ec = as_setup_error(setup_step::clone, ec);
        return false;
    }
    if (r.pid == 0)
        child_main(p, ia.report_w, ia.go_r, ia.status_w, ia.parent_pidfd);
    return true;
}

} // namespace nskit::ns::detail::run_impl
