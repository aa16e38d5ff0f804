#!/usr/bin/env bash
# nskit build driver.  On a fresh Debian 12 machine, as root:
#   ./build.sh demo            install missing packages, build, run the demo
#   ./build.sh test            ... and run the whole suite (root pass via b2 test,
#                              unprivileged and rootless passes, ASan+UBSan pass,
#                              install/consumer checks, lint, fuzz)
#   ./build.sh test-sanitize   only the ASan+UBSan pass
#   ./build.sh test-tsan       only the ThreadSanitizer pass
#   ./build.sh bench           benchmarks against ip, unshare, lsns, bwrap
#   ./build.sh install PREFIX [b2 args]  headers, libnskit.{so,a}, tools, nskit.pc, CMake package
#   ./build.sh deb             Debian packages nskit, libnskit0, libnskit-dev in bin/deb, lintian
#   ./build.sh test-deb        ... and install them into a throw-away root and use them there
#   ./build.sh deb-symbols     debian/libnskit0.symbols from a fresh package build
#   ./build.sh build           just build
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"
ROOT=$PWD
JOBS=$(nproc 2>/dev/null || echo 2)

PACKAGES=(g++ libboost1.81-tools-dev libboost1.81-dev libboost-program-options1.81-dev
          libboost-test1.81-dev libboost-json1.81-dev libmnl-dev libsmartcols-dev
          pkg-config cmake iproute2 util-linux bubblewrap clang libclang-rt-14-dev
          podman runc clang-tidy cppcheck)
# Only ./build.sh deb and test-deb need these.
DEB_PACKAGES=(debhelper dpkg-dev lintian fakeroot)

