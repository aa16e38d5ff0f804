// nskit/net/netlink.hpp — links, addresses and routes over rtnetlink.
//
// A `netlink` object is one NETLINK_ROUTE socket, and a netlink socket talks
// to the network namespace it was opened in for its whole life.  So:
//   netlink::open()            works on the calling thread's current netns;
//   netlink::open_in(ns_fd)    works on another netns: the calling thread
//                              setns()es there, opens the socket and setns()es
//                              straight back (microseconds; only this thread
//                              moves, and only during open_in).
// Every later call on that object acts in that namespace, whatever the
// thread's namespace is by then.  One object is not thread-safe: use one per
// thread (or lock around it).  Requests are synchronous: NLM_F_ACK, a
// unique sequence number, replies matched on sequence and port id.
//
// Errors: kernel errors in std::system_category(); bad input (checked before
// any request) and malformed replies in nskit::error.  The kernel's extended
// ack text, when it sends one, is in last_error_detail() and in the text of
// the exceptions the throwing forms raise.
#pragma once

#include <nskit/net/address.hpp>

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>
#include <nskit/export.hpp>

NSKIT_API_BEGIN
namespace nskit::net {

// Context of the last failed nskit::net call in this thread: the step and the
// kernel's extended ack message, e.g. "address add(10.0.0.1/24, dev 3): <extack>".
// Set by every failing call (successful calls leave it alone).
const std::string& last_error_detail() noexcept;

// Where to put a link: a namespace fd (/proc/PID/ns/net or a bind mount), a
// pidfd (its netns, via PIDFD_GET_NET_NAMESPACE, 6.11+) or a plain pid.
struct netns_target {
    enum class kind { current, fd, pidfd, pid };
    kind how = kind::current;
    int value = -1;
    static netns_target current() noexcept { return {}; }
    static netns_target from_fd(int ns_fd) noexcept { return {kind::fd, ns_fd}; }
    static netns_target from_pidfd(int pidfd) noexcept { return {kind::pidfd, pidfd}; }
    static netns_target from_pid(pid_t pid) noexcept { return {kind::pid, static_cast<int>(pid)}; }
};

struct link_info {
    int index = 0;
    std::string name{};
    std::string kind{};          // IFLA_INFO_KIND: "veth", "dummy", ... ("" for lo / physical)
    unsigned type = 0;           // ARPHRD_* (ARPHRD_ETHER 1, ARPHRD_LOOPBACK 772)
    unsigned flags = 0;          // IFF_*
    unsigned mtu = 0;
    std::vector<std::uint8_t> mac{};
    int peer_index = 0;          // IFLA_LINK (veth: the peer's index, in its netns)
    int peer_netnsid = -1;       // IFLA_LINK_NETNSID: peer's netns id as seen here, -1 unknown
    int master = 0;              // IFLA_MASTER
    unsigned operstate = 0;      // IF_OPER_*

    bool up() const noexcept;    // IFF_UP
    std::string mac_string() const;
};

struct address_info {
    int index = 0;
    int family = 0;
    unsigned prefix_len = 0;
    ip_address address{};        // IFA_ADDRESS (the peer on point-to-point links)
    ip_address local{};          // IFA_LOCAL (empty for IPv6 without a peer)
    unsigned scope = 0;          // RT_SCOPE_*
    unsigned flags = 0;          // IFA_F_*
    std::string label{};
    cidr prefix() const { return {local.empty() ? address : local, prefix_len}; }
};

struct route_info {
    int family = 0;
    cidr destination{};          // prefix_len 0: default route
    ip_address gateway{};        // empty: directly connected
    ip_address source{};         // RTA_PREFSRC
    int oif = 0;
    unsigned metric = 0;
    unsigned table = 0;          // RT_TABLE_MAIN 254, RT_TABLE_LOCAL 255
    unsigned protocol = 0;       // RTPROT_*
    unsigned scope = 0;
    unsigned type = 0;           // RTN_*
    bool is_default() const noexcept { return destination.prefix_len == 0; }
};

// What add_route/delete_route send.  destination with prefix_len 0 is the
// default route of its family.  Give a gateway, a device, or both.
struct route_spec {
    cidr destination{};
    ip_address gateway{};
    int oif = 0;
    unsigned metric = 0;
    unsigned table = 254;        // RT_TABLE_MAIN
};

struct veth_options {
    std::string name{};                 // end created in this object's netns
    std::string peer_name{};
    netns_target peer_netns{};          // where the peer is created (one request, no move)
    std::string mac{}, peer_mac{};      // "02:..", empty = random
    unsigned mtu = 0;                   // 0 = kernel default, both ends
    bool ipv6_addr_gen = true;          // false: IN6_ADDR_GEN_MODE_NONE on both ends (before any is up)
    bool up = false;                    // bring this end up in the create request itself
};

struct veth_pair {
    int index = 0;                      // the end in this object's netns
    int peer_index = 0;                 // the peer, numbered in its own netns
};

// How add_address adds.
struct address_options {
    bool nodad = false;                 // IFA_F_NODAD: usable at once, no duplicate detection
    ip_address peer{};                  // point-to-point peer (IFA_ADDRESS), empty = none
};

class netlink {
public:
    // Socket in the calling thread's current netns.
    static netlink open(std::error_code& ec) noexcept;
    static netlink open();
    // Socket in the netns `ns_fd` refers to (setns there and back, see top).
    static netlink open_in(int ns_fd, std::error_code& ec) noexcept;
    static netlink open_in(int ns_fd);

