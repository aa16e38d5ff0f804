// fuzz-sources: libs/nskit/src/ns/options.cpp
// libFuzzer target: any text as an id map (nsrun --user MAP, --gid-map MAP),
// and any ranges as user_options: what is accepted must be what the kernel
// accepts (kernel/user_namespace.c map_write), and survive format -> parse.
#include <nskit/ns/options.hpp>
#include <nskit/sys/error.hpp>

#include "fuzz_support.hpp"

#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

namespace ns = nskit::ns;

namespace {

// The kernel's rules, written independently of options.cpp.
bool kernel_accepts(const std::vector<ns::id_range>& m)
{
    if (m.empty() || m.size() > 340) // UID_GID_MAP_MAX_EXTENTS
        return false;
    for (std::size_t i = 0; i < m.size(); ++i) {
        if (m[i].count == 0 || std::uint64_t(m[i].inside) + m[i].count > 0x100000000ULL ||
            std::uint64_t(m[i].outside) + m[i].count > 0x100000000ULL)
            return false;
        for (std::size_t j = 0; j < i; ++j) {
            auto hit = [](std::uint64_t a, std::uint64_t an, std::uint64_t b, std::uint64_t bn) {
                return a < b + bn && b < a + an;
            };
            if (hit(m[i].inside, m[i].count, m[j].inside, m[j].count) ||
                hit(m[i].outside, m[i].count, m[j].outside, m[j].count))
                return false;
        }
    }
    // one write at offset 0, shorter than a page (map_write: count >= PAGE_SIZE is EINVAL)
    return ns::format_id_map(m).size() < static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const auto text = nskit_fuzz::text(data, size);
    std::error_code ec;
    const auto m = ns::parse_id_map(text, ec);
    if (ec) {
        FUZZ_CHECK(m.empty());
        FUZZ_CHECK(ec == nskit::error::bad_id_map);
        nskit_fuzz::throws_same([&] { ns::parse_id_map(text); }, ec);
    } else {
        FUZZ_CHECK(kernel_accepts(m));
        // what nsrun writes to uid_map reads back as the same map, and so does the short form
        const auto written = ns::format_id_map(m);
        FUZZ_CHECK(ns::parse_id_map(written, ec) == m && !ec);
        std::string short_form;
        for (const auto& r : m)
            short_form += std::to_string(r.inside) + ":" + std::to_string(r.outside) + ":" + std::to_string(r.count) + ",";
        FUZZ_CHECK(ns::parse_id_map(short_form, ec) == m && !ec);
        FUZZ_CHECK(ns::parse_id_map(text) == m);
    }

    // The same bytes as ranges given in code: validate() refuses exactly what the kernel would.
    std::vector<ns::id_range> ranges(size / 12);
    for (std::size_t i = 0; i < ranges.size(); ++i)
        std::memcpy(&ranges[i], data + i * 12, 12);
    if (!ranges.empty()) {
        ns::options o;
        o.user = ns::user_options{ranges, ranges};
        const bool refused = o.validate() == nskit::error::bad_id_map;
        FUZZ_CHECK(refused == !kernel_accepts(ranges));
    }
    return 0;
}
