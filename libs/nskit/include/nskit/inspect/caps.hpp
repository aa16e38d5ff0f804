// nskit/inspect/caps.hpp — may this process act on that namespace?  Whether
// it holds capabilities in the namespace's owning user namespace, by the
// kernel's rules (kernel/capability.c, security/commoncap.c cap_capable()):
//   * in that user namespace itself: its effective set;
//   * in a user namespace below its own whose ancestor, a child of its own,
//     was created by its effective uid: every capability;
//   * otherwise: none.
#pragma once

#include <nskit/inspect/scan.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <nskit/export.hpp>

NSKIT_API_BEGIN
namespace nskit::inspect {

enum class caps_rule {
    same_user_namespace,  // the owner is its own user namespace: its effective set
    owner_of_ancestor,    // an ancestor (child of its user ns) was created by its euid: all
    outside,              // the owner is not below its user namespace: none
    not_owner,            // below it, but no ancestor created by its euid: none
    unknown,              // a link of the chain, the process's euid or its capabilities could not be read
};
std::string_view to_string(caps_rule r) noexcept;

struct caps_answer {
    caps_rule rule = caps_rule::unknown;
    std::uint64_t effective = 0;  // the capabilities held there (bit N = capability N)
    bool all = false;             // every capability (owner_of_ancestor, or a full effective set)
    std::size_t owner = snapshot::npos;    // the user namespace asked about (index)
    std::size_t ancestor = snapshot::npos; // owner_of_ancestor: the namespace its euid created
    std::error_code error{};      // unknown: why
};

// Process `process` (index into snap.processes, read with
// scan_options::credentials) and namespace `ns` (index into snap.namespaces).
// The initial user namespace, which nothing owns, is asked about itself.
caps_answer capabilities_in(const snapshot& snap, std::size_t process, std::size_t ns);

// "cap_chown,cap_net_admin" (the kernel's names, lower case; cap_N past
// those nskit knows).
std::string capability_names(std::uint64_t mask);
// Every capability this kernel has (/proc/sys/kernel/cap_last_cap; 40 where unreadable).
std::uint64_t all_capabilities() noexcept;

} // namespace nskit::inspect
NSKIT_API_END
