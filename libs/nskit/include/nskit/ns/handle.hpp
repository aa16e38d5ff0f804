// nskit/ns/handle.hpp — a handle to one namespace, with its identity.
#pragma once

#include <nskit/sys/ns_identity.hpp>
#include <nskit/sys/ns_type.hpp>
#include <nskit/sys/pidref.hpp>
#include <nskit/sys/unique_fd.hpp>

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <system_error>
#include <nskit/export.hpp>

NSKIT_API_BEGIN
namespace nskit::ns {

class namespace_handle {
public:
    namespace_handle() noexcept = default;
    // Takes ownership of an fd to a namespace; checks it is one (and of `expected`, if given).
    static namespace_handle adopt(unique_fd fd, std::error_code& ec) noexcept;
    static namespace_handle adopt(unique_fd fd);

    static namespace_handle from_pid(pid_t pid, sys::ns_type type, std::error_code& ec) noexcept;
    static namespace_handle from_pid(pid_t pid, sys::ns_type type);
    // The process's namespace by sys::pidref::open_namespace: from the
    // pidfd (6.11), else /proc/PID/ns/TYPE confirmed against the pidfd.
    static namespace_handle from_pidref(const sys::pidref& p, sys::ns_type type, std::error_code& ec) noexcept;
    static namespace_handle from_pidref(const sys::pidref& p, sys::ns_type type);
    // The same for a pidfd the caller keeps (race-free against pid reuse too).
    static namespace_handle from_pidfd(int pidfd, sys::ns_type type, std::error_code& ec) noexcept;
    static namespace_handle from_pidfd(int pidfd, sys::ns_type type);
    // /proc/PID/ns/TYPE or a bind mount (/run/netns/NAME).
    static namespace_handle from_path(const std::string& path, std::error_code& ec) noexcept;
    static namespace_handle from_path(const std::string& path);
    // This process's namespace of that type.
    static namespace_handle current(sys::ns_type type, std::error_code& ec) noexcept;
    static namespace_handle current(sys::ns_type type);

    bool valid() const noexcept { return fd_.valid(); }
    int fd() const noexcept { return fd_.get(); }
    sys::ns_type type() const noexcept { return identity_.type; }
    const sys::ns_identity& identity() const noexcept { return identity_; }

    // The user namespace owning this one.
    namespace_handle owner(std::error_code& ec) const noexcept;
    namespace_handle owner() const;
    // Parent of a pid or user namespace (EPERM at the root, EINVAL for other types).
    namespace_handle parent(std::error_code& ec) const noexcept;
    namespace_handle parent() const;
    // Owner uid of a user namespace (of the owning user namespace for other types).
    uid_t owner_uid(std::error_code& ec) const noexcept;
    uid_t owner_uid() const;
    // setns(2) into it.  A user or mount namespace needs a single-threaded caller.
    void enter(std::error_code& ec) const noexcept;
    void enter() const;

    friend bool operator==(const namespace_handle& a, const namespace_handle& b) noexcept
    {
        return a.identity_ == b.identity_;
    }

private:
    unique_fd fd_;
    sys::ns_identity identity_;
};

} // namespace nskit::ns
NSKIT_API_END
