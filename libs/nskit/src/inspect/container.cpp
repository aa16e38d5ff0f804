// Whose process: the cgroup path names the engine and the id (the unit and
// scope names each engine's cgroup driver gives its containers), the
// engine's state on disk names the container (engine_state.cpp).
#include <nskit/inspect/container.hpp>

#include "engine_state.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

namespace nskit::inspect {
namespace {

std::vector<std::string_view> components(std::string_view path)
{
    std::vector<std::string_view> out;
    while (!path.empty()) {
        const auto slash = path.find('/');
        if (slash != 0)
            out.push_back(path.substr(0, slash));
        path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
    }
    return out;
}

bool is_hex_id(std::string_view s)
{
    return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) && !std::isupper(static_cast<unsigned char>(c)); });
}

bool strip(std::string_view& s, std::string_view prefix, std::string_view suffix = {})
{
    if (!s.starts_with(prefix) || !s.ends_with(suffix) || s.size() < prefix.size() + suffix.size())
        return false;
    s = s.substr(prefix.size(), s.size() - prefix.size() - suffix.size());
    return true;
}

// systemd's unit-name escaping undone: "\x2d" -> '-'.
std::string unescape_unit(std::string_view s)
{
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] == 'x' && std::isxdigit(static_cast<unsigned char>(s[i + 2])) &&
            std::isxdigit(static_cast<unsigned char>(s[i + 3]))) {
            out += static_cast<char>(std::stoi(std::string(s.substr(i + 2, 2)), nullptr, 16));
            i += 3;
        } else {
            out += s[i];
        }
    }
    return out;
}

// "<prefix><64 hex>[.scope]" (systemd driver) or "<prefix><64 hex>" (cgroupfs driver).
bool scoped_id(std::string_view c, std::string_view prefix, std::string& id)
{
    if (!strip(c, prefix))
        return false;
    if (c.ends_with(".scope"))
        c.remove_suffix(6);
    if (!is_hex_id(c))
        return false;
    id = c;
    return true;
}

// One path component that names a container, or nothing.
std::optional<container_ref> container_component(std::string_view c, std::string_view parent)
{
    container_ref r;
    std::string id;
    if (scoped_id(c, "docker-", id) || (parent == "docker" && is_hex_id(c))) // moby: systemd / cgroupfs driver
        r = {.engine = "docker", .id = is_hex_id(c) ? std::string(c) : id};
    else if (scoped_id(c, "libpod-", id) && !c.starts_with("libpod-conmon-")) // podman (conmon is not the container)
        r = {.engine = "podman", .id = id};
    else if (scoped_id(c, "crio-", id) && !c.starts_with("crio-conmon-"))
        r = {.engine = "cri-o", .id = id};
    else if (scoped_id(c, "cri-containerd-", id) || (parent.starts_with("pod") && is_hex_id(c)))
        r = {.engine = "containerd", .id = is_hex_id(c) ? std::string(c) : id};
    // below: a name is never empty ("lxc.payload." names no container)
    else if (std::string_view n = c; (strip(n, "lxc.payload.") || (parent == "lxc" && !n.starts_with("lxc."))) && !n.empty())
        r = {.engine = "lxc", .id = std::string(n), .name = std::string(n)};
    else if (std::string_view m = c; strip(m, "machine-", ".scope") && !m.empty())
        r = {.engine = "systemd-nspawn", .id = unescape_unit(m), .name = unescape_unit(m)};
    else if (std::string_view f = c; strip(f, "app-flatpak-", ".scope") && f.rfind('-') != std::string_view::npos &&
                                     f.rfind('-') > 0)
        r = {.engine = "flatpak", .id = std::string(f.substr(0, f.rfind('-'))), .name = std::string(f.substr(0, f.rfind('-')))};
    else if (std::string_view s = c; strip(s, "snap.") && (s.ends_with(".scope") || s.ends_with(".service"))) {
        const auto dot = s.find('.');
        if (dot == std::string_view::npos || dot == 0)
            return std::nullopt;
        r = {.engine = "snap", .id = std::string(s.substr(0, dot)), .name = std::string(s.substr(0, dot))};
        std::string_view app = s.substr(dot + 1, s.rfind('.') - dot - 1);
        r.container_name = std::string(app.substr(0, std::min(app.find('-'), app.find('.'))));
    } else
        return std::nullopt;
    return r;
}

