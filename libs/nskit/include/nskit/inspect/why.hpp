// nskit/inspect/why.hpp — "why is this namespace alive?": every reference
// holding one namespace, and naming a namespace the way users type it.
#pragma once

#include <nskit/inspect/scan.hpp>

#include <cstddef>
#include <string_view>
#include <system_error>
#include <vector>
#include <nskit/export.hpp>

NSKIT_API_BEGIN
namespace nskit::inspect {

// Every reference to namespace `index` of `snap`: processes, threads,
// pid/time_for_children, fds (pid + fd), bind mounts (mount ns + path),
// sockets, child namespaces (pid/user parent) and namespaces it owns (user).
std::vector<ns_reference> why_alive(const snapshot& snap, std::size_t index);

// Find a namespace by what a user typed: a path to a namespace file (contains
// '/'), "TYPE:[INODE]", an inode number (what /proc/PID/ns links and stat
// show), or ":ID", an NS_GET_ID id (Linux 6.18).  Errors: errno of opening the path, nskit::error::not_a_namespace
// when the path is not a namespace, std::errc::no_such_file_or_directory when
// nothing in the snapshot matches, std::errc::invalid_argument for unparsable text.
std::size_t find_namespace(const snapshot& snap, std::string_view spec, std::error_code& ec);
std::size_t find_namespace(const snapshot& snap, std::string_view spec);

} // namespace nskit::inspect
NSKIT_API_END
