// test/common/test_support.hpp — shared helpers for every nskit test binary.
//
// * Children: tests that change namespaces do it in a forked child; the child
//   returns "" for success or a message, which the parent asserts on.
// * Privilege: NSKIT_PRIVILEGED_TEST() skips (with the reason) when not root
//   with CAP_SYS_ADMIN; with NSKIT_REQUIRE_PRIVILEGED=1 a skip is a failure.
// * Leaks: a global fixture snapshots fds, children, mounts, links and
//   /run/netns before the suite and fails the run if any differ after.
#pragma once

#include <boost/test/unit_test.hpp>

#include <nskit/sys/clone_flags.hpp>

#include <ostream>
#include <system_error>

#include <sys/types.h>

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace nskit::test {

// Why privileged tests cannot run here, or nullopt when they can: not root,
// root only inside a user namespace (unshare -r: no power over the host's
// namespaces), or CAP_SYS_ADMIN/CAP_NET_ADMIN missing.
std::optional<std::string> missing_privilege();
bool privilege_required(); // NSKIT_REQUIRE_PRIVILEGED=1
// False inside a user namespace (unshare -r): there the host's namespaces
// belong to an ancestor, and the kernel refuses to name their owner (EPERM).
bool in_initial_user_namespace();

// Boost.Test precondition: skip unless privileged (see header comment).
struct privileged {
    boost::test_tools::assertion_result operator()(boost::unit_test::test_unit_id) const;
};

// Run fn in a forked child (plain fork).  The child's return value ("" =
// success) comes back through a pipe; an exception or crash becomes a
// message.  Waits for the child; never leaves a zombie.
std::string in_child(const std::function<std::string()>& fn);

// in_child, but the child first drops to uid/gid 65534 with no capabilities
// (when root): the way to assert EPERM paths without ever skipping.  Where
// 65534 is not mapped (a rootless user namespace) the child stays uid 0 and
// drops every capability instead (securebits keep exec from regaining them).
std::string as_nobody(const std::function<std::string()>& fn);

// Run argv (no shell), optionally inside the network namespace `netns_fd`
// (setns in the child before exec).  Returns stdout; exit status in *status.
std::string run_program(const std::vector<std::string>& argv, int* status = nullptr, int netns_fd = -1);

// Make clone3 (and nothing else) return ENOSYS in this process (seccomp).
// Call only in a child.  Returns false with errno on failure.
bool forbid_syscall(long nr, int err);
// Every PIDFD_GET_*_NAMESPACE ioctl (_IO(0xFF, 1..10)) fails with ENOTTY, as
// on a kernel before 6.11 (seccomp; inherited across exec).  Only in a child.
bool forbid_pidfd_namespace_ioctls();

// The entries of a directory ("." and ".." left out; none when unreadable).
std::set<std::string> list_dir(const char* path);
// This process's open fds, "N -> link text" each.
std::set<std::string> open_fds();

// Read a whole small file ("" on failure).
std::string read_file(const std::string& path);

// The directory the test binary was started in (the source root under b2).
// Tests themselves run with "/" as their working directory: see leak_check.
const std::string& start_directory();

// A child that just sleeps until killed; kill_and_reap() cleans it up.
struct sleeper {
    pid_t pid = -1;
    int pidfd = -1;
    explicit sleeper(unsigned long clone_flags = 0);
    ~sleeper();
    sleeper(const sleeper&) = delete;
    sleeper& operator=(const sleeper&) = delete;
};

} // namespace nskit::test

// Values Boost.Test cannot print on its own.
BOOST_TEST_DONT_PRINT_LOG_VALUE(std::errc)
namespace nskit::sys {
inline std::ostream& boost_test_print_type(std::ostream& o, const clone_flags& f) { return o << "{" << to_string(f) << "}"; }
} // namespace nskit::sys

#define NSKIT_CHECK_CHILD(expr)                                                                                    \
    do {                                                                                                           \
        const std::string nskit_child_msg_ = (expr);                                                               \
        BOOST_TEST(nskit_child_msg_.empty(), "child reported: " << nskit_child_msg_);                              \
    } while (0)

// Use in a child lambda: fail with a message naming the line.
#define NSKIT_EXPECT(cond)                                                                                         \
    do {                                                                                                           \
        if (!(cond))                                                                                               \
            return std::string(__FILE__ ":") + std::to_string(__LINE__) + ": expected " #cond;                    \
    } while (0)
