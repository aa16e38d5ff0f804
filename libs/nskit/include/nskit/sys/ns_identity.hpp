// nskit/sys/ns_identity.hpp — what makes two namespace files the same
// namespace, with one equality rule for every layer.
#pragma once

#include <nskit/sys/ns_type.hpp>
#include <nskit/sys/nsfs.hpp>

#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <system_error>
#include <nskit/export.hpp>

NSKIT_API_BEGIN
namespace nskit::sys {

// While a namespace is alive, its nsfs device + inode name it alone; the
// inode may be reused once it dies.  NS_GET_ID (6.18) is never reused.
//
// The rule: two identities are equal when type, device, inode and id are all
// equal.  identify() reads the id while an fd pins the namespace, and on a
// kernel with NS_GET_ID it always has it, so two identities of one live
// namespace are equal, and an identity kept after its namespace died never
// equals the namespace that reuses the inode.  Without NS_GET_ID (id 0 on
// both sides) device + inode decide.  The rule is transitive; hash and
// ordering (type, device, inode, id) agree with it.
struct ns_identity {
    ns_type type = ns_type::mnt;
    ns_inode inode{};        // device + inode of the nsfs file
    std::uint64_t id = 0;    // NS_GET_ID; 0 when the kernel lacks it

    friend bool operator==(const ns_identity&, const ns_identity&) = default;
    friend std::strong_ordering operator<=>(const ns_identity&, const ns_identity&) = default;
};

// The identity of a namespace fd (NS_GET_NSTYPE, fstat, NS_GET_ID where the
// kernel has it).  ENOTTY: not a namespace file.
ns_identity identify(int ns_fd, std::error_code& ec) noexcept;
ns_identity identify(int ns_fd);

// "net:[4026531840]" (the /proc link text), plus " id N" when the id is known.
std::string to_string(const ns_identity& id);

} // namespace nskit::sys

template <>
struct std::hash<nskit::sys::ns_identity> {
    std::size_t operator()(const nskit::sys::ns_identity& i) const noexcept
    {
        std::uint64_t h = static_cast<std::uint64_t>(i.type);
        for (std::uint64_t v : {i.inode.dev, i.inode.ino, i.id})
            h = (h ^ v) * 0x9e3779b97f4a7c15ULL;
        return static_cast<std::size_t>(h ^ (h >> 29));
    }
};
NSKIT_API_END
