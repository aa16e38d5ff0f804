// nskit/inspect/namespace.hpp — what the inspect layer knows about one
// namespace: identity, type, owner, parent, and everything that holds it alive.
#pragma once

#include <nskit/sys/ns_identity.hpp>
#include <nskit/sys/ns_type.hpp>
#include <nskit/sys/nsfs.hpp>

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>
#include <nskit/export.hpp>

NSKIT_API_BEGIN
namespace nskit::inspect {

using sys::ns_type;

// A value the kernel may refuse to give: either the value, or why not.
// Neither value nor error means "does not apply" (e.g. the parent of a net ns).
template <class T>
struct maybe {
    std::optional<T> value;
    std::error_code error;
    bool known() const noexcept { return value.has_value(); }
};

// "unknown (permission denied)" for an error, "" for none.
std::string unknown_reason(const std::error_code& ec);

// The NS column's text: the id when known ("4026531840" style numbers are
// inodes, ids are small), else "DEVMAJOR:DEVMINOR:INODE".
std::string ns_id_text(const sys::ns_identity& id);

// How a namespace is referenced.
enum class holder_kind {
    process,          // a process (thread-group leader) is in it
    thread,           // a thread (not its leader) is in it
    for_children,     // pid_for_children / time_for_children of a process
    fd,               // an open fd of a process points into nsfs
    bind_mount,       // an nsfs bind mount in some mount namespace
    socket,           // a socket created in it (net namespaces, SIOCGSKNS)
    child,            // it is the parent of another pid/user namespace
    owner,            // it is the user namespace owning another namespace
    unseen,           // mnt: the kernel lists it (NS_MNT_GET_NEXT) but nothing the scan
                      // can see holds it: an fd in flight over a unix socket, a process
                      // outside the scanned /proc, a bind mount in a mount namespace
                      // no visible process is in
};
std::string_view to_string(holder_kind k) noexcept;

// One reference to a namespace.  Which fields are set depends on `kind`:
//   process/thread/for_children: pid (tid for threads)
//   fd/socket: pid + fd
//   bind_mount: mount_ns (index into snapshot::namespaces) + path (as seen in it)
//   child/owner: other (index of the child / owned namespace)
//   unseen: nothing else
struct ns_reference {
    ns_reference() = default;
    ns_reference(holder_kind k, pid_t p, pid_t t, int f = -1) : kind(k), pid(p), tid(t), fd(f) {}
    holder_kind kind = holder_kind::process;
    pid_t pid = 0;
    pid_t tid = 0;
    int fd = -1;
    std::size_t mount_ns = npos;
    std::string path;
    std::size_t other = npos;
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);
};

struct namespace_info {
    ns_type type = ns_type::mnt;
    sys::ns_identity identity{};        // identity.type == type
    std::error_code id_error{};         // why identity.id is 0 (not opened, or NS_GET_ID failed)
    std::vector<std::size_t> processes{}; // indices into snapshot::processes, lowest pid first
    std::vector<std::size_t> threads{}; // non-leader threads (only with scan_options::threads)
    std::vector<ns_reference> holders{}; // for_children, fd, bind_mount and socket references
    maybe<std::size_t> owner{};         // owning user namespace (index); not for the initial user ns
    maybe<uid_t> owner_uid{};           // user namespaces: the uid that created it
    maybe<std::size_t> parent{};        // pid and user namespaces (index); none at the root
    maybe<std::int32_t> netnsid{};      // net: nsid as seen from the caller's net ns, where assigned
    maybe<std::uint32_t> mount_count{}; // mnt: NS_MNT_GET_INFO (6.12)
    bool initial = false;               // PID 1's (or, if unreadable, a kernel thread's) namespace

    // Is anything other than a child/owned namespace keeping it?
    bool has_processes() const noexcept { return !processes.empty() || !threads.empty(); }
};

} // namespace nskit::inspect
NSKIT_API_END
