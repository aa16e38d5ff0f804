// IPC: the IPC namespace itself is a clone / unshare flag; setup() can
// also give the caller a fresh System V semaphore undo list.  A cloned
// child has one already (CLONE_SYSVSEM is never passed).
#include "features.hpp"

#include <sched.h>

namespace nskit::ns::detail::run_impl::ipc_ns {

std::error_code here(const plan& p) noexcept
{
    if (p.o->sysvsem && ::unshare(CLONE_SYSVSEM) != 0)
        return make_setup_error(setup_step::sysvsem, errno);
    return {};
}

} // namespace nskit::ns::detail::run_impl::ipc_ns
