#include <nskit/sys/ns_type.hpp>

#include <linux/sched.h>

#include <nskit/sys/detail/text.hpp>

#include <array>
#include <cctype>

namespace nskit::sys {
namespace {

constexpr std::array<ns_type_info, ns_type_count> table{{
    {ns_type::mnt, "mnt", "mnt", "", clone_flag::newns, "2.4.19", "mount points"},
    {ns_type::uts, "uts", "uts", "", clone_flag::newuts, "2.6.19", "hostname and NIS domain name"},
    {ns_type::ipc, "ipc", "ipc", "", clone_flag::newipc, "2.6.19", "System V IPC, POSIX message queues"},
    {ns_type::net, "net", "net", "", clone_flag::newnet, "2.6.29", "network devices, stacks, ports"},
    {ns_type::pid, "pid", "pid", "pid_for_children", clone_flag::newpid, "2.6.24", "process ids"},
    {ns_type::user, "user", "user", "", clone_flag::newuser, "3.8", "user and group ids, capabilities"},
    {ns_type::cgroup, "cgroup", "cgroup", "", clone_flag::newcgroup, "4.6", "cgroup root directory"},
    {ns_type::time, "time", "time", "time_for_children", clone_flag::newtime, "5.6",
     "boot and monotonic clocks"},
}};

using detail::iequal;

} // namespace

std::span<const ns_type_info> ns_types() noexcept { return table; }

const ns_type_info& info(ns_type t) noexcept { return table[static_cast<std::size_t>(t)]; }

std::optional<ns_type> ns_type_from_name(std::string_view name) noexcept
{
    if (name.size() > 6 && iequal(name.substr(0, 6), "CLONE_"))
        name.remove_prefix(6);
    if (name.size() > 3 && iequal(name.substr(0, 3), "new"))
        name.remove_prefix(3);
    if (iequal(name, "mount") || iequal(name, "ns"))
        return ns_type::mnt;
    for (const auto& i : table)
        if (iequal(name, i.name))
            return i.type;
    return std::nullopt;
}

std::optional<ns_type> ns_type_from_flag(clone_flags flag) noexcept
{
    for (const auto& i : table)
        if (flag == clone_flags(i.flag))
            return i.type;
    return std::nullopt;
}

std::optional<ns_type> ns_type_from_kernel(int nstype) noexcept
{
    return ns_type_from_flag(clone_flags::from_bits(static_cast<std::uint32_t>(nstype)));
}

} // namespace nskit::sys
