// test/common/net_oracle.hpp — `ip -j` as an independent oracle for the net
// layer: run inside a given netns, parsed with Boost.JSON.
// Exactly one source file of a test binary must `#include <boost/json/src.hpp>`
// (header-only Boost.JSON; test/net/netlink.cpp does it for test_net).
#pragma once

#include "test_support.hpp"

#include <boost/json.hpp>

#include <string>
#include <vector>

namespace nskit::test {

struct ip_link {
    int index = 0;
    std::string name, kind, mac, operstate, addr_gen_mode;
    unsigned mtu = 0;
    bool up = false;
    int link_netnsid = -1;
};

struct ip_addr {
    std::string dev, family, local;
    unsigned prefix_len = 0;
    std::string scope;
};

struct ip_route {
    std::string dst, gateway, dev;
    unsigned metric = 0;
};

inline boost::json::value ip_json(const std::vector<std::string>& argv, int netns_fd)
{
    int status = -1;
    auto out = run_program(argv, &status, netns_fd);
    if (status != 0)
        throw std::runtime_error("oracle failed: " + argv.back() + " exit " + std::to_string(status));
    return boost::json::parse(out);
}

inline std::string str_of(const boost::json::object& o, const char* key)
{
    auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

inline std::vector<ip_link> ip_links(int netns_fd = -1)
{
    std::vector<ip_link> out;
    const auto doc = ip_json({"ip", "-j", "-d", "link", "show"}, netns_fd);
    for (const auto& v : doc.as_array()) {
        const auto& o = v.as_object();
        ip_link l;
        l.index = static_cast<int>(o.at("ifindex").to_number<long>());
        l.name = str_of(o, "ifname");
        l.mac = str_of(o, "address");
        l.operstate = str_of(o, "operstate");
        l.addr_gen_mode = str_of(o, "inet6_addr_gen_mode");
        l.mtu = static_cast<unsigned>(o.at("mtu").to_number<long>());
        for (const auto& f : o.at("flags").as_array())
            if (f.as_string() == "UP")
                l.up = true;
        if (auto* info = o.if_contains("linkinfo"))
            l.kind = str_of(info->as_object(), "info_kind");
        if (auto* id = o.if_contains("link_netnsid"))
            l.link_netnsid = static_cast<int>(id->to_number<long>());
        out.push_back(l);
    }
    return out;
}

inline const ip_link* find_ip_link(const std::vector<ip_link>& ls, const std::string& name)
{
    for (const auto& l : ls)
        if (l.name == name)
            return &l;
    return nullptr;
}

inline std::vector<ip_addr> ip_addrs(int netns_fd = -1)
{
    std::vector<ip_addr> out;
    const auto doc = ip_json({"ip", "-j", "addr", "show"}, netns_fd);
    for (const auto& v : doc.as_array()) {
        const auto& o = v.as_object();
        for (const auto& a : o.at("addr_info").as_array()) {
            const auto& ao = a.as_object();
            ip_addr x;
            x.dev = str_of(o, "ifname");
            x.family = str_of(ao, "family");
            x.local = str_of(ao, "local");
            x.prefix_len = static_cast<unsigned>(ao.at("prefixlen").to_number<long>());
            x.scope = str_of(ao, "scope");
            out.push_back(x);
        }
    }
    return out;
}

// family: "-4" or "-6"
inline std::vector<ip_route> ip_routes(const std::string& family, int netns_fd = -1)
{
    std::vector<ip_route> out;
    const auto doc = ip_json({"ip", "-j", family, "route", "show"}, netns_fd);
    for (const auto& v : doc.as_array()) {
        const auto& o = v.as_object();
        ip_route r;
        r.dst = str_of(o, "dst");
        r.gateway = str_of(o, "gateway");
        r.dev = str_of(o, "dev");
        if (auto* m = o.if_contains("metric"))
            r.metric = static_cast<unsigned>(m->to_number<long>());
        out.push_back(r);
    }
    return out;
}

} // namespace nskit::test
