#include "views.hpp"

#include <cstdio>

namespace nscmp {
namespace {

std::string relation_text(const insp::ns_comparison& n)
{
    const std::string levels = " (" + std::to_string(n.distance) + " levels)";
    switch (n.relation) {
    case insp::ns_relation::parent: return "a's is the parent of b's";
    case insp::ns_relation::child: return "a's is a child of b's";
    case insp::ns_relation::ancestor: return "a's is an ancestor of b's" + levels;
    case insp::ns_relation::descendant: return "a's is a descendant of b's" + levels;
    case insp::ns_relation::none: break;
    }
    return {};
}

} // namespace

std::string ns_label(nskit::sys::ns_type t, const nskit::sys::ns_inode& i)
{
    return std::string(nskit::sys::to_string(t)) + ":[" + std::to_string(i.ino) + "]";
}

std::string ns_result(const insp::ns_comparison& n)
{
    if (n.state == insp::sharing::different && n.relation != insp::ns_relation::none)
        return std::string(insp::to_string(n.relation));
    return std::string(insp::to_string(n.state));
}

std::string ns_detail(const insp::ns_comparison& n)
{
    if (n.state == insp::sharing::unknown)
        return n.reason;
    std::string d = relation_text(n);
    auto add = [&](const std::string& s) { d += (d.empty() ? "" : "; ") + s; };
    // Ownership is news only when one side's owner is the other's user namespace but not its own.
    if (n.a_owned_by_b_user == true && n.b_owned_by_a_user != true)
        add("a's is owned by b's user namespace");
    if (n.b_owned_by_a_user == true && n.a_owned_by_b_user != true)
        add("b's is owned by a's user namespace");
    return d;
}

std::string resource_detail(const insp::resource_comparison& r)
{
    if (!r.reason.empty())
        return r.reason;
    if (r.state == insp::sharing::same &&
        (r.resource == nskit::sys::kcmp_resource::io || r.resource == nskit::sys::kcmp_resource::sysvsem))
        return "one object, or neither has one yet (allocated on first use)";
    return {};
}

std::string fd_what(const insp::fd_description& d)
{
    return d.target_error ? "unknown (" + d.target_error.message() + ")" : d.target;
}

std::string hex(std::uint32_t v)
{
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%x", v);
    return buf;
}

std::string side_name(insp::epoll_watch::side s) { return s == insp::epoll_watch::side::a ? "a" : "b"; }

} // namespace nscmp
