#include <nskit/net/address.hpp>
#include <nskit/sys/error.hpp>

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cstdio>
#include <cstring>

namespace nskit::net {

bool ip_address::is_v4() const noexcept { return family == AF_INET; }
bool ip_address::is_v6() const noexcept { return family == AF_INET6; }
std::size_t ip_address::size() const noexcept { return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0; }

std::string ip_address::to_string() const
{
    if (empty())
        return {};
    char buf[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(family, bytes.data(), buf, sizeof buf);
    return buf;
}

std::string cidr::to_string() const { return address.to_string() + "/" + std::to_string(prefix_len); }

bool cidr::contains(const ip_address& a) const noexcept
{
    if (a.family != address.family || prefix_len > a.size() * 8)
        return false;
    unsigned full = prefix_len / 8, rest = prefix_len % 8;
    if (std::memcmp(a.bytes.data(), address.bytes.data(), full) != 0)
        return false;
    if (rest == 0)
        return true;
    auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
    return (a.bytes[full] & mask) == (address.bytes[full] & mask);
}

namespace {

bool parse_v4(std::string_view s, std::uint8_t* out) noexcept
{
    // inet_pton(AF_INET) already refuses shorthand and octal; check by hand
    // anyway so that "1.2.3.4 " or "01.2.3.4" can never slip through.
    int part = 0;
    std::size_t i = 0;
    while (part < 4) {
        std::size_t start = i;
        unsigned value = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - start < 3)
            value = value * 10 + static_cast<unsigned>(s[i++] - '0');
        if (i == start || value > 255 || (i - start > 1 && s[start] == '0'))
            return false;
        out[part++] = static_cast<std::uint8_t>(value);
        if (part < 4) {
            if (i >= s.size() || s[i] != '.')
                return false;
            ++i;
        }
    }
    return i == s.size();
}

} // namespace

ip_address parse_address(std::string_view text, std::error_code& ec) noexcept
{
    ec.clear();
    ip_address a;
    // a NUL would end the text early for inet_pton: "::1\0junk" is not "::1"
    if (text.empty() || text.size() >= INET6_ADDRSTRLEN || text.find('\0') != std::string_view::npos) {
        ec = error::bad_address;
        return {};
    }
    if (text.find(':') == std::string_view::npos) {
        if (!parse_v4(text, a.bytes.data())) {
            ec = error::bad_address;
            return {};
        }
        a.family = AF_INET;
        return a;
    }
    char buf[INET6_ADDRSTRLEN] = {};
    std::memcpy(buf, text.data(), text.size());
    if (::inet_pton(AF_INET6, buf, a.bytes.data()) != 1) {
        ec = error::bad_address;
        return {};
    }
    a.family = AF_INET6;
    return a;
}

ip_address parse_address(std::string_view text)
{
    std::error_code ec;
    auto a = parse_address(text, ec);
    throw_if(ec, op_kind::input, "address parse(" + std::string(text) + ")");
    return a;
}

cidr parse_cidr(std::string_view text, std::error_code& ec) noexcept
{
    ec.clear();
    cidr c;
    auto slash = text.find('/');
    c.address = parse_address(text.substr(0, slash), ec);
    if (ec)
        return {};
    const unsigned max = static_cast<unsigned>(c.address.size() * 8);
    if (slash == std::string_view::npos) {
        c.prefix_len = max;
        return c;
    }
    auto len = text.substr(slash + 1);
    if (len.empty() || len.size() > 3) {
        ec = error::bad_prefix_length;
        return {};
    }
    unsigned value = 0;
    for (char ch : len) {
        if (ch < '0' || ch > '9') {
            ec = error::bad_prefix_length;
            return {};
        }
        value = value * 10 + static_cast<unsigned>(ch - '0');
    }
    if (value > max) {
        ec = error::bad_prefix_length;
        return {};
    }
    c.prefix_len = value;
    return c;
}

cidr parse_cidr(std::string_view text)
{
    std::error_code ec;
    auto c = parse_cidr(text, ec);
    throw_if(ec, op_kind::input, "address '" + std::string(text) + "': " + interface_address_problem(text));
    return c;
}

namespace {

bool unspecified(const ip_address& a) noexcept
{
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a.bytes[i] != 0)
            return false;
    return true;
}

bool multicast(const ip_address& a) noexcept
{
    return a.is_v4() ? (a.bytes[0] & 0xf0) == 0xe0 : a.bytes[0] == 0xff;
}

} // namespace

