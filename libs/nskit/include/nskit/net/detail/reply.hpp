// nskit/net/detail/reply.hpp — the rtnetlink reply parser, kept apart from
// the socket so it can be fuzzed on arbitrary bytes (test/fuzz).
#pragma once

#include <nskit/net/netlink.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <system_error>

struct nlmsghdr;

namespace nskit::net::detail {

// What the replies to one request have said so far.
struct reply_state {
    std::uint32_t seq = 0;     // the request's sequence number
    std::uint32_t port_id = 0; // our socket's port id
    bool dump = false;
    bool done = false;         // ack / error / NLMSG_DONE seen: stop reading
    bool interrupted = false;  // NLM_F_DUMP_INTR: the dump is inconsistent, restart it
    int error = 0;             // errno the kernel reported (positive), 0 = success
    std::string extack;        // NLMSGERR_ATTR_MSG, when the kernel sent one
    std::size_t stale = 0;     // messages for another request, dropped
};

using data_handler = std::function<std::error_code(const nlmsghdr& msg)>;

// Walk one datagram (`buf` 4-byte aligned).  Data messages of this request
// go to on_data; acks, errors and NLMSG_DONE update `st`.  Any length that
// does not add up, or a short NLMSG_ERROR/NLMSG_DONE: error::malformed_reply
// (a std::errc::bad_message condition).
std::error_code walk_datagram(const void* buf, std::size_t len, reply_state& st, const data_handler& on_data);

// Decode one RTM_NEWLINK / RTM_NEWADDR / RTM_NEWROUTE message; every
// attribute is validated (mnl_attr_validate) before it is read.
std::error_code decode_link(const nlmsghdr& msg, link_info& out);
std::error_code decode_address(const nlmsghdr& msg, address_info& out);
std::error_code decode_route(const nlmsghdr& msg, route_info& out);

} // namespace nskit::net::detail
