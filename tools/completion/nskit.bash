# bash completion for nskit's tools: nsinfo, nscmp, nsrun.
# Installed as share/bash-completion/completions/{nsinfo,nscmp,nsrun}; each
# copy defines all three.  Options are read from the tool's own --help and
# columns from `nsinfo --list-columns` and `nscmp --help`, so the completions
# follow the tool that is installed.  Needs nothing from bash-completion, and
# hands PROGRAM's arguments (nsrun) to its completion when bash-completion is
# loaded.

# The tool's output, nothing when it fails (no error text in the prompt).
_nskit_run()
{
    local tool=$1
    shift
    [[ $tool == "~/"* ]] && tool=$HOME/${tool#"~/"}
    command "$tool" "$@" </dev/null 2>/dev/null
}

# One line per option, "LONG SHORT ARG" (SHORT "-" when none, ARG none,
# required, required2 (two words: nsrun's "--bind SRC DEST") or optional),
# from Boost.Program_options' help layout: "  -o [ --output ] arg",
# "  --why arg", "  -T [ --tree ] [=arg(=owner)]", "  --bind SRC DEST".
_nskit_options()
{
    local line long short arg
    local re='^  (-([[:alnum:]]) \[ --([[:alnum:]-]+) \]|--([[:alnum:]-]+))( \[=arg| arg)?'
    local named='^  --([[:alnum:]-]+) [A-Z][^ ]*( [A-Z][^ ]*)?( |$)'
    while IFS= read -r line; do
        if [[ $line =~ $named ]]; then
            arg=required
            [[ -n ${BASH_REMATCH[2]} ]] && arg=required2
            printf '%s - %s\n' "${BASH_REMATCH[1]}" "$arg"
            continue
        fi
        [[ $line =~ $re ]] || continue
        long=${BASH_REMATCH[3]:-${BASH_REMATCH[4]}}
        short=${BASH_REMATCH[2]:--}
        case ${BASH_REMATCH[5]} in
        " arg") arg=required ;;
        " [=arg") arg=optional ;;
        *) arg=none ;;
        esac
        printf '%s %s %s\n' "$long" "$short" "$arg"
    done < <(_nskit_run "$1" --help)
}

# Column names: nsinfo lists them with --list-columns (NAME MODE DESCRIPTION),
# nscmp in its --help ("Columns (...):" sections, "  NAME  description").
_nskit_columns()
{
    local kind=$1 cmd=$2 line in=
    if [[ $kind == nsinfo ]]; then
        _nskit_run "$cmd" --list-columns | while read -r line _; do
            [[ $line != NAME ]] && printf '%s\n' "$line"
        done | sort -u
        return
    fi
    _nskit_run "$cmd" --help | while IFS= read -r line; do
        if [[ $line == Columns* ]]; then
            in=1
        elif [[ -z $line ]]; then
            in=
        elif [[ -n $in && $line =~ ^\ \ ([A-Z][A-Z0-9-]*)\  ]]; then
            printf '%s\n' "${BASH_REMATCH[1]}"
        fi
    done | sort -u
}

_nskit_pids()
{
    local p
    for p in /proc/[0-9]*; do
        printf '%s\n' "${p#/proc/}"
    done
}

# COMPREPLY from WORDS for a comma-separated list: the last item is completed,
# the ones before (and a leading '+', nsinfo -o +LIST) are kept.
_nskit_list()
{
    local words=$1 value=$2 prefix=$3 head= w
    [[ $value == *,* ]] && head=${value%,*},
    [[ -z $head && $value == +* ]] && head=+
    for w in $(compgen -W "$words" -- "${value#"$head"}"); do
        COMPREPLY+=("$prefix$head$w")
    done
}

# COMPREPLY for the value of option LONG of tool KIND; VALUE is what is typed
# so far, PREFIX what to put before each reply ("--output=" when bash did not
# split the word at '=').
_nskit_values()
{
    local kind=$1 cmd=$2 long=$3 value=$4 prefix=$5
    local nstypes="mnt net ipc user pid uts cgroup time" w
    case $kind:$long in
    nsinfo:output | nscmp:output)
        _nskit_list "$(_nskit_columns "$kind" "$cmd")" "$value" "$prefix" ;;
    nsinfo:type | nsrun:types)
        _nskit_list "$nstypes" "$value" "$prefix" ;;
    nscmp:type)
        _nskit_list "$nstypes vm files fs sighand io sysvsem fds epoll" "$value" "$prefix" ;;
    nscmp:resource)
        _nskit_list "vm files fs sighand io sysvsem file all" "$value" "$prefix" ;;
    nsinfo:tree)
        _nskit_list "owner parent process" "$value" "$prefix" ;;
    nsinfo:task | nsrun:enter)
        for w in $(compgen -W "$(_nskit_pids)" -- "$value"); do COMPREPLY+=("$prefix$w"); done ;;
    nsrun:kill-child)
        for w in $(compgen -A signal -- "$value"; compgen -W "$(compgen -A signal | sed 's/^SIG//')" -- "$value"); do
            COMPREPLY+=("$prefix$w")
        done ;;
    nsinfo:why)
        compopt -o filenames 2>/dev/null
        while IFS= read -r w; do COMPREPLY+=("$prefix$w"); done < <(compgen -f -- "$value") ;;
    nsrun:chdir | nsrun:cgroup-dir | nsrun:root)
        compopt -o filenames 2>/dev/null
        while IFS= read -r w; do COMPREPLY+=("$prefix$w"); done < <(compgen -d -- "$value") ;;
    nsrun:*bind* | nsrun:tmpfs | nsrun:proc | nsrun:dev | nsrun:mqueue | nsrun:dir | nsrun:symlink | \
        nsrun:remount-ro | nsrun:chmod) # the view's paths
        compopt -o filenames 2>/dev/null
        while IFS= read -r w; do COMPREPLY+=("$prefix$w"); done < <(compgen -f -- "$value") ;;
    esac
}

