#!/bin/sh
# Size check for issue 11's limits: files over FILE_MAX lines, functions over
# FUNC_MAX lines (lambdas count with their enclosing function; data tables are
# variables, not functions, so they are not listed).
# Usage: scripts/sizes.sh [DIR...]   (default: libs tools)
FILE_MAX=${FILE_MAX:-600}
FUNC_MAX=${FUNC_MAX:-80}
cd "$(dirname "$0")/.." || exit 1
[ $# -eq 0 ] && set -- libs tools
files=$(find "$@" -name '*.cpp' -o -name '*.hpp' | sort)
echo "files over $FILE_MAX lines:"
# shellcheck disable=SC2086
wc -l $files | awk -v max="$FILE_MAX" '$2 != "total" && $1 > max { printf "  %5d %s\n", $1, $2 }'
echo "functions over $FUNC_MAX lines:"
# shellcheck disable=SC2086
ctags -x --_xformat='%N	%F	%n	%e' --kinds-c++=fp --fields=+ne --language-force=C++ -o - $files |
    awk -F '\t' -v max="$FUNC_MAX" '$4 != "" { n = $4 - $3 + 1; if (n > max) printf "  %5d %s:%d %s\n", n, $2, $3, $1 }' |
    sort -rn
