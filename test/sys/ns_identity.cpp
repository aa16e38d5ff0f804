#include <nskit/sys/ns_identity.hpp>

#include "test_support.hpp"

#include <nskit/sys/clone.hpp>
#include <nskit/sys/nsfs.hpp>

#include <fcntl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <set>
#include <unordered_set>

using namespace nskit::sys;
namespace t = nskit::test;

BOOST_AUTO_TEST_SUITE(sys_ns_identity)

BOOST_AUTO_TEST_CASE(two_fds_of_one_namespace_are_equal)
{
    auto a = open_ns(0, ns_type::net);
    auto b = open_ns_path("/proc/thread-self/ns/net");
    const auto x = identify(a.get()), y = identify(b.get());
    BOOST_TEST((x == y));
    BOOST_TEST((std::hash<ns_identity>{}(x) == std::hash<ns_identity>{}(y)));
    BOOST_TEST((x.type == ns_type::net));
    BOOST_TEST((x.inode == ns_stat(a.get())));
    if (probe_nsfs().get_id)
        BOOST_TEST(x.id == ns_get_id(a.get()));
    BOOST_TEST(to_string(x).find("net:[" + std::to_string(x.inode.ino) + "]") == 0u);
    if (x.id != 0)
        BOOST_TEST(to_string(x).find(" id " + std::to_string(x.id)) != std::string::npos);
}

BOOST_AUTO_TEST_CASE(every_type_is_identified)
{
    std::set<ns_identity> seen;
    for (const auto& ti : ns_types()) {
        std::error_code ec;
        auto fd = open_ns(0, ti.type, ec);
        if (ec)
            continue; // a type this kernel lacks
        const auto id = identify(fd.get());
        BOOST_TEST((id.type == ti.type), ti.name);
        seen.insert(id);
    }
    BOOST_TEST(seen.size() >= 7u); // one per type: the type is part of the identity
}

// The one equality rule: type, device, inode and id all equal.
BOOST_AUTO_TEST_CASE(equality_hash_and_order_agree)
{
    ns_identity a{ns_type::net, {makedev(0, 4), 4026531840ULL}, 7};
    ns_identity b = a;
    BOOST_TEST((a == b));
    BOOST_TEST(!(a < b));
    BOOST_TEST((std::hash<ns_identity>{}(a) == std::hash<ns_identity>{}(b)));
    ns_identity reused = a;
    reused.id = 8; // the inode of a dead namespace, reused by a new one
    BOOST_TEST(!(a == reused));
    BOOST_TEST((a < reused));
    ns_identity other_type = a;
    other_type.type = ns_type::uts;
    BOOST_TEST(!(a == other_type));
    ns_identity other_dev = a;
    other_dev.inode.dev = makedev(0, 5);
    BOOST_TEST(!(a == other_dev));
    ns_identity no_id = a;
    no_id.id = 0; // only from a kernel without NS_GET_ID, where no identity has one
    BOOST_TEST(!(a == no_id));
    ns_identity no_id2 = no_id;
    BOOST_TEST((no_id == no_id2));
    std::unordered_set<ns_identity> set{a, b, reused, other_type, other_dev, no_id, no_id2};
    BOOST_TEST(set.size() == 5u);
    std::set<ns_identity> ordered(set.begin(), set.end());
    BOOST_TEST(ordered.size() == 5u);
}

BOOST_AUTO_TEST_CASE(a_new_namespace_differs, *boost::unit_test::precondition(t::privileged()))
{
    const auto before = identify(open_ns(0, ns_type::uts).get());
    NSKIT_CHECK_CHILD(t::in_child([&] {
        unshare(clone_flag::newuts);
        const auto after = identify(open_ns(0, ns_type::uts).get());
        NSKIT_EXPECT(!(after == before));
        NSKIT_EXPECT((after < before) != (before < after));
        NSKIT_EXPECT(std::hash<ns_identity>{}(after) != std::hash<ns_identity>{}(before));
        return std::string();
    }));
}

BOOST_AUTO_TEST_CASE(identify_refuses_what_is_not_a_namespace)
{
    std::error_code ec;
    nskit::unique_fd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    auto id = identify(null.get(), ec);
    BOOST_TEST((ec == std::errc::inappropriate_io_control_operation));
    BOOST_TEST((id == ns_identity{}));
    identify(-1, ec);
    BOOST_TEST((ec == std::errc::bad_file_descriptor));
    BOOST_CHECK_THROW(identify(null.get()), std::system_error);
}

BOOST_AUTO_TEST_SUITE_END()