ensure_packages() { # ensure_packages [PACKAGE...]: default the PACKAGES list
    [ "${NSKIT_NO_APT:-}" = 1 ] && return 0 # a package build: dpkg-buildpackage checked Build-Depends
    local missing=() wanted=("$@")
    [ $# -gt 0 ] || wanted=("${PACKAGES[@]}")
    for p in "${wanted[@]}"; do
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

# The passes under the leftover check run in a child build.sh that adds to its parent's summary.
if [ -n "${NSKIT_SUMMARY:-}" ]; then
    SUMMARY=$NSKIT_SUMMARY
else
    SUMMARY=$(mktemp /tmp/nskit-summary.XXXXXX)
    trap 'rm -f "$SUMMARY"' EXIT
fi
add_result() { echo "$1 $2 ${3:-0}" >> "$SUMMARY"; } # passed failed skipped

check_output() { # check_output LABEL NAME OUTPUT-FILE: add up one binary's run
    local label=$1 name=$2 out=$3
    echo "=== $label: $name"
    if [ -z "$out" ] || [ ! -f "$out" ]; then
        echo "build.sh: $name ($label) was not built or did not run"; add_result 0 1; return
    fi
    grep -v '^EXIT STATUS: ' "$out" | sed '/^$/d' || true
    local rc; rc=$(sed -n 's/^EXIT STATUS: \([0-9]*\)$/\1/p' "$out" | tail -n1)
    local counts
    counts=$(sed -n 's/^nskit-test-summary: passed=\([0-9]*\) failed=\([0-9]*\) skipped=\([0-9]*\)$/\1 \2 \3/p' "$out")
    if [ -z "$counts" ]; then
        echo "build.sh: $name ($label) crashed or printed no summary (rc=${rc:-?})"; add_result 0 1
    else
        add_result $counts
        if [ "${rc:-1}" -ne 0 ] && [ "$(echo "$counts" | cut -d' ' -f2)" -eq 0 ]; then
            echo "build.sh: $name ($label) exited $rc"; add_result 0 1
        fi
    fi
    if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|WARNING: ThreadSanitizer|ThreadSanitizer: ' "$out"; then
        echo "build.sh: sanitizer report in $name ($label)"; add_result 0 1
    fi
}

b2_tests() { # b2_tests LABEL SUFFIX [b2 args...]: b2 builds the binaries, runs them one at a time
    local label=$1 suffix=$2; shift 2
    local names n
    names=$(b2 -n --dump-tests "$@" 2>/dev/null | sed -n "s|^boost-test(RUN) \"[^\"]*/\([^\"/]*-$suffix\)\".*|\1|p")
    [ -n "$names" ] || { echo "build.sh: b2 declares no $label tests"; add_result 0 1; return; }
    for n in $names; do rm -rf "$ROOT/bin/test/$n.test"; done # no stale results
    b2 -j"$JOBS" "$@" || true # no -q: one failing binary does not stop the others
    for n in $names; do
        check_output "$label" "${n%-"$suffix"}" "$(find "$ROOT/bin/test/$n.test" -name "$n.output" 2>/dev/null | head -n1)"
    done
}

wrapped_pass() { # wrapped_pass LABEL [wrapper...]: the staged release binaries, each under a wrapper
    local label=$1; shift
    # readable by 65534 wherever the clone lives; not under /tmp: the tests' sandboxes get a
    # fresh /tmp, and a working directory missing there makes nsrun fail (doc/ns.md, cwd)
    local dir; dir=$(mktemp -d /var/tmp/nskit-pass.XXXXXX)
    local t
    for t in $(find_bins test release 'test_*'); do cp "$t" "$dir/"; done
    mkdir -p "$dir/tools"
    cp "$ROOT"/bin/tools-release/* "$dir/tools/" 2>/dev/null || true
    cp "$ROOT/test/common/run_test.sh" "$dir/"
    chmod -R a+rX "$dir"
    for t in "$dir"/test_*; do
        [ -x "$t" ] || { echo "build.sh: no test binaries for $label"; add_result 0 1; break; }
        local out rc=0 name; name=$(basename "$t"); out=$(mktemp /tmp/nskit-out.XXXXXX)
        # shellcheck disable=SC2046 # the filter is one word or none
        (cd "$dir" && "$@" "$dir/run_test.sh" -u NSKIT_REQUIRE_PRIVILEGED NSKIT_TOOLS_DIR="$dir/tools" \
            "$t" --color_output=no --log_level=error $("$ROOT/test/excluded_cases.sh" "$label" "$name")) >"$out" 2>&1 </dev/null || rc=$?
        echo "EXIT STATUS: $rc" >>"$out"
        check_output "$label" "$name" "$out"
        rm -f "$out"
    done
    rm -rf "$dir"
}

unprivileged_suite() { # as uid 65534 without capabilities: privileged cases skip, EPERM paths are asserted
    command -v setpriv >/dev/null || { echo "build.sh: setpriv missing"; add_result 0 1; return; }
    wrapped_pass unprivileged setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all
}

rootless_suite() { # root only inside a user namespace (unshare -r): privileged cases skip with the reason
    if ! unshare -r true 2>/dev/null; then
        echo "build.sh: unshare -r failed (user namespaces disabled?)"; add_result 0 1; return
    fi
    wrapped_pass rootless unshare -r
}

consumer_check() { # install into a temp prefix, build a consumer with pkg-config and with CMake
    local prefix; prefix=$(mktemp -d /tmp/nskit-prefix.XXXXXX)
    local work; work=$(mktemp -d /tmp/nskit-consumer.XXXXXX)
    echo "=== consumer: install into $prefix"
    if ! b2 -j"$JOBS" -q install --prefix="$prefix" >"$work/install.log" 2>&1; then
        cat "$work/install.log"; add_result 0 2; rm -rf "$prefix" "$work"; return
    fi
    # pkg-config
    if g++ -std=c++20 -Wall -Wextra -Werror test/consumer/consumer.cpp -o "$work/pc-consumer" \
         $(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs nskit) \
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
           && [ -f "$prefix/share/man/man1/$tool.1" ] \
           && [ -f "$prefix/share/bash-completion/completions/$tool" ]; then
            echo "installed $tool: ok"; add_result 1 0
        else
            echo "installed $tool: FAILED"; add_result 0 1
        fi
    done
    local line
    while read -r line; do # the installed completions, driven as bash drives them
        echo "completion: $line"
        case "$line" in *": ok") add_result 1 0 ;; *) add_result 0 1 ;; esac
    done < <(test/tools/completion.sh "$prefix")
    # glibc clashes, one version, SONAME, static link
    while read -r line; do
        echo "consumer: $line"
        case "$line" in *": ok") add_result 1 0 ;; *) add_result 0 1 ;; esac
    done < <(test/consumer/checks.sh "$prefix" "$work")
    rm -rf "$prefix" "$work"
}

# Bounded libFuzzer runs: every test/fuzz/NAME.cpp is built with clang
# (fuzzer + ASan + UBSan, any report fatal) from the sources its
# "// fuzz-sources:" line names, the rest of the library from bin/lib's
# libnskit.a, and run for a fixed number of inputs from a fixed seed, so a
# run is repeatable (NSKIT_FUZZ_SEED, NSKIT_FUZZ_SCALE=N for N times the
# runs).  It starts from test/fuzz/corpus/NAME (committed seeds, never
# written to); a failing input is left in bin/fuzz/NAME-crash-*.
fuzz_runs() { # fuzz_runs NAME: inputs per target (the slow ones get fewer)
    local n; n=$(sed -n 's|^// fuzz-runs: ||p' "test/fuzz/$1.cpp")
    echo $(( ${n:-200000} * ${NSKIT_FUZZ_SCALE:-1} ))
}

fuzz_build() { # fuzz_build NAME: the target's binary in bin/fuzz
    local f="test/fuzz/$1.cpp" srcs libs
    srcs=$(sed -n 's|^// fuzz-sources: ||p' "$f")
    libs=$(sed -n 's|^// fuzz-libs: ||p' "$f")
    # shellcheck disable=SC2086 # word lists
    clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
        -DBOOST_ALL_NO_LIB -DNSKIT_VERSION_STRING='"fuzz"' -Ilibs/nskit/include -Itools/common -Itools/nsrun \
        "$f" $srcs "$ROOT/bin/lib/libnskit.a" -lmnl $libs -o "$ROOT/bin/fuzz/$1"
}

fuzz_run() { # fuzz_run NAME: bounded run; the log's last line says how many inputs
    local name=$1 work; work=$(mktemp -d /tmp/nskit-fuzz.XXXXXX) # new inputs go here, not into git
    local dict=(); [ -f "test/fuzz/$name.dict" ] && dict=(-dict="test/fuzz/$name.dict")
    local corpus=(); [ -d "test/fuzz/corpus/$name" ] && corpus=("test/fuzz/corpus/$name")
    local rc=0
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
    "$ROOT/bin/fuzz/$name" -runs="$(fuzz_runs "$name")" -seed="${NSKIT_FUZZ_SEED:-1}" -max_len=4096 \
        -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$ROOT/bin/fuzz/$name-" \
        "${dict[@]}" "$work" "${corpus[@]}" || rc=$?
    rm -rf "$work"
    return $rc
}

fuzz_check() { # every fuzz target: built, then run, JOBS at a time; one result each
    [ -d test/fuzz ] || return 0
    mkdir -p "$ROOT/bin/fuzz"
    local names=() f n start=$SECONDS
    rm -f "$ROOT"/bin/fuzz/*.rc
    for f in test/fuzz/*.cpp; do [ -e "$f" ] && names+=("$(basename "$f" .cpp)"); done
    [ ! -f "$ROOT/bin/lib/libnskit.a" ] && { echo "build.sh: fuzz: bin/lib/libnskit.a not built"; add_result 0 1; return; }
    for n in "${names[@]}"; do
        while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
        { local rc=0
          if fuzz_build "$n" >"$ROOT/bin/fuzz/$n.build.log" 2>&1; then
              fuzz_run "$n" >"$ROOT/bin/fuzz/$n.log" 2>&1 || rc=$?; echo "$rc" >"$ROOT/bin/fuzz/$n.rc"
          else echo build >"$ROOT/bin/fuzz/$n.rc"; fi; } &
    done
    wait
    for n in "${names[@]}"; do
        local rc runs; rc=$(cat "$ROOT/bin/fuzz/$n.rc" 2>/dev/null || echo missing)
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$ROOT/bin/fuzz/$n.log" 2>/dev/null | tail -n1)
        if [ "$rc" = 0 ]; then
            echo "=== fuzz: $n: ${runs:-?} runs, no failure"; add_result 1 0
        elif [ "$rc" = build ]; then
            echo "=== fuzz: $n: build FAILED"; tail -n 30 "$ROOT/bin/fuzz/$n.build.log"; add_result 0 1
        else
            echo "=== fuzz: $n: FAILED after ${runs:-?} runs (exit $rc)"; tail -n 40 "$ROOT/bin/fuzz/$n.log"; add_result 0 1
        fi
    done
    echo "fuzz: ${#names[@]} targets in $((SECONDS - start)) s"
}

# Static analysis of libs/ and tools/ (./build.sh lint): clang-tidy with the
# checks in .clang-tidy (the compiler's warnings, bugprone-*, cert-*,
# concurrency-*; any finding fails) and cppcheck (warning, portability,
# performance), both from the compilation database scripts/compile_db.py
# makes from b2's commands.  Only project headers are reported; system and
# Boost headers are parsed by clang-tidy, not analysed by cppcheck.
# A false positive is suppressed where it is, with the reason:
# NOLINT(check) / cppcheck-suppress id.
lint_check() {
    local dir="$ROOT/bin/lint" start files
    mkdir -p "$dir"
    if ! scripts/compile_db.py "$dir/compile_commands.json"; then add_result 0 2; return; fi
    files=$(python3 -c 'import json, sys; print("\n".join(e["file"] for e in json.load(open(sys.argv[1]))))' \
            "$dir/compile_commands.json")
    start=$SECONDS
    if echo "$files" | xargs -P"$JOBS" -n1 clang-tidy -p "$dir" --quiet >"$dir/clang-tidy.log" 2>&1; then
        echo "=== lint: clang-tidy: $(echo "$files" | wc -l) files clean in $((SECONDS - start)) s"; add_result 1 0
    else
        grep -E ': (warning|error):' "$dir/clang-tidy.log" | sed "s|$ROOT/||" | sort -u || true
        echo "=== lint: clang-tidy: FAILED ($(grep -cE ': (warning|error):' "$dir/clang-tidy.log") findings, $((SECONDS - start)) s)"
        add_result 0 1
    fi
    start=$SECONDS
    # -D: the version string as the build gives it (cppcheck drops the quotes of the database's -D)
    if cppcheck --project="$dir/compile_commands.json" --enable=warning,portability,performance --inline-suppr \
         --error-exitcode=1 -j"$JOBS" --quiet --std=c++20 -D'NSKIT_VERSION_STRING="lint"' \
         --template='{file}:{line}: {severity}: {message} [{id}]' >"$dir/cppcheck.log" 2>&1; then
        echo "=== lint: cppcheck: clean in $((SECONDS - start)) s"; add_result 1 0
    else
        sed "s|$ROOT/||" "$dir/cppcheck.log"
        echo "=== lint: cppcheck: FAILED ($((SECONDS - start)) s)"; add_result 0 1
    fi
}

demo_check() { # the README's main job must keep working: run it as ./build.sh demo does
    echo "=== demo"
    local log; log=$(mktemp /tmp/nskit-demo.XXXXXX)
    if "$ROOT/scripts/demo.sh" >"$log" 2>&1; then
        echo "demo: ok"; add_result 1 0
    else
        tail -n 30 "$log"; echo "demo: FAILED"; add_result 0 1
    fi
    rm -f "$log"
}

deb_version() { sed -n 's/^constant NSKIT_VERSION : \([^ ]*\) ;$/\1/p' "$ROOT/Jamroot"; }

deb_build() { # the packages from a copy of the tree (its own b2 build dir), into bin/deb
    local v; v=$(deb_version)
    [ -n "$v" ] || { echo "build.sh: no NSKIT_VERSION in Jamroot" >&2; return 1; }
    local work; work=$(mktemp -d /tmp/nskit-deb.XXXXXX)
    local src=$work/nskit-$v
    mkdir "$src"
    tar --exclude-vcs --exclude=./bin --exclude=./stage -cf - . | tar -xf - -C "$src" || { rm -rf "$work"; return 1; }
    # debian/changelog carries Jamroot's version (the one source), dated by
    # the last commit so that two builds of one commit are the same.
    local date maint
    date=$(git log -1 --format=%aD 2>/dev/null) || date=$(date -R)
    [ -n "$date" ] || date=$(date -R)
    maint=$(sed -n 's/^Maintainer: //p' debian/control)
    printf 'nskit (%s) unstable; urgency=medium\n\n  * Built from the source tree; its history lists the changes.\n\n -- %s  %s\n' \
        "$v" "$maint" "$date" >"$src/debian/changelog"
    echo "=== deb: dpkg-buildpackage -us -uc -b in $src"
    if ! (cd "$src" && dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1; then
        tail -n 60 "$work/build.log"; rm -rf "$work"
        echo "build.sh: dpkg-buildpackage failed" >&2; return 1
    fi
    grep -E '^dpkg-gensymbols: (warning|error)' -A 30 "$work/build.log" || true
    rm -rf "$ROOT/bin/deb"; mkdir -p "$ROOT/bin/deb"
    mv "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo "$ROOT/bin/deb/" || { rm -rf "$work"; return 1; }
    mv "$work"/*.ddeb "$ROOT/bin/deb/" 2>/dev/null || true
    rm -rf "$work"
    ls -l "$ROOT/bin/deb"
}

deb_lintian() { # no error on the packages built; warnings are printed (doc/debian.md lists them)
    echo "=== deb: lintian"
    lintian --fail-on error --display-info "$ROOT"/bin/deb/*.changes && echo "lintian: ok" || { echo "lintian: FAILED"; return 1; }
}

deb_stage() { # build the packages, lintian, install them in a throw-away root and use them there
    ensure_packages "${DEB_PACKAGES[@]}"
    local t0=$SECONDS
    if ! deb_build; then echo "deb build: FAILED"; add_result 0 1; return; fi
    echo "deb build: ok ($((SECONDS - t0)) s)"; add_result 1 0
    if deb_lintian; then add_result 1 0; else add_result 0 1; fi
    t0=$SECONDS
    deb_install_check
    echo "=== deb: throw-away root done in $((SECONDS - t0)) s"
}

deb_install_check() { # install the .debs in a throw-away root and use them there
    echo "=== deb: install into a throw-away root"
    local line
    while read -r line; do
        echo "deb: $line"
        case "$line" in *": ok") add_result 1 0 ;; *": FAILED"*) add_result 0 1 ;; esac
    done < <(test/deb/clean_root.sh "$ROOT/bin/deb" "$(deb_version)" 2>&1)
}

# Machine-wide leftover check (test/common/leftovers.py): a snapshot of the
# host's links, named netns, mounts and the suite's cgroups before the
# passes, the passes run by a child subreaper (an orphan of the run comes
# back to it, whatever pid namespace or session it made), compared after;
# one result per kind, so a leftover fails CI.
checked_passes() { # checked_passes NAME: ./build.sh _passes-NAME under the leftover check
    local work; work=$(mktemp -d /tmp/nskit-leftovers.XXXXXX)
    local check="$ROOT/test/common/leftovers.py" line
    if ! "$check" selftest; then add_result 0 1; fi
    "$check" snapshot "$work/before" || { echo "build.sh: leftover snapshot failed"; add_result 0 1; }
    NSKIT_SUMMARY=$SUMMARY "$check" supervise "$work/orphans" -- "$ROOT/build.sh" "_passes-$1" || true
    while read -r line; do
        echo "$line"
        case "$line" in *": ok") add_result 1 0 ;; *": FAILED"*) add_result 0 1 ;; esac
    done < <("$check" compare "$work/before" "$work/orphans" 2>&1)
    rm -rf "$work"
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
    checked_passes test
    consumer_check
    lint_check
    fuzz_check
    if [ "${NSKIT_TEST_DEB:-}" = 1 ]; then deb_stage; fi # CI: the packages too (.ci/run)
    report ;;
test-gate)  # what a branch must pass to land; ./build.sh test adds sanitizers, TSan, fuzz
    ensure_packages
    b2_build release
    checked_passes gate
    consumer_check
    report ;;
_passes-gate) # (internal) checked_passes runs these
    b2_tests privileged run test
    unprivileged_suite
    rootless_suite
    demo_check ;;
_passes-test)
    b2_tests privileged run test
    unprivileged_suite
    rootless_suite
    ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0 \
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 b2_tests sanitize run variant=sanitize test
    TSAN_OPTIONS=halt_on_error=0:second_deadlock_stack=1 b2_tests tsan tsan test-tsan
    demo_check ;;
test-sanitize)
    ensure_packages
    ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        b2_tests sanitize run variant=sanitize test
    report ;;
lint)       # only the static analysis (clang-tidy, cppcheck)
    ensure_packages
    lint_check
    report ;;
fuzz)       # only the bounded fuzz runs (needs bin/lib from a release build)
    ensure_packages; b2_build release
    fuzz_check
    report ;;
test-tsan)
    ensure_packages
    TSAN_OPTIONS=halt_on_error=0:second_deadlock_stack=1 b2_tests tsan tsan test-tsan
    report ;;
bench)
    ensure_packages; b2_build release
    for b in $(find_bins bench release 'bench_*'); do echo "=== $(basename "$b")"; "$b"; done ;;
install) # extra arguments go to b2 (debian/rules: the distribution's compiler flags)
    [ $# -ge 2 ] || { echo "usage: ./build.sh install PREFIX [b2 args...]" >&2; exit 2; }
    prefix=$2; shift 2
    ensure_packages; b2 -j"$JOBS" -q install --prefix="$prefix" "$@" ;;
deb)
    ensure_packages; ensure_packages "${DEB_PACKAGES[@]}"
    deb_build || exit 1
    deb_lintian || exit 1 ;;
deb-symbols) # after a change of the exported API: debian/libnskit0.symbols anew
    ensure_packages; ensure_packages "${DEB_PACKAGES[@]}"
    b2_build release
    scripts/deb-symbols.sh ;;
test-deb)
    ensure_packages
    deb_stage
    report ;;
*)
    echo "usage: ./build.sh {demo|test|test-gate|test-sanitize|test-tsan|lint|fuzz|bench|install PREFIX|deb|test-deb|deb-symbols|build}" >&2; exit 2 ;;
esac
