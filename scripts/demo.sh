#!/usr/bin/env bash
# The main job: show the sys layer at work (sys_tour), then nsinfo when built.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
bin() { find bin -path '*/release/*' -name "$1" -type f -perm -u+x | head -n1; }
# nsinfo exits 3 for a partial result (something could not be read, e.g. a
# PID 1 that refuses even root); the demo shows it and goes on.
partial_ok() {
    local rc=0
    "$@" || rc=$?
    [ $rc -eq 0 ] || [ $rc -eq 3 ] || return $rc
    [ $rc -eq 0 ] || echo "(exit 3: partial result, as the line above says)"
}
echo "### sys_tour: namespaces, clone into new UTS+PID namespaces, kcmp"
"$(bin sys_tour)"

if [ -n "$(bin veth_recipe)" ]; then
    echo
    echo "### net: new network namespaces with a working loopback, wired by a veth pair (no ip(8))"
    "$(bin veth_recipe)"
fi

if [ -n "$(bin nsrun)" ]; then
    echo
    echo "### nsrun: a shell with private PID, UTS, network namespaces and /tmp"
    # --chdir /: the checkout may be under /tmp, which the private /tmp hides
    # (nsrun refuses a working directory the new view does not have).
    "$(bin nsrun)" --pid --mount --tmp=size=16m --net --uts=nskit-demo --chdir / -- \
        sh -c 'echo "hostname: $(hostname)"; echo "processes: $(ls -d /proc/[0-9]* | tr "\n" " ")"; df -h /tmp | tail -n1'
fi

nsinfo=$(bin nsinfo)
if [ -n "$nsinfo" ]; then
    echo
    echo "### nsinfo: the namespaces of this demo's shell (pid $$)"
    partial_ok "$nsinfo" $$
    echo
    echo "### a helper in new user + UTS + network namespaces (unshare from util-linux)"
    unshare --user --map-root-user --uts --net sleep 60 &
    helper=$!
    trap 'kill $helper 2>/dev/null || true' EXIT
    for _ in $(seq 100); do # until unshare has switched namespaces and exec'd sleep
        [ "$(readlink /proc/$helper/ns/net 2>/dev/null)" != "$(readlink /proc/$$/ns/net)" ] && break
        sleep 0.05
    done
    partial_ok "$nsinfo" $helper
    echo
    echo "### nsinfo --all -t net: every network namespace on the system"
    partial_ok "$nsinfo" --all -t net
    echo
    echo "### nsinfo --why: what keeps the helper's network namespace alive"
    partial_ok "$nsinfo" --why /proc/$helper/ns/net
    echo
    echo "### nsinfo --tree: user namespaces and what they own"
    partial_ok "$nsinfo" --tree -t net,uts
    if [ -n "$(bin nscmp)" ]; then
        echo
        echo "### nscmp: what this shell and the helper share"
        "$(bin nscmp)" $$ $helper || true  # exit 1 = something differs, as cmp(1)
    fi
    kill $helper
    wait $helper 2>/dev/null || true
    trap - EXIT
fi
