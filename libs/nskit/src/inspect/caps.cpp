#include <nskit/inspect/caps.hpp>

#include <nskit/inspect/detail/proc_text.hpp>

#include <fcntl.h>

#include <array>
#include <new>

namespace nskit::inspect {
namespace {

// include/uapi/linux/capability.h, CAP_CHOWN (0) .. CAP_CHECKPOINT_RESTORE (40, Linux 5.9).
constexpr std::array<const char*, 41> cap_names = {
    "cap_chown",           "cap_dac_override",     "cap_dac_read_search", "cap_fowner",         "cap_fsetid",
    "cap_kill",            "cap_setgid",           "cap_setuid",          "cap_setpcap",        "cap_linux_immutable",
    "cap_net_bind_service", "cap_net_broadcast",   "cap_net_admin",       "cap_net_raw",        "cap_ipc_lock",
    "cap_ipc_owner",       "cap_sys_module",       "cap_sys_rawio",       "cap_sys_chroot",     "cap_sys_ptrace",
    "cap_sys_pacct",       "cap_sys_admin",        "cap_sys_boot",        "cap_sys_nice",       "cap_sys_resource",
    "cap_sys_time",        "cap_sys_tty_config",   "cap_mknod",           "cap_lease",          "cap_audit_write",
    "cap_audit_control",   "cap_setfcap",          "cap_mac_override",    "cap_mac_admin",      "cap_syslog",
    "cap_wake_alarm",      "cap_block_suspend",    "cap_audit_read",      "cap_perfmon",        "cap_bpf",
    "cap_checkpoint_restore"};

constexpr auto user_entry = static_cast<std::size_t>(sys::ns_type::user);

// The user namespace the question is about: the namespace's owner (for a
// user namespace, its parent); the initial user namespace itself.
std::size_t owner_of(const snapshot& s, std::size_t ns, std::error_code& ec)
{
    const auto& n = s.namespaces[ns];
    if (n.owner.value)
        return *n.owner.value;
    if (n.owner.error) {
        ec = n.owner.error;
        return snapshot::npos;
    }
    return n.type == sys::ns_type::user ? ns : snapshot::npos;
}

} // namespace

std::string_view to_string(caps_rule r) noexcept
{
    switch (r) {
    case caps_rule::same_user_namespace: return "same_user_namespace";
    case caps_rule::owner_of_ancestor: return "owner_of_ancestor";
    case caps_rule::outside: return "outside";
    case caps_rule::not_owner: return "not_owner";
    case caps_rule::unknown: return "unknown";
    }
    return "?";
}

caps_answer capabilities_in(const snapshot& s, std::size_t process, std::size_t ns)
{
    caps_answer a;
    const auto& p = s.processes[process];
    a.owner = owner_of(s, ns, a.error);
    const std::size_t own = p.ns[user_entry];
    if (a.owner == snapshot::npos || own == process_info::none) {
        if (!a.error)
            a.error = own == process_info::none && p.ns_errors[user_entry] ? p.ns_errors[user_entry]
                                                                           : std::make_error_code(std::errc::no_such_file_or_directory);
        return a;
    }
    if (!p.euid || !p.cap_effective) {
        a.error = p.credentials_error ? p.credentials_error : std::make_error_code(std::errc::operation_not_permitted);
        return a;
    }
    bool below = false;
    for (std::size_t x = a.owner, depth = 0; depth < 64; ++depth) {
        if (x == own) { // kernel: ns == cred->user_ns -> cap_raised(cred->cap_effective)
            a.rule = below ? caps_rule::owner_of_ancestor : caps_rule::same_user_namespace;
            if (!below) {
                a.effective = *p.cap_effective;
                a.all = (a.effective & all_capabilities()) == all_capabilities();
            }
            return a;
        }
        const auto& up = s.namespaces[x].parent;
        if (!up.value) {
            a.rule = up.error ? caps_rule::unknown : caps_rule::outside;
            a.error = up.error;
            return a;
        }
        // kernel: ns->parent == cred->user_ns && uid_eq(ns->owner, cred->euid) -> every capability
        const auto& owner_uid = s.namespaces[x].owner_uid;
        if (*up.value == own && owner_uid.value && *owner_uid.value == *p.euid) {
            a.rule = caps_rule::owner_of_ancestor;
            a.effective = all_capabilities();
            a.all = true;
            a.ancestor = x;
            return a;
        }
        if (*up.value == own && !owner_uid.value) {
            a.error = owner_uid.error;
            return a;
        }
        below = true;
        x = *up.value;
        if (x == own) {
            a.rule = caps_rule::not_owner;
            return a;
        }
    }
    a.error = std::make_error_code(std::errc::too_many_links);
    return a;
}

std::string capability_names(std::uint64_t mask)
{
    std::string out;
    for (unsigned i = 0; i < 64; ++i)
        if (mask & (std::uint64_t{1} << i))
            out += (out.empty() ? "" : ",") + (i < cap_names.size() ? std::string(cap_names[i]) : "cap_" + std::to_string(i));
    return out;
}

std::uint64_t all_capabilities() noexcept
{
    static const std::uint64_t mask = []() noexcept {
        std::uint64_t last = 40; // CAP_CHECKPOINT_RESTORE, Linux 5.9: when the file cannot be read
        try {
            std::error_code ec;
            std::string text = detail::read_text_at(AT_FDCWD, "/proc/sys/kernel/cap_last_cap", ec);
            while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
                text.pop_back();
            if (ec || !detail::parse_decimal(text, last) || last > 63)
                last = 40;
        } catch (const std::bad_alloc&) {
            last = 40;
        }
        return last == 63 ? ~std::uint64_t{0} : (std::uint64_t{1} << (last + 1)) - 1;
    }();
    return mask;
}

} // namespace nskit::inspect
