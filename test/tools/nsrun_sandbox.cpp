// nsrun's sandbox against the program in it (issue "trust", items 1, 4, 5):
// the program cannot reach the caller's terminal, nor a file the caller's
// fds or working directory lead to.  Each case failed against the nsrun
// before that work.
#include "terminal.hpp"
#include "test_support.hpp"
#include "tool_runner.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

namespace t = nskit::test;

namespace {

std::string joined(const std::vector<std::string>& args)
{
    std::string s;
    for (const auto& a : args)
        s += a + " ";
    return s;
}

std::vector<std::string> plus(std::vector<std::string> a, const std::vector<std::string>& b)
{
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

// sh prints its pid and its session id (field 6 of its own stat).
const std::vector<std::string> print_session = {
    "--", "sh", "-c", "read -r pid comm state ppid pgrp sid rest < /proc/self/stat; echo \"$$ $sid\""};

// perl (Debian's perl-base) pushes one byte into its stdin's terminal:
// prints "typed" or the errno.  0x5412: TIOCSTI.
const std::vector<std::string> type_into_stdin = {
    "--", "perl", "-e", "my $c = 'x'; print ioctl(STDIN, 0x5412, $c) ? \"typed\\n\" : (0 + $!) . \"\\n\";"};

} // namespace

BOOST_AUTO_TEST_SUITE(tools_nsrun_sandbox)

// Item 1: PROGRAM leads a session of its own (with an init in between or
// not, and under --enter); --same-session keeps nsrun's.
BOOST_AUTO_TEST_CASE(program_gets_a_new_session)
{
    for (const auto& opts : std::vector<std::vector<std::string>>{
             {"--user"}, {"--user", "--pid"}, {"--user", "--time"}, {"--enter", std::to_string(::getpid())}}) {
        const auto r = t::run_tool("nsrun", plus(opts, print_session));
        BOOST_TEST(r.status == 0, joined(opts) << "-> " << r.status << " " << r.err);
        const auto space = r.out.find(' ');
        BOOST_TEST_REQUIRE(space != std::string::npos, r.out);
        BOOST_TEST(r.out.substr(0, space) + "\n" == r.out.substr(space + 1),
                   joined(opts) << ": pid and session differ: " << r.out);
    }
    const auto same = t::run_tool("nsrun", plus({"--user", "--same-session"}, print_session));
    BOOST_TEST(same.status == 0, same.err);
    BOOST_TEST(same.out.substr(same.out.find(' ') + 1) == std::to_string(::getsid(0)) + "\n",
               "--same-session: " << same.out);
}

// Item 1, the attack: `nsrun --user --pid -- PROGRAM` typed commands into
// the terminal of the shell that started it (TIOCSTI, with
// dev.tty.legacy_tiocsti=1).  Here nsrun's stdin is a pty that is the
// controlling terminal of its session, as a shell's is.
BOOST_AUTO_TEST_CASE(program_cannot_type_into_the_callers_terminal)
{
    t::pty term;
    BOOST_TEST_REQUIRE(term.valid());
    t::tool_run_options o;
    o.before_exec = [&term] {
        if (!term.become_controlling_stdin())
            ::_exit(90);
    };
    const bool legacy = t::legacy_tiocsti();
    if (!legacy)
        BOOST_TEST_MESSAGE("dev.tty.legacy_tiocsti is 0: TIOCSTI fails without CAP_SYS_ADMIN even on one's own "
                           "terminal, so --same-session cannot show the difference; only the refusal is checked");
    for (const auto& opts : std::vector<std::vector<std::string>>{{"--user", "--pid", "--net"}, {"--user"}}) {
        const auto refused = t::run_tool("nsrun", plus(opts, type_into_stdin), o);
        BOOST_TEST(refused.status == 0, joined(opts) << "-> " << refused.status << " " << refused.err);
        BOOST_TEST((refused.out == std::to_string(EPERM) + "\n" || refused.out == std::to_string(EIO) + "\n"),
                   joined(opts) << ": TIOCSTI gave " << refused.out);
        const auto same = plus(plus(opts, {"--same-session"}), type_into_stdin);
        const auto typed = t::run_tool("nsrun", same, o);
        BOOST_TEST(typed.status == 0, joined(same) << "-> " << typed.status << " " << typed.err);
        if (legacy) // the control: in nsrun's session the same program does type
            BOOST_TEST(typed.out == "typed\n", joined(same) << ": " << typed.out);
    }
}

// Item 4: `exec 7</; nsrun --user --pid --tmp -- cat /proc/1/fd/7/...`
// read host files through the init's inherited fd.  The init (PID 1) and
// the time keeper hold 0-2 and one pipe (their status to nsrun), nothing
// else; PROGRAM holds only 0-2 as always.
BOOST_AUTO_TEST_CASE(init_and_keeper_hold_no_inherited_fd)
{
    t::tool_run_options o;
    o.before_exec = [] {
        const int dir = ::open("/", O_RDONLY | O_DIRECTORY); // not CLOEXEC: a shell's `exec 7</`
        if (dir < 0 || ::dup2(dir, 7) != 7)
            ::_exit(90);
    };
    // $0: the helper's pid as PROGRAM sees it: 1, or (no PID namespace) its parent
    const std::string list = "h=$0; [ \"$h\" = parent ] && h=$PPID; "
                             "for f in /proc/$h/fd/*; do echo \"${f##*/} $(readlink $f)\"; done; "
                             "cat /proc/$h/fd/7/etc/hostname >/dev/null 2>&1 && echo escaped; true";
    struct sandbox {
        std::vector<std::string> opts;
        std::string helper;
    };
    for (const auto& [opts, helper] : std::vector<sandbox>{
             {{"--user", "--pid", "--tmp"}, "1"}, {{"--user", "--time"}, "parent"}, {{"--user", "--pid", "--time"}, "1"}}) {
        const auto args = plus(opts, {"--", "sh", "-c", list, helper});
        const auto r = t::run_tool("nsrun", args, o);
        BOOST_TEST(r.status == 0, joined(opts) << "-> " << r.status << " " << r.err);
        std::vector<std::string> extra;
        for (const auto& line : r.out_lines())
            if (line.rfind("0 ", 0) != 0 && line.rfind("1 ", 0) != 0 && line.rfind("2 ", 0) != 0)
                extra.push_back(line);
        BOOST_TEST((extra.size() == 1 && extra.front().find(" pipe:[") != std::string::npos),
                   joined(opts) << ": the helper holds\n" << r.out);
    }
    // PROGRAM itself: only 0-2 (and ls's own directory)
    const auto self = t::run_tool("nsrun", {"--user", "--pid", "--", "sh", "-c", "ls /proc/self/fd | wc -l"}, o);
    BOOST_TEST(self.out == "4\n", self.out << self.err);
}

BOOST_AUTO_TEST_SUITE_END()
