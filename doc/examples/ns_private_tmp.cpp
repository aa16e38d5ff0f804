// Seed example 1 (Sys::Linux::Namespace): a private /tmp for one piece of
// code.  The file written there vanishes with the namespace.
//   my $ns1 = Sys::Linux::Namespace->new(private_tmp => 1);
//   $ns1->run(code => sub { ... "/tmp/private" ... });
#include <nskit/ns.hpp>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>

int main()
{
    nskit::ns::options o;
    o.tmp = nskit::ns::tmp_options{};  // private_tmp => 1
    if (::geteuid() != 0)
        o.user = nskit::ns::user_options{}; // unprivileged: through a user namespace
    auto status = nskit::ns::run([] {
        // This code has its own completely private /tmp filesystem
        std::ofstream("/tmp/private") << "Hello Void";
        std::ifstream in("/tmp/private");
        std::string text;
        std::getline(in, text);
        std::cout << "inside: /tmp/private says \"" << text << "\"\n";
        return text == "Hello Void" ? 0 : 1;
    }, o);
    // The private /tmp has been destroyed and we're back to our previous state
    const bool gone = ::access("/tmp/private", F_OK) != 0;
    std::cout << "outside: /tmp/private " << (gone ? "does not exist" : "EXISTS") << "\n";
    return status.code == 0 && gone ? 0 : 1;
}
