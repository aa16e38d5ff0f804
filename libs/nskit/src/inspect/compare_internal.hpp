// Private to compare.cpp, compare_fds.cpp and group.cpp: the steps of
// compare() and the texts compare and group share.
#pragma once

#include <nskit/inspect/compare.hpp>

#include <string>
#include <string_view>
#include <system_error>

namespace nskit::inspect::compare_detail {

std::string proc_op(pid_t pid, std::string_view what);      // "open /proc/PID/what"
std::string exited_reason(pid_t pid);
std::string kcmp_op(pid_t a, pid_t b, std::string_view what); // "kcmp(A, B, what)"
inline const std::error_code esrch = std::make_error_code(std::errc::no_such_process);

// Shared open files and epoll targets (compare_fds.cpp).
void compare_fds(const sys::pidref& a, const sys::pidref& b, const compare_options& o, comparison& r);

} // namespace nskit::inspect::compare_detail
