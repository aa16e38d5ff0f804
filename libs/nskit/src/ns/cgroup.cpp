// cgroups: the cgroup namespace is a clone / unshare flag; run() and
// spawn() can also start the child in a given cgroup (CLONE_INTO_CGROUP,
// 5.7), so it is never counted in the caller's.
#include "features.hpp"

namespace nskit::ns::detail::run_impl::cgroup_ns {

void clone_args(const plan& p, sys::clone3_args& a) noexcept
{
    if (p.o->cgroup_fd < 0)
        return;
    a.flags |= sys::clone_flag::into_cgroup;
    a.cgroup_fd = p.o->cgroup_fd;
}

} // namespace nskit::ns::detail::run_impl::cgroup_ns
