#include <nskit/ns/options.hpp>
#include <nskit/ns/run.hpp>
#include "test_support.hpp"

#include <nskit/sys/error.hpp>

#include <fcntl.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <string>

namespace ns = nskit::ns;
using nskit::sys::clone_flag;

BOOST_AUTO_TEST_SUITE(ns_options)

BOOST_AUTO_TEST_CASE(parse_id_map_forms)
{
    auto m = ns::parse_id_map("0 1000 1");
    BOOST_TEST(m.size() == 1u);
    BOOST_TEST((m[0] == ns::id_range{0, 1000, 1}));
    m = ns::parse_id_map("0:100000:65536,65536:1000:1");
    BOOST_TEST(m.size() == 2u);
    BOOST_TEST((m[1] == ns::id_range{65536, 1000, 1}));
    m = ns::parse_id_map("0 1 1\n  5   10 2  \n");
    BOOST_TEST(m.size() == 2u);
    BOOST_TEST(ns::format_id_map(m) == "0 1 1\n5 10 2\n");
}

BOOST_AUTO_TEST_CASE(parse_id_map_rejects)
{
    for (const char* bad : {"", "x", "0 1", "0 1 0", "0 1 1 1", "0:1", "1 2 3,2 9 1" /* inside overlap */,
                            "0 5 10,20 9 1" /* outside overlap */, "4294967295 0 2", "-1 0 1", "0 1 1x"}) {
        std::error_code ec;
        ns::parse_id_map(bad, ec);
        BOOST_TEST((ec == nskit::error::bad_id_map), "accepted '" << bad << "'");
    }
    std::string many;
    for (int i = 0; i < 341; ++i)
        many += std::to_string(i) + " " + std::to_string(i) + " 1\n";
    std::error_code ec;
    ns::parse_id_map(many, ec);
    BOOST_TEST((ec == nskit::error::bad_id_map));
    BOOST_CHECK_THROW(ns::parse_id_map("garbage"), std::system_error);
}

BOOST_AUTO_TEST_CASE(parse_tmp_options_forms)
{
    auto t = ns::parse_tmp_options("");
    BOOST_TEST(t.size.empty());
    BOOST_TEST(t.mode == 01777u);
    BOOST_TEST(t.extra.empty());
    BOOST_TEST(!t.noexec);
    t = ns::parse_tmp_options("size=64m,mode=700,noexec,nr_inodes=1k,,huge=never");
    BOOST_TEST(t.size == "64m");
    BOOST_TEST(t.mode == 0700u);
    BOOST_TEST(t.noexec);
    BOOST_TEST(t.extra == "nr_inodes=1k,huge=never"); // in order, empty items dropped
    t = ns::parse_tmp_options("noexec,exec,mode=1777,mode=0,size=1m,size=10%"); // the last one counts
    BOOST_TEST(!t.noexec);
    BOOST_TEST(t.mode == 0u);
    BOOST_TEST(t.size == "10%");
    std::error_code ec = std::make_error_code(std::errc::io_error);
    t = ns::parse_tmp_options("size=1m", ec);
    BOOST_TEST(!ec);
    BOOST_TEST(t.size == "1m");
    ns::options o;
    o.tmp = ns::parse_tmp_options("size=1m,mode=0755,uid=0");
    BOOST_TEST(!o.validate());
}

BOOST_AUTO_TEST_CASE(parse_tmp_options_rejects_a_bad_mode)
{
    for (const std::string mode : {"", "8", "99", "+700", " 700", "700 ", "-1", "10000", "0x1ff", "7o7"}) {
        std::error_code ec;
        const auto t = ns::parse_tmp_options("size=1m,mode=" + mode + ",noexec", ec);
        BOOST_TEST((ec == std::errc::invalid_argument), "accepted mode '" << mode << "'");
        BOOST_TEST(t.size.empty()); // nothing half-read
        try {
            ns::parse_tmp_options("mode=" + mode);
            BOOST_ERROR("accepted mode '" << mode << "'");
        } catch (const std::system_error& e) {
            BOOST_TEST((e.code() == std::errc::invalid_argument));
            BOOST_TEST(std::string(e.what()) == "bad tmpfs mode '" + mode + "' (octal, e.g. 1777): " + e.code().message());
        }
    }
}

