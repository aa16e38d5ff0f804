// The container engines' state on disk, read for names: each file opened
// without following a symlink on the way (O_NOFOLLOW, component by
// component), checked to be a regular file no larger than the limit, read
// O_NONBLOCK, parsed with Boost.PropertyTree's JSON reader (header-only: the
// library gains no link dependency) after a bound on nesting.  What cannot be
// read is said in container_ref::unknown.
//
// Sources (what each engine writes):
//   docker     moby daemon/container: /var/lib/docker/containers/ID/config.v2.json, "Name": "/web-1",
//              "Config": {"Labels": {"com.docker.compose.project": ...}}
//   podman     containers/storage: overlay-containers/containers.json, [{"id": ID, "names": [...]}]
//   cri-o      containers/storage overlay-containers/ID/userdata/config.json (the OCI spec), annotations
//              io.kubernetes.container.name, io.kubernetes.pod.{name,namespace,uid}
//   containerd runtime v2 shim bundle: /run/containerd/io.containerd.runtime.v2.task/NS/ID/config.json,
//              annotations io.kubernetes.cri.{container-name,sandbox-name,sandbox-namespace,sandbox-uid}
//   kubelet    /var/lib/kubelet/pods/UID/etc-hosts (last line: the pod's hostname, its name by default),
//              volumes/kubernetes.io~projected/*/namespace (the service-account projection; ..data links)
//   machined   /run/systemd/machines/NAME: SERVICE=systemd-nspawn, CLASS=container
//   lxc        /var/lib/lxc/NAME/config
#include "engine_state.hpp"

#include "safe_open.hpp"

#include <nskit/inspect/detail/proc_text.hpp>

#include <nskit/sys/error.hpp>

#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <sstream>

namespace nskit::inspect::detail {
namespace {

namespace pt = boost::property_tree;

std::string lower_message(const std::error_code& ec)
{
    std::string m = ec.message();
    if (!m.empty())
        m[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(m[0])));
    return m;
}

// An absolute path, O_PATH, no symlink followed on the way (one O_NOFOLLOW
// component at a time from "/"): the last one may be the symlink itself.
unique_fd open_no_symlinks(const std::string& path, std::error_code& ec)
{
    const unique_fd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) {
        ec = nskit::detail::last_error();
        return {};
    }
    return open_path_no_symlinks(root.get(), path, ec);
}

// The whole file, or "" with `why` set.
std::string read_state(const std::string& path, std::size_t limit, std::string& why)
{
    std::error_code ec;
    const unique_fd at = open_no_symlinks(path, ec);
    struct stat st{};
    if (ec || ::fstat(at.get(), &st) != 0) {
        why = path + ": " + (ec == std::errc::too_many_symbolic_link_levels ? "a symlink (not followed)"
                                                                           : lower_message(ec ? ec : nskit::detail::last_error()));
        return {};
    }
    if (S_ISLNK(st.st_mode) || !S_ISREG(st.st_mode)) {
        why = path + (S_ISLNK(st.st_mode) ? ": a symlink (not followed)" : ": not a regular file");
        return {};
    }
    if (static_cast<std::size_t>(st.st_size) > limit) {
        why = path + ": too large (" + std::to_string(st.st_size) + " bytes, limit " + std::to_string(limit) + ")";
        return {};
    }
    char self[48];
    std::snprintf(self, sizeof self, "/proc/self/fd/%d", at.get());
    const unique_fd fd(::open(self, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
    if (!fd) {
        why = path + ": " + lower_message(nskit::detail::last_error());
        return {};
    }
    auto text = detail::read_whole(fd.get(), limit, ec);
    if (ec)
        why = path + ": " + lower_message(ec);
    return text;
}

// Nesting deeper than this is refused before parsing (a recursive parser).
bool nesting_ok(std::string_view text, int limit = 64)
{
    int depth = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            if (++depth > limit)
                return false;
        } else if (c == '}' || c == ']') {
            --depth;
        }
    }
    return true;
}

bool parse_json(const std::string& path, const std::string& text, pt::ptree& out, std::string& why)
{
    if (!nesting_ok(text)) {
        why = path + ": nested too deeply";
        return false;
    }
    try {
        std::istringstream in(text);
        pt::read_json(in, out);
        return true;
    } catch (const pt::json_parser_error& e) {
        why = path + ": not valid JSON (line " + std::to_string(e.line()) + ")";
    } catch (const std::exception&) {
        why = path + ": not valid JSON";
    }
    return false;
}

bool read_json(const std::string& path, std::size_t limit, pt::ptree& out, std::string& why)
{
    const std::string text = read_state(path, limit, why);
    return why.empty() && parse_json(path, text, out, why);
}

std::string get(const pt::ptree& t, const std::string& key)
{
    return t.get<std::string>(pt::ptree::path_type(key, '/'), "");
}

void docker(const engine_roots& r, container_ref& c)
{
    pt::ptree t;
    if (!read_json(r.docker + "/containers/" + c.id + "/config.v2.json", r.max_file_size, t, c.unknown))
        return;
    c.name = get(t, "Name");
    if (!c.name.empty() && c.name.front() == '/')
        c.name.erase(0, 1);
    c.project = get(t, "Config/Labels/com.docker.compose.project");
}

// containers/storage keeps DRIVER-containers/containers.json for its storage driver.
std::string storage_file(const engine_roots& r, const std::string& rest)
{
    for (const char* driver : {"overlay", "vfs", "btrfs", "zfs", "aufs", "devmapper"}) {
        const std::string p = r.containers_storage + "/" + driver + "-containers" + rest;
        struct stat st{};
        if (::lstat(p.c_str(), &st) == 0)
            return p;
    }
    return r.containers_storage + "/overlay-containers" + rest;
}

