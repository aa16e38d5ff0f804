#include "json.hpp"

#include "text.hpp"
#include "views.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

namespace nskit::inspect {
namespace {

namespace json = boost::json;
using nskit::tools::json_text;

json::value id_or_null(bool known, std::uint64_t id) { return known && id ? json::value(id) : json::value(nullptr); }
json::value text_or_null(const std::string& s) { return s.empty() ? json::value(nullptr) : json::value(json_text(s)); }

} // namespace

void tag_invoke(json::value_from_tag, json::value& v, const ns_comparison& c)
{
    const bool known = c.state != sharing::unknown;
    v = json::object{
        {"type", std::string(sys::to_string(c.type))},
        {"kind", "namespace"},
        {"result", nscmp::ns_result(c)},
        {"relation", c.relation != ns_relation::none ? json::value(std::string(to_string(c.relation))) : nullptr},
        {"a", known ? json::value(nscmp::ns_label(c.type, c.a_inode)) : nullptr},
        {"b", known ? json::value(nscmp::ns_label(c.type, c.b_inode)) : nullptr},
        {"a-id", id_or_null(known, c.a_id)},
        {"b-id", id_or_null(known, c.b_id)},
        {"detail", text_or_null(nscmp::ns_detail(c))},
    };
}

void tag_invoke(json::value_from_tag, json::value& v, const resource_comparison& c)
{
    v = json::object{
        {"type", std::string(sys::to_string(c.resource))},
        {"kind", "resource"},
        {"result", std::string(to_string(c.state))},
        {"relation", nullptr},
        {"a", nullptr},
        {"b", nullptr},
        {"a-id", nullptr},
        {"b-id", nullptr},
        {"detail", text_or_null(nscmp::resource_detail(c))},
    };
}

void tag_invoke(json::value_from_tag, json::value& v, const fd_description& d)
{
    v = json::object{{"fd", d.fd}, {"kind", std::string(to_string(d.kind))}, {"what", json_text(nscmp::fd_what(d))}};
}

void tag_invoke(json::value_from_tag, json::value& v, const shared_fd& s)
{
    v = json::object{{"a-fd", s.a.fd},
                     {"b-fd", s.b.fd},
                     {"kind", std::string(to_string(s.a.kind))},
                     {"what", json_text(nscmp::fd_what(s.a))}};
}

void tag_invoke(json::value_from_tag, json::value& v, const epoll_watch& w)
{
    v = json::object{{"owner", nscmp::side_name(w.owner)}, {"epfd", w.epoll_fd},
                     {"tfd", w.target_fd},                 {"offset", w.target_offset},
                     {"events", nscmp::hex(w.events)},     {"other", json::value_from(w.other)}};
}

void tag_invoke(json::value_from_tag, json::value& v, const ungrouped& u)
{
    v = json::object{{"pid", u.pid}, {"reason", json_text(u.reason)}};
}

void tag_invoke(json::value_from_tag, json::value& v, const fd_ref& f)
{
    v = json::object{{"pid", f.pid}, {"fd", f.fd.fd}};
}

void tag_invoke(json::value_from_tag, json::value& v, const group_result& g)
{
    v = json::object{{"resource", std::string(sys::to_string(g.resource))},
                     {"kcmp-calls", g.kcmp_calls},
                     {"pairwise-fallback", g.pairwise_fallback},
                     {"classes", json::value_from(g.classes)},
                     {"skipped", json::value_from(g.skipped)}};
}

void tag_invoke(json::value_from_tag, json::value& v, const file_group_result& g)
{
    json::array classes;
    for (const auto& cls : g.classes)
        classes.push_back(json::object{{"members", json::value_from(cls)},
                                       {"kind", std::string(to_string(cls.front().fd.kind))},
                                       {"what", json_text(nscmp::fd_what(cls.front().fd))}});
    v = json::object{{"resource", "file"},
                     {"kcmp-calls", g.kcmp_calls},
                     {"fds", g.fds_examined},
                     {"classes", std::move(classes)},
                     {"skipped", json::value_from(g.skipped)}};
}

} // namespace nskit::inspect
