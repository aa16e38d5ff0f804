// nskit/ns/options.hpp — what namespaces to create and how to set them up.
// The model is Sys::Linux::Namespace: describe the namespaces, then engage
// them in this process (setup) or run code / a program in them (run, spawn).
#pragma once

#include <nskit/net/recipes.hpp>
#include <nskit/ns/environment.hpp>
#include <nskit/ns/fs_view.hpp>
#include <nskit/ns/rlimit.hpp>
#include <nskit/sys/clone_flags.hpp>

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>
#include <nskit/export.hpp>

NSKIT_API_BEGIN
namespace nskit::ns {

// One line of /proc/PID/uid_map or gid_map: `inside outside count`.
struct id_range {
    std::uint32_t inside = 0;
    std::uint32_t outside = 0;
    std::uint32_t count = 1;
    friend bool operator==(const id_range&, const id_range&) = default;
};

// Parses "0 1000 1" lines or ranges separated by ',' or newlines; also the
// short form "INSIDE:OUTSIDE:COUNT".  Rejects (nskit::error::bad_id_map)
// empty text, garbage, zero counts, overflow, overlapping ranges and more
// than 340 lines — the checks the kernel makes, made before any side effect.
std::vector<id_range> parse_id_map(std::string_view text, std::error_code& ec) noexcept;
std::vector<id_range> parse_id_map(std::string_view text);
// The text written to uid_map/gid_map: one "inside outside count\n" per range.
std::string format_id_map(const std::vector<id_range>& map);

struct user_options {
    // Empty maps: the caller's euid/egid becomes root inside (like `unshare -r`).
    std::vector<id_range> uid_map{};
    std::vector<id_range> gid_map{};
    // Write "deny" to setgroups before gid_map.  Required for an unprivileged
    // caller's gid_map; a privileged caller may keep setgroups(2) allowed.
    bool deny_setgroups = true;
};

struct tmp_options {
    std::string size{};            // tmpfs size= ("64m", "10%"); empty: kernel default (half of RAM)
    mode_t mode = 01777;           // mode of the tmpfs root
    std::string extra{};           // more tmpfs data, e.g. "nr_inodes=1k,huge=never"
    bool nosuid = true, nodev = true, noexec = false;
};

// tmpfs options as text, items separated by ',': size=SIZE, mode=OCTAL (at
// most 07777; digits only, no sign or blank), exec, noexec; any other item
// goes to `extra` as is, in order, for the kernel to judge at the mount.
// Empty text: the defaults.  A bad mode: std::errc::invalid_argument; the
// throwing form's text names the value: "bad tmpfs mode '99' (octal, e.g. 1777)".
tmp_options parse_tmp_options(std::string_view text, std::error_code& ec) noexcept;
tmp_options parse_tmp_options(std::string_view text);

// options::veth is the net layer's veth_recipe: local_name (and
// local_address) is the end outside, in local_netns_fd's namespace (-1:
// the caller's); peer_name (and peer_address) the end inside the new
// network namespace, "eth0" when empty.  peer_netns_fd is that new
// namespace: nskit fills it in, so it must be -1 here.
// Checks a veth request before any side effect (options::validate() does,
// so run, spawn and setup refuse it before the first clone or unshare):
//   local_name,     net::check_interface_name (peer_name empty: "eth0");
//   peer_name
//   local_address,  each empty (none) or net::parse_interface_address: a
//   peer_address    CIDR, IPv4 or IPv6, not the unspecified address
//                   (0.0.0.0, ::) nor a multicast one;
//   both given      one family, and not the same address on both ends;
//   peer_netns_fd   -1 (std::errc::invalid_argument otherwise).
// Errors: nskit::error::bad_interface_name, bad_address, bad_prefix_length.
// The throwing form's text names the field and the value, e.g.
// "veth address '10.0.0.1/33': prefix length 33 out of range 0..32: bad prefix length".
void check_veth(const net::veth_recipe& v, std::error_code& ec) noexcept;
void check_veth(const net::veth_recipe& v);

// The offsets a new time namespace accepts for `clock` (CLOCK_MONOTONIC or
// CLOCK_BOOTTIME) now.  The kernel (kernel/time/namespace.c,
// proc_timens_set_offset, 5.6) refuses with ERANGE an offset that puts the
// host's clock below 0 or above KTIME_SEC_MAX / 2 = 4611686018 s: the range
// is [-now, 4611686018.999999999 s - now].  `now` is the host's clock: the
// caller's own time namespace offset (/proc/self/timens_offsets) is taken
// off what clock_gettime says.  The upper end shrinks as the clock runs.
struct time_offset_range {
    std::chrono::nanoseconds min{0}, max{0};
};
time_offset_range time_offset_limits(int clock, std::error_code& ec) noexcept;
time_offset_range time_offset_limits(int clock);
// std::errc::result_out_of_range outside time_offset_limits(clock) (EINVAL
// for another clock); the throwing form's text names the clock, the
// offset and the range: "monotonic offset -700 s: the clock would be
// -89.3 s; allowed -610.7 s to 4611685407.9 s (the clock plus the offset
// within 0..4611686018 s)".
void check_time_offset(int clock, std::chrono::nanoseconds offset, std::error_code& ec) noexcept;
void check_time_offset(int clock, std::chrono::nanoseconds offset);

struct options {
    // --- Sys::Linux::Namespace's options ---
    bool mount = false;                       // private_mount: mounts made recursively private first
    std::optional<tmp_options> tmp{};         // private_tmp: implies mount
    bool pid = false;                         // private_pid: needs run() or spawn()
    bool proc = true;                         // !no_proc: fresh /proc in the PID namespace (implies mount)
    bool net = false;                         // private_net, with loopback up
    bool ipc = false;                         // private_ipc
    std::optional<user_options> user{};       // private_user, maps written
    bool uts = false;                         // private_uts
    bool sysvsem = false;                     // private_sysvsem: a fresh semaphore undo list
    // --- more ---
    std::optional<net::veth_recipe> veth{};   // implies net; see check_veth
    std::string hostname{}, domainname{};     // imply uts
    bool cgroup = false;
    bool time = false;                        // CLOCK_MONOTONIC / CLOCK_BOOTTIME offsets
    std::chrono::nanoseconds monotonic_offset{0}, boottime_offset{0}; // imply time
    int cgroup_fd = -1;                       // run/spawn: CLONE_INTO_CGROUP this cgroup directory fd

