// The child's steps for options::view and options::rlimits (raw system
// calls only, see raw.hpp), and the failure detail the error code cannot
// hold: which step of the view, in which phase; which limit.
#include <nskit/ns/detail/rlimits.hpp>

#include "raw.hpp"
#include "run_internal.hpp"

namespace nskit::ns::detail::run_impl {

namespace {
thread_local wire last{}; // read_report (the parent) or setup() set it, failed_input reads it
} // namespace

void note_failure(const wire& w) noexcept { last = w; }
wire last_failure() noexcept { return last; }

[[noreturn]] void fail_at(int report_w, const wire& w, int code) noexcept
{
    raw::write_all(report_w, &w, sizeof w);
    raw::exit_group(code);
}

wire view_step(const plan& p) noexcept
{
    if (p.o->view.empty())
        return {};
    const fs_failure f = detail::apply(p.view);
    if (!f)
        return {};
    return {static_cast<std::int32_t>(setup_step::fs_view), f.error, static_cast<std::int32_t>(f.step),
            static_cast<std::int32_t>(f.phase)};
}

wire rlimit_step(const plan& p) noexcept
{
    if (p.o->rlimits.empty())
        return {};
    int err = 0;
    const std::size_t i = detail::apply_rlimits(p.o->rlimits, err);
    if (err == 0)
        return {};
    return {static_cast<std::int32_t>(setup_step::rlimit), err, static_cast<std::int32_t>(i), 0};
}

} // namespace nskit::ns::detail::run_impl
