// A consumer of an installed nskit (built by the suite with pkg-config and CMake).
#include <nskit/sys.hpp>

#include <cstdio>

int main()
{
    auto flags = nskit::sys::parse_clone_flags("net,pid");
    auto fd = nskit::sys::open_ns(0, nskit::sys::ns_type::net);
    if (nskit::sys::to_string(flags) != "pid,net" || !fd)
        return 1;
    std::puts("nskit consumer ok");
    return 0;
}
