// nskit/sys/clone.hpp — clone3(2), clone(2), unshare(2), setns(2), pivot_root(2).
#pragma once

#include <nskit/sys/clone_flags.hpp>
#include <nskit/sys/ns_type.hpp>
#include <nskit/sys/unique_fd.hpp>

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <system_error>
#include <nskit/export.hpp>

NSKIT_API_BEGIN
namespace nskit::sys {

// Everything struct clone_args (5.3, set_tid 5.5, cgroup 5.7) can carry.
struct clone3_args {
    clone_flags flags{};
    int exit_signal = 17;                 // SIGCHLD; 0 with thread/parent
    std::span<const pid_t> set_tid{};     // pids, innermost PID namespace first (5.5)
    int cgroup_fd = -1;                   // with clone_flag::into_cgroup (5.7)
    void* stack = nullptr;                // lowest address of the child's stack
    std::size_t stack_size = 0;
    std::uint64_t tls = 0;                // with clone_flag::settls
    pid_t* parent_tid = nullptr;          // with clone_flag::parent_settid
    pid_t* child_tid = nullptr;           // with child_settid / child_cleartid
};

// What a fork-like clone gives the parent.
struct clone_result {
    pid_t pid = 0;        // 0 in the child
    unique_fd pidfd{};    // with clone_flag::pidfd, in the parent
    bool used_fallback = false; // clone3 gave ENOSYS and clone(2) did the job
};

// Fork-like clone3: returns in both parent (pid > 0) and child (pid == 0).
// The flags and arguments are checked first (check_clone_flags).  When the
// kernel or a seccomp filter answers ENOSYS, falls back to clone(2) if the
// request fits it (no set_tid, cgroup, clear_sighand, newtime); otherwise
// the error is nskit::error::needs_clone3.
// The child of a multithreaded parent must call only async-signal-safe
// functions before exec or _exit: clone3 bypasses libc's fork handlers.
clone_result clone3(const clone3_args& args, std::error_code& ec) noexcept;
clone_result clone3(const clone3_args& args);

// Forces the clone(2) path (what the ENOSYS fallback does).
clone_result clone_legacy(const clone3_args& args, std::error_code& ec) noexcept;

// A stack for a clone child: mmap'd, with a PROT_NONE guard page below it.
class clone_stack {
public:
    static constexpr std::size_t default_size = 4u << 20; // Linux::Clone's default
    clone_stack() noexcept = default;
    explicit clone_stack(std::size_t size, std::error_code& ec) noexcept;
    explicit clone_stack(std::size_t size);
    clone_stack(clone_stack&& o) noexcept;
    clone_stack& operator=(clone_stack&& o) noexcept;
    ~clone_stack();
    void* top() const noexcept;            // where the stack pointer starts
    std::size_t size() const noexcept { return size_; }
    bool valid() const noexcept { return base_ != nullptr; }

private:
    void* base_ = nullptr;   // start of the mapping (guard page)
    std::size_t size_ = 0;   // usable size, excluding the guard
};

// Linux::Clone's `clone $coderef, $stacksize, $flags, $ptid, $tls, $ctid`,
// with all of them working: runs `fn` in the child on a stack nskit allocates
// and returns the child's pid (and pidfd with clone_flag::pidfd).  fn's return
// value is the child's exit status.
struct callable_clone_options {
    clone_flags flags{};
    int exit_signal = 17;                  // SIGCHLD
    std::size_t stack_size = clone_stack::default_size;
    pid_t* parent_tid = nullptr;           // with parent_settid
    pid_t* child_tid = nullptr;            // with child_settid / child_cleartid
    std::uint64_t tls = 0;                 // with settls
};

class cloned_child {
public:
    pid_t pid() const noexcept { return pid_; }
    unique_fd& pidfd() noexcept { return pidfd_; }
    // With clone_flag::vm the child runs on memory the parent owns: keep this
    // object (it owns the stack and the callable) until the child has exited;
    // the destructor frees them.  Without vm they were freed at once.
    bool owns_stack() const noexcept { return stack_.valid(); }

    cloned_child() = default;
    cloned_child(cloned_child&&) noexcept = default;
    cloned_child& operator=(cloned_child&&) noexcept = default;

private:
    friend cloned_child clone(std::function<int()>, const callable_clone_options&, std::error_code&) noexcept;
    pid_t pid_ = 0;
    unique_fd pidfd_;
    clone_stack stack_;
    std::unique_ptr<std::function<int()>> fn_;
};

cloned_child clone(std::function<int()> fn, const callable_clone_options& opts, std::error_code& ec) noexcept;
cloned_child clone(std::function<int()> fn, const callable_clone_options& opts);

// Under `using namespace nskit::sys;` beside <sched.h>, a call with an int
// flag word would silently pick glibc's unshare(int) / setns(int, int).
// These make such a call ambiguous, a compile error: pass clone_flags and
// ns_type (scoped enums, no conversion from int).
void unshare(int) = delete;
void setns(int, int) = delete;

// unshare(2), after check_unshare_flags.
void unshare(clone_flags flags, std::error_code& ec) noexcept;
void unshare(clone_flags flags);

// setns(2) with a namespace fd; with `expected` the fd's type is checked
// first (NS_GET_NSTYPE): nskit::error::wrong_namespace_type (the throwing
// form names the fd's type) or not_a_namespace, before the kernel's EINVAL.
void setns(int ns_fd, std::optional<ns_type> expected, std::error_code& ec) noexcept;
void setns(int ns_fd, std::optional<ns_type> expected = std::nullopt);
// setns(2) with a pidfd: join several of that process's namespaces at once (5.8).
// `namespaces` must be non-empty and hold only CLONE_NEW* flags.
void setns_pidfd(int pidfd, clone_flags namespaces, std::error_code& ec) noexcept;
void setns_pidfd(int pidfd, clone_flags namespaces);

// pivot_root(2).
void pivot_root(const char* new_root, const char* put_old, std::error_code& ec) noexcept;
void pivot_root(const char* new_root, const char* put_old);

} // namespace nskit::sys
NSKIT_API_END
