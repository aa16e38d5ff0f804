#include <nskit/sys/error.hpp>
#include <nskit/sys/ns_identity.hpp>

namespace nskit::sys {

ns_identity identify(int fd, std::error_code& ec) noexcept
{
    ns_identity out;
    out.type = ns_get_nstype(fd, ec);
    if (ec)
        return {};
    out.inode = ns_stat(fd, ec);
    if (ec)
        return {};
    if (probe_nsfs().get_id) {
        out.id = ns_get_id(fd, ec);
        if (ec)
            return {};
    }
    return out;
}

ns_identity identify(int fd)
{
    std::error_code ec;
    auto i = identify(fd, ec);
    throw_if(ec, op_kind::nsfs_ioctl, "ns_identify(fd " + std::to_string(fd) + ")");
    return i;
}

std::string to_string(const ns_identity& id)
{
    std::string s(to_string(id.type));
    s.append(":[").append(std::to_string(id.inode.ino)).append("]");
    if (id.id != 0)
        s.append(" id ").append(std::to_string(id.id));
    return s;
}

} // namespace nskit::sys
