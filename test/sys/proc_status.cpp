#include <nskit/sys/detail/proc_status.hpp>

#include "test_support.hpp"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>

namespace d = nskit::sys::detail;
namespace t = nskit::test;

namespace {

// The oracle: the calling thread's effective set from capget(2), not /proc.
std::uint64_t capget_effective()
{
    __user_cap_header_struct h{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (::syscall(SYS_capget, &h, data) != 0)
        return ~std::uint64_t{0};
    return std::uint64_t{data[1].effective} << 32 | data[0].effective;
}

} // namespace

BOOST_AUTO_TEST_SUITE(sys_proc_status)

BOOST_AUTO_TEST_CASE(parse_status_hex_takes_the_kernels_spelling_only)
{
    std::uint64_t v = 7;
    BOOST_TEST(d::parse_status_hex("\t000001ffffffffff", v));
    BOOST_TEST(v == 0x1ffffffffffULL);
    BOOST_TEST(d::parse_status_hex(" 0", v));
    BOOST_TEST(v == 0U);
    v = 7;
    for (const char* bad : {"", "\t", "\t00000000000000000", "\t0x1f", "\t1F", "\t12 ", "\t-1", "\tzz"}) {
        BOOST_TEST(!d::parse_status_hex(bad, v), "'" << bad << "' taken");
        BOOST_TEST(v == 7U, "'" << bad << "' changed the value");
    }
}

BOOST_AUTO_TEST_CASE(own_status_mask_is_what_capget_says)
{
    std::error_code ec;
    BOOST_TEST(d::own_status_mask("CapEff:", ec) == capget_effective());
    BOOST_TEST(!ec);
    // dropped to uid 65534 without capabilities: an empty set, read the same way
    NSKIT_CHECK_CHILD(t::as_nobody([] {
        std::error_code e;
        const auto caps = d::own_status_mask("CapEff:", e);
        NSKIT_EXPECT(!e);
        NSKIT_EXPECT(caps == 0);
        NSKIT_EXPECT(caps == capget_effective());
        return std::string();
    }));
}

BOOST_AUTO_TEST_CASE(own_status_mask_missing_line)
{
    std::error_code ec;
    BOOST_TEST(d::own_status_mask("NoSuchMask:", ec) == 0U);
    BOOST_TEST((ec == std::errc::no_such_file_or_directory));
    // a line that is there but not a mask
    BOOST_TEST(d::own_status_mask("Name:", ec) == 0U);
    BOOST_TEST((ec == std::errc::protocol_error));
}

BOOST_AUTO_TEST_SUITE_END()
