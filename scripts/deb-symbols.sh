#!/usr/bin/env bash
# scripts/deb-symbols.sh [LIBRARY|LIBNSKIT0.deb]: write debian/libnskit0.symbols
# from the shared library (default bin/lib/libnskit.so.VERSION, the release
# build's, which exports what the package's does) or from a built package.
# ./build.sh deb-symbols builds and runs it.  dpkg-gensymbols lists the
# exported symbols; one the file already has keeps the version it first
# appeared in, a new one gets NSKIT_VERSION.  Names are written demangled
# with the (c++) tag, so the file reads like the headers.  A symbol that is
# gone is dropped: that is an ABI break, which from 1.0 on needs a new SONAME
# (NSKIT_VERSION's major in Jamroot).
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
v=$(sed -n 's/^constant NSKIT_VERSION : \([^ ]*\) ;$/\1/p' Jamroot)
in=${1:-bin/lib/libnskit.so.$v}
[ -f "$in" ] || { echo "deb-symbols: no $in; run ./build.sh build (or ./build.sh deb-symbols)" >&2; exit 1; }
tmp=$(mktemp -d /tmp/nskit-symbols.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
if [[ $in == *.deb ]]; then
    dpkg-deb -x "$in" "$tmp/root"
    lib=$(find "$tmp/root" -name "libnskit.so.$v" -type f | head -n1)
else
    lib=$(readlink -f "$in")
fi
old=()
[ -f debian/libnskit0.symbols ] && old=(-Idebian/libnskit0.symbols)
mkdir -p "$tmp/pkg"
dpkg-gensymbols -q -c0 -plibnskit0 -P"$tmp/pkg" -e"$lib" -v"$v" "${old[@]}" -O"$tmp/gen"
# Lines: ' (c++)"NAME@Base" VERSION' (kept) or ' MANGLED@Base VERSION' (new);
# '#MISSING: ...' comments (gone) are dropped.
{
    echo "libnskit.so.${v%%.*} libnskit0 #MINVER#"
    echo "* Build-Depends-Package: libnskit-dev"
    grep '^ ' "$tmp/gen" | grep -v '^ *#' | while read -r sym ver; do
        case $sym in
        '(c++)'*) printf ' %s %s\n' "$sym" "$ver" ;;
        *) printf ' (c++)"%s@%s" %s\n' "$(printf '%s' "${sym%@*}" | c++filt)" "${sym##*@}" "$ver" ;;
        esac
    done | LC_ALL=C sort
} >"$tmp/symbols"
if cmp -s "$tmp/symbols" debian/libnskit0.symbols; then
    echo "debian/libnskit0.symbols: unchanged ($(grep -c '^ ' "$tmp/symbols") symbols)"
else
    mv "$tmp/symbols" debian/libnskit0.symbols
    echo "debian/libnskit0.symbols: rewritten, $(grep -c '^ ' debian/libnskit0.symbols) symbols from $in"
fi
