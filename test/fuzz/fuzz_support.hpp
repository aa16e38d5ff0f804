// test/fuzz/fuzz_support.hpp — what the fuzz targets share: an invariant
// check that libFuzzer records as a crash (the input is kept), and the
// input as text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <system_error>

// Not assert(): it must hold in every build, with the failed condition named.
#define FUZZ_CHECK(cond) ((cond) ? (void)0 : ::nskit_fuzz::failed(#cond, __FILE__, __LINE__))

namespace nskit_fuzz {

[[noreturn]] inline void failed(const char* what, const char* file, int line)
{
    std::fprintf(stderr, "%s:%d: invariant failed: %s\n", file, line, what);
    std::abort();
}

inline std::string_view text(const std::uint8_t* data, std::size_t size)
{
    return {reinterpret_cast<const char*>(data), size};
}

// The throwing form of a refused call throws the same error.
template <class F>
void throws_same(F call, std::error_code ec)
{
    try {
        call();
        failed("the throwing form accepted what the other refused", __FILE__, __LINE__);
    } catch (const std::system_error& e) {
        FUZZ_CHECK(e.code() == ec);
    }
}

} // namespace nskit_fuzz
