#include <nskit/inspect/why.hpp>

#include "safe_open.hpp"

#include <nskit/inspect/detail/proc_text.hpp>

#include <nskit/sys/error.hpp>
#include <nskit/sys/nsfs.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <optional>
#include <string>

namespace nskit::inspect {
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
    detail::ns_spec want;
    if (!detail::parse_ns_spec(spec, want)) {
        ec = std::make_error_code(std::errc::invalid_argument);
        return snapshot::npos;
    }
    if (want.by == detail::ns_spec::kind::path) {
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
    const std::size_t i = want.by == detail::ns_spec::kind::id ? snap.find_id(want.value) : snap.find_inode(want.value);
    if (i == snapshot::npos || (want.type && snap.namespaces[i].type != *want.type))
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
