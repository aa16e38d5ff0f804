#include <nskit/sys/clone_flags.hpp>

#include "test_support.hpp"

#include <nskit/sys/error.hpp>

#include <linux/sched.h>

using namespace nskit::sys;

BOOST_AUTO_TEST_SUITE(sys_clone_flags)

BOOST_AUTO_TEST_CASE(values_match_kernel_headers)
{
    BOOST_TEST(static_cast<std::uint64_t>(clone_flag::vm) == static_cast<std::uint64_t>(CLONE_VM));
    BOOST_TEST(static_cast<std::uint64_t>(clone_flag::pidfd) == static_cast<std::uint64_t>(CLONE_PIDFD));
    BOOST_TEST(static_cast<std::uint64_t>(clone_flag::detached) == static_cast<std::uint64_t>(CLONE_DETACHED));
    BOOST_TEST(static_cast<std::uint64_t>(clone_flag::io) == static_cast<std::uint64_t>(CLONE_IO));
    BOOST_TEST(static_cast<std::uint64_t>(clone_flag::clear_sighand) == CLONE_CLEAR_SIGHAND);
    BOOST_TEST(static_cast<std::uint64_t>(clone_flag::into_cgroup) == CLONE_INTO_CGROUP);
    BOOST_TEST(static_cast<std::uint64_t>(clone_flag::newtime) == static_cast<std::uint64_t>(CLONE_NEWTIME));
    BOOST_TEST(csignal_mask == static_cast<std::uint64_t>(CSIGNAL));
    std::uint64_t all = 0;
    for (const auto& f : all_clone_flags()) {
        BOOST_TEST((all & static_cast<std::uint64_t>(f.flag)) == 0u, "duplicate " << f.name);
        all |= static_cast<std::uint64_t>(f.flag);
        BOOST_TEST(find_clone_flag(f.flag) == &f);
    }
    BOOST_TEST(all == known_clone_bits);
    BOOST_TEST(all_clone_flags().size() == 27u);
}

BOOST_AUTO_TEST_CASE(parse_and_format)
{
    auto f = parse_clone_flags("net,pid,mnt");
    BOOST_TEST(f == (clone_flag::newnet | clone_flag::newpid | clone_flag::newns));
    BOOST_TEST(to_string(f) == "mnt,pid,net");
    BOOST_TEST(parse_clone_flags(to_string(f)) == f);
    BOOST_TEST(parse_clone_flags("CLONE_NEWUSER | vm|Files") ==
               (clone_flag::newuser | clone_flag::vm | clone_flag::files));
    BOOST_TEST(parse_clone_flags("newtime,cgroup,uts,ipc").namespaces().bits() ==
               (clone_flag::newtime | clone_flag::newcgroup | clone_flag::newuts | clone_flag::newipc).bits());
    BOOST_TEST(parse_clone_flags("").empty());
    for (const auto& i : all_clone_flags())
        BOOST_TEST(parse_clone_flags(i.name) == clone_flags(i.flag), i.name);
    BOOST_TEST(to_string(clone_flags::from_bits(1ULL << 40)) == "0x10000000000");
    BOOST_TEST(!clone_flags::from_bits(1ULL << 40).unknown().empty());

    std::error_code ec;
    for (const char* bad : {"network", "net,,pid", "net,", ",", "vm;fs", "CLONE_"}) {
        parse_clone_flags(bad, ec);
        BOOST_TEST((ec == nskit::error::bad_flag_name), bad);
    }
    BOOST_CHECK_THROW(parse_clone_flags("bogus"), std::system_error);
}

BOOST_AUTO_TEST_CASE(validity_rules)
{
    using nskit::error;
    BOOST_TEST(!check_unshare_flags(parse_clone_flags("mnt,uts,ipc,net,pid,user,cgroup,time,files,fs,sysvsem")));
    BOOST_TEST((check_unshare_flags(clone_flag::pidfd) == error::flag_not_for_unshare));
    BOOST_TEST((check_unshare_flags(clone_flag::io) == error::flag_not_for_unshare));
    BOOST_TEST((check_unshare_flags(clone_flags::from_bits(1ULL << 40)) == error::flag_not_for_unshare));

    BOOST_TEST((check_clone_flags(clone_flag::newuser | clone_flag::fs, true) == error::flag_conflict));
    BOOST_TEST((check_clone_flags(clone_flag::newns | clone_flag::fs, true) == error::flag_conflict));
    BOOST_TEST((check_clone_flags(parse_clone_flags("newpid,thread,sighand,vm"), true) == error::flag_conflict));
    BOOST_TEST((check_clone_flags(parse_clone_flags("newuser,thread,sighand,vm"), true) == error::flag_conflict));
    BOOST_TEST((check_clone_flags(clone_flag::thread, true) == error::flag_conflict));
    BOOST_TEST((check_clone_flags(clone_flag::sighand, true) == error::flag_conflict));
    BOOST_TEST((check_clone_flags(clone_flag::pidfd | clone_flag::detached, true) == error::flag_conflict));
    BOOST_TEST((check_clone_flags(parse_clone_flags("sighand,vm,clear_sighand"), true) == error::flag_conflict));
    BOOST_TEST((check_clone_flags(clone_flag::newtime, false) == error::needs_clone3));
    BOOST_TEST((check_clone_flags(clone_flag::into_cgroup, false) == error::needs_clone3));
    BOOST_TEST(!check_clone_flags(clone_flag::newtime, true));
    BOOST_TEST(!check_clone_flags(parse_clone_flags("thread,sighand,vm"), true));
    BOOST_TEST(!check_clone_flags(parse_clone_flags("net,pid,mnt,uts,ipc,user,cgroup,pidfd"), false));
}

BOOST_AUTO_TEST_SUITE_END()
