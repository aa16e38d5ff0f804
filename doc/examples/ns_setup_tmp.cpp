// Seed example 3: set up a private /tmp for the rest of this process
// (setup(): no fork, cannot be undone).
//   Sys::Linux::Namespace->new(private_tmp => 1)->setup();
#include <nskit/ns.hpp>

#include <sys/statfs.h>
#include <unistd.h>

#include <fstream>
#include <iostream>

int main()
{
    nskit::ns::options o;
    o.tmp = nskit::ns::tmp_options{};
    o.tmp->size = "16m";
    if (::geteuid() != 0)
        o.user = nskit::ns::user_options{};
    nskit::ns::setup(o); // throws with the failing step and a hint
    // We're now permanently (for this process) using a private /tmp.
    struct statfs fs{};
    ::statfs("/tmp", &fs);
    std::ofstream("/tmp/mine") << "only this process and its children see me\n";
    std::cout << "private /tmp: tmpfs of " << fs.f_blocks * fs.f_bsize / (1024 * 1024) << " MiB\n";
    return fs.f_type == 0x01021994 ? 0 : 1;
}
