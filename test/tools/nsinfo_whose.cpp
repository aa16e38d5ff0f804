// Whose namespace: CONTAINER and UNIT from cgroup paths laid out as each
// engine's cgroup driver makes them, and engine state files as each engine
// writes them; CAPS by the kernel's rules.  Real processes are moved into
// those cgroups (cgroup.procs) of a cgroup2 mount and of a private cgroup v1
// named hierarchy, in a child with its own mount namespace, where tmpfs over
// /var/lib and /run holds the engines' state.
//
// Formats, from the engines' sources:
//   docker (moby daemon/cgroups, container/container.go): systemd driver
//     system.slice/docker-ID.scope, cgroupfs /docker/ID; containers/ID/config.v2.json
//     {"ID":..., "Name":"/web-1", "Config":{"Labels":{"com.docker.compose.project":"shop"}}}
//   podman (libpod, containers/storage): machine.slice/libpod-ID.scope (conmon: libpod-conmon-ID.scope);
//     overlay-containers/containers.json [{"id":ID,"names":["db"],...}]
//   CRI-O (internal/config/cgmgr): kubepods...pod<uid>.slice/crio-ID.scope; overlay-containers/ID/userdata/config.json
//     (OCI spec) annotations io.kubernetes.container.name, io.kubernetes.pod.{name,namespace,uid}
//   containerd CRI (pkg/cri, runtime v2 shim): kubepods-besteffort-pod<uid>.slice/cri-containerd-ID.scope, cgroupfs
//     /kubepods/besteffort/pod<uid>/ID; /run/containerd/io.containerd.runtime.v2.task/k8s.io/ID/config.json annotations
//     io.kubernetes.cri.{container-name,sandbox-name,sandbox-namespace,sandbox-uid}
//   kubelet (pkg/kubelet/cm, kubelet_pods.go): kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid _>.slice;
//     /var/lib/kubelet/pods/UID/etc-hosts ends with "IP\thostname"; the service-account projection's namespace file
//   LXC (src/lxc/cgroups/cgfsng.c): lxc.payload.NAME (lxc.monitor.NAME: the monitor)
//   systemd-machined (src/machine/machine.c): machine.slice/machine-NAME.scope; /run/systemd/machines/NAME SERVICE=
//   flatpak (common/flatpak-run.c): app-flatpak-APPID-PID.scope; snapd (sandbox/cgroup): snap.NAME.APP-UUID.scope
#include "test_support.hpp"
#include "tool_runner.hpp"
#include "strict_json.hpp"
#include "hostile.hpp"
#include "ns_holder.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <string>

namespace t = nskit::test;
namespace h = nskit::test::hostile;
namespace json = boost::json;

