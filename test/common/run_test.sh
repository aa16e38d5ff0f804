#!/usr/bin/env bash
# Launcher for test binaries (b2's <testing.launcher>, and build.sh's other
# passes): the run starts with only fds 0-2 open, as from a login shell.  b2
# passes its own open files on (its Jam files, config.log), and tests count
# and number fds.  Usage: run_test.sh [VAR=value...] PROGRAM [ARGS...]
for fd in /proc/$$/fd/*; do
    n=${fd##*/}
    [ "$n" -gt 2 ] && eval "exec $n>&-"
done
exec env "$@"