BOOST_AUTO_TEST_CASE(implied_namespaces)
{
    ns::options o;
    BOOST_TEST(o.namespaces().empty());
    o.tmp = ns::tmp_options{};
    BOOST_TEST((o.namespaces() == clone_flag::newns));
    o = {};
    o.pid = true;
    BOOST_TEST((o.namespaces() == (clone_flag::newpid | clone_flag::newns))); // fresh /proc needs a mount ns
    o.proc = false;
    BOOST_TEST((o.namespaces() == clone_flag::newpid));
    o = {};
    o.hostname = std::string(1, 'h');
    BOOST_TEST((o.namespaces() == clone_flag::newuts));
    o = {};
    o.veth = nskit::net::veth_recipe{};
    BOOST_TEST((o.namespaces() == clone_flag::newnet));
    o = {};
    o.monotonic_offset = std::chrono::seconds(1);
    BOOST_TEST((o.namespaces() == clone_flag::newtime));
    o = {};
    o.user = ns::user_options{};
    o.ipc = o.cgroup = true;
    BOOST_TEST((o.namespaces() == (clone_flag::newuser | clone_flag::newipc | clone_flag::newcgroup)));
    o = {};
    o.sysvsem = true; // not a namespace: a fresh undo list
    BOOST_TEST(o.namespaces().empty());
}

BOOST_AUTO_TEST_CASE(validate)
{
    ns::options o;
    BOOST_TEST(!o.validate());
    o.hostname = std::string(65, 'h');
    BOOST_TEST((o.validate() == std::errc::invalid_argument));
    o = {};
    o.kill_signal = 0;
    BOOST_TEST((o.validate() == std::errc::invalid_argument));
    o = {};
    o.tmp = ns::tmp_options{};
    o.tmp->mode = 010000;
    BOOST_TEST((o.validate() == std::errc::invalid_argument));
    o.tmp->mode = 0755;
    o.tmp->size = "1m,uid=0";
    BOOST_TEST((o.validate() == std::errc::invalid_argument));
    o = {};
    o.veth = nskit::net::veth_recipe{.local_name = "averyveryverylongname"};
    BOOST_TEST((o.validate() == nskit::error::bad_interface_name));
    o.veth->local_name = "ok0";
    o.veth->peer_name = "a:b";
    BOOST_TEST((o.validate() == nskit::error::bad_interface_name));
    o.veth->peer_name = "";
    o.veth->local_address = "10.0.0.1/33";
    BOOST_TEST((o.validate() == nskit::error::bad_prefix_length));
    o = {};
    o.user = ns::user_options{{{0, 0, 0}}, {}, true};
    BOOST_TEST((o.validate() == nskit::error::bad_id_map));
}

// Found by test/fuzz/fuzz_id_map and fuzz_nsrun_values: validate() took maps
// the kernel refuses (overlapping, past 2^32) and a tmpfs size with a NUL.
BOOST_AUTO_TEST_CASE(validate_refuses_what_the_kernel_refuses)
{
    ns::options o;
    for (const auto& bad : std::vector<std::vector<ns::id_range>>{
             {{0, 1000, 10}, {5, 2000, 1}},   // inside ids overlap
             {{0, 1000, 10}, {20, 1005, 1}},  // outside ids overlap
             {{4294967295u, 0, 2}},           // past 2^32
             {{0, 4294967295u, 2}}}) {
        o.user = ns::user_options{bad, {}, true};
        BOOST_TEST((o.validate() == nskit::error::bad_id_map));
        o.user = ns::user_options{{}, bad, true};
        BOOST_TEST((o.validate() == nskit::error::bad_id_map));
    }
    o.user = ns::user_options{{{0, 1000, 10}, {10, 2000, 1}}, {}, true};
    BOOST_TEST(!o.validate());
    o = {};
    o.tmp = ns::tmp_options{};
    o.tmp->size = std::string("1m\0", 3);
    BOOST_TEST((o.validate() == std::errc::invalid_argument));
}

// The kernel takes a map in one write shorter than a page (map_write): 340
// extents fit only with short numbers.
BOOST_AUTO_TEST_CASE(id_map_text_fits_one_write)
{
    std::string wide, narrow;
    for (unsigned i = 0; i < 340; ++i) {
        wide += std::to_string(4000000000u + i) + " " + std::to_string(4000000000u + i) + " 1\n";
        narrow += std::to_string(i) + " " + std::to_string(i) + " 1\n";
    }
    std::error_code ec;
    ns::parse_id_map(wide, ec);
    BOOST_TEST((ec == nskit::error::bad_id_map));
    BOOST_TEST(ns::parse_id_map(narrow, ec).size() == 340u);
    BOOST_TEST(!ec);
}

