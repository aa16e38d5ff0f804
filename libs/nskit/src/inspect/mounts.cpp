#include <nskit/inspect/mounts.hpp>
#include <nskit/sys/error.hpp>
#include <nskit/sys/mount_list.hpp>

#include <sys/mount.h>

#include <new>

namespace nskit::inspect {
namespace {

// MOUNT_ATTR_* (5.12) in mountinfo's order (fs/proc_namespace.c show_mnt_opts).
std::string vfs_text(std::uint64_t a)
{
    std::string s = (a & 0x1) ? "ro" : "rw";
    if (a & 0x2) s += ",nosuid";
    if (a & 0x4) s += ",nodev";
    if (a & 0x8) s += ",noexec";
    const std::uint64_t atime = a & 0x70;
    if (atime == 0x10) s += ",noatime";
    if (a & 0x80) s += ",nodiratime";
    if (atime == 0x00) s += ",relatime";
    if (a & 0x200000) s += ",nosymfollow";
    return s;
}

std::string propagation_text(const sys::mount_stat& m)
{
    std::string s;
    auto add = [&](const std::string& part) { s += (s.empty() ? "" : " ") + part; };
    if (m.propagation & MS_SHARED)
        add("shared:" + std::to_string(m.peer_group));
    if (m.propagation & MS_SLAVE)
        add("master:" + std::to_string(m.master));
    if (m.propagation & MS_UNBINDABLE)
        add("unbindable");
    return s.empty() ? "private" : s;
}

mount_info from_stat(const sys::mount_stat& m)
{
    mount_info i;
    i.id = m.id;
    i.parent_id = m.parent_id;
    i.old_id = m.old_id;
    i.old_parent_id = m.old_parent_id;
    i.target = m.point;
    i.root = m.root;
    i.source = m.source;
    i.fstype = m.fs_type;
    i.vfs_options = vfs_text(m.attr);
    i.fs_options = std::string((m.sb_flags & MS_RDONLY) ? "ro" : "rw") + (m.options.empty() ? "" : "," + m.options);
    i.propagation = propagation_text(m);
    i.peer_group = (m.propagation & MS_SHARED) ? m.peer_group : 0;
    i.master = (m.propagation & MS_SLAVE) ? m.master : 0;
    return i;
}

} // namespace

std::vector<mount_info> mounts(int mntns_fd, std::error_code& ec)
{
    std::vector<mount_info> out;
    if (mntns_fd < 0) { // listmount would take it for the caller's namespace
        ec = std::make_error_code(std::errc::bad_file_descriptor);
        return out;
    }
    const sys::mount_ns_ref ns{0, mntns_fd};
    const auto ids = sys::listmount(ns, ec);
    if (ec)
        return out;
    try {
        out.reserve(ids.size());
        for (const auto id : ids) {
            const auto m = sys::statmount(id, ns, ec);
            if (ec == std::errc::no_such_file_or_directory) { // unmounted meanwhile
                ec.clear();
                continue;
            }
            if (ec) {
                out.clear();
                return out;
            }
            out.push_back(from_stat(m));
        }
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        out.clear();
    }
    return out;
}

std::vector<mount_info> mounts(int mntns_fd)
{
    std::error_code ec;
    auto v = mounts(mntns_fd, ec);
    throw_if(ec, op_kind::mount, "listmount/statmount(mount namespace fd " + std::to_string(mntns_fd) + ")");
    return v;
}

} // namespace nskit::inspect
