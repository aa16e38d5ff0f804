#include <nskit/net/address.hpp>

#include "test_support.hpp"

#include <nskit/sys/error.hpp>

#include <sys/socket.h>

using namespace nskit::net;

BOOST_AUTO_TEST_SUITE(net_address)

BOOST_AUTO_TEST_CASE(addresses_parse_and_print)
{
    auto a = parse_address("10.0.0.1");
    BOOST_TEST(a.family == AF_INET);
    BOOST_TEST(a.is_v4());
    BOOST_TEST(a.size() == 4u);
    BOOST_TEST(a.to_string() == "10.0.0.1");
    BOOST_TEST(parse_address("0.0.0.0").to_string() == "0.0.0.0");
    BOOST_TEST(parse_address("255.255.255.255").to_string() == "255.255.255.255");
    auto b = parse_address("fd00::1");
    BOOST_TEST(b.is_v6());
    BOOST_TEST(b.size() == 16u);
    BOOST_TEST(b.to_string() == "fd00::1");
    BOOST_TEST(parse_address("::ffff:1.2.3.4").is_v6());
    BOOST_TEST(ip_address{}.to_string().empty());
    BOOST_TEST(ip_address{}.empty());
}

BOOST_AUTO_TEST_CASE(bad_addresses_are_refused_precisely)
{
    for (const char* bad : {"", "300.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.4 ", " 1.2.3.4", "+1.2.3.4",
                            "-1.2.3.4", "1..2.3", "x", "abc", "1.2.3.256", "fd00:::1", "fd00::g", "1.2.3.4/",
                            "::1::2"}) {
        std::error_code ec;
        auto a = parse_address(bad, ec);
        BOOST_TEST((ec == nskit::error::bad_address), "'" << bad << "': " << ec.message());
        BOOST_TEST(a.empty());
    }
    // found by test/fuzz/fuzz_address: inet_pton stopped at the NUL, taking "::1\0junk" as ::1
    for (const auto& nul : {std::string("::1\0junk", 8), std::string("::1\0", 4), std::string("1.2.3.4\0", 8)}) {
        std::error_code ec;
        BOOST_TEST(parse_address(nul, ec).empty());
        BOOST_TEST((ec == nskit::error::bad_address));
        parse_interface_address(nul + "/64", ec);
        BOOST_TEST((ec == nskit::error::bad_address));
    }
    BOOST_CHECK_THROW(parse_address("300.1.1.1"), std::system_error);
    try {
        parse_address("300.1.1.1");
    } catch (const std::system_error& e) {
        BOOST_TEST(std::string(e.what()).find("300.1.1.1") != std::string::npos);
        BOOST_TEST((e.code() == nskit::error::bad_address));
    }
}

BOOST_AUTO_TEST_CASE(cidr_parses_strictly)
{
    auto c = parse_cidr("10.0.0.1/24");
    BOOST_TEST(c.to_string() == "10.0.0.1/24");
    BOOST_TEST(c.prefix_len == 24u);
    BOOST_TEST(parse_cidr("10.0.0.1").prefix_len == 32u);
    BOOST_TEST(parse_cidr("fd00::1").prefix_len == 128u);
    BOOST_TEST(parse_cidr("fd00::1/64").to_string() == "fd00::1/64");
    BOOST_TEST(parse_cidr("0.0.0.0/0").prefix_len == 0u);
    BOOST_TEST(parse_cidr("::/0").prefix_len == 0u);
    BOOST_TEST(parse_cidr("fd00::/128").prefix_len == 128u);

    struct bad_case {
        const char* text;
        nskit::error expected;
    };
    for (auto [text, expected] : {
             bad_case{"10.0.0.1/33", nskit::error::bad_prefix_length},
             bad_case{"fd00::1/129", nskit::error::bad_prefix_length},
             bad_case{"x/abc", nskit::error::bad_address},
             bad_case{"/-1", nskit::error::bad_address},
             bad_case{"", nskit::error::bad_address},
             bad_case{"300.1.1.1", nskit::error::bad_address},
             bad_case{"300.1.1.1/8", nskit::error::bad_address},
             bad_case{"10.0.0.1/", nskit::error::bad_prefix_length},
             bad_case{"10.0.0.1/-1", nskit::error::bad_prefix_length},
             bad_case{"10.0.0.1/abc", nskit::error::bad_prefix_length},
             bad_case{"10.0.0.1/+8", nskit::error::bad_prefix_length},
             bad_case{"10.0.0.1/ 8", nskit::error::bad_prefix_length},
             bad_case{"10.0.0.1/8 ", nskit::error::bad_prefix_length},
             bad_case{"10.0.0.1/0008", nskit::error::bad_prefix_length},
             bad_case{"10.0.0.1/8/8", nskit::error::bad_prefix_length},
         }) {
        std::error_code ec;
        auto c = parse_cidr(text, ec);
        BOOST_TEST((ec == expected), "'" << text << "': " << ec.message());
        BOOST_TEST(c.address.empty());
    }
    BOOST_TEST((std::error_code(nskit::error::bad_prefix_length) == std::errc::invalid_argument));
    BOOST_CHECK_THROW(parse_cidr("10.0.0.1/33"), std::system_error);
}

