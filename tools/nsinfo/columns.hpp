// nsinfo's columns: what each one shows for a row, from a snapshot.
#pragma once

#include "table.hpp"

#include <nskit/inspect.hpp>

#include <functional>
#include <map>
#include <string>
#include <system_error>
#include <vector>

namespace nsinfo {

namespace in = nskit::inspect;
namespace tools = nskit::tools;
constexpr std::size_t none = in::process_info::none;

// What one row is about.
struct row {
    std::size_t ns = none;                 // namespace index (none: unknown)
    const in::process_info* target = nullptr; // the process asked about (pid mode)
    std::size_t entry = none;              // its /proc/PID/ns entry (pid mode)
    std::error_code error;                 // why ns is unknown
    const in::ns_reference* ref = nullptr; // --why rows
    const in::process_info* process = nullptr; // a process row (lsns NS): instead of the lowest pid
};

class context {
public:
    explicit context(const in::snapshot& s);
    const in::snapshot& snap;
    bool init_known = false;
    bool lsns = false;   // lsns's entry point: its cells exactly (PATH, NSFS, UID of no process)
    bool nowrap = false; // multi-line cells as one line, ',' between the parts
    std::size_t own_mntns = none; // nsinfo's own mount namespace (lsns's NSFS)
    in::owner_finder owners;      // containers and units, each cgroup path classified once
    const std::string& user(uid_t uid);
    const in::namespace_info* ns(const row& r) const { return r.ns == none ? nullptr : &snap.namespaces[r.ns]; }
    const in::process_info* lowest(const row& r) const;

private:
    std::map<uid_t, std::string> users_;
};

struct column : tools::column_def {
    std::function<tools::cell(context&, const row&)> get;
};

const std::vector<column>& ns_columns();
const std::vector<column>& why_columns();

// Whose namespace (whose.cpp): CONTAINER, UNIT; CAPS (rule: CAPSRULE).
tools::cell container_cell(context& c, const row& r);
tools::cell unit_cell(context& c, const row& r);
tools::cell caps_cell(context& c, const row& r, bool rule);

// The cells of `r` for `cols`.
std::vector<tools::cell> cells(context& c, const std::vector<const column*>& cols, const row& r);

} // namespace nsinfo
