#!/usr/bin/env bash
# test/deb/in_root.sh VERSION: run by clean_root.sh inside the throw-away
# root, /nskit-test holding the packages, test/consumer and the completion
# test.  Installs the packages with apt-get as a user would, then checks the
# installed tools, man pages, completions and both consumers against the
# system paths, then purges them.  One "NAME: ok" / "NAME: FAILED (why)" line
# per check.
set -u
v=$1
t=/nskit-test
report() { if [ -z "$2" ]; then echo "$1: ok"; else echo "$1: FAILED ($2)"; fi; }
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
libdir=/usr/lib/$ma
# The file the loader picks for libnskit.so.0 ("/lib/..." is "/usr/lib/..." on a merged /usr).
loaded() { readlink -f "$(ldd "$1" | awk '$1 == "libnskit.so.0" { print $3 }')"; }

# A clean root: nothing of nskit before the install (an install under
# /usr/local on this machine is hidden in the overlay, not removed).
rm -rf /usr/local/include/nskit /usr/local/lib/libnskit.* /usr/local/lib/pkgconfig/nskit.pc \
       /usr/local/lib/cmake/nskit /usr/local/bin/nsinfo /usr/local/bin/nscmp /usr/local/bin/nsrun \
       /usr/local/bin/lsns /usr/local/share/bash-completion/completions/ns{info,cmp,run}
why=""
for p in nskit libnskit0 libnskit-dev; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" && why="$why $p installed;"
done
pkg-config --exists nskit && why="$why pkg-config finds nskit;"
for c in nsinfo nscmp nsrun; do command -v "$c" >/dev/null && why="$why $c on PATH;"; done
report "nothing of nskit before the install" "$why"

# apt-get, as README says; the dependencies are those this machine has
# installed (apt fetches one only if it is missing).
why=""
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends \
        $t/debs/nskit_"$v"_*.deb $t/debs/libnskit0_"$v"_*.deb $t/debs/libnskit-dev_"$v"_*.deb >$t/apt.log 2>&1; then
    why="$(tail -n 5 $t/apt.log | tr '\n' ' ')"
fi
for p in nskit libnskit0 libnskit-dev; do
    [ "$(dpkg-query -W -f='${Status} ${Version}' "$p" 2>/dev/null)" = "install ok installed $v" ] \
        || why="$why $p not installed at $v;"
done
report "apt-get install nskit libnskit0 libnskit-dev (.deb files)" "$why"

# Every tool's --version, from PATH (lsns: the libexec link).
why=""
for c in nsinfo nscmp nsrun; do
    [ "$(command -v "$c")" = "/usr/bin/$c" ] || why="$why $c is '$(command -v "$c")';"
    out=$("$c" --version 2>&1)
    [ "$out" = "$c (nskit) $v" ] || why="$why $c --version says '$out';"
done
out=$(/usr/libexec/nskit/lsns --version 2>&1)
[ "$out" = "lsns (nskit) $v" ] || why="$why lsns --version says '$out';"
report "--version of nsinfo, nscmp, nsrun, lsns" "$why"

# The man pages, where man finds them, and they render.
why=""
for c in nsinfo nscmp nsrun; do
    [ "$(man -w "$c" 2>/dev/null)" = "/usr/share/man/man1/$c.1.gz" ] || why="$why man -w $c is '$(man -w "$c" 2>&1)';"
    man -P cat "$c" 2>/dev/null | grep -q "^NAME" || why="$why man $c does not render;"
done
report "man pages" "$why"

# The completions, as bash-completion loads them, driven as bash drives them.
while read -r line; do echo "completion (installed): $line"; done < <(bash $t/completion.sh /usr 2>$t/completion.log)

# pkg-config against the system paths: no PKG_CONFIG_PATH, no -L, no rpath.
why=""
[ "$(pkg-config --modversion nskit 2>&1)" = "$v" ] || why="pkg-config --modversion says '$(pkg-config --modversion nskit 2>&1)';"
if ! g++ -std=c++20 -Wall -Wextra -Werror $t/consumer/consumer.cpp -o $t/pc-consumer \
        $(pkg-config --cflags --libs nskit) 2>$t/pc.log; then
    why="$why build failed: $(head -c 300 $t/pc.log)"
elif ! $t/pc-consumer | grep -q '^nskit consumer ok'; then
    why="$why does not run"
else
    readelf -d $t/pc-consumer | grep -q 'NEEDED.*\[libnskit\.so\.0\]' || why="$why does not need libnskit.so.0;"
    readelf -d $t/pc-consumer | grep -qE 'RPATH|RUNPATH' && why="$why has an rpath;"
    [ "$(loaded $t/pc-consumer)" = "$libdir/libnskit.so.$v" ] || why="$why loads '$(loaded $t/pc-consumer)';"
fi
report "consumer (pkg-config, system paths)" "$why"

why=""
if ! g++ -std=c++20 -Wall -Wextra -Werror $t/consumer/consumer.cpp -o $t/static-consumer \
        $(pkg-config --cflags nskit) -l:libnskit.a $(pkg-config --libs libmnl) 2>$t/static.log; then
    why="build failed: $(head -c 300 $t/static.log)"
elif ! $t/static-consumer | grep -q '^nskit consumer ok'; then
    why="does not run"
elif readelf -d $t/static-consumer | grep -q libnskit; then
    why="still needs libnskit.so"
fi
report "consumer (libnskit.a)" "$why"

# CMake: find_package(nskit) with no CMAKE_PREFIX_PATH.
why=""
if ! { cmake -S $t/consumer -B $t/cmake && cmake --build $t/cmake; } >$t/cmake.log 2>&1; then
    why="$(tail -n 8 $t/cmake.log | tr '\n' ' ' | head -c 400)"
elif ! $t/cmake/consumer | grep -q '^nskit consumer ok'; then
    why="does not run"
elif [ "$(loaded $t/cmake/consumer)" != "$libdir/libnskit.so.$v" ]; then
    why="loads '$(loaded $t/cmake/consumer)'"
fi
report "consumer (CMake, system paths)" "$why"

# Purge leaves nothing of nskit.
why=""
apt-get purge -y nskit libnskit0 libnskit-dev >$t/purge.log 2>&1 || why="apt-get purge failed: $(tail -n 3 $t/purge.log | tr '\n' ' ')"
for f in /usr/bin/nsinfo /usr/bin/nscmp /usr/bin/nsrun /usr/libexec/nskit /usr/include/nskit \
         "$libdir"/libnskit.so "$libdir"/libnskit.so.0 "$libdir"/libnskit.a "$libdir"/pkgconfig/nskit.pc \
         "$libdir"/cmake/nskit /usr/share/man/man1/nsinfo.1.gz /usr/share/bash-completion/completions/nsinfo \
         /usr/share/doc/nskit; do
    [ -e "$f" ] || [ -L "$f" ] && why="$why $f left;"
done
report "apt-get purge leaves nothing" "$why"