// kubelet's pod cgroup: "kubepods-burstable-pod<uid with _>.slice" (systemd
// driver) or "pod<uid>" under kubepods (cgroupfs driver).
std::string pod_uid(std::string_view c, bool under_kubepods)
{
    std::string_view s = c;
    if (s.starts_with("kubepods") && s.ends_with(".slice") && s.find("-pod") != std::string_view::npos) {
        s = s.substr(s.find("-pod") + 4);
        s.remove_suffix(6);
    } else if (!(under_kubepods && strip(s, "pod"))) {
        return {};
    }
    std::string uid(s);
    std::replace(uid.begin(), uid.end(), '_', '-');
    return uid.size() == 36 ? uid : std::string();
}

} // namespace

std::string systemd_cgroup_path(std::string_view text)
{
    std::string v2, named, first;
    while (!text.empty()) {
        const auto eol = text.find('\n');
        std::string_view line = text.substr(0, eol);
        text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
        const auto a = line.find(':'), b = a == std::string_view::npos ? a : line.find(':', a + 1);
        if (b == std::string_view::npos)
            continue;
        const std::string_view controllers = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
        if (controllers.empty() && line.substr(0, a) == "0")
            v2 = path;
        else if (controllers == "name=systemd")
            named = path;
        else if (first.empty() || first == "/")
            first = path;
    }
    for (const auto* p : {&v2, &named, &first})
        if (!p->empty() && *p != "/")
            return *p;
    return v2.empty() ? named.empty() ? first : named : v2;
}

cgroup_owner owner_finder::classify(std::string_view path)
{
    cgroup_owner out;
    const auto parts = components(path);
    std::string pod;
    bool kubepods = false;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        kubepods = kubepods || parts[i].starts_with("kubepods");
        if (auto uid = pod_uid(parts[i], kubepods); !uid.empty())
            pod = uid;
    }
    for (std::size_t i = parts.size(); i-- > 0;) // the innermost container wins
        if (auto c = container_component(parts[i], i > 0 ? parts[i - 1] : std::string_view{})) {
            c->pod_uid = pod;
            out.container = std::move(c);
            return out;
        }
    for (std::size_t i = parts.size(); i-- > 0;)
        if (parts[i].ends_with(".service") || parts[i].ends_with(".scope")) {
            out.unit = unescape_unit(parts[i]);
            break;
        }
    return out;
}

owner_finder::owner_finder(engine_roots roots) : roots_(std::move(roots)) {}

const cgroup_owner& owner_finder::owner_of(std::string_view proc_cgroup)
{
    if (auto it = by_text_.find(proc_cgroup); it != by_text_.end())
        return it->second;
    // the first hierarchy whose path names a container, else systemd's unit
    cgroup_owner o = classify(systemd_cgroup_path(proc_cgroup));
    for (std::string_view text = proc_cgroup; !o.container && !text.empty();) {
        const auto eol = text.find('\n');
        const std::string_view line = text.substr(0, eol);
        text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
        if (const auto b = line.find(':', line.find(':') + 1); b != std::string_view::npos)
            if (auto c = classify(line.substr(b + 1)).container)
                o.container = std::move(c);
    }
    if (o.container) {
        o.unit.clear();
        add_names(*o.container);
    }
    return by_text_.emplace(std::string(proc_cgroup), std::move(o)).first->second;
}

void owner_finder::add_names(container_ref& c) { detail::read_engine_state(roots_, c); }

std::string container_text(const container_ref& c)
{
    if (!c.pod_name.empty() || !c.pod_namespace.empty())
        return "k8s/" + c.pod_namespace + "/" + c.pod_name + (c.container_name.empty() ? "" : "/" + c.container_name);
    const std::string who = !c.name.empty() ? c.name : c.id.size() == 64 ? c.id.substr(0, 12) : c.id;
    return c.engine + "/" + (c.project.empty() ? "" : c.project + "/") + who;
}

} // namespace nskit::inspect
