// fuzz-sources: libs/nskit/src/inspect/proc_text.cpp
// fuzz-runs: 500000
// libFuzzer target: any bytes as the /proc text the inspect layer reads
// (stat, status, mountinfo, fdinfo, ns links, cmdline).  A process
// controls much of it (its comm, its mount points, its cmdline), so every
// parser must refuse or answer within the text, never read past it, and
// answer consistently.
#include <nskit/inspect/detail/proc_text.hpp>

#include "fuzz_support.hpp"

#include <sys/sysmacros.h>

#include <map>
#include <string>

namespace d = nskit::inspect::detail;

namespace {

bool inside(std::string_view part, std::string_view whole)
{
    return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

void check_stat(std::string_view text)
{
    d::stat_fields f;
    if (!d::parse_stat(text, f))
        return;
    FUZZ_CHECK(inside(f.comm, text));
    // comm runs from the first '(' to the last ')', whatever it holds
    FUZZ_CHECK(f.comm.data() == text.data() + text.find('(') + 1);
    FUZZ_CHECK(f.comm.data() + f.comm.size() == text.data() + text.rfind(')'));
    FUZZ_CHECK(f.ppid >= 0);
}

void check_status(std::string_view text)
{
    std::vector<pid_t> nspid;
    if (d::parse_status_nspid(text, nspid))
        for (pid_t p : nspid)
            FUZZ_CHECK(p >= 0);
    uid_t euid = 0;
    std::uint64_t caps = 0;
    (void)d::parse_status_credentials(text, euid, caps);
    pid_t pid = 0;
    if (d::parse_pidfd_fdinfo(text, pid))
        FUZZ_CHECK(pid >= -1);
}

void check_mountinfo(std::string_view text)
{
    while (!text.empty()) {
        const auto eol = text.find('\n');
        const auto line = text.substr(0, eol);
        text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
        d::mountinfo_entry e;
        if (!d::parse_mountinfo_line(line, e))
            continue;
        FUZZ_CHECK(inside(e.root, line) && inside(e.fstype, line) && !e.fstype.empty());
        FUZZ_CHECK(e.mount_point.size() <= line.size());
    }
    // an escaped path unescapes to itself: the kernel's escaping (\ooo) is undone exactly
    std::string escaped;
    for (unsigned char c : text.substr(0, 256)) {
        if (c == ' ' || c == '\t' || c == '\n' || c == '\\') {
            char buf[5];
            std::snprintf(buf, sizeof buf, "\\%03o", c);
            escaped += buf;
        } else {
            escaped += static_cast<char>(c);
        }
    }
    FUZZ_CHECK(d::unescape_mount_path(escaped) == text.substr(0, 256));
}

void check_epoll(std::string_view text)
{
    const auto items = d::parse_epoll_fdinfo(text);
    std::map<int, unsigned> seen;
    for (const auto& it : items) {
        FUZZ_CHECK(it.target_fd >= 0);
        FUZZ_CHECK(it.target_offset == seen[it.target_fd]++); // KCMP_EPOLL_TFD's toff order
        FUZZ_CHECK(it.has_inode || (it.ino == 0 && it.dev == 0));
    }
}

void check_ns_link(std::string_view text)
{
    nskit::sys::ns_type type{};
    std::uint64_t ino = 0;
    if (!d::parse_ns_link(text, type, ino))
        return;
    const std::string back = std::string(nskit::sys::to_string(type)) + ":[" + std::to_string(ino) + "]";
    nskit::sys::ns_type type2{};
    std::uint64_t ino2 = 0;
    FUZZ_CHECK(d::parse_ns_link(back, type2, ino2) && type2 == type && ino2 == ino);
}

void check_numbers(std::string_view text)
{
    std::uint64_t v = 0;
    if (d::parse_decimal(text, v)) {
        // digits only; leading zeros allowed, so compare without them
        const auto first = text.find_first_not_of('0');
        FUZZ_CHECK(std::to_string(v) == (first == std::string_view::npos ? "0" : text.substr(first)));
    }
    const std::uint64_t kdev = v & 0xffffffffULL;
    const auto user = d::kernel_dev_to_user(kdev);
    FUZZ_CHECK(major(user) == (kdev >> 20) && minor(user) == (kdev & 0xfffff));
}

void check_cmdline(std::string_view text)
{
    const auto line = d::command_line_text(std::string(text));
    FUZZ_CHECK(line.find('\0') == std::string::npos);
    FUZZ_CHECK(line.size() == text.size() || (line.size() + 1 == text.size() && text.back() == '\0'));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    // libFuzzer's buffer ends exactly at size: a read past the text is ASan's to see
    const auto text = nskit_fuzz::text(data, size);
    check_stat(text);
    check_status(text);
    check_mountinfo(text);
    check_epoll(text);
    check_ns_link(text);
    check_numbers(text);
    check_cmdline(text);
    return 0;
}
