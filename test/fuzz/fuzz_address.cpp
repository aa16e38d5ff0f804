// fuzz-sources: libs/nskit/src/net/address.cpp
// fuzz-runs: 500000
// libFuzzer target: any text as an address, a CIDR, an interface address
// (nsrun --addr, --peer-addr), an interface name (--veth) or a MAC.
// Accepted text formats back to itself (IPv4) or to text that parses to the
// same value; the explanation agrees with the verdict.
#include <nskit/net/address.hpp>
#include <nskit/sys/error.hpp>

#include "fuzz_support.hpp"

#include <arpa/inet.h>

#include <cctype>
#include <string>

namespace net = nskit::net;

namespace {

void check_address(std::string_view text)
{
    std::error_code ec;
    const auto a = net::parse_address(text, ec);
    if (ec) {
        FUZZ_CHECK(ec == nskit::error::bad_address && a.empty());
        return;
    }
    FUZZ_CHECK(a.is_v4() || a.is_v6());
    FUZZ_CHECK(text.find('\0') == std::string_view::npos); // nothing after a NUL is ignored
    const auto back = a.to_string();
    if (a.is_v4())
        FUZZ_CHECK(back == text); // dotted quad, no leading zeros: one spelling
    FUZZ_CHECK(net::parse_address(back, ec) == a && !ec);
}

void check_cidr(std::string_view text)
{
    std::error_code ec;
    const auto c = net::parse_cidr(text, ec);
    const auto problem = net::interface_address_problem(text);
    if (ec) {
        FUZZ_CHECK(ec == nskit::error::bad_address || ec == nskit::error::bad_prefix_length);
        FUZZ_CHECK(!problem.empty());
        nskit_fuzz::throws_same([&] { net::parse_cidr(text); }, ec);
    } else {
        FUZZ_CHECK(c.prefix_len <= c.address.size() * 8);
        FUZZ_CHECK(c.contains(c.address));
        const auto back = c.to_string();
        FUZZ_CHECK(net::parse_cidr(back, ec) == c && !ec);
    }
    const auto i = net::parse_interface_address(text, ec);
    FUZZ_CHECK(!ec == problem.empty()); // refused exactly when there is a reason to give
    if (!ec) {
        FUZZ_CHECK(i == c);
        FUZZ_CHECK(net::parse_interface_address(i.to_string(), ec) == i && !ec);
    }
}

void check_name(std::string_view text)
{
    std::error_code ec;
    net::check_interface_name(text, ec);
    if (ec)
        return;
    FUZZ_CHECK(!text.empty() && text.size() <= 15 && text != "." && text != "..");
    for (unsigned char c : text)
        FUZZ_CHECK(c != '/' && c != ':' && c != 0 && !std::isspace(c));
}

void check_mac(std::string_view text)
{
    std::error_code ec;
    const auto mac = net::parse_mac(text, ec);
    if (ec)
        return;
    const auto back = net::mac_to_string(mac.data(), mac.size());
    FUZZ_CHECK(back.size() == text.size());
    for (std::size_t k = 0; k < back.size(); ++k)
        FUZZ_CHECK(back[k] == std::tolower(static_cast<unsigned char>(text[k])));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const auto text = nskit_fuzz::text(data, size);
    check_address(text);
    check_cidr(text);
    check_name(text);
    check_mac(text);
    return 0;
}
