// nskit/ns/detail/fs_plan.hpp — an fs_view prepared for a child: every
// string it needs made in advance, so that applying it allocates nothing
// and makes only system calls (async-signal-safe, between clone and exec).
#pragma once

#include <nskit/ns/fs_view.hpp>

#include <string>
#include <vector>

namespace nskit::ns::detail {

struct fs_plan_step {
    fs_action action = fs_action::bind;
    bool if_exists = false;
    mode_t mode = 0755;
    std::string source{};                // absolute (made so against the caller's cwd) or the link text
    std::string mode_text{}, size{};     // tmpfs: fsconfig values
    std::vector<std::string> prefixes{}; // dest "/a/b": "/a", "/a/b"
    std::vector<std::string> names{};    //             "a", "b"
};

struct fs_plan {
    bool pivot = false;       // assemble on a new root, then pivot_root into it
    std::string root{};       // the new root's source ("" : a fresh tmpfs)
    std::vector<fs_plan_step> steps{};
    std::string chdir{};
};

// Validates (see validate()) and prepares.  No side effect.
fs_plan prepare(const fs_view& view, fs_failure& failure);

// In a new mount namespace whose mounts are private (MS_REC | MS_PRIVATE
// on /): applies the plan.  Returns the failure, or an empty one.
// Only raw system calls; nothing allocated.
fs_failure apply(const fs_plan& plan) noexcept;

} // namespace nskit::ns::detail
