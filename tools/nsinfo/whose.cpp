// Whose namespace: CONTAINER, UNIT and CAPS cells (the answers come from
// inspect::owner_finder and inspect::capabilities_in).
#include "columns.hpp"
#include "text.hpp"

#include <algorithm>

namespace nsinfo {
namespace {

namespace json = boost::json;
using tools::cell;

std::string lower_first(std::string s)
{
    if (!s.empty())
        s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
    return s;
}

json::object container_json(const in::container_ref& c)
{
    json::object o{{"engine", tools::json_text(c.engine)}, {"id", tools::json_text(c.id)}};
    o["name"] = c.name.empty() ? json::value(nullptr) : json::value(tools::json_text(c.name));
    if (!c.project.empty())
        o["project"] = tools::json_text(c.project);
    if (!c.pod_uid.empty() || !c.pod_name.empty())
        o["pod"] = json::object{{"namespace", tools::json_text(c.pod_namespace)},
                                {"name", tools::json_text(c.pod_name)},
                                {"uid", tools::json_text(c.pod_uid)},
                                {"container", tools::json_text(c.container_name)}};
    if (!c.unknown.empty())
        o["unknown"] = json::object{{"name", tools::json_text(c.unknown)}};
    return o;
}

std::string container_line(const in::container_ref& c)
{
    std::string t = in::container_text(c);
    if (!c.unknown.empty() && c.name.empty())
        t += " name unknown (" + c.unknown + ")";
    return t;
}

// The processes a row is about: the process of the row, else everyone in the namespace.
std::vector<const in::process_info*> processes_of(context& c, const row& r)
{
    std::vector<const in::process_info*> out;
    if (r.process || r.target) {
        out.push_back(r.process ? r.process : r.target);
    } else if (const auto* n = c.ns(r)) {
        for (std::size_t i : n->processes)
            out.push_back(&c.snap.processes[i]);
    }
    return out;
}

// One owner for all of them, "mixed", or unknown with the reason.
struct verdict {
    const in::cgroup_owner* one = nullptr;
    std::vector<const in::cgroup_owner*> all;
    bool mixed = false;
    std::string unknown;
};

verdict owners(context& c, const row& r)
{
    verdict v;
    for (const auto* p : processes_of(c, r)) {
        if (p->cgroup_error) {
            v.unknown = lower_first(p->cgroup_error.message()) + ", pid " + std::to_string(p->pid);
            return v;
        }
        const in::cgroup_owner& o = c.owners.owner_of(p->cgroup);
        if (std::find(v.all.begin(), v.all.end(), &o) == v.all.end())
            v.all.push_back(&o);
    }
    auto same = [](const in::cgroup_owner* a, const in::cgroup_owner* b) {
        return a->container == b->container && (a->container || a->unit == b->unit);
    };
    for (const auto* o : v.all)
        v.mixed = v.mixed || !same(o, v.all.front());
    if (!v.all.empty() && !v.mixed)
        v.one = v.all.front();
    return v;
}

} // namespace

cell container_cell(context& c, const row& r)
{
    const verdict v = owners(c, r);
    if (!v.unknown.empty())
        return tools::unknown_cell(v.unknown);
    cell out;
    if (v.mixed) {
        json::array list;
        for (const auto* o : v.all)
            if (o->container)
                list.push_back(container_json(*o->container));
        if (list.empty()) // only units differ: no container at all
            return {};
        out.text = "mixed";
        out.json = json::object{{"mixed", true}, {"containers", std::move(list)}};
        return out;
    }
    if (!v.one || !v.one->container)
        return {};
    out.text = container_line(*v.one->container);
    out.json = container_json(*v.one->container);
    return out;
}

cell unit_cell(context& c, const row& r)
{
    const verdict v = owners(c, r);
    if (!v.unknown.empty())
        return tools::unknown_cell(v.unknown);
    if (std::any_of(v.all.begin(), v.all.end(), [](const in::cgroup_owner* o) { return o->container.has_value(); }))
        return {};
    if (v.mixed)
        return {"mixed", {}};
    return v.one ? cell{v.one->unit, {}} : cell{};
}

// CAPS: what the row's process (the target, else the lowest pid) holds in
// the namespace's owning user namespace.
cell caps_cell(context& c, const row& r, bool rule)
{
    const in::process_info* p = r.process ? r.process : r.target ? r.target : c.lowest(r);
    if (!p || r.ns == none)
        return {};
    const auto a = in::capabilities_in(c.snap, static_cast<std::size_t>(p - c.snap.processes.data()), r.ns);
    if (a.rule == in::caps_rule::unknown)
        return tools::unknown_cell(lower_first(a.error ? a.error.message() : "not read"));
    if (rule) {
        std::string t(to_string(a.rule));
        if (a.ancestor != in::snapshot::npos)
            t += " " + std::to_string(c.snap.namespaces[a.ancestor].identity.inode.ino);
        return {t, {}};
    }
    if (a.all)
        return {"all", {}};
    return {a.effective == 0 ? "none" : in::capability_names(a.effective), {}};
}

} // namespace nsinfo
