// nskit/sys/proc_connector.hpp — the kernel's process events (fork, exec,
// exit) from the proc connector: NETLINK_CONNECTOR, group CN_IDX_PROC
// (2.6.15), over libmnl.
//
// The kernel sends them only to subscribers in the initial user and PID
// namespaces with CAP_NET_ADMIN there; pids are as the initial PID namespace
// numbers them.  Lives in sys (not net): it is a netlink socket, but no
// network configuration, and inspect (which depends on sys only) needs it.
#pragma once

#include <nskit/sys/unique_fd.hpp>

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <system_error>
#include <vector>
#include <nskit/export.hpp>

NSKIT_API_BEGIN
namespace nskit::sys {

struct proc_event {
    enum class kind { fork, exec, exit };
    kind what = kind::exec;
    pid_t pid = 0;        // the process (thread-group id); fork: the child's
    pid_t tid = 0;        // the thread; == pid for a process (or its leader)
    pid_t parent_pid = 0; // fork: the parent's thread-group id; exit: the parent's (4.18+), else 0
    int exit_code = 0;    // exit: the wait status
    std::uint64_t time_ns = 0; // the kernel's CLOCK_MONOTONIC at the event
    bool is_thread() const noexcept { return tid != pid; }
};

class proc_connector {
public:
    proc_connector() noexcept;
    proc_connector(proc_connector&&) noexcept;
    proc_connector& operator=(proc_connector&&) noexcept;
    ~proc_connector(); // unsubscribes (PROC_CN_MCAST_IGNORE) and closes

    // Open, bind to CN_IDX_PROC and subscribe (PROC_CN_MCAST_LISTEN); waits,
    // bounded (2 s), for the kernel's acknowledgement, so a subscription the
    // kernel ignored is an error, not a silent socket.  receive_buffer: the
    // socket's SO_RCVBUF in bytes (0: the kernel's default; tiny values lose
    // events, see read()).  Errors (op_kind::proc_connector): EPERM without
    // CAP_NET_ADMIN in the initial user namespace; ETIMEDOUT when no
    // acknowledgement came (caller outside the initial user or PID
    // namespace); ECONNREFUSED in a network namespace other than the initial
    // one; EPROTONOSUPPORT when the kernel lacks the connector.
    static proc_connector open(std::error_code& ec, int receive_buffer = 0) noexcept;
    static proc_connector open(int receive_buffer = 0);

    bool is_open() const noexcept;
    int fd() const noexcept; // poll(2) it for POLLIN; never read it directly

    // Append the events waiting on the socket to `out` without blocking;
    // the count appended.  Other process events (uid, comm, ptrace ...)
    // are skipped; messages not from the kernel are dropped.  ENOBUFS: the
    // socket overran and events were lost (the events read before are in
    // `out`); the connector stays open and subscribed: read on.
    std::size_t read(std::vector<proc_event>& out, std::error_code& ec);
    std::size_t read(std::vector<proc_event>& out);

private:
    struct impl;
    explicit proc_connector(std::unique_ptr<impl> p) noexcept;
    std::unique_ptr<impl> impl_;
};

} // namespace nskit::sys
NSKIT_API_END