    netlink() noexcept;
    netlink(netlink&&) noexcept;
    netlink& operator=(netlink&&) noexcept;
    ~netlink();
    bool valid() const noexcept;
    std::uint32_t port_id() const noexcept;

    // --- links ---
    std::vector<link_info> links(std::error_code& ec) noexcept;
    std::vector<link_info> links();
    // ENODEV when there is no such link.
    link_info link(std::string_view name, std::error_code& ec) noexcept;
    link_info link(std::string_view name);
    link_info link(int index, std::error_code& ec) noexcept;
    link_info link(int index);
    int index_of(std::string_view name, std::error_code& ec) noexcept;
    int index_of(std::string_view name);

    void set_up(int index, std::error_code& ec) noexcept;
    void set_up(int index);
    void set_down(int index, std::error_code& ec) noexcept;
    void set_down(int index);
    void set_mtu(int index, unsigned mtu, std::error_code& ec) noexcept;
    void set_mtu(int index, unsigned mtu);
    void set_mac(int index, std::string_view mac, std::error_code& ec) noexcept;
    void set_mac(int index, std::string_view mac);
    void rename(int index, std::string_view new_name, std::error_code& ec) noexcept;
    void rename(int index, std::string_view new_name);
    // Switch IPv6 address generation off (IN6_ADDR_GEN_MODE_NONE) or back on (EUI64).
    void set_ipv6_addr_gen(int index, bool on, std::error_code& ec) noexcept;
    void set_ipv6_addr_gen(int index, bool on);
    void delete_link(int index, std::error_code& ec) noexcept;
    void delete_link(int index);
    // Delete a veth pair this process made, by index, but only while the
    // link at made.index is still that end: name `name`, kind veth and peer
    // made.peer_index (0: any).  An index names one link for its life,
    // while a name is free for anyone to take once the link is gone or
    // renamed: never delete by name.  Errors: ENODEV when no link has the
    // index (already gone); nskit::error::link_changed when another link has
    // it or the end was renamed, and then nothing is deleted and
    // last_error_detail() says what is there now.
    void delete_veth(const veth_pair& made, std::string_view name, std::error_code& ec) noexcept;
    void delete_veth(const veth_pair& made, std::string_view name);
    // Move a link to another netns (the kernel takes ~20 ms here: prefer
    // creating the link in place, e.g. veth_options::peer_netns).
    void move_link(int index, const netns_target& to, std::error_code& ec) noexcept;
    void move_link(int index, const netns_target& to);

    // Create a veth pair; returns both ends' indexes (NLM_F_ECHO: no look-up).
    // The kernel creates both ends in one request: on failure neither exists.
    // ipv6_addr_gen = false costs one request per end after the create (the
    // kernel refuses IFLA_AF_SPEC in a create request); a failure there
    // deletes the pair again.
    veth_pair create_veth_pair(const veth_options& o, std::error_code& ec) noexcept;
    veth_pair create_veth_pair(const veth_options& o);
    int create_veth(const veth_options& o, std::error_code& ec) noexcept; // create_veth_pair().index
    int create_veth(const veth_options& o);

    // --- addresses ---
    void add_address(int index, const cidr& a, std::error_code& ec, const address_options& o = {}) noexcept;
    void add_address(int index, const cidr& a, const address_options& o = {});
    void delete_address(int index, const cidr& a, std::error_code& ec) noexcept;
    void delete_address(int index, const cidr& a);
    // family: AF_INET, AF_INET6 or 0 for both; index 0 = every link.
    std::vector<address_info> addresses(int family, int index, std::error_code& ec) noexcept;
    std::vector<address_info> addresses(int family = 0, int index = 0);

    // --- routes ---
    void add_route(const route_spec& r, std::error_code& ec) noexcept;
    void add_route(const route_spec& r);
    void delete_route(const route_spec& r, std::error_code& ec) noexcept;
    void delete_route(const route_spec& r);
    // Routes of the main table (table 0: every table).
    std::vector<route_info> routes(int family, std::error_code& ec, unsigned table = 254) noexcept;
    std::vector<route_info> routes(int family = 0, unsigned table = 254);

    struct impl;

private:
    friend struct detail_access; // the net layer's own sources
    explicit netlink(std::unique_ptr<impl> p) noexcept;
    std::unique_ptr<impl> impl_;
};

} // namespace nskit::net
NSKIT_API_END