// An address for an interface: a CIDR, not unspecified nor multicast; the
// throwing form names the value and the reason.
BOOST_AUTO_TEST_CASE(interface_addresses)
{
    BOOST_TEST(parse_interface_address("10.0.0.1/24").to_string() == "10.0.0.1/24");
    BOOST_TEST(parse_interface_address("fd00::1").to_string() == "fd00::1/128");
    BOOST_TEST(interface_address_problem("10.0.0.1/24") == "");
    struct bad_case {
        const char* text;
        nskit::error expected;
        const char* why;
    };
    for (auto [text, expected, why] : {
             bad_case{"10.0.0.1/33", nskit::error::bad_prefix_length, "prefix length 33 out of range 0..32"},
             bad_case{"fd00::1/129", nskit::error::bad_prefix_length, "prefix length 129 out of range 0..128"},
             bad_case{"10.0.0.1/x", nskit::error::bad_prefix_length, "prefix length 'x' is not a number 0..32"},
             bad_case{"10.0.0.1/", nskit::error::bad_prefix_length, "no prefix length after '/'"},
             bad_case{"10.0.0.x/24", nskit::error::bad_address, "not an IPv4 or IPv6 address"},
             bad_case{"", nskit::error::bad_address, "empty"},
             bad_case{"0.0.0.0/24", nskit::error::bad_address, "the unspecified address cannot be assigned"},
             bad_case{"0.0.0.0", nskit::error::bad_address, "the unspecified address cannot be assigned"},
             bad_case{"::/64", nskit::error::bad_address, "the unspecified address cannot be assigned"},
             bad_case{"224.0.0.1/24", nskit::error::bad_address, "a multicast address cannot be assigned"},
             bad_case{"ff02::1/64", nskit::error::bad_address, "a multicast address cannot be assigned"},
         }) {
        std::error_code ec;
        auto c = parse_interface_address(text, ec);
        BOOST_TEST((ec == expected), "'" << text << "': " << ec.message());
        BOOST_TEST(c.address.empty());
        BOOST_TEST(interface_address_problem(text) == why, text);
        try {
            parse_interface_address(text);
            BOOST_ERROR("no exception for " << text);
        } catch (const std::system_error& e) {
            const std::string wanted = "address '" + std::string(text) + "': " + why;
            BOOST_TEST(std::string(e.what()).rfind(wanted, 0) == 0u, e.what() << " (wanted " << wanted << ")");
            BOOST_TEST((e.code() == expected));
        }
    }
}

BOOST_AUTO_TEST_CASE(cidr_contains)
{
    auto net = parse_cidr("10.1.2.3/24");
    BOOST_TEST(net.contains(parse_address("10.1.2.200")));
    BOOST_TEST(!net.contains(parse_address("10.1.3.1")));
    BOOST_TEST(!net.contains(parse_address("fd00::1")));
    BOOST_TEST(parse_cidr("10.1.2.3/21").contains(parse_address("10.1.7.255")));
    BOOST_TEST(!parse_cidr("10.1.2.3/21").contains(parse_address("10.1.8.0")));
    BOOST_TEST(parse_cidr("0.0.0.0/0").contains(parse_address("1.2.3.4")));
    BOOST_TEST(parse_cidr("fd00::1/64").contains(parse_address("fd00::abcd")));
    BOOST_TEST(!parse_cidr("fd00::1/128").contains(parse_address("fd00::2")));
}

BOOST_AUTO_TEST_CASE(interface_names)
{
    for (const char* good : {"a", "eth0", "veth-0_x.y", "123456789012345", "v@1"}) {
        std::error_code ec;
        check_interface_name(good, ec);
        BOOST_TEST(!ec, good);
    }
    for (std::string bad : {std::string(""), std::string("1234567890123456"), std::string("a/b"), std::string("a:b"),
                            std::string("a b"), std::string("a\tb"), std::string("a\nb"), std::string("."),
                            std::string(".."), std::string("ab\0c", 4), std::string("all"), std::string("default"),
                            std::string("v%d")}) {
        std::error_code ec;
        check_interface_name(bad, ec);
        BOOST_TEST((ec == nskit::error::bad_interface_name), "'" << bad << "'");
        BOOST_TEST(!interface_name_problem(bad).empty(), "'" << bad << "'");
    }
    BOOST_TEST(interface_name_problem("eth0").empty());
    BOOST_TEST(interface_name_problem("all").find("sysctl") != std::string::npos);
    BOOST_CHECK_THROW(check_interface_name("1234567890123456"), std::system_error);
}

BOOST_AUTO_TEST_CASE(mac_addresses)
{
    auto m = parse_mac("02:00:5e:AB:cd:ff");
    BOOST_TEST(mac_to_string(m.data(), m.size()) == "02:00:5e:ab:cd:ff");
    for (const char* bad : {"", "02:00:5e:ab:cd", "02:00:5e:ab:cd:ff:00", "02-00-5e-ab-cd-ff", "0g:00:5e:ab:cd:ff"}) {
        std::error_code ec;
        parse_mac(bad, ec);
        BOOST_TEST((ec == nskit::error::bad_address), bad);
    }
}

BOOST_AUTO_TEST_SUITE_END()
