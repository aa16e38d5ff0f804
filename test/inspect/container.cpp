#include <nskit/inspect/container.hpp>

#include "test_support.hpp"

#include <string>

using namespace nskit::inspect;

namespace {

const std::string id64 = std::string(63, 'f') + "0";

std::string who(const std::string& path)
{
    const auto o = owner_finder::classify(path);
    if (o.container)
        return o.container->engine + " " + o.container->id + (o.container->pod_uid.empty() ? "" : " pod " + o.container->pod_uid);
    return "unit " + o.unit;
}

} // namespace

BOOST_AUTO_TEST_SUITE(inspect_container)

// Each engine's cgroup layout (sources in doc/inspect.md, "Whose namespace").
BOOST_AUTO_TEST_CASE(cgroup_paths_name_the_engine)
{
    BOOST_TEST(who("/system.slice/docker-" + id64 + ".scope") == "docker " + id64);
    BOOST_TEST(who("/docker/" + id64) == "docker " + id64);
    BOOST_TEST(who("/machine.slice/libpod-" + id64 + ".scope") == "podman " + id64);
    BOOST_TEST(who("/machine.slice/libpod-conmon-" + id64 + ".scope") == "unit libpod-conmon-" + id64 + ".scope");
    BOOST_TEST(who("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0b8a7c6d_1e2f_4a5b_9c8d_7e6f5a4b3c2d.slice/crio-" +
                   id64 + ".scope") == "cri-o " + id64 + " pod 0b8a7c6d-1e2f-4a5b-9c8d-7e6f5a4b3c2d");
    BOOST_TEST(who("/kubepods/burstable/pod0b8a7c6d-1e2f-4a5b-9c8d-7e6f5a4b3c2d/" + id64) ==
               "containerd " + id64 + " pod 0b8a7c6d-1e2f-4a5b-9c8d-7e6f5a4b3c2d");
    BOOST_TEST(who("/kubepods.slice/kubepods-pod0b8a7c6d_1e2f_4a5b_9c8d_7e6f5a4b3c2d.slice/cri-containerd-" + id64 + ".scope") ==
               "containerd " + id64 + " pod 0b8a7c6d-1e2f-4a5b-9c8d-7e6f5a4b3c2d");
    BOOST_TEST(who("/lxc.payload.c1/init.scope") == "lxc c1"); // the innermost container wins; init.scope is its own
    BOOST_TEST(who("/lxc/c1") == "lxc c1");
    BOOST_TEST(who("/lxc.monitor.c1") == "unit ");
    BOOST_TEST(who("/machine.slice/machine-my\\x2dbox.scope") == "systemd-nspawn my-box");
    BOOST_TEST(who("/user.slice/user-1000.slice/user@1000.service/app.slice/app-flatpak-org.example.App-77.scope") ==
               "flatpak org.example.App");
    BOOST_TEST(who("/user.slice/user-1000.slice/user@1000.service/app.slice/snap.firefox.firefox-0a1b2c3d-4e5f.scope") ==
               "snap firefox");
    BOOST_TEST(who("/system.slice/ssh.service") == "unit ssh.service");
    BOOST_TEST(who("/user.slice/user-0.slice/session-3.scope") == "unit session-3.scope");
    BOOST_TEST(who("/") == "unit ");
    BOOST_TEST(who("/docker/" + id64.substr(1)) == "unit "); // not an id: nothing claimed
    // found by test/fuzz/fuzz_container: these named a container with an empty name ("lxc/")
    BOOST_TEST(who("/lxc.payload.") == "unit ");
    BOOST_TEST(who("/machine.slice/machine-.scope") == "unit machine-.scope");
    BOOST_TEST(who("/app.slice/app-flatpak--1.scope") == "unit app-flatpak--1.scope");
    BOOST_TEST(who("/app.slice/snap..x.scope") == "unit snap..x.scope");
}

BOOST_AUTO_TEST_CASE(the_systemd_hierarchy_first_v1_and_v2)
{
    BOOST_TEST(systemd_cgroup_path("0::/system.slice/a.service\n") == "/system.slice/a.service");
    BOOST_TEST(systemd_cgroup_path("2:cpu:/x\n1:name=systemd:/system.slice/b.service\n0::/\n") == "/system.slice/b.service");
    BOOST_TEST(systemd_cgroup_path("3:memory:/docker/abc\n1:name=systemd:/\n0::/\n") == "/docker/abc");
    BOOST_TEST(systemd_cgroup_path("") == "");
    // a container on any hierarchy is found, whichever names the unit
    owner_finder f;
    const auto& o = f.owner_of("9:name=systemd:/\n4:memory:/docker/" + id64 + "\n0::/\n");
    BOOST_TEST_REQUIRE(o.container.has_value());
    BOOST_TEST(o.container->engine == "docker");
    BOOST_TEST(!o.container->unknown.empty()); // no state here: the name is unknown, with the reason
}

BOOST_AUTO_TEST_CASE(text_form)
{
    container_ref d{.engine = "docker", .id = id64, .name = "web-1", .project = "shop"};
    BOOST_TEST(container_text(d) == "docker/shop/web-1");
    container_ref anon{.engine = "docker", .id = id64};
    BOOST_TEST(container_text(anon) == "docker/" + id64.substr(0, 12));
    container_ref k{.engine = "cri-o", .id = id64, .name = "nginx"};
    k.pod_namespace = "default";
    k.pod_name = "api-7f9";
    k.container_name = "nginx";
    BOOST_TEST(container_text(k) == "k8s/default/api-7f9/nginx");
}

BOOST_AUTO_TEST_SUITE_END()
