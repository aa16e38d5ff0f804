// fuzz-sources: libs/nskit/src/ns/rlimit.cpp
// fuzz-runs: 500000
// libFuzzer target: any text as a resource limit ("NOFILE=512:1024", as
// prlimit(1) and bwrap take it).  Accepted: a known resource, soft <= hard,
// and the canonical spelling parses back to the same setting.
#include <nskit/ns/rlimit.hpp>
#include <nskit/sys/error.hpp>

#include "fuzz_support.hpp"

#include <sys/resource.h>

#include <string>

namespace ns = nskit::ns;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const auto text = nskit_fuzz::text(data, size);
    std::error_code ec;
    const auto r = ns::parse_rlimit(text, ec);
    if (ec) {
        FUZZ_CHECK(ec == std::errc::invalid_argument);
        nskit_fuzz::throws_same([&] { ns::parse_rlimit(text); }, ec);
        return 0;
    }
    FUZZ_CHECK(r.resource >= 0 && r.resource < RLIM_NLIMITS);
    FUZZ_CHECK(r.soft <= r.hard);
    const auto name = ns::rlimit_name(r.resource);
    FUZZ_CHECK(!name.empty());
    auto value = [](std::uint64_t v) { return v == RLIM_INFINITY ? std::string("unlimited") : std::to_string(v); };
    const std::string canonical = std::string(name) + "=" + value(r.soft) + ":" + value(r.hard);
    FUZZ_CHECK(ns::parse_rlimit(canonical, ec) == r && !ec);
    FUZZ_CHECK(ns::parse_rlimit("RLIMIT_" + canonical, ec) == r && !ec);
    FUZZ_CHECK(ns::parse_rlimit(text) == r);
    return 0;
}