void podman(const engine_roots& r, container_ref& c)
{
    pt::ptree t;
    if (!read_json(storage_file(r, "/containers.json"), r.max_file_size, t, c.unknown))
        return;
    for (const auto& [key, entry] : t)
        if (get(entry, "id") == c.id) {
            if (auto names = entry.get_child_optional("names"); names && !names->empty())
                c.name = names->begin()->second.data();
            return;
        }
    c.unknown = "containers.json does not list " + c.id.substr(0, 12);
}

// The Kubernetes names in an OCI spec's annotations.
void annotations(const pt::ptree& spec, container_ref& c, const char* container, const char* pod, const char* ns,
                 const char* uid)
{
    const auto a = spec.get_child_optional("annotations");
    if (!a)
        return;
    c.container_name = get(*a, container);
    c.pod_name = get(*a, pod);
    c.pod_namespace = get(*a, ns);
    if (c.pod_uid.empty())
        c.pod_uid = get(*a, uid);
    c.name = c.container_name;
}

void crio(const engine_roots& r, container_ref& c)
{
    pt::ptree t;
    if (read_json(storage_file(r, "/" + c.id + "/userdata/config.json"), r.max_file_size, t, c.unknown))
        annotations(t, c, "io.kubernetes.container.name", "io.kubernetes.pod.name", "io.kubernetes.pod.namespace",
                    "io.kubernetes.pod.uid");
}

void containerd(const engine_roots& r, container_ref& c)
{
    const std::string tasks = r.containerd + "/io.containerd.runtime.v2.task";
    std::error_code ec;
    const unique_fd dir = open_no_symlinks(tasks, ec);
    const unique_fd listing(ec ? -1 : ::openat(dir.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    DIR* d = listing ? ::fdopendir(::dup(listing.get())) : nullptr;
    if (!d) {
        c.unknown = tasks + ": " + lower_message(ec ? ec : nskit::detail::last_error());
        return;
    }
    std::string why = tasks + ": no bundle for " + c.id.substr(0, 12);
    while (const dirent* e = ::readdir(d)) { // containerd namespaces: k8s.io, moby, default, ...
        if (e->d_name[0] == '.')
            continue;
        pt::ptree t;
        std::string reason;
        if (read_json(tasks + "/" + e->d_name + "/" + c.id + "/config.json", r.max_file_size, t, reason)) {
            c.project = e->d_name;
            annotations(t, c, "io.kubernetes.cri.container-name", "io.kubernetes.cri.sandbox-name",
                        "io.kubernetes.cri.sandbox-namespace", "io.kubernetes.cri.sandbox-uid");
            why.clear();
            break;
        }
        if (reason.find("no such file") == std::string::npos)
            why = reason;
    }
    ::closedir(d);
    c.unknown = why;
}

} // namespace

void read_kubelet_pod(const engine_roots& r, container_ref& c);

void read_engine_state(const engine_roots& r, container_ref& c)
{
    if (c.engine == "docker")
        docker(r, c);
    else if (c.engine == "podman")
        podman(r, c);
    else if (c.engine == "cri-o")
        crio(r, c);
    else if (c.engine == "containerd")
        containerd(r, c);
    else if (c.engine == "systemd-nspawn") {
        std::string why;
        const std::string text = read_state(r.machines + "/" + c.id, r.max_file_size, why);
        if (const auto at = text.find("\nSERVICE="); at != std::string::npos)
            c.engine = text.substr(at + 9, text.find('\n', at + 9) - at - 9);
    }
    if (!c.pod_uid.empty() && c.pod_name.empty())
        read_kubelet_pod(r, c);
}

// kubelet's pod directory: the pod's hostname (its name unless the spec sets
// one) and the namespace of its service-account projection.
void read_kubelet_pod(const engine_roots& r, container_ref& c)
{
    const std::string pod = r.kubelet + "/pods/" + c.pod_uid;
    std::string why;
    const std::string hosts = read_state(pod + "/etc-hosts", r.max_file_size, why);
    std::istringstream lines(hosts);
    std::string line, last;
    while (std::getline(lines, line))
        if (!line.empty() && line[0] != '#')
            last = line;
    if (auto tab = last.find_last_of("\t "); tab != std::string::npos)
        c.pod_name = last.substr(tab + 1);
    const std::string projected = pod + "/volumes/kubernetes.io~projected";
    std::error_code ec;
    const unique_fd dir = open_no_symlinks(projected, ec);
    const unique_fd listing(ec ? -1 : ::openat(dir.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (DIR* d = listing ? ::fdopendir(::dup(listing.get())) : nullptr) {
        while (const dirent* e = ::readdir(d)) {
            if (e->d_name[0] == '.')
                continue;
            // the atomic writer's "..data" names the current payload: a plain name in the same directory
            const std::string vol = projected + "/" + e->d_name;
            char target[256];
            const ssize_t n = ::readlinkat(listing.get(), (std::string(e->d_name) + "/..data").c_str(), target, sizeof target - 1);
            if (n <= 0 || std::string_view(target, static_cast<std::size_t>(n)).find('/') != std::string_view::npos)
                continue;
            std::string ns = read_state(vol + "/" + std::string(target, static_cast<std::size_t>(n)) + "/namespace", 4096, why);
            if (!ns.empty()) {
                c.pod_namespace = ns.substr(0, ns.find('\n'));
                break;
            }
        }
        ::closedir(d);
    }
    if (c.pod_name.empty())
        c.unknown = why.empty() ? pod + ": no pod name" : why;
}

} // namespace nskit::inspect::detail
