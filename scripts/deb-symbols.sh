#!/usr/bin/env bash
# scripts/deb-symbols.sh [LIBNSKIT0.deb]: write debian/libnskit0.symbols from
# the library in a built package (default bin/deb/libnskit0_*.deb, from
# ./build.sh deb).  dpkg-gensymbols lists the exported symbols; a symbol the
# file already has keeps the version it first appeared in, a new one gets the
# package's version.  Names are written demangled with the (c++) tag, so the
# file reads like the headers.  A symbol that is gone is dropped: that breaks
# the ABI, and the SONAME (NSKIT_VERSION's major in Jamroot) must change too.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
deb=${1:-$(ls bin/deb/libnskit0_*.deb 2>/dev/null | head -n1)}
[ -f "$deb" ] || { echo "deb-symbols: no libnskit0 package; run ./build.sh deb first" >&2; exit 1; }
v=$(dpkg-deb -f "$deb" Version)
tmp=$(mktemp -d /tmp/nskit-symbols.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$deb" "$tmp/root"
lib=$(find "$tmp/root" -name 'libnskit.so.*.*' -type f | head -n1)
old=()
[ -f debian/libnskit0.symbols ] && old=(-Idebian/libnskit0.symbols)
dpkg-gensymbols -q -c0 -plibnskit0 -P"$tmp/root" -e"$lib" -v"$v" "${old[@]}" -O"$tmp/gen"
# Lines: " (c++)"NAME@Base" VERSION" (kept) or " MANGLED@Base VERSION" (new);
# "#MISSING: ..." comments (gone) are dropped.
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
mv "$tmp/symbols" debian/libnskit0.symbols
echo "debian/libnskit0.symbols: $(grep -c '^ ' debian/libnskit0.symbols) symbols from $deb"
