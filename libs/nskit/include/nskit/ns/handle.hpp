// nskit/ns/handle.hpp — a handle to one namespace, with its identity.
#pragma once

#include <nskit/sys/ns_type.hpp>
#include <nskit/sys/unique_fd.hpp>

#include <sys/types.h>

#include <compare>
#include <cstdint>
#include <functional>
#include <string>
#include <system_error>

namespace nskit::ns {

// What makes two namespace files the same namespace.  NS_GET_ID (6.18) is
// never reused; before it, device + inode (reusable once the namespace dies).
struct ns_identity {
    sys::ns_type type = sys::ns_type::mnt;
    std::uint64_t id = 0;          // NS_GET_ID, 0 when the kernel lacks it
    std::uint64_t dev = 0, ino = 0;
    // Equal when the ids are equal (both set), else when dev+inode are.
    friend bool operator==(const ns_identity& a, const ns_identity& b) noexcept
    {
        if (a.type != b.type)
            return false;
        if (a.id != 0 && b.id != 0)
            return a.id == b.id;
        return a.dev == b.dev && a.ino == b.ino;
    }
    friend std::strong_ordering operator<=>(const ns_identity& a, const ns_identity& b) noexcept
    {
        if (auto c = a.type <=> b.type; c != 0)
            return c;
        if (a.id != 0 && b.id != 0)
            return a.id <=> b.id;
        if (auto c = a.dev <=> b.dev; c != 0)
            return c;
        return a.ino <=> b.ino;
    }
};
// "net:[4026531840]" (the /proc link text) plus " id N" when known.
std::string to_string(const ns_identity& id);

class namespace_handle {
public:
    namespace_handle() noexcept = default;
    // Takes ownership of an fd to a namespace; checks it is one (and of `expected`, if given).
    static namespace_handle adopt(unique_fd fd, std::error_code& ec) noexcept;
    static namespace_handle adopt(unique_fd fd);

    static namespace_handle from_pid(pid_t pid, sys::ns_type type, std::error_code& ec) noexcept;
    static namespace_handle from_pid(pid_t pid, sys::ns_type type);
    // Race-free against pid reuse: the pid is read from the pidfd and the
    // process checked alive after the /proc file is open.
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
    const ns_identity& identity() const noexcept { return identity_; }

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
    ns_identity identity_;
};

// Identity of a namespace fd (checks it is an nsfs file).
ns_identity identify(int ns_fd, std::error_code& ec) noexcept;
ns_identity identify(int ns_fd);

} // namespace nskit::ns

template <>
struct std::hash<nskit::ns::ns_identity> {
    // Consistent with ==: hash the id when the kernel has it, else dev+inode.
    std::size_t operator()(const nskit::ns::ns_identity& i) const noexcept
    {
        const std::uint64_t k = i.id != 0 ? i.id : (i.dev * 0x9e3779b97f4a7c15ULL) ^ i.ino;
        return std::hash<std::uint64_t>{}(k ^ (static_cast<std::uint64_t>(i.type) << 56));
    }
};
