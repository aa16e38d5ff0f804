// fuzz-sources: libs/nskit/src/inspect/proc_text.cpp libs/nskit/src/inspect/process.cpp libs/nskit/src/sys/clone_flags.cpp libs/nskit/src/sys/ns_type.cpp
// fuzz-runs: 500000
// libFuzzer target: any text as a namespace a user names (nsinfo --why NS,
// --caps NS: inode, TYPE:[INODE], :NSID or a path), a process id (nsinfo
// PID, nsrun --enter PID) or a list of types (nsrun --types, clone flags).
// What is accepted has one meaning, which its canonical spelling keeps.
#include <nskit/inspect/detail/proc_text.hpp>
#include <nskit/inspect/process.hpp>
#include <nskit/sys/clone_flags.hpp>
#include <nskit/sys/error.hpp>
#include <nskit/sys/ns_type.hpp>

#include "fuzz_support.hpp"

#include <algorithm>
#include <string>

namespace d = nskit::inspect::detail;
namespace sys = nskit::sys;

namespace {

bool digits(std::string_view s)
{
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

void check_spec(std::string_view text)
{
    d::ns_spec s;
    if (!d::parse_ns_spec(text, s)) {
        FUZZ_CHECK(text.find('/') == std::string_view::npos);
        return;
    }
    FUZZ_CHECK((s.by == d::ns_spec::kind::path) == (text.find('/') != std::string_view::npos));
    if (s.by == d::ns_spec::kind::path)
        return;
    std::string canonical = std::to_string(s.value);
    if (s.by == d::ns_spec::kind::id)
        canonical = ":" + canonical;
    else if (s.type)
        canonical = std::string(sys::to_string(*s.type)) + ":[" + canonical + "]";
    d::ns_spec again;
    FUZZ_CHECK(d::parse_ns_spec(canonical, again));
    FUZZ_CHECK(again.by == s.by && again.type == s.type && again.value == s.value);
}

void check_pid(std::string_view text)
{
    std::error_code ec;
    const pid_t p = nskit::inspect::parse_pid(text, ec);
    if (ec) {
        FUZZ_CHECK(ec == nskit::error::bad_pid && p == 0);
        return;
    }
    FUZZ_CHECK(p >= 1 && p <= 4194304 && digits(text));
    FUZZ_CHECK(text.size() <= 8);
    FUZZ_CHECK(nskit::inspect::parse_pid(std::to_string(p), ec) == p && !ec);
}

void check_flags(std::string_view text)
{
    std::error_code ec;
    const auto f = sys::parse_clone_flags(text, ec);
    if (ec) {
        FUZZ_CHECK(ec == nskit::error::bad_flag_name);
        return;
    }
    FUZZ_CHECK(f.unknown() == sys::clone_flags{});
    const auto back = sys::to_string(f);
    FUZZ_CHECK(sys::parse_clone_flags(back, ec) == f && !ec);
    if (const auto t = sys::ns_type_from_name(text)) {
        FUZZ_CHECK(sys::ns_type_from_name(sys::to_string(*t)) == t);
        FUZZ_CHECK(f == sys::clone_flags(sys::info(*t).flag)); // one type: its one flag
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const auto text = nskit_fuzz::text(data, size);
    check_spec(text);
    check_pid(text);
    check_flags(text);
    return 0;
}