cidr parse_interface_address(std::string_view text, std::error_code& ec) noexcept
{
    auto c = parse_cidr(text, ec);
    if (!ec && (unspecified(c.address) || multicast(c.address)))
        ec = error::bad_address;
    return ec ? cidr{} : c;
}

cidr parse_interface_address(std::string_view text)
{
    std::error_code ec;
    auto c = parse_interface_address(text, ec);
    throw_if(ec, op_kind::input, "address '" + std::string(text) + "': " + interface_address_problem(text));
    return c;
}

std::string interface_address_problem(std::string_view text)
{
    std::error_code ec;
    const auto slash = text.find('/');
    const auto a = parse_address(text.substr(0, slash), ec);
    if (ec)
        return text.empty() ? "empty" : "not an IPv4 or IPv6 address";
    if (slash != std::string_view::npos) {
        const auto len = text.substr(slash + 1);
        const auto max = std::to_string(a.size() * 8);
        if (len.empty())
            return "no prefix length after '/'";
        if (len.find_first_not_of("0123456789") != std::string_view::npos)
            return "prefix length '" + std::string(len) + "' is not a number 0.." + max;
        if (parse_cidr(text, ec); ec)
            return "prefix length " + std::string(len) + " out of range 0.." + max;
    }
    if (unspecified(a))
        return "the unspecified address cannot be assigned";
    if (multicast(a))
        return "a multicast address cannot be assigned";
    return {};
}

namespace {
// check_interface_name's rules; the reason, or nullptr for a good name.
const char* name_rule(std::string_view name) noexcept
{
    if (name.empty())
        return "empty";
    if (name.size() > 15) // IFNAMSIZ - 1
        return "longer than 15 bytes (IFNAMSIZ)";
    if (name == "." || name == "..")
        return "'.' and '..' are refused";
    if (name == "all" || name == "default")
        return "'all' and 'default' are the kernel's sysctl directories (net.ipv4.conf.*)";
    for (unsigned char ch : name) {
        if (ch == '/' || ch == ':')
            return "a '/' or ':'";
        if (ch == ' ' || (ch >= '\t' && ch <= '\r'))
            return "whitespace";
        if (ch == '\0')
            return "a NUL byte";
        if (ch == '%')
            return "a '%' (the kernel takes it as a pattern, eth%d, and picks another name)";
    }
    return nullptr;
}
} // namespace

void check_interface_name(std::string_view name, std::error_code& ec) noexcept
{
    ec.clear();
    if (name_rule(name) != nullptr)
        ec = error::bad_interface_name;
}

std::string interface_name_problem(std::string_view name)
{
    const char* why = name_rule(name);
    return why ? why : "";
}

void check_interface_name(std::string_view name)
{
    std::error_code ec;
    check_interface_name(name, ec);
    throw_if(ec, op_kind::input, "link name(" + std::string(name) + ")");
}

std::array<std::uint8_t, 6> parse_mac(std::string_view text, std::error_code& ec) noexcept
{
    ec.clear();
    std::array<std::uint8_t, 6> mac{};
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    if (text.size() != 17) {
        ec = error::bad_address;
        return {};
    }
    for (std::size_t i = 0; i < 6; ++i) {
        int hi = hex(text[i * 3]), lo = hex(text[i * 3 + 1]);
        if (hi < 0 || lo < 0 || (i < 5 && text[i * 3 + 2] != ':')) {
            ec = error::bad_address;
            return {};
        }
        mac[i] = static_cast<std::uint8_t>(hi * 16 + lo);
    }
    return mac;
}

std::array<std::uint8_t, 6> parse_mac(std::string_view text)
{
    std::error_code ec;
    auto m = parse_mac(text, ec);
    throw_if(ec, op_kind::input, "link mac(" + std::string(text) + ")");
    return m;
}

std::string mac_to_string(const std::uint8_t* bytes, std::size_t len)
{
    std::string out;
    char part[4];
    for (std::size_t i = 0; i < len; ++i) {
        std::snprintf(part, sizeof part, i ? ":%02x" : "%02x", bytes[i]);
        out += part;
    }
    return out;
}

} // namespace nskit::net
