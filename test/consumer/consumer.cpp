// A consumer of an installed nskit, built by the suite with pkg-config and
// CMake under -Wall -Wextra -Werror (and with clang++ where installed).  It
// proves that:
//  * every public header (checks.sh: each installed one is included here,
//    the opt-in Boost.Process v2 one too) compiles beside the kernel and libc
//    headers whose
//    names nskit's could clash with (<linux/kcmp.h>: enum kcmp_type, struct
//    kcmp_epoll_slot; <sched.h>: setns, unshare; <sys/pidfd.h>);
//  * every option struct, and the result structs a caller builds in tests,
//    can be designated-initialized with any one member (each member has a
//    default: no -Wmissing-field-initializers);
//  * `using namespace nskit::sys;` calls nskit's unshare/setns with typed
//    flags (glibc_int_flags.cpp shows an int flag word does not compile).
#include <linux/kcmp.h>
#include <sched.h>
#include <sys/pidfd.h>
#include <sys/socket.h>

#include <nskit/export.hpp>
#include <nskit/inspect.hpp>
#include <nskit/inspect/caps.hpp>
#include <nskit/inspect/compare.hpp>
#include <nskit/inspect/container.hpp>
#include <nskit/inspect/detail/cmp_classes.hpp>
#include <nskit/inspect/detail/cmp_proc.hpp>
#include <nskit/inspect/detail/proc_text.hpp>
#include <nskit/inspect/group.hpp>
#include <nskit/inspect/mounts.hpp>
#include <nskit/inspect/namespace.hpp>
#include <nskit/inspect/process.hpp>
#include <nskit/inspect/scan.hpp>
#include <nskit/inspect/watch.hpp>
#include <nskit/inspect/why.hpp>
#include <nskit/net.hpp>
#include <nskit/net/address.hpp>
#include <nskit/net/detail/reply.hpp>
#include <nskit/net/loopback.hpp>
#include <nskit/net/netlink.hpp>
#include <nskit/net/recipes.hpp>
#include <nskit/ns.hpp>
#include <nskit/ns/detail/fs_plan.hpp>
#include <nskit/ns/detail/rlimits.hpp>
#include <nskit/ns/detail/threads.hpp>
#include <nskit/ns/enter.hpp>
#include <nskit/ns/environment.hpp>
#include <nskit/ns/fs_view.hpp>
#include <nskit/ns/handle.hpp>
#include <nskit/ns/options.hpp>
#include <nskit/ns/process.hpp>
#include <nskit/ns/process_v2.hpp>
#include <nskit/ns/rlimit.hpp>
#include <nskit/ns/run.hpp>
#include <nskit/sys.hpp>
#include <nskit/sys/clone.hpp>
#include <nskit/sys/clone_flags.hpp>
#include <nskit/sys/detail/clone_args.hpp>
#include <nskit/sys/detail/proc_status.hpp>
#include <nskit/sys/detail/raw.hpp>
#include <nskit/sys/detail/syscall.hpp>
#include <nskit/sys/detail/text.hpp>
#include <nskit/sys/error.hpp>
#include <nskit/sys/in_netns.hpp>
#include <nskit/sys/kcmp.hpp>
#include <nskit/sys/mount_list.hpp>
#include <nskit/sys/ns_identity.hpp>
#include <nskit/sys/ns_type.hpp>
#include <nskit/sys/nsfs.hpp>
#include <nskit/sys/pidfd.hpp>
#include <nskit/sys/pidref.hpp>
#include <nskit/sys/proc_connector.hpp>
#include <nskit/sys/unique_fd.hpp>

#include <unistd.h>

#include <cstdio>

