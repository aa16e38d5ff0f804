// nskit/sys/clone_flags.hpp — every CLONE_ flag as a typed set, with names,
// parsing/formatting, and the kernel's validity rules checked up front.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <nskit/export.hpp>

NSKIT_API_BEGIN
namespace nskit::sys {

// Values are the kernel's (uapi/linux/sched.h).  CLONE_NEWTIME shares bit 7
// with the legacy exit-signal byte (CSIGNAL): nskit therefore never stores an
// exit signal inside a clone_flags; clone()/clone3() take it separately.
enum class clone_flag : std::uint64_t {
    newtime        = 0x00000080,   // 5.6, unshare/clone3 only (clone(): bit is CSIGNAL)
    vm             = 0x00000100,
    fs             = 0x00000200,
    files          = 0x00000400,
    sighand        = 0x00000800,
    pidfd          = 0x00001000,   // 5.2
    ptrace         = 0x00002000,
    vfork          = 0x00004000,
    parent         = 0x00008000,
    thread         = 0x00010000,
    newns          = 0x00020000,
    sysvsem        = 0x00040000,
    settls         = 0x00080000,
    parent_settid  = 0x00100000,
    child_cleartid = 0x00200000,
    detached       = 0x00400000,   // legacy: ignored by the kernel since 2.6.2
    untraced       = 0x00800000,
    child_settid   = 0x01000000,
    newcgroup      = 0x02000000,   // 4.6
    newuts         = 0x04000000,
    newipc         = 0x08000000,
    newuser        = 0x10000000,   // 3.8 (unprivileged)
    newpid         = 0x20000000,
    newnet         = 0x40000000,
    io             = 0x80000000,
    clear_sighand  = 0x100000000ULL, // 5.5, clone3 only
    into_cgroup    = 0x200000000ULL, // 5.7, clone3 only
};

// The legacy exit-signal byte of clone(2)'s flags word.
inline constexpr std::uint64_t csignal_mask = 0xff;

class clone_flags {
public:
    constexpr clone_flags() noexcept = default;
    constexpr clone_flags(clone_flag f) noexcept : bits_(static_cast<std::uint64_t>(f)) {}
    // Raw bits from the kernel ABI; unknown bits are kept (see known()).
    static constexpr clone_flags from_bits(std::uint64_t bits) noexcept
    {
        clone_flags f;
        f.bits_ = bits;
        return f;
    }
    constexpr std::uint64_t bits() const noexcept { return bits_; }
    constexpr bool empty() const noexcept { return bits_ == 0; }
    constexpr bool contains(clone_flags f) const noexcept { return (bits_ & f.bits_) == f.bits_ && !f.empty(); }
    constexpr bool intersects(clone_flags f) const noexcept { return (bits_ & f.bits_) != 0; }
    // Flags in this set that nskit does not know (future kernels).
    constexpr clone_flags unknown() const noexcept;
    // Only the CLONE_NEW* namespace flags of this set.
    constexpr clone_flags namespaces() const noexcept;

    constexpr clone_flags& operator|=(clone_flags o) noexcept { bits_ |= o.bits_; return *this; }
    constexpr clone_flags& operator&=(clone_flags o) noexcept { bits_ &= o.bits_; return *this; }
    constexpr clone_flags& operator-=(clone_flags o) noexcept { bits_ &= ~o.bits_; return *this; }
    friend constexpr clone_flags operator|(clone_flags a, clone_flags b) noexcept { return a |= b; }
    friend constexpr clone_flags operator&(clone_flags a, clone_flags b) noexcept { return a &= b; }
    friend constexpr clone_flags operator-(clone_flags a, clone_flags b) noexcept { return a -= b; }
    friend constexpr bool operator==(clone_flags, clone_flags) noexcept = default;

private:
    std::uint64_t bits_ = 0;
};

constexpr clone_flags operator|(clone_flag a, clone_flag b) noexcept { return clone_flags(a) | b; }

struct clone_flag_info {
    clone_flag flag;
    std::string_view name;        // "newnet", "vm", ... (CLONE_ prefix dropped, lower case)
    std::string_view short_name;  // lsns/unshare type name for namespace flags ("net"), else == name
    std::string_view kernel;      // first kernel version that has it
    bool unshare_accepts;         // unshare(2) takes it
    bool clone3_only;             // only clone3 can pass it
};

// Every flag nskit knows, in bit order.
std::span<const clone_flag_info> all_clone_flags() noexcept;
const clone_flag_info* find_clone_flag(clone_flag f) noexcept;

// Mask of every known flag.
constexpr std::uint64_t known_clone_bits = 0x3ffffff80ULL;
constexpr clone_flags clone_flags::unknown() const noexcept { return from_bits(bits_ & ~known_clone_bits); }
constexpr std::uint64_t namespace_clone_bits = 0x80ULL | 0x20000ULL | 0x02000000ULL | 0x04000000ULL |
                                               0x08000000ULL | 0x10000000ULL | 0x20000000ULL | 0x40000000ULL;
constexpr clone_flags clone_flags::namespaces() const noexcept { return from_bits(bits_ & namespace_clone_bits); }

// Text <-> flags.  Parsing accepts a comma- or '|'-separated list of
// names in any of these spellings, case-insensitively:
//   "net", "newnet", "CLONE_NEWNET", the lsns type names (mnt, uts, ipc, net,
//   pid, user, cgroup, time) plus "mount"/"ns", and the non-namespace names
//   ("vm", "files", "sighand", "pidfd", "detached", ...).
// Empty text gives an empty set.  Unknown names: nskit::error::bad_flag_name.
clone_flags parse_clone_flags(std::string_view text, std::error_code& ec) noexcept;
clone_flags parse_clone_flags(std::string_view text);
// Formats with the short names, in bit order, comma-separated: "mnt,net".
// Unknown bits are printed as a hex number.
std::string to_string(clone_flags flags);

// Validity rules (documented in doc/sys.md), checked before the syscall.
// unshare(2): only newns, newcgroup, newuts, newipc, newuser, newpid, newnet,
//   newtime, files, fs, sysvsem, vm, sighand, thread are accepted.
std::error_code check_unshare_flags(clone_flags flags) noexcept;
// clone(2)/clone3(2): the combinations copy_process() refuses with EINVAL:
//   newns|fs, newuser|fs, thread without sighand, sighand without vm,
//   thread|newuser, thread|newpid, sighand|clear_sighand, pidfd|detached,
//   newtime outside clone3 (legacy clone reads the bit as CSIGNAL),
//   clear_sighand/into_cgroup outside clone3.
std::error_code check_clone_flags(clone_flags flags, bool via_clone3) noexcept;

} // namespace nskit::sys
NSKIT_API_END
