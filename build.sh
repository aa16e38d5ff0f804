#!/usr/bin/env bash
# nskit build driver.  On a fresh Debian 12 machine, as root:
#   ./build.sh demo            install missing packages, build, run the demo
#   ./build.sh test            ... and run the whole suite (root pass, unprivileged
#                              pass, ASan+UBSan pass, install/consumer checks, fuzz)
#   ./build.sh test-sanitize   only the ASan+UBSan pass
#   ./build.sh bench           benchmarks against ip, unshare, lsns, bwrap
#   ./build.sh install PREFIX  headers, libnskit.{so,a}, tools, nskit.pc, CMake package
#   ./build.sh build           just build
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"
ROOT=$PWD
JOBS=$(nproc 2>/dev/null || echo 2)

PACKAGES=(g++ libboost1.81-tools-dev libboost1.81-dev libboost-program-options1.81-dev
          libboost-test1.81-dev libboost-json1.81-dev libmnl-dev libsmartcols-dev
          pkg-config cmake iproute2 util-linux bubblewrap clang libclang-rt-14-dev)

ensure_packages() {
    local missing=()
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "build.sh: installing ${missing[*]}"
    if [ "$(id -u)" -ne 0 ]; then
        echo "build.sh: missing Debian packages (${missing[*]}); run as root or install them" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

b2_build() { # b2_build VARIANT [targets...]
    local variant=$1; shift
    b2 -j"$JOBS" -q variant="$variant" "$@"
}

find_bins() { # find_bins DIR VARIANT PATTERN
    find "$ROOT/bin/$1" -path "*/$2/*" -name "$3" -type f -perm -u+x 2>/dev/null | sort
}

tool_dir() { # stage every release tool into one directory and print it
    local d="$ROOT/bin/tools-release"
    mkdir -p "$d"
    local t
    for t in $(find_bins tools release 'ns*'); do
        case "$t" in *.o|*/link-static/*) continue ;; esac # link-static: install's copies, maybe stale
        cp -f "$t" "$d/"
    done
    echo "$d"
}

SUMMARY=$(mktemp /tmp/nskit-summary.XXXXXX)
trap 'rm -f "$SUMMARY"' EXIT
add_result() { echo "$1 $2 ${3:-0}" >> "$SUMMARY"; } # passed failed skipped

run_suite() { # run_suite LABEL VARIANT [wrapper...]
    local label=$1 variant=$2; shift 2
    local bins; bins=$(find_bins test "$variant" 'test_*')
    if [ -z "$bins" ]; then echo "build.sh: no test binaries for $variant" >&2; add_result 0 1; return; fi
    local tools; tools=$(tool_dir)
    for t in $bins; do
        echo "=== $label: $(basename "$t")"
        local out rc=0
        out=$(mktemp /tmp/nskit-out.XXXXXX)
        NSKIT_TOOLS_DIR="$tools" NSKIT_TEST_SUMMARY="$SUMMARY" \
            "$@" "$t" --color_output=no --log_level=error 2>&1 | tee "$out" || rc=$?
        if ! grep -q '^nskit-test-summary:' "$out"; then
            echo "build.sh: $(basename "$t") ($label) crashed or printed no summary (rc=$rc)"
            add_result 0 1
        elif [ $rc -ne 0 ] && ! grep -q 'failed=[1-9]' "$out"; then
            echo "build.sh: $(basename "$t") ($label) exited $rc"
            add_result 0 1
        fi
        if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$out"; then
            echo "build.sh: sanitizer report in $(basename "$t") ($label)"
            add_result 0 1
        fi
        rm -f "$out"
    done
}

unprivileged_suite() {
    command -v setpriv >/dev/null || { echo "build.sh: setpriv missing"; add_result 0 1; return; }
    local dir; dir=$(mktemp -d /tmp/nskit-unpriv.XXXXXX)
    chmod 755 "$dir"
    for t in $(find_bins test release 'test_*'); do cp "$t" "$dir/"; done
    local td; td=$(tool_dir || true)
    mkdir -p "$dir/tools"; cp "$td"/* "$dir/tools/" 2>/dev/null || true
    chmod -R a+rx "$dir"
    for t in "$dir"/test_*; do
        echo "=== unprivileged: $(basename "$t")"
        local out rc=0; out=$(mktemp /tmp/nskit-out.XXXXXX); chmod 666 "$SUMMARY"
        (cd "$dir" && env -u NSKIT_REQUIRE_PRIVILEGED NSKIT_TOOLS_DIR="$dir/tools" NSKIT_TEST_SUMMARY="$SUMMARY" \
            setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
            "$t" --color_output=no --log_level=error) 2>&1 | tee "$out" || rc=$?
        grep -q '^nskit-test-summary:' "$out" || { echo "build.sh: $(basename "$t") (unprivileged) crashed (rc=$rc)"; add_result 0 1; }
        rm -f "$out"
    done
    rm -rf "$dir"
}

consumer_check() { # install into a temp prefix, build a consumer with pkg-config and with CMake
    local prefix; prefix=$(mktemp -d /tmp/nskit-prefix.XXXXXX)
    local work; work=$(mktemp -d /tmp/nskit-consumer.XXXXXX)
    echo "=== consumer: install into $prefix"
    if ! b2 -j"$JOBS" -q install --prefix="$prefix" >"$work/install.log" 2>&1; then
        cat "$work/install.log"; add_result 0 2; rm -rf "$prefix" "$work"; return
    fi
    # pkg-config
    if PKG_CONFIG_PATH="$prefix/lib/pkgconfig" g++ -std=c++20 test/consumer/consumer.cpp -o "$work/pc-consumer" \
         $(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs nskit) -Wl,-rpath,"$prefix/lib" \
       && "$work/pc-consumer" | grep -q '^nskit consumer ok'; then
        echo "consumer (pkg-config): ok"; add_result 1 0
    else
        echo "consumer (pkg-config): FAILED"; add_result 0 1
    fi
    # CMake
    if cmake -S test/consumer -B "$work/cmake" -DCMAKE_PREFIX_PATH="$prefix" >"$work/cmake.log" 2>&1 \
       && cmake --build "$work/cmake" >>"$work/cmake.log" 2>&1 \
       && "$work/cmake/consumer" | grep -q '^nskit consumer ok'; then
        echo "consumer (CMake): ok"; add_result 1 0
    else
        cat "$work/cmake.log"; echo "consumer (CMake): FAILED"; add_result 0 1
    fi
    # the tools and their man pages are installed, and the tools run from there
    for tool in nsinfo nscmp nsrun; do
        if [ -x "$prefix/bin/$tool" ] && "$prefix/bin/$tool" --version >/dev/null \
           && [ -f "$prefix/share/man/man1/$tool.1" ]; then
            echo "installed $tool: ok"; add_result 1 0
        else
            echo "installed $tool: FAILED"; add_result 0 1
        fi
    done
    rm -rf "$prefix" "$work"
}

fuzz_check() { # bounded libFuzzer runs of every fuzz target
    [ -d test/fuzz ] || return 0
    for f in test/fuzz/*.cpp; do
        [ -e "$f" ] || continue
        local name; name=$(basename "$f" .cpp)
        local out="$ROOT/bin/fuzz/$name"; mkdir -p "$ROOT/bin/fuzz"
        echo "=== fuzz: $name (30 s)"
        local srcs; srcs=$(sed -n 's|^// fuzz-sources: ||p' "$f")
        if ! clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -Ilibs/nskit/include \
               "$f" $srcs -lmnl -o "$out" 2>&1; then
            add_result 0 1; continue
        fi
        if "$out" -max_total_time=30 -rss_limit_mb=2048 -print_final_stats=0 >"$out.log" 2>&1; then
            tail -n 2 "$out.log"; add_result 1 0
        else
            tail -n 40 "$out.log"; add_result 0 1
        fi
    done
}

report() {
    local p f s
    read -r p f s < <(awk '{p+=$1; f+=$2; s+=$3} END {print p+0, f+0, s+0}' "$SUMMARY")
    [ "$s" -gt 0 ] && echo "($s skipped)"
    echo "tests: $p passed, $f failed"
    [ "$f" -eq 0 ]
}

verb=${1:-build}
case "$verb" in
build)
    ensure_packages; b2_build release ;;
demo)
    ensure_packages; b2_build release
    "$ROOT/scripts/demo.sh" ;; # no exec: the EXIT trap removes the summary file
test)
    ensure_packages
    b2_build release
    run_suite privileged release
    unprivileged_suite
    b2_build sanitize test
    ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0 \
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 run_suite sanitize sanitize
    consumer_check
    fuzz_check
    report ;;
test-sanitize)
    ensure_packages
    b2_build sanitize test
    ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        run_suite sanitize sanitize
    report ;;
bench)
    ensure_packages; b2_build release
    for b in $(find_bins bench release 'bench_*'); do echo "=== $(basename "$b")"; "$b"; done ;;
install)
    [ $# -ge 2 ] || { echo "usage: ./build.sh install PREFIX" >&2; exit 2; }
    ensure_packages; b2 -j"$JOBS" -q install --prefix="$2" ;;
*)
    echo "usage: ./build.sh {demo|test|test-sanitize|bench|install PREFIX|build}" >&2; exit 2 ;;
esac