// Every veth field is checked before any side effect, and the throwing
// form names the field and the value.
BOOST_AUTO_TEST_CASE(check_veth_names_the_field)
{
    struct bad_case {
        nskit::net::veth_recipe v;
        nskit::error expected;
        std::string text;
    };
    const auto veth = [](std::string address, std::string peer_address) {
        return nskit::net::veth_recipe{
            .local_name = "nsv0", .local_address = std::move(address), .peer_address = std::move(peer_address)};
    };
    for (const auto& [v, expected, text] : std::vector<bad_case>{
             {veth("10.0.0.1/33", ""), nskit::error::bad_prefix_length,
              "veth address '10.0.0.1/33': prefix length 33 out of range 0..32: "},
             {veth("", "fd00::2/129"), nskit::error::bad_prefix_length,
              "veth peer address 'fd00::2/129': prefix length 129 out of range 0..128: "},
             {veth("0.0.0.0/24", ""), nskit::error::bad_address,
              "veth address '0.0.0.0/24': the unspecified address cannot be assigned: "},
             {veth("10.0.0.1/24", "10.0.0.2,10.0.0.3"), nskit::error::bad_address,
              "veth peer address '10.0.0.2,10.0.0.3': not an IPv4 or IPv6 address: "},
             {veth("10.0.0.1/24", "fd00::2/64"), nskit::error::bad_address,
              "veth addresses '10.0.0.1/24' and 'fd00::2/64': one is IPv4, the other IPv6: "},
             {veth("10.0.0.1/24", "10.0.0.1/16"), nskit::error::bad_address,
              "veth addresses '10.0.0.1/24' and '10.0.0.1/16': both ends would have 10.0.0.1: "},
             {nskit::net::veth_recipe{.local_name = "a/b"}, nskit::error::bad_interface_name,
              "veth name 'a/b': a '/' or ':': bad interface name"},
             {nskit::net::veth_recipe{.local_name = "nsv0", .peer_name = ".."}, nskit::error::bad_interface_name,
              "veth peer name '..': '.' and '..' are refused: bad interface name"},
         }) {
        std::error_code ec;
        ns::check_veth(v, ec);
        BOOST_TEST((ec == expected), text << ec.message());
        try {
            ns::check_veth(v);
            BOOST_ERROR("no exception: " << text);
        } catch (const std::system_error& e) {
            BOOST_TEST(std::string(e.what()).rfind(text, 0) == 0u, e.what() << " (wanted " << text << ")");
            BOOST_TEST(std::string(e.what()).find("nsrun") == std::string::npos, e.what());
        }
        ns::options o;
        o.veth = v;
        BOOST_TEST((o.validate() == expected), text);
        // refused by the plan, before any clone: a plain nskit error, not a setup step's
        ns::spawn("true", {}, o, {}, ec);
        BOOST_TEST((ec == expected), text << ec.message());
    }
    std::error_code ec;
    ns::check_veth(veth("10.0.0.1/24", "10.0.0.2/24"), ec);
    BOOST_TEST(!ec);
    ns::check_veth(veth("fd00::1/64", "fd00::2"), ec);
    BOOST_TEST(!ec);
    ns::check_veth(veth("", ""), ec);
    BOOST_TEST(!ec);
    // The peer's namespace is the new one: nskit fills it in.
    auto given = veth("", "");
    given.peer_netns_fd = 0;
    ns::check_veth(given, ec);
    BOOST_TEST((ec == std::errc::invalid_argument));
    try {
        ns::check_veth(given);
        BOOST_ERROR("no exception for peer_netns_fd 0");
    } catch (const std::system_error& e) {
        BOOST_TEST(std::string(e.what()).rfind("veth peer_netns_fd 0: ", 0) == 0u, e.what());
    }
}

namespace {

// Writes "CLOCK SECONDS 0" to the timens_offsets of a fresh time namespace
// in a forked child: 0 or the kernel's errno.
int kernel_takes_offset(int clock, long long seconds)
{
    int err = -1;
    const auto msg = nskit::test::in_child([&] {
        if (::unshare(CLONE_NEWTIME) != 0)
            return std::string("unshare(CLONE_NEWTIME): ") + std::strerror(errno);
        const int fd = ::open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
        if (fd < 0)
            return std::string("open timens_offsets: ") + std::strerror(errno);
        const std::string line = std::to_string(clock) + " " + std::to_string(seconds) + " 0\n";
        const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
        return ok ? std::string("errno 0") : "errno " + std::to_string(errno);
    });
    if (msg.rfind("child reported", 0) == 0 || msg.rfind("errno ", 0) != 0)
        BOOST_ERROR(msg);
    else
        err = std::stoi(msg.substr(6));
    return err;
}

long long whole_seconds(std::chrono::nanoseconds n)
{
    return std::chrono::duration_cast<std::chrono::seconds>(n).count();
}

} // namespace

