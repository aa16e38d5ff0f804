#include <nskit/sys/clone.hpp>
#include <nskit/sys/nsfs.hpp>
#include <nskit/sys/detail/clone_args.hpp>
#include <nskit/sys/detail/syscall.hpp>
#include <nskit/sys/error.hpp>

#include <sched.h>
#include <signal.h>
#include <sys/mman.h>

#include <cerrno>
#include <string>

namespace nskit::sys {

namespace detail {

// clone3 that starts the child in fn(arg) on the stack in k (x86_64).  The
// child never returns into C++ frames that belong to the parent's stack.
#if defined(__x86_64__)
long clone3_start(kernel_clone_args* k, int (*fn)(void*), void* arg) noexcept
{
    long ret;
    register long r12 __asm__("r12") = reinterpret_cast<long>(fn);
    register long r13 __asm__("r13") = reinterpret_cast<long>(arg);
    __asm__ volatile("syscall\n\t"
                     "test %%rax, %%rax\n\t"
                     "jnz 1f\n\t"
                     "xor %%ebp, %%ebp\n\t"
                     "mov %%r13, %%rdi\n\t"
                     "call *%%r12\n\t"
                     "mov %%eax, %%edi\n\t"
                     "mov $60, %%eax\n\t" // SYS_exit
                     "syscall\n\t"
                     "hlt\n\t"
                     "1:\n\t"
                     : "=a"(ret)
                     : "a"(SYS_clone3), "D"(k), "S"(sizeof *k), "r"(r12), "r"(r13)
                     : "rcx", "r11", "memory");
    return ret;
}
#else
long clone3_start(kernel_clone_args*, int (*)(void*), void*) noexcept
{
    return -ENOSYS;
}
#endif

long clone3_run(kernel_clone_args* k, int (*fn)(void*), void* arg) noexcept
{
    const long ret = clone3_start(k, fn, arg);
    if (ret < 0) {
        errno = static_cast<int>(-ret);
        return -1;
    }
    return ret;
}

kernel_clone_args to_kernel(const clone3_args& a, int* pidfd_out) noexcept
{
    kernel_clone_args k{};
    k.flags = a.flags.bits();
    k.pidfd = reinterpret_cast<std::uintptr_t>(pidfd_out);
    k.child_tid = reinterpret_cast<std::uintptr_t>(a.child_tid);
    k.parent_tid = reinterpret_cast<std::uintptr_t>(a.parent_tid);
    k.exit_signal = static_cast<std::uint64_t>(a.exit_signal);
    k.stack = reinterpret_cast<std::uintptr_t>(a.stack);
    k.stack_size = a.stack_size;
    k.tls = a.tls;
    k.set_tid = reinterpret_cast<std::uintptr_t>(a.set_tid.data());
    k.set_tid_size = a.set_tid.size();
    k.cgroup = a.flags.contains(clone_flag::into_cgroup) ? static_cast<std::uint64_t>(a.cgroup_fd) : 0;
    return k;
}

} // namespace detail

namespace {

using detail::kernel_clone_args;
using nskit::detail::last_error;

std::error_code validate(const clone3_args& a, bool via_clone3) noexcept
{
    if (auto ec = check_clone_flags(a.flags, via_clone3))
        return ec;
    if (a.exit_signal < 0 || a.exit_signal > 64)
        return std::make_error_code(std::errc::invalid_argument);
    if (a.flags.intersects(clone_flag::thread | clone_flag::parent) && a.exit_signal != 0)
        return make_error_code(error::flag_conflict);
    if (a.set_tid.size() > 32) // MAX_PID_NS_LEVEL
        return std::make_error_code(std::errc::invalid_argument);
    if (a.flags.contains(clone_flag::into_cgroup) && a.cgroup_fd < 0)
        return std::make_error_code(std::errc::bad_file_descriptor);
    if ((a.stack == nullptr) != (a.stack_size == 0))
        return std::make_error_code(std::errc::invalid_argument);
    // A shared address space with no stack of its own would run both on one stack.
    if (a.flags.contains(clone_flag::vm) && a.stack == nullptr)
        return std::make_error_code(std::errc::invalid_argument);
    if (a.flags.contains(clone_flag::parent_settid) && a.parent_tid == nullptr)
        return std::make_error_code(std::errc::invalid_argument);
    if (a.flags.intersects(clone_flag::child_settid | clone_flag::child_cleartid) && a.child_tid == nullptr)
        return std::make_error_code(std::errc::invalid_argument);
    return {};
}


bool fits_legacy_clone(const clone3_args& a) noexcept
{
    return a.set_tid.empty() && !a.flags.intersects(clone_flag::newtime | clone_flag::clear_sighand |
                                                     clone_flag::into_cgroup);
}

int run_callable(void* p)
{
    auto* fn = static_cast<std::function<int()>*>(p);
    try {
        return (*fn)();
    } catch (...) {
        return 255;
    }
}

std::string flags_op(std::string_view call, clone_flags f)
{
    return std::string(call).append("(").append(to_string(f)).append(")");
}

} // namespace

clone_result clone_legacy(const clone3_args& a, std::error_code& ec) noexcept
{
    ec = validate(a, false);
    if (ec)
        return {};
    if (a.stack != nullptr) {
        // A fork-like return on a fresh stack cannot resume C++ frames.
        ec = std::make_error_code(std::errc::invalid_argument);
        return {};
    }
    int pidfd = -1;
    pid_t* ptid = a.parent_tid;
    if (a.flags.contains(clone_flag::pidfd)) {
        if (a.flags.contains(clone_flag::parent_settid)) { // clone(2) returns the pidfd through ptid
            ec = make_error_code(error::flag_conflict);
            return {};
        }
        ptid = reinterpret_cast<pid_t*>(&pidfd);
    }
    long r = ::syscall(SYS_clone, a.flags.bits() | static_cast<std::uint64_t>(a.exit_signal), nullptr, ptid,
                       a.child_tid, a.tls);
    if (r < 0) {
        ec = last_error();
        return {};
    }
    clone_result out;
    out.pid = static_cast<pid_t>(r);
    out.used_fallback = true;
    if (r > 0 && pidfd >= 0)
        out.pidfd.reset(pidfd);
    return out;
}

clone_result clone3(const clone3_args& a, std::error_code& ec) noexcept
{
    ec = validate(a, true);
    if (ec)
        return {};
    if (a.stack != nullptr) { // use the callable form for a child on its own stack
        ec = std::make_error_code(std::errc::invalid_argument);
        return {};
    }
    int pidfd = -1;
    auto k = detail::to_kernel(a, &pidfd);
    k.flags &= ~static_cast<std::uint64_t>(clone_flag::detached); // ignored since 2.6.2, yet clone3 refuses it
    long r = ::syscall(SYS_clone3, &k, sizeof k);
    if (r < 0) {
        ec = last_error();
        if (ec.value() == ENOSYS) {
            if (!fits_legacy_clone(a)) {
                ec = make_error_code(error::needs_clone3);
                return {};
            }
            return clone_legacy(a, ec);
        }
        return {};
    }
    clone_result out;
    out.pid = static_cast<pid_t>(r);
    if (r > 0 && pidfd >= 0)
        out.pidfd.reset(pidfd);
    return out;
}

clone_result clone3(const clone3_args& a)
{
    std::error_code ec;
    auto r = clone3(a, ec);
    throw_if(ec, op_kind::namespace_create, flags_op("clone3", a.flags));
    return r;
}

// ---- clone_stack ----

clone_stack::clone_stack(std::size_t size, std::error_code& ec) noexcept
{
    ec.clear();
    const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    if (size < 4 * page)
        size = 4 * page;
    size = (size + page - 1) / page * page;
    void* p = ::mmap(nullptr, size + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (p == MAP_FAILED) {
        ec = last_error();
        return;
    }
    if (::mprotect(p, page, PROT_NONE) != 0) { // guard page below the stack
        ec = last_error();
        ::munmap(p, size + page);
        return;
    }
    base_ = p;
    size_ = size;
}

clone_stack::clone_stack(std::size_t size)
{
    std::error_code ec;
    *this = clone_stack(size, ec);
    throw_if(ec, op_kind::other, "clone_stack: mmap");
}

clone_stack::clone_stack(clone_stack&& o) noexcept
    : base_(std::exchange(o.base_, nullptr)), size_(std::exchange(o.size_, 0))
{
}

clone_stack& clone_stack::operator=(clone_stack&& o) noexcept
{
    if (this != &o) {
        this->~clone_stack();
        base_ = std::exchange(o.base_, nullptr);
        size_ = std::exchange(o.size_, 0);
    }
    return *this;
}

clone_stack::~clone_stack()
{
    if (base_ != nullptr) {
        const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
        ::munmap(base_, size_ + page);
        base_ = nullptr;
    }
}

void* clone_stack::top() const noexcept
{
    if (base_ == nullptr)
        return nullptr;
    const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    return static_cast<char*>(base_) + page + size_;
}

// ---- callable clone ----

cloned_child clone(std::function<int()> fn, const callable_clone_options& o, std::error_code& ec) noexcept
{
    cloned_child child;
    clone3_args a;
    a.flags = o.flags;
    a.exit_signal = o.exit_signal;
    a.parent_tid = o.parent_tid;
    a.child_tid = o.child_tid;
    a.tls = o.tls;
    a.stack = &child; // placeholder: the stack is allocated only once the request is known to be valid
    a.stack_size = 1;
    ec = validate(a, true);
    if (ec)
        return child;
    try {
        child.fn_ = std::make_unique<std::function<int()>>(std::move(fn));
    } catch (...) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return child;
    }
    child.stack_ = clone_stack(o.stack_size, ec);
    if (ec)
        return child;
    a.stack = static_cast<char*>(child.stack_.top()) - child.stack_.size();
    a.stack_size = child.stack_.size();

    int pidfd = -1;
    auto k = detail::to_kernel(a, &pidfd);
    k.flags &= ~static_cast<std::uint64_t>(clone_flag::detached);
    long r = detail::clone3_run(&k, run_callable, child.fn_.get());
    if (r < 0 && errno == ENOSYS) {
        if (!fits_legacy_clone(a)) {
            ec = make_error_code(error::needs_clone3);
            return child;
        }
        pid_t* ptid = o.parent_tid;
        if (o.flags.contains(clone_flag::pidfd)) {
            if (o.flags.contains(clone_flag::parent_settid)) {
                ec = make_error_code(error::flag_conflict);
                return child;
            }
            ptid = reinterpret_cast<pid_t*>(&pidfd);
        }
        r = ::clone(run_callable, child.stack_.top(),
                    static_cast<int>(o.flags.bits() | static_cast<std::uint64_t>(o.exit_signal)), child.fn_.get(),
                    ptid, reinterpret_cast<void*>(o.tls), o.child_tid);
    }
    if (r < 0) {
        ec = last_error();
        return child;
    }
    child.pid_ = static_cast<pid_t>(r);
    if (pidfd >= 0)
        child.pidfd_.reset(pidfd);
    if (!o.flags.contains(clone_flag::vm)) { // the child has its own copy
        child.stack_ = clone_stack();
        child.fn_.reset();
    }
    return child;
}

cloned_child clone(std::function<int()> fn, const callable_clone_options& o)
{
    std::error_code ec;
    auto c = clone(std::move(fn), o, ec);
    throw_if(ec, op_kind::namespace_create, flags_op("clone", o.flags));
    return c;
}

// ---- unshare / setns / pivot_root ----

void unshare(clone_flags flags, std::error_code& ec) noexcept
{
    ec = check_unshare_flags(flags);
    if (ec)
        return;
    if (::unshare(static_cast<int>(flags.bits())) != 0)
        ec = last_error();
}

void unshare(clone_flags flags)
{
    std::error_code ec;
    unshare(flags, ec);
    throw_if(ec, op_kind::namespace_create, flags_op("unshare", flags));
}

void setns(int ns_fd, std::optional<ns_type> expected, std::error_code& ec) noexcept
{
    ec.clear();
    if (expected) { // the kernel's EINVAL would not say that the fd is of another type
        std::error_code e;
        const ns_type actual = ns_get_nstype(ns_fd, e);
        if (!e && actual != *expected) {
            ec = make_error_code(error::wrong_namespace_type);
            return;
        }
        if (e == std::errc::inappropriate_io_control_operation) { // ENOTTY: not an nsfs file
            ec = make_error_code(error::not_a_namespace);
            return;
        }
    }
    const int nstype = expected ? static_cast<int>(static_cast<std::uint64_t>(info(*expected).flag)) : 0;
    if (::setns(ns_fd, nstype) != 0)
        ec = last_error();
}

void setns(int ns_fd, std::optional<ns_type> expected)
{
    std::error_code ec;
    setns(ns_fd, expected, ec);
    std::string op = std::string("setns(fd ").append(std::to_string(ns_fd)).append(expected ? ", " : "")
                         .append(expected ? to_string(*expected) : "").append(")");
    if (ec == error::wrong_namespace_type) { // name what the fd is
        std::error_code e;
        const ns_type actual = ns_get_nstype(ns_fd, e);
        if (!e && expected)
            op.append(": fd ").append(std::to_string(ns_fd)).append(" is a ").append(to_string(actual))
                .append(" namespace, not ").append(to_string(*expected));
    }
    throw_if(ec, op_kind::namespace_enter, op);
}

void setns_pidfd(int pidfd, clone_flags namespaces, std::error_code& ec) noexcept
{
    ec.clear();
    if (namespaces.empty() || namespaces.namespaces() != namespaces) {
        ec = std::make_error_code(std::errc::invalid_argument);
        return;
    }
    if (::setns(pidfd, static_cast<int>(namespaces.bits())) != 0)
        ec = last_error();
}

void setns_pidfd(int pidfd, clone_flags namespaces)
{
    std::error_code ec;
    setns_pidfd(pidfd, namespaces, ec);
    throw_if(ec, op_kind::namespace_enter, flags_op("setns(pidfd", namespaces).append(")"));
}

void pivot_root(const char* new_root, const char* put_old, std::error_code& ec) noexcept
{
    ec.clear();
    if (new_root == nullptr || put_old == nullptr) {
        ec = std::make_error_code(std::errc::invalid_argument);
        return;
    }
    if (::syscall(SYS_pivot_root, new_root, put_old) != 0)
        ec = last_error();
}

void pivot_root(const char* new_root, const char* put_old)
{
    std::error_code ec;
    pivot_root(new_root, put_old, ec);
    throw_if(ec, op_kind::pivot_root, std::string("pivot_root(").append(new_root ? new_root : "null").append(", ")
                     .append(put_old ? put_old : "null").append(")"));
}

} // namespace nskit::sys
