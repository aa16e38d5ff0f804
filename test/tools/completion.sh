#!/usr/bin/env bash
# test/tools/completion.sh PREFIX: drive the installed bash completions of
# nsinfo, nscmp and nsrun (COMP_WORDS/COMP_CWORD, then the completion
# function) against the installed tools; one "NAME: ok" or "NAME: FAILED ..."
# line per case.
set -u
prefix=$1
dir=$prefix/share/bash-completion/completions

complete_words() { # complete_words TOOL WORD...: the replies, one a line
    local tool=$1; shift
    bash --norc --noprofile -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _'"$tool"'
                                printf "%s\n" "${COMPREPLY[@]}"' _ "$dir/$tool" "$prefix/bin/$tool" "$@"
}

check() { # check NAME EXPECTED-LINES TOOL WORD...: the replies are exactly EXPECTED
    local name=$1 want=$2 got; shift 2
    got=$(complete_words "$@" | tr '\n' ' ')
    if [ "$got" = "$want" ]; then echo "$name: ok"; else echo "$name: FAILED: got '$got', want '$want'"; fi
}

has() { # has NAME WANT TOOL WORD...: WANT is among the replies
    local name=$1 want=$2; shift 2
    if complete_words "$@" | grep -qxF -- "$want"; then echo "$name: ok"; else echo "$name: FAILED: no '$want'"; fi
}

# options, from each tool's --help
check "nsinfo long options" "--list --list-columns " nsinfo --lis
has "nsinfo short options" "-J" nsinfo -
check "nscmp options" "--group " nscmp --gr
check "nsrun options" "--die-with-parent --dir " nsrun --di
check "nsrun two-word options" "--ro-bind --ro-bind-try " nsrun --ro-b
check "nsrun after --bind SRC DEST" "--pid " nsrun --bind /usr /usr --pi
# column names after -o, from nsinfo --list-columns and nscmp --help
check "nsinfo -o" "NETNSID NPROCS NS NSFS NSID NSPID NTHREADS " nsinfo -o N
check "nsinfo -o list" "NS,TYPE " nsinfo -o NS,TY
check "nsinfo --output=+" "+CAPS +CAPSRULE " nsinfo --output = +CAP
check "nsinfo --output= unsplit" "--output=+CAPS --output=+CAPSRULE " nsinfo --output=+CAP
check "nsinfo -Jo" "CONTAINER " nsinfo -Jo CONT
check "nscmp -o" "RELATION RESOURCE RESULT " nscmp -o R
# namespace types after -t, tree kinds, resources
check "nsinfo -t" "cgroup " nsinfo -t c
check "nsinfo -t list" "net,user net,uts " nsinfo -t net,u
check "nsinfo --tree=" "parent process " nsinfo --tree = p
check "nscmp -t" "sighand sysvsem " nscmp -t s
check "nsrun --types" "net " nsrun --enter 1 --types n
# pids
has "nsinfo pid" "$$" nsinfo "$$"
has "nsinfo -p pid" "$$" nsinfo -p "$$"
has "nsrun --enter pid" "$$" nsrun --enter "$$"
# nsrun: PROGRAM, then its own arguments are not nsrun's options
has "nsrun PROGRAM" "true" nsrun -n tru
check "nsrun after PROGRAM" " " nsrun -n true --ne
check "nsinfo after --" " " nsinfo -- --js
