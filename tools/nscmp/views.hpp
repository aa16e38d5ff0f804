// nscmp: what the cells and JSON members say about a comparison or a grouping.
#pragma once

#include <nskit/inspect/compare.hpp>
#include <nskit/inspect/group.hpp>

#include <cstdint>
#include <string>

namespace nscmp {

namespace insp = nskit::inspect;

std::string ns_label(nskit::sys::ns_type t, const nskit::sys::ns_inode& i); // "net:[4026531840]"
std::string ns_result(const insp::ns_comparison& n);   // same, different, parent, ... unknown
std::string ns_detail(const insp::ns_comparison& n);   // relation, ownership, or why unknown
std::string resource_detail(const insp::resource_comparison& r);
std::string fd_what(const insp::fd_description& d);    // the target, or unknown (reason)
std::string hex(std::uint32_t v);                      // "0x19"
std::string side_name(insp::epoll_watch::side s);      // "a" / "b"

} // namespace nscmp
