#!/usr/bin/env bash
# More checks of an installed nskit, run by build.sh's consumer_check after
# the consumer builds.  Usage: checks.sh PREFIX WORKDIR.  Prints one line per
# check: "NAME: ok" or "NAME: FAILED (why)".
set -u
prefix=$1 work=$2
here=$(dirname "$(readlink -f "$0")")
pc() { PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config "$@"; }
report() { if [ -z "$2" ]; then echo "$1: ok"; else echo "$1: FAILED ($2)"; fi; }
compiles() { g++ -std=c++20 -Wall -Wextra -Werror -fsyntax-only "$@" $(pc --cflags nskit) 2>/dev/null; }

# An int flag word beside glibc's declarations must not compile (it would
# pick glibc's function silently); the typed control case must.
why=""
compiles -DCASE=0 "$here/glibc_int_flags.cpp" || why="the typed control case does not compile"
for c in 1 2 3 4 5; do
    compiles -DCASE=$c "$here/glibc_int_flags.cpp" && why="$why case $c compiles"
done
report "int flags beside glibc refused" "$why"

# The consumer includes every installed header (a new header must join it),
# and clang++ builds it warning-free as g++ does.
why=""
for h in $(cd "$prefix/include" && find nskit -name '*.hpp' | sort); do
    grep -q "^#include <$h>" "$here/consumer.cpp" || why="$why $h;"
done
report "consumer includes every installed header" "${why:+not included:$why}"
if command -v clang++ >/dev/null; then
    why=""
    clang++ -std=c++20 -Wall -Wextra -Werror -fsyntax-only "$here/consumer.cpp" $(pc --cflags nskit) \
        2>"$work/clang.log" || why="$(head -c 300 "$work/clang.log")"
    report "consumer with clang++ -Wall -Wextra -Werror" "$why"
fi

# One version: pkg-config, the CMake version file, every tool, the library file.
v=$(pc --modversion nskit) why=""
for t in nsinfo nscmp nsrun; do
    out=$("$prefix/bin/$t" --version 2>&1)
    [ "$out" = "$t (nskit) $v" ] || why="$why $t says '$out';"
done
grep -q "PACKAGE_VERSION \"$v\"" "$prefix/lib/cmake/nskit/nskitConfigVersion.cmake" || why="$why CMake differs;"
[ -f "$prefix/lib/libnskit.so.$v" ] || why="$why no libnskit.so.$v;"
report "one version $v" "$why"

# The versioned SONAME, and the symlinks a linker and the loader look for.
so="libnskit.so.${v%%.*}" why=""
soname=$(readelf -d "$prefix/lib/libnskit.so.$v" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = "$so" ] || why="SONAME is '$soname';"
for l in libnskit.so "$so"; do
    [ "$(readlink "$prefix/lib/$l")" = "libnskit.so.$v" ] || why="$why $l is no symlink to libnskit.so.$v;"
done
report "SONAME $so" "$why"

# pkg-config --static --libs links the static library alone (its private
# dependencies listed): a copy of the prefix without the shared library.
cp -a "$prefix" "$work/static-prefix" && rm -f "$work/static-prefix/lib/libnskit.so"*
why=""
if ! g++ -std=c++20 -Wall -Wextra -Werror "$here/consumer.cpp" -o "$work/static-consumer" \
        $(PKG_CONFIG_PATH="$work/static-prefix/lib/pkgconfig" pkg-config --cflags --static --libs nskit) 2>"$work/static.log"; then
    why="link failed: $(head -c 300 "$work/static.log")"
elif ! "$work/static-consumer" | grep -q '^nskit consumer ok'; then
    why="does not run"
elif readelf -d "$work/static-consumer" | grep -q 'libnskit'; then
    why="still needs libnskit.so"
fi
report "static link via pkg-config --static" "$why"

# Only the public API is exported (-fvisibility=hidden, nskit/export.hpp,
# nskit.map): every defined dynamic symbol, demangled, is one of nskit's; no
# standard-library instantiation, no Boost, no internal helper.
why=""
syms=$(nm -DC --defined-only "$prefix/lib/libnskit.so.$v" 2>/dev/null | cut -d' ' -f3-)
n=$(printf '%s\n' "$syms" | grep -c .)
foreign=$(printf '%s\n' "$syms" | grep -vE '^(typeinfo for |typeinfo name for |vtable for |VTT for |non-virtual thunk to )?nskit::' | head -n 3)
[ "$n" -gt 0 ] || why="no dynamic symbols;"
[ -z "$foreign" ] || why="$why exports $(printf '%s' "$foreign" | tr '\n' ';' | head -c 300)"
report "exports only nskit:: ($n symbols)" "$why"

# debian/libnskit0.symbols records the ABI the package promises: a symbol it
# lists that the library no longer exports fails the package build
# (dpkg-gensymbols), so it fails here first.  New symbols are fine.
symfile=$here/../../debian/libnskit0.symbols
if [ -f "$symfile" ]; then
    why=""
    lost=$(LC_ALL=C comm -23 <(sed -n 's/^ (c++)"\(.*\)@Base" .*$/\1/p' "$symfile" | LC_ALL=C sort -u) \
                             <(printf '%s\n' "$syms" | LC_ALL=C sort -u))
    [ "$(grep -c '^ ' "$symfile")" -gt 0 ] || why="no symbols in debian/libnskit0.symbols;"
    [ -z "$lost" ] || why="$why an ABI break (keep them, or ./build.sh deb-symbols rewrites the file): $(
        printf '%s' "$lost" | head -n 3 | tr '\n' ';' | head -c 300)"
    report "debian/libnskit0.symbols all exported" "$why"
fi
