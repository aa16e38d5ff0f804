// The UTS namespace: host and domain name.
#include "features.hpp"
#include "raw.hpp"

#include <sys/syscall.h>

namespace nskit::ns::detail::run_impl::uts_ns {

namespace {

int set_name(long nr, const std::string& name, setup_step which, setup_step& step) noexcept
{
    if (name.empty())
        return 0;
    step = which;
    const long r = raw::call(nr, raw::arg(name.data()), static_cast<long>(name.size()));
    return r < 0 ? static_cast<int>(-r) : 0;
}

} // namespace

int child(const plan& p, setup_step& step) noexcept
{
    if (int e = set_name(SYS_sethostname, p.o->hostname, setup_step::hostname, step))
        return e;
    return set_name(SYS_setdomainname, p.o->domainname, setup_step::domainname, step);
}

std::error_code here(const plan& p) noexcept
{
    setup_step step = setup_step::none;
    const int e = child(p, step);
    return e != 0 ? make_setup_error(step, e) : std::error_code{};
}

} // namespace nskit::ns::detail::run_impl::uts_ns