    // --- the program's filesystem view, environment and limits ---
    // The view's steps, in order, in the new mount namespace (a view implies
    // mount): after /tmp and /proc, before the working directory is looked up
    // again (inside the view; with a new root, inside it: see fs_view.hpp).
    fs_view view{};
    // run/spawn: the payload's environment, made from the caller's (spawn:
    // spawn_options::env then overrides).  setup() refuses a non-empty one:
    // it would edit the caller's environment under its other threads.
    env_options env{};
    // Set in order on the payload right before the callable or exec
    // (setup(): on the caller), so an init is not bound by them.
    std::vector<rlimit_setting> rlimits{};

    // --- child lifecycle (run, and spawn's supervise) ---
    // kill_child: on a signal to the parent, forward it, then send
    // kill_signal, then SIGKILL after kill_grace (the seed's default 0.2 s).
    bool kill_child = true;
    int kill_signal = 15;                     // SIGTERM
    std::chrono::milliseconds kill_grace{200};
    bool die_with_parent = false;             // PR_SET_PDEATHSIG(SIGKILL) plus a pidfd check
    // run/spawn: the payload (and an init) call setsid() before the callable
    // or exec: no controlling terminal, so no TIOCSTI into the caller's
    // terminal; stdin/stdout stay what they were.  setup() ignores it.
    bool new_session = true;

    // Effective namespace flags (the implications above applied).
    sys::clone_flags namespaces() const noexcept;
    // Checks the request before any side effect (nskit::error / errc):
    // host and domain name at most 64 bytes, kill_signal and kill_grace,
    // tmp's mode and options, the veth (check_veth), each id map (no zero
    // count, no overlap, at most 340 ranges, and its text shorter than the
    // kernel's one-write limit of a page, 4096 bytes), the time offsets
    // (check_time_offset), the view (ns::validate), the environment's
    // names, each limit (a known resource, soft at most hard).
    std::error_code validate() const noexcept;
    // validate()'s answer with the member refused ("hostname",
    // "user.uid_map", "monotonic_offset", ...) and a reason naming the value
    // and the rule ("hostname 'hhh...' is 65 bytes; the kernel's limit is 64").
    struct problem_t {
        std::error_code ec;       // empty: valid
        std::string_view field{}; // the member's name in this struct
        std::string reason{};
    };
    problem_t problem() const;
    // Throws std::system_error(ec, reason) when validate() refuses.
    void check() const;
};

} // namespace nskit::ns
NSKIT_API_END
