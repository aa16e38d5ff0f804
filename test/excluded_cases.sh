#!/bin/sh
# excluded_cases.sh PASS BINARY: the Boost.Test filter that leaves out the
# cases test/exclusions.txt lists for that pass and binary ("--run_test=!a:!b"),
# or nothing.  Used by build.sh and test/Jamfile.
exec awk -v p="$1" -v b="$2" '$1 == p && $2 == b { s = s (s ? ":" : "") "!" $3 } END { if (s) print "--run_test=" s }' \
    "$(dirname "$0")/exclusions.txt"
