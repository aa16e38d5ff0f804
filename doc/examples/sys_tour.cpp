// sys_tour: the sys layer at work.  Prints this process's namespaces, then
// clones a child into new UTS + PID namespaces and compares the two.
#include <nskit/sys.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstring>

using namespace nskit::sys;

int main()
{
    std::printf("namespaces of pid %d:\n", ::getpid());
    for (const auto& t : ns_types()) {
        std::error_code ec;
        auto fd = open_ns(0, t.type, ec);
        if (ec) {
            std::printf("  %-6s unavailable: %s\n", t.name.data(), ec.message().c_str());
            continue;
        }
        auto ino = ns_stat(fd.get());
        auto id = ns_get_id(fd.get(), ec);
        std::printf("  %-6s inode %-11llu id %s\n", std::string(t.name).c_str(),
                    static_cast<unsigned long long>(ino.ino), ec ? "(kernel < 6.18)" : std::to_string(id).c_str());
    }

    std::fflush(stdout); // the child gets a copy of unflushed stdio buffers
    std::error_code ec;
    auto child = clone(
        [] {
            ::sethostname("nskit-demo", 10);
            char host[64] = {};
            ::gethostname(host, sizeof host - 1);
            std::printf("child: pid %d in its new PID namespace, hostname '%s'\n", ::getpid(), host);
            std::fflush(stdout);
            return 7;
        },
        {.flags = clone_flag::newuts | clone_flag::newpid | clone_flag::pidfd}, ec);
    if (ec) {
        std::printf("clone(uts,pid): %s\n", nskit::describe(ec, nskit::op_kind::namespace_create, "clone(newuts,newpid)").c_str());
        return 0; // unprivileged: the explanation is the demo
    }
    auto status = pidfd_wait(child.pidfd().get());
    std::printf("parent: child %d %s\n", child.pid(), to_string(status).c_str());
    auto order = kcmp(::getpid(), ::getpid(), kcmp_resource::vm, ec);
    std::printf("kcmp(self, self, vm) = %s\n", ec ? ec.message().c_str() : std::string(to_string(order)).c_str());
    return 0;
}
