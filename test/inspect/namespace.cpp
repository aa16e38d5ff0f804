#include <nskit/inspect/namespace.hpp>

#include "test_support.hpp"

#include <nskit/sys/nsfs.hpp>

#include <set>
#include <sys/sysmacros.h>

using namespace nskit::inspect;

BOOST_AUTO_TEST_SUITE(inspect_namespace)

BOOST_AUTO_TEST_CASE(identity_text_is_the_id_else_device_and_inode)
{
    nskit::sys::ns_identity id;
    id.inode = {makedev(0, 4), 4026531840ULL};
    BOOST_TEST(ns_id_text(id) == "0:4:4026531840");
    id.id = 12;
    BOOST_TEST(ns_id_text(id) == "12");
}

BOOST_AUTO_TEST_CASE(identity_of_a_real_namespace)
{
    auto fd = nskit::sys::open_ns(0, ns_type::net);
    const auto id = nskit::sys::identify(fd.get());
    const std::string text = ns_id_text(id);
    BOOST_TEST(!text.empty());
    if (id.id == 0)
        BOOST_TEST(text.find(std::to_string(id.inode.ino)) != std::string::npos);
    else
        BOOST_TEST(text == std::to_string(id.id));
}

BOOST_AUTO_TEST_CASE(unknown_reason_names_the_errno)
{
    BOOST_TEST(unknown_reason(std::make_error_code(std::errc::permission_denied)) == "unknown (permission denied)");
    BOOST_TEST(unknown_reason(std::make_error_code(std::errc::operation_not_permitted)) ==
               "unknown (operation not permitted)");
    BOOST_TEST(unknown_reason({}).empty());
}

BOOST_AUTO_TEST_CASE(holder_kinds_have_distinct_names)
{
    std::set<std::string_view> names;
    for (auto k : {holder_kind::process, holder_kind::thread, holder_kind::for_children, holder_kind::fd,
                   holder_kind::bind_mount, holder_kind::socket, holder_kind::child, holder_kind::owner,
                   holder_kind::unseen})
        names.insert(to_string(k));
    BOOST_TEST(names.size() == 9u);
    BOOST_TEST(names.count("bind_mount") == 1u);
    BOOST_TEST(to_string(holder_kind::fd) == "fd");
    ns_reference r(holder_kind::fd, 10, 10, 3);
    BOOST_TEST(r.fd == 3);
    BOOST_TEST(r.mount_ns == ns_reference::npos);
}

BOOST_AUTO_TEST_SUITE_END()
