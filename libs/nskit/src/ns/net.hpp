// Private to the ns layer: network setup, kept in one place so the net layer
// is the only thing it depends on.
#pragma once

#include <nskit/ns/options.hpp>

#include <memory>
#include <string>
#include <system_error>

namespace nskit::ns::detail {

// check_veth's work: the error, and with `why` its text ("veth address
// '10.0.0.1/33': prefix length 33 out of range 0..32").
std::error_code veth_problem(const net::veth_recipe& v, std::string* why);

// The net layer's text for its last failure in this thread ("add peer
// address 10.0.0.2/24: ...").
std::string last_net_detail();

// The outer end of a veth pair made for a child: a netlink socket in its
// namespace (opened before the clone) and the end's index, name and peer.
struct outer_veth;
std::shared_ptr<outer_veth> prepare_outer_veth(const net::veth_recipe& v, std::error_code& ec) noexcept;

// net::connect_veth with peer_name "eth0" when empty; with `made`
// (prepared in r's local namespace), records the pair.
void make_veth(net::veth_recipe r, std::error_code& ec, outer_veth* made = nullptr) noexcept;

// Deletes the pair `made` records, by index, if its outer end is still
// there and still that end (net::netlink::delete_veth): the kernel removes
// the pair when the inner namespace dies, but asynchronously.  Already gone
// is the expected case; returns "" then and on success.  Otherwise the
// pair is left alone and the text says why ("veth delete(7, nsv0): link 7
// is now 'x' (kind dummy, peer 0): the link is no longer the one created
// (renamed or replaced): left alone").
std::string remove_veth(outer_veth& made) noexcept;

} // namespace nskit::ns::detail
