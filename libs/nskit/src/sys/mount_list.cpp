#include <nskit/sys/detail/syscall.hpp>
#include <nskit/sys/error.hpp>
#include <nskit/sys/mount_list.hpp>

#include <algorithm>
#include <cerrno>
#include <new>

// statmount / listmount (6.8); Debian 12's headers have neither (x86_64 numbers).
#ifndef SYS_statmount
#define SYS_statmount 457
#endif
#ifndef SYS_listmount
#define SYS_listmount 458
#endif

namespace nskit::sys {
namespace {

using nskit::detail::last_error;

// <linux/mount.h> of 6.18: mnt_id_req VER1 (mnt_ns_id 6.11; mnt_ns_fd in the
// former spare word, 6.18).
struct mnt_id_req {
    std::uint32_t size;
    std::uint32_t mnt_ns_fd;
    std::uint64_t mnt_id;
    std::uint64_t param;
    std::uint64_t mnt_ns_id;
};
constexpr std::uint32_t req_size_ver0 = 24, req_size_ver1 = 32;
constexpr std::uint64_t lsmt_root = ~0ULL;

// struct statmount of 6.18, up to the fields read here.
struct raw_statmount {
    std::uint32_t size, mnt_opts;
    std::uint64_t mask;
    std::uint32_t sb_dev_major, sb_dev_minor;
    std::uint64_t sb_magic;
    std::uint32_t sb_flags, fs_type;
    std::uint64_t mnt_id, mnt_parent_id;
    std::uint32_t mnt_id_old, mnt_parent_id_old;
    std::uint64_t mnt_attr, mnt_propagation, mnt_peer_group, mnt_master, propagate_from;
    std::uint32_t mnt_root, mnt_point;
    std::uint64_t mnt_ns_id;
    std::uint32_t fs_subtype, sb_source;
    std::uint32_t opt_num, opt_array, opt_sec_num, opt_sec_array;
    std::uint64_t supported_mask;
    std::uint32_t uidmap_num, uidmap, gidmap_num, gidmap;
    std::uint64_t spare[43];
    // char str[] follows
};
static_assert(sizeof(raw_statmount) == 512, "struct statmount's fixed part is 512 bytes");

enum : std::uint64_t {
    sm_sb_basic = 0x1, sm_mnt_basic = 0x2, sm_propagate_from = 0x4, sm_mnt_root = 0x8, sm_mnt_point = 0x10,
    sm_fs_type = 0x20, sm_mnt_ns_id = 0x40, sm_mnt_opts = 0x80, sm_sb_source = 0x200,
};

mnt_id_req request(mount_ns_ref ns, std::uint64_t id, std::uint64_t param) noexcept
{
    mnt_id_req r{req_size_ver0, 0, id, param, 0};
    if (ns.id != 0 || ns.fd >= 0) { // another namespace: VER1
        r.size = req_size_ver1;
        r.mnt_ns_id = ns.id;
        r.mnt_ns_fd = ns.fd >= 0 ? static_cast<std::uint32_t>(ns.fd) : 0;
    }
    return r;
}

std::string text_at(const raw_statmount& s, std::uint64_t bit, std::uint32_t off, std::size_t total)
{
    const std::size_t base = sizeof(raw_statmount);
    if (!(s.mask & bit) || base + off >= total)
        return {};
    const char* str = reinterpret_cast<const char*>(&s) + base + off;
    std::size_t n = 0;
    while (base + off + n < total && str[n] != '\0')
        ++n;
    return std::string(str, n);
}

} // namespace

std::vector<std::uint64_t> listmount(mount_ns_ref ns, std::error_code& ec)
{
    ec.clear();
    std::vector<std::uint64_t> out;
    try {
        constexpr std::size_t batch = 512;
        std::uint64_t last = 0;
        for (int round = 0; round < 1 << 16; ++round) { // bounded: 32M mounts
            const mnt_id_req req = request(ns, lsmt_root, last);
            out.resize(out.size() + batch);
            const long n = ::syscall(SYS_listmount, &req, out.data() + out.size() - batch, batch, 0);
            if (n < 0) {
                ec = last_error();
                out.clear();
                return out;
            }
            out.resize(out.size() - batch + static_cast<std::size_t>(n));
            if (static_cast<std::size_t>(n) < batch)
                break;
            last = out.back();
        }
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        out.clear();
    }
    return out;
}

std::vector<std::uint64_t> listmount(mount_ns_ref ns)
{
    std::error_code ec;
    auto v = listmount(ns, ec);
    throw_if(ec, op_kind::mount, "listmount(mount namespace id " + std::to_string(ns.id) + ", fd " + std::to_string(ns.fd) + ")");
    return v;
}

mount_stat statmount(std::uint64_t mount_id, mount_ns_ref ns, std::error_code& ec)
{
    ec.clear();
    mount_stat m;
    try {
        const mnt_id_req req = request(ns, mount_id,
                                       sm_sb_basic | sm_mnt_basic | sm_propagate_from | sm_mnt_root | sm_mnt_point |
                                           sm_fs_type | sm_mnt_ns_id | sm_mnt_opts | sm_sb_source);
        std::vector<std::uint64_t> buf;
        long r = -1;
        for (std::size_t size = 4096; size <= (1u << 22); size *= 2) { // strings grow: EOVERFLOW, retry bigger
            buf.assign(size / sizeof(std::uint64_t), 0);
            r = ::syscall(SYS_statmount, &req, buf.data(), size, 0);
            if (r == 0 || errno != EOVERFLOW)
                break;
        }
        if (r != 0) {
            ec = last_error();
            return m;
        }
        const auto& s = *reinterpret_cast<const raw_statmount*>(buf.data());
        const std::size_t total = std::min<std::size_t>(s.size, buf.size() * sizeof(std::uint64_t));
        m.mask = s.mask;
        m.id = s.mnt_id;
        m.parent_id = s.mnt_parent_id;
        m.old_id = s.mnt_id_old;
        m.old_parent_id = s.mnt_parent_id_old;
        m.dev_major = s.sb_dev_major;
        m.dev_minor = s.sb_dev_minor;
        m.sb_magic = s.sb_magic;
        m.sb_flags = s.sb_flags;
        m.attr = s.mnt_attr;
        m.propagation = s.mnt_propagation;
        m.peer_group = s.mnt_peer_group;
        m.master = s.mnt_master;
        m.propagate_from = s.propagate_from;
        m.mnt_ns_id = s.mnt_ns_id;
        m.fs_type = text_at(s, sm_fs_type, s.fs_type, total);
        m.root = text_at(s, sm_mnt_root, s.mnt_root, total);
        m.point = text_at(s, sm_mnt_point, s.mnt_point, total);
        m.options = text_at(s, sm_mnt_opts, s.mnt_opts, total);
        m.source = text_at(s, sm_sb_source, s.sb_source, total);
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
    }
    return m;
}

mount_stat statmount(std::uint64_t mount_id, mount_ns_ref ns)
{
    std::error_code ec;
    auto m = statmount(mount_id, ns, ec);
    throw_if(ec, op_kind::mount, "statmount(mount " + std::to_string(mount_id) + ")");
    return m;
}

} // namespace nskit::sys