_nskit_complete()
{
    local kind=$1 cmd=${COMP_WORDS[0]} cur=${COMP_WORDS[COMP_CWORD]} prev=
    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
    COMPREPLY=()
    local -A arg_of=() long_of=()
    local long short arg
    while read -r long short arg; do
        arg_of[--$long]=$arg
        long_of[--$long]=$long
        if [[ $short != - ]]; then
            arg_of[-$short]=$arg
            long_of[-$short]=$long
        fi
    done < <(_nskit_options "$cmd")

    # Walk the words before the cursor: values taken by options, '--', and
    # the first positional argument (nsrun: PROGRAM, whose arguments follow).
    local i w j o end_opts= program=
    for ((i = 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        if [[ -n $end_opts || $w != -* || $w == - ]]; then
            [[ $w == "=" ]] && { ((i++)); continue; } # "--opt" "=" "value"
            if [[ $kind == nsrun ]]; then
                program=$i
                break
            fi
            continue
        fi
        if [[ $w == -- ]]; then
            end_opts=1
        elif [[ $w == --* ]]; then
            [[ $w != *=* && ${arg_of[$w]} == required* && ${COMP_WORDS[i + 1]} != "=" ]] && ((i++))
            [[ $w != *=* && ${arg_of[$w]} == required2 ]] && ((i++))
        else # a cluster of short options: the last one may want the next word
            for ((j = 1; j < ${#w}; j++)); do
                o=${arg_of[-${w:j:1}]}
                [[ $o == required || $o == optional ]] || continue
                [[ $o == required && $j -eq $((${#w} - 1)) ]] && ((i++))
                break
            done
        fi
    done

    if [[ -n $program ]]; then # PROGRAM's own arguments
        if declare -F _command_offset >/dev/null; then
            _command_offset "$program"
        else
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        fi
        return 0
    fi
    if [[ -z $end_opts ]]; then
        # "--opt=value", split by bash at '=' ("--opt" "=" "value") or not
        if [[ $cur == "=" && ${arg_of[$prev]} == @(required|optional) ]]; then
            _nskit_values "$kind" "$cmd" "${long_of[$prev]}" "" ""
            return 0
        fi
        if [[ $prev == "=" ]] && ((COMP_CWORD >= 2)); then
            o=${COMP_WORDS[COMP_CWORD - 2]}
            [[ ${arg_of[$o]} == @(required|optional) ]] && _nskit_values "$kind" "$cmd" "${long_of[$o]}" "$cur" ""
            return 0
        fi
        if [[ $cur == --*=* ]]; then
            o=${cur%%=*}
            [[ ${arg_of[$o]} == @(required|optional) ]] && _nskit_values "$kind" "$cmd" "${long_of[$o]}" "${cur#*=}" "$o="
            return 0
        fi
        # the value of the option before: "--output NS", "-o NS", "-Jo NS"
        o=
        if [[ $prev == --* && $prev != *=* ]]; then
            [[ ${arg_of[$prev]} == required* ]] && o=$prev
        fi
        w=
        ((COMP_CWORD >= 2)) && w=${COMP_WORDS[COMP_CWORD - 2]}
        if [[ -z $o && $w == --* && ${arg_of[$w]} == required2 ]]; then
            o=$w # the second word of "--bind SRC DEST"
        elif [[ $prev == -[!-]* ]]; then
            for ((j = 1; j < ${#prev}; j++)); do
                [[ ${arg_of[-${prev:j:1}]} == @(required|optional) ]] || continue
                [[ ${arg_of[-${prev:j:1}]} == required && $j -eq $((${#prev} - 1)) ]] && o=-${prev:j:1}
                break
            done
        fi
        if [[ -n $o ]]; then
            _nskit_values "$kind" "$cmd" "${long_of[$o]}" "$cur" ""
            return 0
        fi
        if [[ $cur == -* ]]; then
            local opts=() k
            for k in "${!arg_of[@]}"; do
                [[ $cur == -- || $cur == --?* ]] && [[ $k != --* ]] && continue
                opts+=("$k")
            done
            mapfile -t COMPREPLY < <(compgen -W "${opts[*]}" -- "$cur" | sort)
            return 0
        fi
    fi
    if [[ $kind == nsrun ]]; then # PROGRAM
        mapfile -t COMPREPLY < <(compgen -c -- "$cur" | sort -u)
    else # PID arguments
        mapfile -t COMPREPLY < <(compgen -W "$(_nskit_pids)" -- "$cur")
    fi
    return 0
}

_nsinfo() { _nskit_complete nsinfo; }
_nscmp() { _nskit_complete nscmp; }
_nsrun() { _nskit_complete nsrun; }
complete -F _nsinfo nsinfo
complete -F _nscmp nscmp
complete -F _nsrun nsrun
