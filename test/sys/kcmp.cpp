#include <nskit/sys/kcmp.hpp>

#include "test_support.hpp"

#include <nskit/sys/clone.hpp>
#include <nskit/sys/pidfd.hpp>

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <fstream>

using namespace nskit::sys;
namespace t = nskit::test;

BOOST_AUTO_TEST_SUITE(sys_kcmp)

BOOST_AUTO_TEST_CASE(resource_types_follow_the_clone_flags)
{
    // In a child of the runner: it gives itself an io_context (ioprio_set) and
    // a SysV undo list (semop SEM_UNDO), which the kernel otherwise allocates
    // lazily; two NULLs would compare equal and prove nothing.
    NSKIT_CHECK_CHILD(t::in_child([] {
        const pid_t self = ::getpid();
        NSKIT_EXPECT(::syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, (2 << 13) | 4) == 0);
        int sem = ::semget(IPC_PRIVATE, 1, 0600);
        NSKIT_EXPECT(sem >= 0);
        sembuf up{0, 1, SEM_UNDO};
        NSKIT_EXPECT(::semop(sem, &up, 1) == 0);
        struct case_ {
            clone_flags flags;
            kcmp_resource shared;
        };
        const case_ cases[] = {
            {clone_flag::vm, kcmp_resource::vm},           {clone_flag::files, kcmp_resource::files},
            {clone_flag::fs, kcmp_resource::fs},           {clone_flag::sighand | clone_flag::vm, kcmp_resource::sighand},
            {clone_flag::io, kcmp_resource::io},           {clone_flag::sysvsem, kcmp_resource::sysvsem},
            {clone_flags(), kcmp_resource::file /* nothing shared */},
        };
        std::string problems;
        for (const auto& c : cases) {
            int gate[2];
            NSKIT_EXPECT(::pipe2(gate, O_CLOEXEC) == 0);
            const int rd = gate[0];
            auto child = clone([rd] { char b; return ::read(rd, &b, 1) == 1 ? 0 : 1; },
                               {.flags = c.flags | clone_flag::pidfd, .stack_size = 128 * 1024});
            for (auto type : {kcmp_resource::vm, kcmp_resource::files, kcmp_resource::fs, kcmp_resource::sighand, kcmp_resource::io,
                              kcmp_resource::sysvsem}) {
                std::error_code ec;
                auto order = kcmp(self, child.pid(), type, ec);
                const bool expect_equal =
                    type == c.shared || (c.flags.contains(clone_flag::vm) && type == kcmp_resource::vm);
                if (ec || (order == kcmp_order::equal) != expect_equal)
                    problems += "flags {" + to_string(c.flags) + "} " + std::string(to_string(type)) + ": " +
                                (ec ? ec.message() : std::string(to_string(order))) + "; ";
            }
            NSKIT_EXPECT(::write(gate[1], "x", 1) == 1);
            auto st = pidfd_wait(child.pidfd().get());
            NSKIT_EXPECT(st.exited() && st.code == 0);
            ::close(gate[0]);
            ::close(gate[1]);
        }
        ::semctl(sem, 0, IPC_RMID);
        return problems;
    }));
}

BOOST_AUTO_TEST_CASE(ordering_is_consistent)
{
    t::sleeper a, b;
    auto ab = kcmp(a.pid, b.pid, kcmp_resource::vm);
    auto ba = kcmp(b.pid, a.pid, kcmp_resource::vm);
    BOOST_TEST((ab == kcmp_order::less || ab == kcmp_order::greater));
    BOOST_TEST((ba == (ab == kcmp_order::less ? kcmp_order::greater : kcmp_order::less)));
    BOOST_TEST((kcmp(a.pid, a.pid, kcmp_resource::vm) == kcmp_order::equal));
    BOOST_TEST(to_string(kcmp_order::unordered) == "unordered");
}

