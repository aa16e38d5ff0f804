// The time namespace: CLOCK_MONOTONIC and CLOCK_BOOTTIME offsets, written
// to /proc/self/timens_offsets after unshare(CLONE_NEWTIME) and before the
// namespace has a task (they apply to the children: an init keeps it).
#include "features.hpp"
#include "raw.hpp"

#include <sched.h>
#include <sys/syscall.h>

#include <ctime>

namespace nskit::ns::detail::run_impl::time_ns {

namespace {

std::string offset_line(int clock_id, std::chrono::nanoseconds off)
{
    long long ns = off.count();
    long long s = ns / 1000000000LL;
    long long rem = ns % 1000000000LL;
    if (rem < 0) {
        rem += 1000000000LL;
        --s;
    }
    return std::to_string(clock_id) + " " + std::to_string(s) + " " + std::to_string(rem) + "\n";
}

} // namespace

void prepare(const options& o, plan& p)
{
    if (p.ns.contains(sys::clone_flag::newtime))
        p.timens_text = offset_line(CLOCK_MONOTONIC, o.monotonic_offset) + offset_line(CLOCK_BOOTTIME, o.boottime_offset);
}

namespace {

// The one writer of the offsets, for the child (raw, no allocation) and setup().
int write_offsets(const plan& p) noexcept
{
    const long fd = raw::call(SYS_openat, AT_FDCWD, raw::arg("/proc/self/timens_offsets"), O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return static_cast<int>(-fd);
    const long r = raw::write_all(static_cast<int>(fd), p.timens_text.data(), p.timens_text.size());
    raw::close(static_cast<int>(fd));
    return static_cast<int>(-r);
}

} // namespace

int child(const plan& p, setup_step& step) noexcept
{
    if (!p.ns.contains(sys::clone_flag::newtime))
        return 0;
    step = setup_step::unshare;
    if (const long r = raw::call(SYS_unshare, CLONE_NEWTIME); r < 0)
        return static_cast<int>(-r);
    step = setup_step::timens_offsets;
    return write_offsets(p);
}

std::error_code here(const plan& p) noexcept
{
    if (!p.ns.contains(sys::clone_flag::newtime))
        return {};
    const int e = write_offsets(p);
    return e != 0 ? make_setup_error(setup_step::timens_offsets, e) : std::error_code{};
}

} // namespace nskit::ns::detail::run_impl::time_ns
