#include <nskit/net/loopback.hpp>

#include "test_support.hpp"
#include "net_oracle.hpp"

#include <nskit/net/netlink.hpp>
#include <nskit/sys/error.hpp>
#include <nskit/sys/nsfs.hpp>

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>

using namespace nskit::net;
namespace t = nskit::test;

namespace {

bool lo_has(const std::vector<t::ip_addr>& addrs, const std::string& local)
{
    return std::any_of(addrs.begin(), addrs.end(), [&](const t::ip_addr& a) { return a.dev == "lo" && a.local == local; });
}

} // namespace

BOOST_AUTO_TEST_SUITE(net_loopback)

BOOST_AUTO_TEST_CASE(loopback_comes_up_with_its_addresses, *boost::unit_test::precondition(t::privileged()))
{
    NSKIT_CHECK_CHILD(t::in_child([] {
        NSKIT_EXPECT(::unshare(CLONE_NEWNET) == 0);
        auto before = t::ip_links();
        NSKIT_EXPECT(before.size() == 1 && before[0].name == "lo" && !before[0].up);
        NSKIT_EXPECT(!lo_has(t::ip_addrs(), "127.0.0.1"));
        std::error_code ec;
        configure_loopback(ec);
        NSKIT_EXPECT(!ec);
        auto after = t::ip_links();
        NSKIT_EXPECT(after.size() == 1 && after[0].up);
        auto addrs = t::ip_addrs();
        NSKIT_EXPECT(lo_has(addrs, "127.0.0.1"));
        NSKIT_EXPECT(lo_has(addrs, "::1"));
        // idempotent: already up is success
        configure_loopback(ec);
        NSKIT_EXPECT(!ec);
        configure_loopback();
        NSKIT_EXPECT(t::ip_links()[0].up);
        // the library sees the same thing
        auto lo = netlink::open().link("lo");
        NSKIT_EXPECT(lo.index == 1 && lo.up());
        return std::string();
    }));
}

BOOST_AUTO_TEST_CASE(loopback_in_another_namespace, *boost::unit_test::precondition(t::privileged()))
{
    NSKIT_CHECK_CHILD(t::in_child([] {
        NSKIT_EXPECT(::unshare(CLONE_NEWNET) == 0);
        auto a = nskit::sys::open_ns(0, nskit::sys::ns_type::net);
        NSKIT_EXPECT(::unshare(CLONE_NEWNET) == 0);
        auto b = nskit::sys::open_ns(0, nskit::sys::ns_type::net);
        configure_loopback_in(a.get());
        NSKIT_EXPECT(t::ip_links(a.get())[0].up);
        NSKIT_EXPECT(!t::ip_links(b.get())[0].up); // the caller's own netns untouched
        // the calling thread is back in b
        auto here = nskit::sys::open_ns(0, nskit::sys::ns_type::net);
        NSKIT_EXPECT((nskit::sys::ns_stat(here.get()) == nskit::sys::ns_stat(b.get())));
        std::error_code ec;
        configure_loopback_in(-1, ec);
        NSKIT_EXPECT(ec == std::errc::bad_file_descriptor);
        int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        configure_loopback_in(devnull, ec);
        ::close(devnull);
        NSKIT_EXPECT(ec == std::errc::invalid_argument);
        NSKIT_EXPECT(last_error_detail().find("setns") != std::string::npos);
        return std::string();
    }));
}

BOOST_AUTO_TEST_CASE(unprivileged_caller_gets_eperm)
{
    NSKIT_CHECK_CHILD(t::as_nobody([] {
        // lo of the host namespace: nobody may not change it (it is up anyway).
        std::error_code ec;
        configure_loopback(ec);
        NSKIT_EXPECT(ec == std::errc::operation_not_permitted);
        NSKIT_EXPECT(last_error_detail().find("link set up(1)") != std::string::npos);
        try {
            configure_loopback();
            return std::string("no exception");
        } catch (const std::system_error& e) {
            NSKIT_EXPECT(std::string(e.what()).find("CAP_NET_ADMIN") != std::string::npos);
        }
        return std::string();
    }));
}

BOOST_AUTO_TEST_SUITE_END()
