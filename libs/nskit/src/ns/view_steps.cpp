// options::view and options::rlimits: the prepare side (the view's plan)
// and the child side (raw system calls only, see raw.hpp), and the failure
// detail the error code cannot hold: which step of the view, in which
// phase; which limit.
#include <nskit/ns/detail/rlimits.hpp>

#include "features.hpp"
#include "raw.hpp"
#include "run_internal.hpp"

#include <cstdlib>

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

namespace view {

std::error_code prepare(const options& o, plan& p)
{
    if (o.view.empty())
        return {};
    fs_failure f;
    p.view = detail::prepare(o.view, f); // validate() has checked it
    if (f)
        return make_setup_error(setup_step::validate, EINVAL);
    if (const char* home = std::getenv("HOME"); p.view.pivot && home != nullptr && home[0] == '/')
        p.home = home;
    return {};
}

int child(const plan& p, setup_step& step) noexcept
{
    if (p.o->view.empty())
        return 0;
    step = setup_step::fs_view;
    const fs_failure f = detail::apply(p.view);
    if (!f)
        return 0;
    p.detail = {static_cast<std::int32_t>(step), f.error, static_cast<std::int32_t>(f.step),
                static_cast<std::int32_t>(f.phase)};
    return f.error != 0 ? f.error : EINVAL;
}

} // namespace view

namespace limits {

int child(const plan& p, setup_step& step) noexcept
{
    if (p.o->rlimits.empty())
        return 0;
    step = setup_step::rlimit;
    int err = 0;
    const std::size_t i = detail::apply_rlimits(p.o->rlimits, err);
    if (err != 0)
        p.detail = {static_cast<std::int32_t>(step), err, static_cast<std::int32_t>(i), 0};
    return err;
}

std::error_code here(const plan& p) noexcept
{
    setup_step step = setup_step::none;
    if (const int e = child(p, step)) {
        note_failure(p.detail);
        return make_setup_error(step, e);
    }
    return {};
}

} // namespace limits

} // namespace nskit::ns::detail::run_impl
