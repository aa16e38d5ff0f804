// The /proc text parsers (detail/proc_text.hpp): hostile spellings included.
#include <nskit/inspect/detail/proc_text.hpp>

#include "test_support.hpp"

#include <nskit/inspect/compare.hpp>
#include <nskit/inspect/process.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

namespace d = nskit::inspect::detail;
using nskit::sys::ns_type;

BOOST_AUTO_TEST_SUITE(inspect_proc_text)

BOOST_AUTO_TEST_CASE(ns_links)
{
    ns_type t;
    std::uint64_t ino = 0;
    BOOST_TEST(d::parse_ns_link("net:[4026531840]", t, ino));
    BOOST_TEST((t == ns_type::net));
    BOOST_TEST(ino == 4026531840u);
    for (const char* bad : {"net:[]", "net:[12", "net:12]", "nets:[1]", "/run/netns/x", "net:[1a]", "", ":[1]",
                            "net:[99999999999999999999999]"})
        BOOST_TEST(!d::parse_ns_link(bad, t, ino), bad);
}

// How users name a namespace (nsinfo --why, --caps); fuzzed by test/fuzz/fuzz_ns_reference.
BOOST_AUTO_TEST_CASE(namespace_specs)
{
    d::ns_spec s;
    BOOST_TEST(d::parse_ns_spec("4026531840", s));
    BOOST_TEST((s.by == d::ns_spec::kind::inode && !s.type && s.value == 4026531840u));
    BOOST_TEST(d::parse_ns_spec("newnet:[4026531840]", s));
    BOOST_TEST((s.by == d::ns_spec::kind::inode && s.type == ns_type::net && s.value == 4026531840u));
    BOOST_TEST(d::parse_ns_spec(":42", s));
    BOOST_TEST((s.by == d::ns_spec::kind::id && s.value == 42u));
    BOOST_TEST(d::parse_ns_spec("/proc/self/ns/net", s));
    BOOST_TEST((s.by == d::ns_spec::kind::path));
    for (const char* bad : {"", ":", "net:[]", "bogus:[1]", "-1", "+1", " 1", "1 ", ":x", "net:[1", "18446744073709551616"})
        BOOST_TEST(!d::parse_ns_spec(bad, s), bad);
}

BOOST_AUTO_TEST_CASE(stat_with_a_hostile_comm)
{
    d::stat_fields f;
    BOOST_TEST_REQUIRE(d::parse_stat("42 (a) b) (c) S 7 42 42 0 -1 4194560 1 2 3", f));
    BOOST_TEST(f.comm == "a) b) (c");
    BOOST_TEST(f.state == 'S');
    BOOST_TEST(f.ppid == 7);
    BOOST_TEST(f.flags == 4194560u);
    BOOST_TEST(d::parse_stat("2 (kthreadd) S 0 0 0 0 -1 2129984 0", f));
    BOOST_TEST((f.flags & d::pf_kthread) != 0u);
    // found by test/fuzz/fuzz_proc_text: a ppid past pid_t wrapped to a negative pid
    for (const char* bad : {"", "1 (x", "1 x) S 1", "1 (x) S", "1 (x) S 1 2 3 4 5 zz", "1 (x) S 4985555555555 0 0 0 0 0",
                            "1 (x) S 2147483648 0 0 0 0 0"})
        BOOST_TEST(!d::parse_stat(bad, f), bad);
}

BOOST_AUTO_TEST_CASE(status_nspid_and_pidfd_fdinfo)
{
    std::vector<pid_t> v;
    BOOST_TEST(d::parse_status_nspid("Name:\tx\nNSpid:\t100\t7\t1\nNSpgid:\t1\n", v));
    BOOST_TEST((v == std::vector<pid_t>{100, 7, 1}));
    BOOST_TEST(!d::parse_status_nspid("Name:\tx\n", v));
    BOOST_TEST(!d::parse_status_nspid("NSpid:\t1\t-2\n", v));
    pid_t pid = 0;
    BOOST_TEST(d::parse_pidfd_fdinfo("pos:\t0\nflags:\t02000002\nPid:\t-1\nNSpid:\t-1\n", pid));
    BOOST_TEST(pid == -1);
    BOOST_TEST(d::parse_pidfd_fdinfo("Pid:\t123\n", pid));
    BOOST_TEST(pid == 123);
    BOOST_TEST(!d::parse_pidfd_fdinfo("Pid:\tx\n", pid));
}