namespace {

const std::string docker_id = std::string(64, 'd');
const std::string podman_id = std::string(63, 'e') + "1";
const std::string crio_id = std::string(63, 'c') + "2";
const std::string containerd_id = std::string(63, 'a') + "3";
const std::string bad_ids[] = {std::string(63, 'b') + "4", std::string(63, 'b') + "5", std::string(63, 'b') + "6",
                               std::string(63, 'b') + "7"};
const std::string pod_uid = "0b8a7c6d-1e2f-4a5b-9c8d-7e6f5a4b3c2d";
const std::string pod_uid2 = "1c9b8d7e-2f3a-4b5c-8d9e-6f5a4b3c2d1e";

bool mkdirs(const std::string& path)
{
    for (std::size_t at = 1; at != std::string::npos;) {
        at = path.find('/', at + 1);
        const std::string p = path.substr(0, at);
        if (::mkdir(p.c_str(), 0755) != 0 && errno != EEXIST)
            return false;
    }
    return true;
}

bool put(const std::string& path, const std::string& text)
{
    if (!mkdirs(path.substr(0, path.rfind('/'))))
        return false;
    const int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
    const bool ok = fd >= 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    if (fd >= 0)
        ::close(fd);
    return ok;
}

// Engine state as each engine writes it (the fields nskit reads, among others).
bool lay_out_engine_state()
{
    bool ok = put("/var/lib/docker/containers/" + docker_id + "/config.v2.json",
                  R"({"StreamConfig":{},"State":{"Running":true,"Pid":1},"ID":")" + docker_id +
                      R"(","Name":"/web-1","Config":{"Hostname":"web","Labels":{"com.docker.compose.project":"shop","com.docker.compose.service":"web"}}})");
    ok = ok && put("/var/lib/containers/storage/overlay-containers/containers.json",
                   R"([{"id":"0000","names":["other"]},{"id":")" + podman_id +
                       R"(","names":["db"],"image":"abc","layer":"def","metadata":"{}","created":"2026-01-01T00:00:00Z"}])");
    ok = ok && put("/var/lib/containers/storage/overlay-containers/" + crio_id + "/userdata/config.json",
                   R"({"ociVersion":"1.0.2","annotations":{"io.kubernetes.container.name":"nginx","io.kubernetes.pod.name":"api-7f9","io.kubernetes.pod.namespace":"default","io.kubernetes.pod.uid":")" +
                       pod_uid + R"("}})");
    ok = ok && put("/run/containerd/io.containerd.runtime.v2.task/k8s.io/" + containerd_id + "/config.json",
                   R"({"ociVersion":"1.1.0","annotations":{"io.kubernetes.cri.container-type":"container","io.kubernetes.cri.container-name":"redis","io.kubernetes.cri.sandbox-name":"cache-0","io.kubernetes.cri.sandbox-namespace":"store","io.kubernetes.cri.sandbox-uid":")" +
                       pod_uid2 + R"("}})");
    ok = ok && put("/run/systemd/machines/box", "# This is private data. Do not parse.\nNAME=box\nSCOPE=machine-box.scope\nSERVICE=systemd-nspawn\nCLASS=container\nLEADER=1\n");
    ok = ok && put("/var/lib/lxc/c1/config", "lxc.uts.name = c1\n");
    // hostile state: a symlink to a host file, invalid JSON, a huge file, a FIFO
    ok = ok && mkdirs("/var/lib/docker/containers/" + bad_ids[0]) &&
         ::symlink("/etc/shadow", ("/var/lib/docker/containers/" + bad_ids[0] + "/config.v2.json").c_str()) == 0;
    ok = ok && put("/var/lib/docker/containers/" + bad_ids[1] + "/config.v2.json", R"({"Name":"/trunc)");
    ok = ok && put("/var/lib/docker/containers/" + bad_ids[2] + "/config.v2.json", std::string(5u << 20, ' '));
    ok = ok && mkdirs("/var/lib/docker/containers/" + bad_ids[3]) &&
         ::mkfifo(("/var/lib/docker/containers/" + bad_ids[3] + "/config.v2.json").c_str(), 0600) == 0;
    return ok;
}

// In a child: a mount namespace of its own, tmpfs over /var/lib, /run and
// /tmp, the engines' state laid out there.
bool private_engine_state()
{
    if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
        return false;
    for (const char* at : {"/var/lib", "/run", "/tmp"})
        if (::mount("tmpfs", at, "tmpfs", 0, "size=16m") != 0)
            return false;
    return lay_out_engine_state();
}

// A process in its own net namespace, moved into cgroup `dir`.
struct member {
    std::unique_ptr<t::sleeper> s;
    std::string dir;
    std::uint64_t netns = 0;
};

bool move_into(const std::string& dir, pid_t pid) { return h::write_text((dir + "/cgroup.procs").c_str(), std::to_string(pid)); }

std::string str(const json::value& v) { return v.is_string() ? std::string(v.as_string()) : std::string(); }

} // namespace

BOOST_AUTO_TEST_SUITE(tools_nsinfo_whose)

