#include <nskit/inspect/namespace.hpp>

#include <sys/sysmacros.h>

#include <cstring>

namespace nskit::inspect {

std::string unknown_reason(const std::error_code& ec)
{
    if (!ec)
        return {};
    std::string why = ec.message();
    if (!why.empty())
        why[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(why[0])));
    return "unknown (" + why + ")";
}

std::string ns_id_text(const sys::ns_identity& id)
{
    if (id.id != 0)
        return std::to_string(id.id);
    const auto dev = static_cast<dev_t>(id.inode.dev);
    return std::to_string(major(dev)) + ":" + std::to_string(minor(dev)) + ":" + std::to_string(id.inode.ino);
}

std::string_view to_string(holder_kind k) noexcept
{
    switch (k) {
    case holder_kind::process: return "process";
    case holder_kind::thread: return "thread";
    case holder_kind::for_children: return "for_children";
    case holder_kind::fd: return "fd";
    case holder_kind::bind_mount: return "bind_mount";
    case holder_kind::socket: return "socket";
    case holder_kind::child: return "child";
    case holder_kind::owner: return "owner";
    case holder_kind::unseen: return "unseen";
    }
    return "?";
}

} // namespace nskit::inspect
