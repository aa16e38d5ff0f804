// nskit/sys/unique_fd.hpp — move-only owner of a file descriptor.
// In namespace nskit (not nskit::sys): every layer holds its fds in it.
#pragma once

#include <utility>
#include <nskit/export.hpp>

NSKIT_API_BEGIN
namespace nskit {

class unique_fd {
public:
    unique_fd() noexcept = default;
    explicit unique_fd(int fd) noexcept : fd_(fd) {}
    unique_fd(const unique_fd&) = delete;
    unique_fd& operator=(const unique_fd&) = delete;
    unique_fd(unique_fd&& other) noexcept : fd_(other.release()) {}
    unique_fd& operator=(unique_fd&& other) noexcept
    {
        if (this != &other)
            reset(other.release());
        return *this;
    }
    ~unique_fd() { reset(); }

    int get() const noexcept { return fd_; }
    bool valid() const noexcept { return fd_ >= 0; }
    explicit operator bool() const noexcept { return valid(); }

    // Give up ownership without closing.
    [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }
    // Close the held fd (if any) and own `fd` instead.
    void reset(int fd = -1) noexcept;

private:
    int fd_ = -1;
};

} // namespace nskit
NSKIT_API_END