BOOST_AUTO_TEST_CASE(container_and_unit_for_every_engine_layout, *boost::unit_test::precondition(t::privileged()))
{
    NSKIT_CHECK_CHILD(t::in_child([] {
        NSKIT_EXPECT(private_engine_state());
        NSKIT_EXPECT(mkdirs("/tmp/cg") && ::mount("none", "/tmp/cg", "cgroup2", 0, nullptr) == 0);
        const std::string top = "/tmp/cg/nskit-test-" + std::to_string(::getpid());
        const std::map<std::string, std::string> layouts = {
            {"docker", "/system.slice/docker-" + docker_id + ".scope"},
            {"podman", "/machine.slice/libpod-" + podman_id + ".scope"},
            {"conmon", "/machine.slice/libpod-conmon-" + podman_id + ".scope"},
            {"crio", "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + std::string("0b8a7c6d_1e2f_4a5b_9c8d_7e6f5a4b3c2d") + ".slice/crio-" + crio_id + ".scope"},
            {"containerd", "/kubepods/besteffort/pod" + pod_uid2 + "/" + containerd_id},
            {"lxc", "/lxc.payload.c1"},
            {"nspawn", "/machine.slice/machine-box.scope"},
            {"flatpak", "/user.slice/user-1000.slice/user@1000.service/app.slice/app-flatpak-org.example.App-4242.scope"},
            {"snap", "/user.slice/user-1000.slice/user@1000.service/app.slice/snap.firefox.firefox-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d.scope"},
            {"unit", "/system.slice/nskit-probe.service"},
            {"symlink", "/system.slice/docker-" + bad_ids[0] + ".scope"},
            {"truncated", "/docker/" + bad_ids[1]},
            {"huge", "/docker/" + bad_ids[2]},
            {"fifo", "/docker/" + bad_ids[3]}};
        std::map<std::string, member> m;
        for (const auto& [what, path] : layouts) {
            member& x = m[what];
            x.dir = top + path;
            NSKIT_EXPECT(mkdirs(x.dir));
            x.s = std::make_unique<t::sleeper>(CLONE_NEWNET);
            NSKIT_EXPECT(x.s->pid > 0 && move_into(x.dir, x.s->pid));
            x.netns = h::inode_of("/proc/" + std::to_string(x.s->pid) + "/ns/net");
        }
        auto r = t::run_tool("nsinfo", {"--all", "-J", "-t", "net", "-o", "NS,CONTAINER,UNIT"});
        NSKIT_EXPECT(r.status == 0 || r.status == 3);
        std::map<std::uint64_t, json::object> rows;
        const auto v = t::strict_json(r.out);
        for (const auto& row : v.at("namespaces").as_array())
            rows[row.at("ns").to_number<std::uint64_t>()] = row.as_object();
        auto c = [&](const std::string& what) -> const json::object& { return rows[m[what].netns]; };
        auto field = [&](const std::string& what, const char* key) {
            const auto& row = c(what);
            return row.contains("container") && row.at("container").is_object() && row.at("container").as_object().contains(key)
                       ? str(row.at("container").at(key))
                       : std::string("<none>");
        };
        NSKIT_EXPECT(field("docker", "engine") == "docker" && field("docker", "name") == "web-1" &&
                     field("docker", "project") == "shop" && field("docker", "id") == docker_id);
        NSKIT_EXPECT(field("podman", "engine") == "podman" && field("podman", "name") == "db");
        NSKIT_EXPECT(c("conmon").at("container").is_null() && str(c("conmon").at("unit")) == "libpod-conmon-" + podman_id + ".scope");
        NSKIT_EXPECT(field("crio", "engine") == "cri-o");
        const auto& pod = c("crio").at("container").at("pod");
        NSKIT_EXPECT(str(pod.at("namespace")) == "default" && str(pod.at("name")) == "api-7f9" &&
                     str(pod.at("uid")) == pod_uid && str(pod.at("container")) == "nginx");
        const auto& pod2 = c("containerd").at("container").at("pod");
        NSKIT_EXPECT(field("containerd", "engine") == "containerd" && str(pod2.at("namespace")) == "store" &&
                     str(pod2.at("name")) == "cache-0" && str(pod2.at("container")) == "redis" && str(pod2.at("uid")) == pod_uid2);
        NSKIT_EXPECT(field("lxc", "engine") == "lxc" && field("lxc", "name") == "c1");
        NSKIT_EXPECT(field("nspawn", "engine") == "systemd-nspawn" && field("nspawn", "name") == "box");
        NSKIT_EXPECT(field("flatpak", "engine") == "flatpak" && field("flatpak", "name") == "org.example.App");
        NSKIT_EXPECT(field("snap", "engine") == "snap" && field("snap", "name") == "firefox");
        NSKIT_EXPECT(c("unit").at("container").is_null() && str(c("unit").at("unit")) == "nskit-probe.service");
        // hostile state: the container is known, its name unknown with the reason; nothing followed or blocked
        for (const auto& [what, reason] : std::map<std::string, std::string>{
                 {"symlink", "symlink"}, {"truncated", "not valid JSON"}, {"huge", "too large"}, {"fifo", "not a regular file"}}) {
            NSKIT_EXPECT(field(what, "engine") == "docker");
            NSKIT_EXPECT(c(what).at("container").at("name").is_null());
            NSKIT_EXPECT(str(c(what).at("container").at("unknown").at("name")).find(reason) != std::string::npos);
        }
        // the filter sees the text form
        auto web = t::run_tool("nsinfo", {"--all", "-n", "-r", "-o", "NS", "-t", "net", "-Q", "CONTAINER =~ \"web\""});
        NSKIT_EXPECT(web.out == std::to_string(m["docker"].netns) + "\n");
        // a process of another container joins the docker one's net namespace: the namespace is "mixed"
        const int dnet = ::open(("/proc/" + std::to_string(m["docker"].s->pid) + "/ns/net").c_str(), O_RDONLY | O_CLOEXEC);
        NSKIT_EXPECT(dnet >= 0);
        const pid_t joiner = ::fork();
        if (joiner == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (::setns(dnet, CLONE_NEWNET) != 0)
                ::_exit(1);
            for (int i = 0; i < 600; ++i)
                ::sleep(1);
            ::_exit(0);
        }
        ::close(dnet);
        NSKIT_EXPECT(joiner > 0 && move_into(m["podman"].dir, joiner));
        t::wait_until([&] { return h::inode_of("/proc/" + std::to_string(joiner) + "/ns/net") == m["docker"].netns; });
        auto mixed = t::run_tool("nsinfo", {"--all", "-n", "-r", "-o", "CONTAINER,UNIT", "-t", "net", "-Q",
                                            "NS == " + std::to_string(m["docker"].netns)});
        ::kill(joiner, SIGKILL);
        ::waitpid(joiner, nullptr, 0);
        NSKIT_EXPECT(mixed.out == "mixed \n");
        for (auto& [what, x] : m) {
            x.s.reset(); // killed and reaped: the cgroups are empty
            ::rmdir(x.dir.c_str());
        }
        for (const auto& [what, path] : layouts) // the directories above each leaf, deepest first
            for (std::string d = top + path; d.size() > top.size(); d = d.substr(0, d.rfind('/')))
                ::rmdir(d.c_str());
        ::rmdir(top.c_str());
        return std::string();
    }));
}

// cgroup v1 (this machine mounts v1 controllers): the pids hierarchy, mounted
// again in the child's mount namespace, /docker/ID as docker's cgroupfs driver
// makes it under a directory of this test's own.  (Not a new named hierarchy:
// one whose last cgroups are still being released when it is unmounted
// outlives its mount on this kernel, and would be left behind.)
BOOST_AUTO_TEST_CASE(container_on_cgroup_v1, *boost::unit_test::precondition(t::privileged()))
{
    NSKIT_CHECK_CHILD(t::in_child([] {
        NSKIT_EXPECT(private_engine_state());
        NSKIT_EXPECT(mkdirs("/tmp/cg1") && ::mount("cgroup", "/tmp/cg1", "cgroup", 0, "pids") == 0);
        const std::string top = "/tmp/cg1/nskit-test-" + std::to_string(::getpid());
        const std::string dir = top + "/docker/" + docker_id;
        NSKIT_EXPECT(mkdirs(dir));
        auto s = std::make_unique<t::sleeper>(CLONE_NEWUTS);
        NSKIT_EXPECT(s->pid > 0 && move_into(dir, s->pid));
        const std::string pid = std::to_string(s->pid);
        const std::string line = t::read_file("/proc/" + pid + "/cgroup");
        auto r = t::run_tool("nsinfo", {pid, "-n", "-r", "-o", "TYPE,CONTAINER", "-t", "uts"});
        s.reset();
        for (const std::string& d : {dir, top + "/docker", top})
            ::rmdir(d.c_str());
        NSKIT_EXPECT(line.find(":pids:/nskit-test-") != std::string::npos); // v1, and only v1, names it
        NSKIT_EXPECT(line.find("0::/nskit-test-") == std::string::npos);
        if (r.out != "uts docker/shop/web-1\n")
            return "nsinfo said '" + r.out + "' " + r.err;
        return std::string();
    }));
}

// A real engine: podman 4.3 (Debian 12) with runc (crun refuses this
// machine's hybrid cgroups), cgroupfs manager, no network, limits lowered to
// what root without CAP_SYS_RESOURCE may set, a rootfs of sleep and its
// libraries; its state on tmpfs in a child's own mount namespace, its
// cgroups (/libpod_parent/...) removed at the end.
BOOST_AUTO_TEST_CASE(a_real_podman_container, *boost::unit_test::precondition(t::privileged()))
{
    NSKIT_CHECK_CHILD(t::in_child([] {
        NSKIT_EXPECT(::unshare(CLONE_NEWNS) == 0 && ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0);
        for (const char* at : {"/var/lib", "/run", "/tmp"})
            NSKIT_EXPECT(::mount("tmpfs", at, "tmpfs", 0, "size=64m") == 0);
        for (const std::string f : {"/usr/bin/sleep", "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"}) {
            const std::string text = t::read_file(f);
            NSKIT_EXPECT(!text.empty() && put("/tmp/rootfs" + f, text) && ::chmod(("/tmp/rootfs" + f).c_str(), 0755) == 0);
        }
        const std::vector<std::string> podman = {"podman", "--cgroup-manager=cgroupfs", "--events-backend=file",
                                                 "--storage-driver=vfs", "--runtime", "runc"};
        auto run = [&](std::vector<std::string> args, int& status) {
            args.insert(args.begin(), podman.begin(), podman.end());
            return t::run_program(args, &status);
        };
        int status = -1;
        run({"run", "-d", "--name", "nskit-web-1", "--network", "none", "--ulimit", "nofile=1024:1024", "--ulimit",
             "nproc=1024:1024", "--rootfs", "/tmp/rootfs", "/usr/bin/sleep", "300"},
            status);
        std::string pid = run({"inspect", "-f", "{{.State.Pid}}", "nskit-web-1"}, status);
        while (!pid.empty() && pid.back() == '\n')
            pid.pop_back();
        std::string out, all;
        if (status == 0 && !pid.empty() && pid != "0") {
            out = t::run_tool("nsinfo", {pid, "-n", "-r", "-o", "TYPE,CONTAINER", "-t", "net"}).out;
            all = t::run_tool("nsinfo", {"--all", "-n", "-r", "-o", "PID", "-t", "net", "-Q", "CONTAINER =~ \"web\""}).out;
        }
        run({"rm", "-f", "-t", "0", "nskit-web-1"}, status);
        t::wait_until([] { // conmon leaves its cgroups a moment after rm returns
            bool gone = true;
            for (const char* h : {"blkio", "cpu", "cpuacct", "cpuset", "devices", "freezer", "memory", "pids", "systemd", "unified"}) {
                const std::string base = std::string("/sys/fs/cgroup/") + h + "/libpod_parent";
                ::rmdir((base + "/conmon").c_str());
                gone = (::rmdir(base.c_str()) == 0 || errno == ENOENT) && gone;
            }
            return gone;
        });
        NSKIT_EXPECT(!pid.empty() && pid != "0");
        if (out != "net podman/nskit-web-1\n")
            return "nsinfo said '" + out + "'";
        NSKIT_EXPECT(all == pid + "\n");
        return std::string();
    }));
}

// CAPS and --caps: the kernel's three rules.
BOOST_AUTO_TEST_CASE(caps_by_the_kernel_rules, *boost::unit_test::precondition(t::privileged()))
{
    t::sleeper child(CLONE_NEWUSER | CLONE_NEWNET); // created by euid 0, a child of our user namespace
    BOOST_TEST_REQUIRE(child.pid > 0);
    const std::string me = std::to_string(::getpid()), pid = std::to_string(child.pid);
    const std::string net = "net:[" + std::to_string(h::inode_of("/proc/" + pid + "/ns/net")) + "]";
    const std::string host_net = "net:[" + std::to_string(h::inode_of("/proc/self/ns/net")) + "]";
    auto ask = [](const std::string& p, const std::string& ns) {
        auto r = t::run_tool("nsinfo", {"--caps", p, ns, "-n", "-r", "-o", "CAPS,CAPSRULE"});
        return r.out;
    };
    // we in our own user namespace: our effective set (root here lacks CAP_SYS_RESOURCE: not "all")
    const std::string own = ask(me, host_net);
    BOOST_TEST(own.find(" same_user_namespace\n") != std::string::npos, own);
    BOOST_TEST((own.find("cap_sys_admin") != std::string::npos || own.rfind("all ", 0) == 0u), own);
    // in the child's: its owner is a child of ours created by our euid: everything
    BOOST_TEST(ask(me, net).rfind("all owner_of_ancestor", 0) == 0u, ask(me, net)); // then the ancestor's inode
    // the child (uid 65534 inside, unmapped: overflow) asks about the host's: outside its user namespace
    BOOST_TEST(ask(pid, host_net) == "none outside\n");
    // a process of euid 65534 in our user namespace did not create the child's: none
    const pid_t nobody = ::fork();
    if (nobody == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::setresgid(65534, 65534, 65534) != 0 || ::setresuid(65534, 65534, 65534) != 0)
            ::_exit(1);
        for (int i = 0; i < 600; ++i)
            ::sleep(1);
        ::_exit(0);
    }
    BOOST_TEST_REQUIRE(nobody > 0);
    t::wait_until([&] { return t::read_file("/proc/" + std::to_string(nobody) + "/status").find("Uid:\t65534") != std::string::npos; });
    BOOST_TEST(ask(std::to_string(nobody), net) == "none not_owner\n");
    // the CAPS column of a process's own rows
    auto rows = t::run_tool("nsinfo", {me, "-n", "-r", "-o", "TYPE,CAPS", "-t", "net"});
    BOOST_TEST(rows.out.rfind("net ", 0) == 0u);
    BOOST_TEST(rows.out.find("none") == std::string::npos, rows.out);
    ::kill(nobody, SIGKILL);
    ::waitpid(nobody, nullptr, 0);
}

BOOST_AUTO_TEST_SUITE_END()
