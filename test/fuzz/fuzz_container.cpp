// fuzz-sources: libs/nskit/src/inspect/container.cpp
// libFuzzer target: any text as /proc/PID/cgroup and as a cgroup path (a
// container can name its own cgroups): the classifier's engine and id come
// from the path and follow each engine's rules, and "//" or a leading '/'
// change nothing.
#include <nskit/inspect/container.hpp>

#include "fuzz_support.hpp"

#include <algorithm>
#include <string>

namespace in = nskit::inspect;

namespace {

bool hex64(const std::string& s)
{
    return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    });
}

void check_owner(const in::cgroup_owner& o, std::string_view path)
{
    if (!o.container)
        return;
    const auto& c = *o.container;
    static const char* engines[] = {"docker", "podman", "cri-o", "containerd", "lxc", "systemd-nspawn", "flatpak", "snap"};
    FUZZ_CHECK(std::find(std::begin(engines), std::end(engines), c.engine) != std::end(engines));
    FUZZ_CHECK(!c.id.empty()); // "lxc/" names no container
    if (c.engine == "docker" || c.engine == "podman" || c.engine == "cri-o" || c.engine == "containerd") {
        FUZZ_CHECK(hex64(c.id));
        FUZZ_CHECK(path.find(c.id) != std::string_view::npos);
    }
    FUZZ_CHECK(c.pod_uid.empty() || c.pod_uid.size() == 36);
    FUZZ_CHECK(o.unit.empty());
    FUZZ_CHECK(in::container_text(c).starts_with(c.engine + "/"));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const auto text = nskit_fuzz::text(data, size);

    // /proc/PID/cgroup: the path chosen is one of the lines' paths
    const auto chosen = in::systemd_cgroup_path(text);
    if (!chosen.empty())
        FUZZ_CHECK(text.find(":" + chosen) != std::string_view::npos);

    const auto o = in::owner_finder::classify(text);
    check_owner(o, text);
    if (!o.unit.empty())
        FUZZ_CHECK(o.unit.ends_with(".service") || o.unit.ends_with(".scope"));

    // "/a//b" is "/a/b" and "a/b"
    std::string doubled = "/";
    for (char c : text)
        doubled += c == '/' ? std::string("//") : std::string(1, c);
    const auto o2 = in::owner_finder::classify(doubled);
    FUZZ_CHECK(o2.container == o.container && o2.unit == o.unit);

    // the whole lookup, with engine state where none exists: never fails, same verdict
    in::engine_roots nowhere;
    for (auto* root : {&nowhere.docker, &nowhere.containers_storage, &nowhere.containerd, &nowhere.kubelet,
                       &nowhere.machines, &nowhere.lxc})
        *root = "/nonexistent/nskit-fuzz";
    in::owner_finder finder(nowhere);
    const auto& owner = finder.owner_of(text);
    check_owner(owner, text);
    FUZZ_CHECK(&finder.owner_of(text) == &owner); // remembered, not read again
    return 0;
}
