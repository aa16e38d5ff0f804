// pidref::open_namespace: from the pidfd (PIDFD_GET_<TYPE>_NAMESPACE, 6.11)
// and, with the ioctl filtered out by seccomp, the /proc fallback.
#include <nskit/sys/pidref.hpp>

#include "test_support.hpp"

#include <nskit/sys/nsfs.hpp>
#include <nskit/sys/pidfd.hpp>

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

using namespace nskit::sys;
namespace t = nskit::test;

namespace {

// Every type (and pid/time for children) of `p` names the same namespace as /proc/PID/ns.
std::string same_as_proc(const pidref& p)
{
    for (const auto& in : ns_types()) {
        std::error_code ec;
        auto fd = p.open_namespace(in.type, ec);
        if (ec)
            return std::string(in.name) + ": " + ec.message();
        auto proc = open_ns(p.pid(), in.type);
        if (ns_stat(fd.get()) != ns_stat(proc.get()))
            return std::string(in.name) + ": another namespace than /proc says";
        if (!in.for_children_entry.empty()) {
            auto c = p.open_namespace(in.type, ec, true);
            if (ec || ns_stat(c.get()) != ns_stat(open_ns_for_children(p.pid(), in.type).get()))
                return std::string(in.for_children_entry) + ": wrong or " + ec.message();
        }
    }
    return "";
}

// A reaped-later child that has exited (a zombie): no namespaces to give.
std::string zombie_is_esrch()
{
    const pid_t pid = ::fork();
    if (pid == 0)
        ::_exit(0);
    std::error_code ec;
    auto p = pidref::open(pid, ec);
    siginfo_t si{};
    ::waitid(P_PID, static_cast<id_t>(pid), &si, WEXITED | WNOWAIT); // a zombie, not reaped
    std::string out;
    if (ec)
        out = "pidfd_open: " + ec.message();
    else {
        p.open_namespace(ns_type::net, ec);
        if (ec != std::errc::no_such_process)
            out = "zombie: expected ESRCH, got " + ec.message();
    }
    ::waitpid(pid, nullptr, 0);
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(sys_pidref_namespace)

BOOST_AUTO_TEST_CASE(from_the_pidfd)
{
    t::sleeper s;
    auto p = pidref::open(s.pid);
    BOOST_TEST(same_as_proc(p) == "");
    std::error_code ec;
    auto fd = pidfd_get_namespace(p.pidfd(), ns_type::mnt, ec);
    BOOST_TEST(!ec);
    BOOST_TEST((::fcntl(fd.get(), F_GETFD) & FD_CLOEXEC));
    pidfd_get_namespace(p.pidfd(), ns_type::net, ec, true); // no net_for_children
    BOOST_TEST((ec == std::errc::invalid_argument));
    pidfd_get_namespace(fd.get(), ns_type::net, ec); // not a pidfd
    BOOST_TEST(!!ec);
    BOOST_CHECK_THROW(pidfd_get_namespace(-1, ns_type::net), std::system_error);
    BOOST_TEST(t::in_child(zombie_is_esrch) == "");
    pidref empty;
    empty.open_namespace(ns_type::net, ec);
    BOOST_TEST((ec == std::errc::bad_file_descriptor));
}

// The fallback: the ioctl filtered (ENOTTY as before 6.11), /proc/PID/ns
// confirmed against the pidfd gives the same answers and the same errors.
BOOST_AUTO_TEST_CASE(fallback_without_the_ioctl)
{
    t::sleeper s;
    BOOST_TEST(t::in_child([&] {
        if (!t::forbid_pidfd_namespace_ioctls())
            return std::string("seccomp: ") + std::strerror(errno);
        auto p = pidref::open(s.pid);
        std::error_code ec;
        pidfd_get_namespace(p.pidfd(), ns_type::net, ec);
        if (ec != std::errc::inappropriate_io_control_operation)
            return "filter not in force: " + ec.message();
        if (auto r = same_as_proc(p); !r.empty())
            return r;
        return zombie_is_esrch();
    }) == "");
}

// With /proc unmounted (a private mount namespace of a child), the pidfd
// still gives the namespaces; /proc/PID/ns cannot.
BOOST_AUTO_TEST_CASE(without_proc, *boost::unit_test::precondition(t::privileged()))
{
    t::sleeper s;
    BOOST_TEST(t::in_child([&] {
        auto p = pidref::open(s.pid);
        auto expected = ns_stat(open_ns(s.pid, ns_type::net).get());
        if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
            return std::string("private mount namespace: ") + std::strerror(errno);
        if (::umount2("/proc", MNT_DETACH) != 0)
            return std::string("umount /proc: ") + std::strerror(errno);
        std::error_code ec;
        open_ns(s.pid, ns_type::net, ec);
        if (!ec)
            return std::string("/proc/PID/ns still readable");
        auto fd = p.open_namespace(ns_type::net, ec);
        if (ec)
            return "open_namespace without /proc: " + ec.message();
        if (ns_stat(fd.get()) != expected)
            return std::string("another net namespace");
        return std::string();
    }) == "");
}

BOOST_AUTO_TEST_SUITE_END()
