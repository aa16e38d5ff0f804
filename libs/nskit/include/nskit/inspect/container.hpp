// nskit/inspect/container.hpp — whose process is it: which container engine's
// container, or which systemd unit, from its cgroup path and the engines'
// own state on disk.  How each engine is recognised (and the sources) is in
// doc/inspect.md, "Whose namespace".
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <nskit/export.hpp>

NSKIT_API_BEGIN
namespace nskit::inspect {

// A container as its engine knows it.
struct container_ref {
    std::string engine{}; // docker, podman, containerd, cri-o, lxc, systemd-nspawn (or machined's SERVICE), flatpak, snap
    std::string id{};    // the engine's id (64 hex digits for docker, podman, containerd, cri-o), else the name
    std::string name{};  // its name, where the engine's state says ("" when not found)
    std::string project{}; // docker compose project, podman pod id
    // Kubernetes (containerd or CRI-O under kubelet): the pod and the container in it.
    std::string pod_namespace{}, pod_name{}, pod_uid{}, container_name{};
    // Why name (or the pod's fields) could not be read: "" when nothing was
    // missing; else e.g. "config.v2.json: not valid JSON".
    std::string unknown{};

    // Same container: engine and id.
    friend bool operator==(const container_ref& a, const container_ref& b) noexcept
    {
        return a.engine == b.engine && a.id == b.id;
    }
};

// A process's owner: a container, else the systemd unit or scope it runs in.
struct cgroup_owner {
    std::optional<container_ref> container{};
    std::string unit{}; // "ssh.service", "session-3.scope"; "" in the root cgroup
};

// The cgroup path to classify from /proc/PID/cgroup text (v1 and v2): each
// line's path in the order systemd's hierarchy (0:: on v2 or hybrid, then
// name=systemd), then the controllers.
std::string systemd_cgroup_path(std::string_view proc_cgroup);

// Where the engines keep their state.  Paths are absolute; nothing under
// them is followed through a symlink, and no read blocks.
struct engine_roots {
    std::string docker = "/var/lib/docker";                          // containers/ID/config.v2.json
    std::string containers_storage = "/var/lib/containers/storage";  // podman and CRI-O (overlay-containers/)
    std::string containerd = "/run/containerd";                      // io.containerd.runtime.v2.task/NS/ID/config.json
    std::string kubelet = "/var/lib/kubelet";                        // pods/UID/...
    std::string machines = "/run/systemd/machines";                  // machined's NAME files
    std::string lxc = "/var/lib/lxc";                                // NAME/config
    std::size_t max_file_size = 4u << 20;                            // larger state files are not read
};

// Classifies processes by the text of their /proc/PID/cgroup; remembers
// every cgroup path and state file it has read, so that a scan reads each
// once.  Never fails: what the state does not say is in container_ref::unknown.
class owner_finder {
public:
    explicit owner_finder(engine_roots roots = {});
    const cgroup_owner& owner_of(std::string_view proc_cgroup);
    // From a cgroup path alone (no state read): engine, id, pod uid, unit.
    static cgroup_owner classify(std::string_view cgroup_path);

private:
    void add_names(container_ref& c);
    engine_roots roots_;
    std::map<std::string, cgroup_owner, std::less<>> by_text_;
};

// "docker/web-1", "k8s/default/api-7f9/nginx", "lxc/c1", "docker/3f4e5a6b7c8d"
// (the short id where no name is known).
std::string container_text(const container_ref& c);

} // namespace nskit::inspect
NSKIT_API_END
