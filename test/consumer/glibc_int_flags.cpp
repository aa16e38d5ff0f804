// Must NOT compile, for every CASE 1..5: with `using namespace nskit::sys;`
// beside glibc's declarations, an int flag word would otherwise pick glibc's
// function silently (an unchecked call, or a raw fd instead of unique_fd).
// CASE 0 is the control: the typed calls compile.
#include <sched.h>
#include <sys/pidfd.h>

#include <nskit/sys.hpp>

using namespace nskit::sys;

int main()
{
#if CASE == 1
    unshare(CLONE_NEWNET);
#elif CASE == 2
    setns(3, CLONE_NEWNET);
#elif CASE == 3
    [[maybe_unused]] auto fd = pidfd_open(1, 0u);
#elif CASE == 4
    [[maybe_unused]] auto fd = pidfd_open(1, 0);
#elif CASE == 5
    [[maybe_unused]] auto fd = pidfd_getfd(3, 4, 0);
#else
    std::error_code ec;
    unshare(clone_flag::newnet, ec);
    setns(3, ns_type::net, ec);
    [[maybe_unused]] auto fd = pidfd_open(1, ec, true);
#endif
    return 0;
}
