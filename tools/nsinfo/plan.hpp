// What one nsinfo run will do: the request checked, the columns picked, the
// filter parsed, the targets held — all before any /proc scan.
#pragma once

#include "columns.hpp"
#include "filter.hpp"
#include "modes.hpp"

#include <nskit/sys/pidref.hpp>

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace nsinfo {

using nskit::sys::ns_type;

struct plan {
    explicit plan(const request& r) : q(r) {}
    const request& q;
    std::set<ns_type> types;
    std::vector<const column*> cols;
    std::vector<nskit::sys::pidref> targets;
    std::optional<tools::filter> filter;
    std::vector<const column*> filter_cols;          // per filter holder
    std::vector<tools::filter::holder_type> filter_types;
    bool filter_read_unknown = false; // a row was kept or dropped on a cell that is unknown
    int status = exit_ok;

    bool type_ok(ns_type t) const { return types.empty() || types.count(t) != 0; }
    // Shown, or read by the filter: the scan must provide it.
    bool needs(std::string_view name) const;
};

// Does row `r` pass the filter (true without one)?  Throws tools::filter_eval_error.
bool passes(context& c, plan& p, const row& r);

// An output row for `r` under `parent` if it passes the filter, else no_parent.
tools::output::row emit(context& c, plan& p, tools::output& out, const row& r,
                        tools::output::row parent = tools::output::no_parent);

// Namespace listings (listing.cpp): --all / -P / lsns's list, and the trees.
void show_list(context& c, plan& p, tools::output& out);
void show_tree(context& c, plan& p, tools::output& out);
void show_namespace_processes(context& c, plan& p, std::size_t ns, tools::output& out);

// Which namespaces lsns itself would list (it sees bind mounts only in its
// own mount namespace, no pid_for_children, no thread).
std::vector<char> lsns_visible(const context& c, const plan& p);

} // namespace nsinfo
