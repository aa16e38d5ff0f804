#include <nskit/inspect/caps.hpp>

#include "test_support.hpp"

#include <unistd.h>

using namespace nskit::inspect;

BOOST_AUTO_TEST_SUITE(inspect_caps)

BOOST_AUTO_TEST_CASE(names_and_the_full_set)
{
    BOOST_TEST(capability_names(0) == "");
    BOOST_TEST(capability_names(1) == "cap_chown");
    BOOST_TEST(capability_names((1ull << 21) | (1ull << 12)) == "cap_net_admin,cap_sys_admin");
    BOOST_TEST(capability_names(1ull << 50) == "cap_50");
    BOOST_TEST((all_capabilities() & 1ull << 40) != 0u); // 6.18 has CAP_CHECKPOINT_RESTORE
}

// Our own namespaces: the rule is "same user namespace", and what we hold is our CapEff.
BOOST_AUTO_TEST_CASE(own_namespaces_give_the_effective_set)
{
    scan_options o;
    o.credentials = true;
    const auto s = scan(o);
    const auto* me = s.find_process(::getpid());
    BOOST_TEST_REQUIRE(me != nullptr);
    BOOST_TEST_REQUIRE(me->cap_effective.has_value());
    const auto net = me->ns[static_cast<std::size_t>(nskit::sys::ns_type::net)];
    BOOST_TEST_REQUIRE(net != process_info::none);
    const auto a = capabilities_in(s, static_cast<std::size_t>(me - s.processes.data()), net);
    const auto user = me->ns[static_cast<std::size_t>(nskit::sys::ns_type::user)];
    if (s.namespaces[net].owner.value == user) { // root or nobody on the host: our own user namespace owns it
        BOOST_TEST((a.rule == caps_rule::same_user_namespace));
        BOOST_TEST(a.effective == *me->cap_effective);
    } else { // unshare -r: the host's user namespace owns it, beyond our reach (EPERM): unknown, never "all"
        BOOST_TEST((a.rule == caps_rule::outside || (a.rule == caps_rule::unknown && a.error)));
        BOOST_TEST(a.effective == 0u);
        BOOST_TEST(!a.all);
    }
    BOOST_TEST(to_string(caps_rule::owner_of_ancestor) == "owner_of_ancestor");
}

BOOST_AUTO_TEST_SUITE_END()
