// fuzz-sources: libs/nskit/src/net/reply.cpp libs/nskit/src/net/address.cpp libs/nskit/src/sys/error.cpp
// fuzz-runs: 1000000
// libFuzzer target: arbitrary bytes as a datagram from the kernel, through the
// same walker and decoders nskit::net::netlink uses.
#include <nskit/net/detail/reply.hpp>

#include <linux/netlink.h>

#include <cstdint>
#include <cstring>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size < 2)
        return 0;
    // First byte picks the request's shape; the rest is the datagram, copied
    // to a 4-byte aligned buffer as recvmsg() would deliver it.
    const bool dump = data[0] & 1;
    std::vector<std::uint32_t> aligned((size - 1 + 3) / 4);
    std::memcpy(aligned.data(), data + 1, size - 1);

    nskit::net::detail::reply_state st;
    st.dump = dump;
    if (size - 1 >= sizeof(nlmsghdr)) { // match the first message's seq/port so data gets decoded
        nlmsghdr h;
        std::memcpy(&h, data + 1, sizeof h);
        st.seq = h.nlmsg_seq;
        st.port_id = h.nlmsg_pid;
    }
    std::size_t decoded = 0;
    auto ec = nskit::net::detail::walk_datagram(aligned.data(), size - 1, st, [&](const nlmsghdr& m) {
        nskit::net::link_info l;
        nskit::net::address_info a;
        nskit::net::route_info r;
        if (!nskit::net::detail::decode_link(m, l))
            decoded += l.name.size() + l.mac.size() + l.kind.size();
        if (!nskit::net::detail::decode_address(m, a))
            decoded += a.label.size() + a.address.to_string().size() + a.local.to_string().size();
        if (!nskit::net::detail::decode_route(m, r))
            decoded += r.destination.to_string().size() + r.gateway.to_string().size();
        return std::error_code{};
    });
    (void)ec;
    (void)decoded;
    return 0;
}