namespace {

// One designated member each: every other member must have a default.
[[maybe_unused]] void option_structs_take_designated_initializers()
{
    namespace sys = nskit::sys;
    [[maybe_unused]] sys::clone3_args a{.exit_signal = 0};
    [[maybe_unused]] sys::callable_clone_options c{.stack_size = 1 << 20};
    [[maybe_unused]] sys::kcmp_epoll_target e{.target_fd = 3};
    [[maybe_unused]] sys::pidref_options p{.allow_thread = true};
    [[maybe_unused]] sys::wait_options w{.nohang = true};
    [[maybe_unused]] sys::mnt_ns_info m{.nr_mounts = 1};
    [[maybe_unused]] sys::ns_identity i{.id = 1};
    [[maybe_unused]] nskit::net::veth_options v{.mtu = 1500};
    [[maybe_unused]] nskit::net::address_options ao{.nodad = true};
    [[maybe_unused]] nskit::net::route_spec r{.metric = 1};
    [[maybe_unused]] nskit::net::veth_recipe vr{.peer_netns_fd = 3};
    [[maybe_unused]] nskit::ns::options o{.net = true};
    [[maybe_unused]] nskit::ns::tmp_options t{.mode = 0700};
    [[maybe_unused]] nskit::ns::user_options u{.deny_setgroups = false};
    [[maybe_unused]] nskit::ns::options nv{.veth = nskit::net::veth_recipe{.routes = false}};
    [[maybe_unused]] nskit::ns::id_range ir{.count = 2};
    [[maybe_unused]] nskit::ns::spawn_options so{.inherit_env = false};
    [[maybe_unused]] nskit::ns::enter_options eo{.follow_root_and_cwd = false};
    [[maybe_unused]] nskit::inspect::scan_options sc{.threads = true};
    [[maybe_unused]] sys::mount_ns_ref mr{.fd = 3};
    [[maybe_unused]] nskit::net::netns_target nt{.value = 3};
    [[maybe_unused]] nskit::net::ip_address ip{.family = AF_INET};
    [[maybe_unused]] nskit::net::cidr ci{.prefix_len = 8};
    [[maybe_unused]] nskit::ns::env_edit ee{.name = "A"};
    [[maybe_unused]] nskit::ns::env_options en{.clear = true};
    [[maybe_unused]] nskit::ns::fs_step fs{.dest = "/x"};
    [[maybe_unused]] nskit::ns::fs_view fv{.chdir = "/"};
    [[maybe_unused]] nskit::ns::rlimit_setting rl{.soft = 1};
    [[maybe_unused]] nskit::inspect::compare_options co{.epoll = false};
    [[maybe_unused]] nskit::inspect::engine_roots er{.max_file_size = 1};
    [[maybe_unused]] nskit::inspect::container_ref cr{.name = "x"};
    [[maybe_unused]] nskit::inspect::fd_description fd{.fd = 3};
    [[maybe_unused]] nskit::inspect::mount_info mi{.fstype = "tmpfs"};
    [[maybe_unused]] nskit::inspect::ns_comparison nc{.distance = 1};
}

// Typed flags: with the using-directive and <sched.h>, these resolve to
// nskit's functions, never glibc's; neither changes a namespace.
bool typed_flags_pick_nskit()
{
    using namespace nskit::sys;
    std::error_code ec;
    unshare(clone_flag::newuts | clone_flag::io, ec); // only nskit refuses io itself, before any syscall
    if (ec != nskit::error::flag_not_for_unshare)
        return false;
    auto uts = open_ns(0, ns_type::uts);
    setns(uts.get(), ns_type::net, ec);               // the kernel refuses the type mismatch
    if (ec != std::errc::invalid_argument)
        return false;
    return pidref::open(::getpid()).alive();
}

} // namespace

int main()
{
    auto flags = nskit::sys::parse_clone_flags("net,pid");
    auto fd = nskit::sys::open_ns(0, nskit::sys::ns_type::net);
    const auto id = nskit::sys::identify(fd.get());
    if (nskit::sys::to_string(flags) != "pid,net" || !fd || id.type != nskit::sys::ns_type::net)
        return 1;
    if (!typed_flags_pick_nskit())
        return 2;
    if (nskit::sys::kcmp_resource::vm == static_cast<nskit::sys::kcmp_resource>(KCMP_VM) ? false : true)
        return 3;
    std::puts("nskit consumer ok");
    return 0;
}