// Item 21: the offsets the kernel takes are the host clock plus the offset
// within 0..KTIME_SEC_MAX/2 s; validate() refuses the rest before any side
// effect (it was ERANGE from the child's write, exit 124, after the clone).
BOOST_AUTO_TEST_CASE(time_offsets_within_the_kernels_range)
{
    for (int clock : {CLOCK_MONOTONIC, CLOCK_BOOTTIME}) {
        const auto lim = ns::time_offset_limits(clock);
        timespec now{};
        ::clock_gettime(clock, &now);
        BOOST_TEST(whole_seconds(lim.min) <= -now.tv_sec);
        BOOST_TEST(whole_seconds(lim.min) >= -now.tv_sec - 1);
        BOOST_TEST(whole_seconds(lim.max) >= 4611686018LL - now.tv_sec - 1);
        BOOST_TEST(whole_seconds(lim.max) <= 4611686018LL - now.tv_sec + 1);
        const char* field = clock == CLOCK_MONOTONIC ? "monotonic_offset" : "boottime_offset";
        for (auto bad : {lim.min - std::chrono::seconds(5), lim.max + std::chrono::seconds(5),
                         std::chrono::nanoseconds(std::chrono::seconds(9000000000LL))}) {
            std::error_code ec;
            ns::check_time_offset(clock, bad, ec);
            BOOST_TEST((ec == std::errc::result_out_of_range));
            ns::options o;
            (clock == CLOCK_MONOTONIC ? o.monotonic_offset : o.boottime_offset) = bad;
            BOOST_TEST((o.validate() == std::errc::result_out_of_range));
            const auto p = o.problem();
            BOOST_TEST(p.field == field);
            BOOST_TEST(p.reason.find(" offset ") != std::string::npos, p.reason);
            BOOST_TEST(p.reason.find("allowed ") != std::string::npos, p.reason);
            // refused by the plan: no clone, no setup step
            ns::spawn("true", {}, o, {}, ec);
            BOOST_TEST((ec == std::errc::result_out_of_range), ec.message());
            BOOST_TEST((ns::failed_step(ec) == ns::setup_step::none), ec.message());
            try {
                ns::spawn("true", {}, o);
                BOOST_ERROR("spawn took offset " << bad.count());
            } catch (const std::system_error& e) {
                const std::string w = e.what(); // the clock has moved on since p: compare up to it
                BOOST_TEST(w.rfind("spawn(time) true: " + p.reason.substr(0, p.reason.find(": the clock")), 0) == 0u, w);
            }
        }
        for (auto good : {lim.min + std::chrono::seconds(1), std::chrono::nanoseconds(0),
                          lim.max - std::chrono::seconds(60)}) {
            std::error_code ec;
            ns::check_time_offset(clock, good, ec);
            BOOST_TEST(!ec, good.count() << ": " << ec.message());
        }
    }
    std::error_code ec;
    ns::check_time_offset(CLOCK_REALTIME, std::chrono::seconds(1), ec);
    BOOST_TEST((ec == std::errc::invalid_argument));
}

// The same bounds, asked of the kernel: 60 s inside each end is taken,
// 60 s beyond is ERANGE.
BOOST_AUTO_TEST_CASE(time_offset_limits_are_the_kernels, *boost::unit_test::precondition(nskit::test::privileged()))
{
    for (int clock : {CLOCK_MONOTONIC, CLOCK_BOOTTIME}) {
        const auto lim = ns::time_offset_limits(clock);
        BOOST_TEST(kernel_takes_offset(clock, whole_seconds(lim.max) - 60) == 0);
        BOOST_TEST(kernel_takes_offset(clock, whole_seconds(lim.max) + 60) == ERANGE);
        BOOST_TEST(kernel_takes_offset(clock, whole_seconds(lim.min) + 60) == 0);
        BOOST_TEST(kernel_takes_offset(clock, whole_seconds(lim.min) - 60) == ERANGE);
    }
}

BOOST_AUTO_TEST_SUITE_END()
