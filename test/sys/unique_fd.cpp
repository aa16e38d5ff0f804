#include <nskit/sys/unique_fd.hpp>

#include "test_support.hpp"

#include <fcntl.h>
#include <unistd.h>

BOOST_AUTO_TEST_SUITE(sys_unique_fd)

static bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

BOOST_AUTO_TEST_CASE(owns_moves_releases_resets)
{
    int raw = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    BOOST_REQUIRE(raw >= 0);
    {
        nskit::unique_fd a(raw);
        BOOST_TEST(a.valid());
        nskit::unique_fd b(std::move(a));
        BOOST_TEST(!a.valid());
        BOOST_TEST(b.get() == raw);
        a = std::move(b);
        BOOST_TEST(a.get() == raw);
    }
    BOOST_TEST(!is_open(raw));

    int raw2 = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    nskit::unique_fd c(raw2);
    int released = c.release();
    BOOST_TEST(!c);
    BOOST_TEST(is_open(released));
    c.reset(released);
    c.reset();
    BOOST_TEST(!is_open(released));
    nskit::unique_fd empty;
    BOOST_TEST(empty.get() == -1);
}

BOOST_AUTO_TEST_SUITE_END()
