#include <nskit/inspect/why.hpp>

#include "safe_open.hpp"

#include <nskit/sys/error.hpp>
#include <nskit/sys/nsfs.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <optional>
#include <string>

namespace nskit::inspect {
namespace {

// Decimal digits only, no sign or blank, fits 64 bits.
bool parse_u64(std::string_view digits, std::uint64_t& v) noexcept
{
    if (digits.empty() || digits.size() > 20)
        return false;
    v = 0;
    for (char c : digits) {
        if (c < '0' || c > '9')
            return false;
        const auto d = static_cast<std::uint64_t>(c - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    return true;
}

} // namespace

std::vector<ns_reference> why_alive(const snapshot& snap, std::size_t index)
{
    std::vector<ns_reference> out;
    if (index >= snap.namespaces.size())
        return out;
    const auto& n = snap.namespaces[index];
    for (std::size_t p : n.processes)
        out.push_back({holder_kind::process, snap.processes[p].pid, snap.processes[p].tid});
    for (std::size_t t : n.threads)
        out.push_back({holder_kind::thread, snap.processes[t].pid, snap.processes[t].tid});
    out.insert(out.end(), n.holders.begin(), n.holders.end());
    for (std::size_t j = 0; j < snap.namespaces.size(); ++j) {
        const auto& m = snap.namespaces[j];
        ns_reference r;
        r.other = j;
        if (m.parent.value && *m.parent.value == index) {
            r.kind = holder_kind::child;
            out.push_back(r);
        } else if (m.owner.value && *m.owner.value == index) {
            r.kind = holder_kind::owner;
            out.push_back(r);
        }
    }
    return out;
}

std::size_t find_namespace(const snapshot& snap, std::string_view spec, std::error_code& ec)
{
    ec.clear();
    if (spec.find('/') != std::string_view::npos) {
        // O_PATH first: a FIFO or device given by mistake is never opened
        const unique_fd fd = detail::open_nsfs(AT_FDCWD, spec, detail::path_rule::follow, 0, AT_FDCWD, ec);
        if (ec)
            return snapshot::npos;
        auto inode = sys::ns_stat(fd.get(), ec);
        if (ec)
            return snapshot::npos;
        std::size_t i = snap.find(inode);
        if (i == snapshot::npos)
            ec = std::make_error_code(std::errc::no_such_file_or_directory);
        return i;
    }
    // ":ID" is an NS_GET_ID id; "TYPE:[INODE]" and a bare number are inodes.
    std::string_view digits = spec;
    std::optional<ns_type> type;
    const bool by_id = !spec.empty() && spec.front() == ':';
    if (by_id) {
        digits = spec.substr(1);
    } else if (auto colon = spec.find(":["); colon != std::string_view::npos && spec.back() == ']') {
        type = sys::ns_type_from_name(spec.substr(0, colon));
        if (!type) {
            ec = std::make_error_code(std::errc::invalid_argument);
            return snapshot::npos;
        }
        digits = spec.substr(colon + 2, spec.size() - colon - 3);
    }
    std::uint64_t v = 0;
    if (!parse_u64(digits, v)) {
        ec = std::make_error_code(std::errc::invalid_argument);
        return snapshot::npos;
    }
    const std::size_t i = by_id ? snap.find_id(v) : snap.find_inode(v);
    if (i == snapshot::npos || (type && snap.namespaces[i].type != *type))
        ec = std::make_error_code(std::errc::no_such_file_or_directory);
    return ec ? snapshot::npos : i;
}

std::size_t find_namespace(const snapshot& snap, std::string_view spec)
{
    std::error_code ec;
    auto i = find_namespace(snap, spec, ec);
    throw_if(ec, op_kind::input, "find_namespace(" + std::string(spec) + ")");
    return i;
}

} // namespace nskit::inspect