BOOST_AUTO_TEST_CASE(mountinfo_lines_and_escapes)
{
    d::mountinfo_entry m;
    BOOST_TEST_REQUIRE(d::parse_mountinfo_line(
        "611 28 0:4 net:[4026532281] /run/netns/a\\040b\\134c rw shared:1 - nsfs nsfs rw", m));
    BOOST_TEST(m.root == "net:[4026532281]");
    BOOST_TEST(m.mount_point == "/run/netns/a b\\c");
    BOOST_TEST(m.fstype == "nsfs");
    BOOST_TEST(d::unescape_mount_path("\\04") == "\\04"); // cut short: kept as it is
    BOOST_TEST(!d::parse_mountinfo_line("611 28 0:4 / /x rw", m));
    BOOST_TEST(!d::parse_mountinfo_line(" - nsfs", m));
}

BOOST_AUTO_TEST_CASE(readers_refuse_symlinks_and_never_block)
{
    std::error_code ec;
    const std::string text = d::read_text_at(AT_FDCWD, "/proc/self/status", ec);
    BOOST_TEST(!ec);
    BOOST_TEST(text.find("NSpid:") != std::string::npos);
    d::read_text_at(AT_FDCWD, "/proc/self/exe", ec); // a (magic) symlink at the last component
    BOOST_TEST((ec == std::errc::too_many_symbolic_link_levels));
    const std::string link = d::read_link_at(AT_FDCWD, "/proc/self/ns/net", ec);
    BOOST_TEST(!ec);
    BOOST_TEST(link.rfind("net:[", 0) == 0u);
}

// /proc/PID/cmdline as lsns shows it: arguments joined by spaces.
BOOST_AUTO_TEST_CASE(command_line_text_joins_arguments)
{
    using nskit::inspect::detail::command_line_text;
    using namespace std::string_literals;
    BOOST_TEST(command_line_text("sleep\0" "100\0"s) == "sleep 100");
    BOOST_TEST(command_line_text("a\0\0"s) == "a ");          // an empty last argument stays a space
    BOOST_TEST(command_line_text("nginx: master"s) == "nginx: master"); // rewritten, no NUL: kept whole
    BOOST_TEST(command_line_text(""s) == "");
    BOOST_TEST(command_line_text("w\xff\0"s) == "w\xff");
}

BOOST_AUTO_TEST_CASE(listing_processes_and_resource_names)
{
    const auto all = nskit::inspect::list_pids();
    BOOST_TEST(std::binary_search(all.begin(), all.end(), ::getpid()));
    const auto user = nskit::inspect::list_pids(true);
    BOOST_TEST(std::binary_search(user.begin(), user.end(), ::getpid()));
    std::error_code ec;
    BOOST_TEST(!nskit::inspect::is_kernel_thread(::getpid(), ec));
    BOOST_TEST(!ec);
    if (std::binary_search(all.begin(), all.end(), 2) && nskit::inspect::is_kernel_thread(2, ec))
        BOOST_TEST(!std::binary_search(user.begin(), user.end(), 2));
    BOOST_TEST((nskit::inspect::kcmp_resource_from_name("vm") == nskit::sys::kcmp_resource::vm));
    BOOST_TEST(!nskit::inspect::kcmp_resource_from_name("file"));
    BOOST_TEST(!nskit::inspect::kcmp_resource_from_name("VM"));
}

BOOST_AUTO_TEST_SUITE_END()
