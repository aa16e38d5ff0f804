// nskit/net/address.hpp — IP addresses, CIDR prefixes and interface names,
// parsed strictly before anything reaches the kernel.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <nskit/export.hpp>

NSKIT_API_BEGIN
namespace nskit::net {

// An IPv4 or IPv6 address (family AF_INET or AF_INET6; 0 = none).
struct ip_address {
    int family = 0;
    std::array<std::uint8_t, 16> bytes{}; // network order; IPv4 uses the first 4

    bool empty() const noexcept { return family == 0; }
    bool is_v4() const noexcept;
    bool is_v6() const noexcept;
    std::size_t size() const noexcept; // 4, 16 or 0
    std::string to_string() const;     // "10.0.0.1", "fe80::1", "" when empty
    friend bool operator==(const ip_address&, const ip_address&) = default;
};

// An address with a prefix length, e.g. 10.0.0.1/24 (the host bits are kept).
struct cidr {
    ip_address address{};
    unsigned prefix_len = 0;

    std::string to_string() const; // "10.0.0.1/24"
    // True when `a` lies inside this prefix (same family, network bits equal).
    bool contains(const ip_address& a) const noexcept;
    friend bool operator==(const cidr&, const cidr&) = default;
};

// Dotted quad (exactly four decimal parts 0-255, no leading '+'/'-', no
// shorthand) or IPv6 text (inet_pton).  Errors: nskit::error::bad_address.
ip_address parse_address(std::string_view text, std::error_code& ec) noexcept;
ip_address parse_address(std::string_view text);

// "ADDR/LEN"; without "/LEN" the host prefix (32 or 128) is meant.  LEN is
// decimal digits only.  Errors: bad_address (address part, empty text),
// bad_prefix_length (empty, non-digit, negative, or above 32/128).
cidr parse_cidr(std::string_view text, std::error_code& ec) noexcept;
cidr parse_cidr(std::string_view text);

// An address to assign to an interface (a veth end): parse_cidr's rules,
// and refused (bad_address) when it is the unspecified address (0.0.0.0 or
// ::, which the kernel takes without assigning anything usable) or a
// multicast one (224.0.0.0/4, ff00::/8).  The throwing form's text names the
// value and the reason, e.g. "address '10.0.0.1/33': prefix length 33 out
// of range 0..32: bad prefix length".
cidr parse_interface_address(std::string_view text, std::error_code& ec) noexcept;
cidr parse_interface_address(std::string_view text);
// Why `text` is not an interface address ("prefix length 33 out of range
// 0..32", "unspecified address"); empty when it is one.
std::string interface_address_problem(std::string_view text);

// Interface names as the kernel accepts them: 1-15 bytes, no '/', ':' or
// whitespace, not "." or "..".  Never truncated.  Error: bad_interface_name.
void check_interface_name(std::string_view name, std::error_code& ec) noexcept;
void check_interface_name(std::string_view name);

// "02:00:00:00:00:01" -> 6 bytes.  Error: bad_address.
std::array<std::uint8_t, 6> parse_mac(std::string_view text, std::error_code& ec) noexcept;
std::array<std::uint8_t, 6> parse_mac(std::string_view text);
std::string mac_to_string(const std::uint8_t* bytes, std::size_t len);

} // namespace nskit::net
NSKIT_API_END
