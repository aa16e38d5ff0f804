#include <nskit/sys/unique_fd.hpp>

#include <unistd.h>

namespace nskit {

void unique_fd::reset(int fd) noexcept
{
    if (fd_ >= 0 && fd_ != fd)
        ::close(fd_); // Linux closes the fd even when close() reports EINTR: never retry
    fd_ = fd;
}

} // namespace nskit
