// Seed example 2: a private /tmp and a private PID namespace; the code sees
// only its own processes in /proc.
//   my $ns2 = Sys::Linux::Namespace->new(private_tmp => 1, private_pid => 1);
//   $ns2->run(code => sub { print Dumper([glob "/proc/*"]); });
#include <nskit/ns.hpp>

#include <dirent.h>
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

int main()
{
    nskit::ns::options o;
    o.tmp = nskit::ns::tmp_options{};
    o.pid = true; // and a fresh /proc (unless o.proc = false: no_proc)
    if (::geteuid() != 0)
        o.user = nskit::ns::user_options{};
    auto status = nskit::ns::run([] {
        std::vector<std::string> pids;
        DIR* d = ::opendir("/proc");
        while (auto* e = ::readdir(d))
            if (e->d_name[0] >= '0' && e->d_name[0] <= '9')
                pids.emplace_back(e->d_name);
        ::closedir(d);
        std::cout << "inside: I am pid " << ::getpid() << ", my init is pid " << ::getppid() << "; /proc lists:";
        for (const auto& p : pids)
            std::cout << " " << p;
        std::cout << "\n";
        // PID 1 is nskit's init (reaps, forwards signals); we are PID 2.
        return pids.size() == 2 ? 0 : 1;
    }, o);
    std::cout << "outside: back in the global PID namespace, status " << status.shell_status() << "\n";
    return status.code;
}
