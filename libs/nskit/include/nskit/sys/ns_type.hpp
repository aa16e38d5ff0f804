// nskit/sys/ns_type.hpp — the one table of namespace types.
// Everything about a namespace type (names, /proc entries, clone flag,
// kernel version) derives from ns_types(); add a type there and nowhere else.
#pragma once

#include <nskit/sys/clone_flags.hpp>

#include <optional>
#include <span>
#include <string_view>
#include <nskit/export.hpp>

NSKIT_API_BEGIN
namespace nskit::sys {

enum class ns_type { mnt, uts, ipc, net, pid, user, cgroup, time };

inline constexpr std::size_t ns_type_count = 8;

struct ns_type_info {
    ns_type type;
    std::string_view name;               // lsns TYPE column: "mnt", "net", ...
    std::string_view proc_entry;         // entry under /proc/PID/ns/
    std::string_view for_children_entry; // "pid_for_children"/"time_for_children", or empty
    clone_flag flag;                     // CLONE_NEW*
    std::string_view kernel;             // first kernel with the namespace type
    std::string_view description;
};

// In the order lsns and nsenter(1) use; the index equals the enum value.
std::span<const ns_type_info> ns_types() noexcept;
const ns_type_info& info(ns_type t) noexcept;
inline std::string_view to_string(ns_type t) noexcept { return info(t).name; }

// "net", "newnet", "CLONE_NEWNET", "mount" ... -> ns_type.
std::optional<ns_type> ns_type_from_name(std::string_view name) noexcept;
// A single CLONE_NEW* flag -> ns_type (nullopt for anything else).
std::optional<ns_type> ns_type_from_flag(clone_flags flag) noexcept;
// The raw value NS_GET_NSTYPE returns (a CLONE_NEW* constant).
std::optional<ns_type> ns_type_from_kernel(int nstype) noexcept;

} // namespace nskit::sys
NSKIT_API_END
