#include <nskit/sys/ns_type.hpp>

#include "test_support.hpp"

#include <linux/sched.h>
#include <sys/stat.h>

using namespace nskit::sys;

BOOST_AUTO_TEST_SUITE(sys_ns_type)

BOOST_AUTO_TEST_CASE(table_covers_every_type_in_enum_order)
{
    auto t = ns_types();
    BOOST_REQUIRE(t.size() == ns_type_count);
    for (std::size_t i = 0; i < t.size(); ++i) {
        BOOST_TEST(static_cast<std::size_t>(t[i].type) == i);
        // the /proc entry exists on this kernel
        struct stat st;
        BOOST_TEST(::stat(("/proc/self/ns/" + std::string(t[i].proc_entry)).c_str(), &st) == 0, t[i].name);
        if (!t[i].for_children_entry.empty())
            BOOST_TEST(::stat(("/proc/self/ns/" + std::string(t[i].for_children_entry)).c_str(), &st) == 0);
    }
    BOOST_TEST(static_cast<std::uint64_t>(info(ns_type::net).flag) == static_cast<std::uint64_t>(CLONE_NEWNET));
    BOOST_TEST(static_cast<std::uint64_t>(info(ns_type::time).flag) == static_cast<std::uint64_t>(CLONE_NEWTIME));
}

BOOST_AUTO_TEST_CASE(names_and_flags_round_trip)
{
    for (const auto& i : ns_types()) {
        BOOST_TEST((ns_type_from_name(i.name) == i.type));
        BOOST_TEST((ns_type_from_flag(i.flag) == i.type));
        BOOST_TEST((ns_type_from_kernel(static_cast<int>(static_cast<std::uint64_t>(i.flag))) == i.type));
    }
    BOOST_TEST((ns_type_from_name("CLONE_NEWNET") == ns_type::net));
    BOOST_TEST((ns_type_from_name("mount") == ns_type::mnt));
    BOOST_TEST((ns_type_from_name("NEWNS") == ns_type::mnt));
    BOOST_TEST(!ns_type_from_name("network").has_value());
    BOOST_TEST(!ns_type_from_name("").has_value());
    BOOST_TEST(!ns_type_from_flag(clone_flag::vm).has_value());
    BOOST_TEST(!ns_type_from_kernel(0).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