BOOST_AUTO_TEST_CASE(file_compares_open_file_descriptions)
{
    const pid_t self = ::getpid();
    int a = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    int b = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    int c = ::fcntl(a, F_DUPFD_CLOEXEC, 0);
    BOOST_TEST((kcmp_file(self, a, self, c) == kcmp_order::equal));
    BOOST_TEST((kcmp_file(self, a, self, b) != kcmp_order::equal));
    std::error_code ec;
    kcmp_file(self, a, self, 9999, ec);
    BOOST_TEST((ec == std::errc::bad_file_descriptor));
    kcmp_file(self, -1, self, a, ec);
    BOOST_TEST((ec == std::errc::bad_file_descriptor));
    ::close(a);
    ::close(b);
    ::close(c);
}

BOOST_AUTO_TEST_CASE(epoll_tfd_finds_the_target)
{
    const pid_t self = ::getpid();
    int ep = ::epoll_create1(EPOLL_CLOEXEC);
    int p[2];
    BOOST_REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
    epoll_event ev{};
    ev.events = EPOLLIN;
    BOOST_REQUIRE(::epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) == 0);
    // fdinfo of the epoll fd lists "tfd: N" for each watched fd
    std::string info = t::read_file("/proc/self/fdinfo/" + std::to_string(ep));
    BOOST_TEST(info.find("tfd:") != std::string::npos);
    kcmp_epoll_target slot{static_cast<unsigned>(ep), static_cast<unsigned>(p[0]), 0};
    BOOST_TEST((kcmp_epoll_tfd(self, p[0], self, slot) == kcmp_order::equal));
    BOOST_TEST((kcmp_epoll_tfd(self, p[1], self, slot) != kcmp_order::equal));
    std::error_code ec;
    kcmp_epoll_target missing{static_cast<unsigned>(ep), static_cast<unsigned>(p[1]), 0};
    kcmp_epoll_tfd(self, p[1], self, missing, ec); // not in the interest list
    BOOST_TEST((ec == std::errc::no_such_file_or_directory));
    ::close(ep);
    ::close(p[0]);
    ::close(p[1]);
}

BOOST_AUTO_TEST_CASE(error_paths)
{
    std::error_code ec;
    kcmp(::getpid(), 0x7ffffff0, kcmp_resource::vm, ec);
    BOOST_TEST((ec == std::errc::no_such_process));
    kcmp(::getpid(), ::getpid(), kcmp_resource::file, ec); // needs fds
    BOOST_TEST((ec == std::errc::invalid_argument));
    kcmp(::getpid(), ::getpid(), static_cast<kcmp_resource>(42), ec);
    BOOST_TEST((ec == std::errc::invalid_argument));
    try {
        kcmp(::getpid(), 0x7ffffff0, kcmp_resource::vm);
        BOOST_FAIL("no throw");
    } catch (const std::system_error& e) {
        BOOST_TEST(std::string(e.what()).find("kcmp(") != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(enosys_is_explained)
{
    NSKIT_CHECK_CHILD(t::in_child([] {
        NSKIT_EXPECT(t::forbid_syscall(SYS_kcmp, ENOSYS));
        try {
            kcmp(::getpid(), ::getpid(), kcmp_resource::vm);
            return std::string("no throw");
        } catch (const std::system_error& e) {
            NSKIT_EXPECT(e.code() == std::errc::function_not_supported);
            NSKIT_EXPECT(std::string(e.what()).find("CONFIG_KCMP") != std::string::npos);
        }
        return std::string();
    }));
}

BOOST_AUTO_TEST_CASE(eperm_without_ptrace_rights)
{
    // PID 1 belongs to root: an unprivileged caller may not inspect it
    NSKIT_CHECK_CHILD(t::as_nobody([] {
        std::error_code ec;
        kcmp(::getpid(), 1, kcmp_resource::vm, ec);
        NSKIT_EXPECT(ec == std::errc::operation_not_permitted);
        try {
            kcmp(::getpid(), 1, kcmp_resource::vm);
        } catch (const std::system_error& e) {
            NSKIT_EXPECT(std::string(e.what()).find("ptrace") != std::string::npos);
        }
        return std::string();
    }));
}

BOOST_AUTO_TEST_SUITE_END()
