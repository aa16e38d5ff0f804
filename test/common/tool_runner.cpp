#include "tool_runner.hpp"
#include "test_support.hpp"

#include <fcntl.h>
#include <signal.h>
#include <poll.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <sstream>

namespace fs = std::filesystem;

namespace nskit::test {

std::string tool_path(const std::string& name)
{
    if (const char* d = std::getenv("NSKIT_TOOLS_DIR"); d && *d) {
        const std::string p = std::string(d) + "/" + name;
        if (::access(p.c_str(), X_OK) == 0)
            return p;
    }
    std::vector<fs::path> roots{start_directory()};
    std::error_code ec;
    for (fs::path p = fs::read_symlink("/proc/self/exe", ec); !ec && p.has_parent_path() && p != p.root_path();
         p = p.parent_path())
        roots.push_back(p.parent_path());
    for (const auto& root : roots) {
        const fs::path tools = root / "bin" / "tools";
        if (!fs::is_directory(tools, ec))
            continue;
        for (auto it = fs::recursive_directory_iterator(tools, ec); !ec && it != fs::recursive_directory_iterator();
             it.increment(ec))
            if (it->path().filename() == name && it->path().string().find("/release/") != std::string::npos &&
                it->is_regular_file(ec))
                return it->path().string();
    }
    return {};
}

namespace {

// Tests mount tmpfs over /tmp, /run or /var/lib in their children, hiding a
// checkout that lives there (CI's clone may): the tools are opened before any
// test runs and executed through these fds.
struct preopened_tool {
    std::string path;
    int fd = -1;
};

std::vector<preopened_tool>& preopened()
{
    static std::vector<preopened_tool> tools = [] {
        std::vector<preopened_tool> v;
        for (const char* name : {"nsinfo", "nscmp", "nsrun", "fault_run"}) { // fault_run: test/faults' target
            const std::string p = tool_path(name);
            if (!p.empty())
                v.push_back({p, ::open(p.c_str(), O_PATH | O_CLOEXEC)});
        }
        return v;
    }();
    return tools;
}

[[maybe_unused]] const bool opened_at_start = !preopened().empty();

int preopened_fd(const std::string& path)
{
    for (const auto& t : preopened())
        if (t.path == path)
            return t.fd;
    return -1;
}

// The tracee stopped at SIGSTOP before exec: run it to the exit of the first
// successful system call `nr`, call `fn`, detach.  Bounded.
void stop_after(pid_t pid, long nr, const std::function<void()>& fn)
{
    int st = 0;
    if (::waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st))
        return;
    ::ptrace(PTRACE_SETOPTIONS, pid, nullptr, PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL | PTRACE_O_TRACEEXEC);
    bool in_call = false;
    int sig = 0;
    for (int steps = 0; steps < 200000; ++steps) {
        if (::ptrace(PTRACE_SYSCALL, pid, nullptr, sig) != 0 || ::waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st))
            return;
        sig = 0;
        if (WSTOPSIG(st) != (SIGTRAP | 0x80)) {
            if (WSTOPSIG(st) != SIGTRAP && WSTOPSIG(st) != SIGSTOP)
                sig = WSTOPSIG(st);
            continue;
        }
        in_call = !in_call;
        user_regs_struct regs{};
        if (in_call || ::ptrace(PTRACE_GETREGS, pid, nullptr, &regs) != 0)
            continue;
        if (static_cast<long>(regs.orig_rax) == nr && static_cast<long>(regs.rax) >= 0) {
            fn();
            ::ptrace(PTRACE_DETACH, pid, nullptr, 0);
            return;
        }
    }
    ::ptrace(PTRACE_DETACH, pid, nullptr, 0);
}

} // namespace

std::vector<std::string> tool_result::out_lines() const
{
    std::vector<std::string> v;
    std::istringstream in(out);
    for (std::string l; std::getline(in, l);)
        v.push_back(l);
    return v;
}

tool_result run_tool(const std::string& name, const std::vector<std::string>& args, const tool_run_options& opts)
{
    tool_result r;
    std::string bin;
    for (const auto& t : preopened())
        if (fs::path(t.path).filename() == name)
            bin = t.path;
    if (bin.empty())
        bin = tool_path(name);
    if (bin.empty()) {
        r.err = name + " binary not found (set NSKIT_TOOLS_DIR or build the release variant)";
        return r;
    }
    int o[2], e[2];
    if (::pipe2(o, O_CLOEXEC) != 0)
        return r;
    if (::pipe2(e, O_CLOEXEC) != 0) {
        ::close(o[0]);
        ::close(o[1]);
        return r;
    }
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(o[1], 1);
        ::dup2(opts.merge_stderr ? o[1] : e[1], 2);
        if (opts.before_exec)
            opts.before_exec();
        if (opts.stop_after_syscall >= 0) {
            ::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
            ::raise(SIGSTOP);
        }
        std::vector<char*> argv{const_cast<char*>(bin.c_str())};
        for (const auto& a : args)
            argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        if (const int fd = preopened_fd(bin); fd >= 0)
            ::execveat(fd, "", argv.data(), environ, AT_EMPTY_PATH);
        else
            ::execv(bin.c_str(), argv.data());
        ::_exit(127);
    }
    ::close(o[1]);
    ::close(e[1]);
    if (opts.stop_after_syscall >= 0)
        stop_after(pid, opts.stop_after_syscall, opts.while_stopped);
    pollfd p[2] = {{o[0], POLLIN, 0}, {e[0], POLLIN, 0}};
    int open = 2;
    while (open > 0) {
        const int ready = ::poll(p, 2, 30000);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0)
            break; // 30 s without output: the tool hangs; the status below shows it
        for (int i = 0; i < 2; ++i) {
            if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char buf[4096];
            const ssize_t n = ::read(p[i].fd, buf, sizeof buf);
            if (n > 0) {
                (i == 0 ? r.out : r.err).append(buf, static_cast<std::size_t>(n));
            } else if (n == 0 || errno != EINTR) {
                ::close(p[i].fd);
                p[i].fd = -1;
                --open;
            }
        }
    }
    for (auto& f : p)
        if (f.fd >= 0)
            ::close(f.fd);
    if (open > 0)
        ::kill(pid, SIGKILL);
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return r;
}

} // namespace nskit::test
