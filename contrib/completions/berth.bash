# bash completion for berth(8)
#
# Install: copy to /usr/share/bash-completion/completions/berth
#          (or source it from ~/.bashrc).

_berth_root() {
    # the --root given earlier on the command line, else the default
    local i
    for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
        case ${COMP_WORDS[i]} in
            --root) echo "${COMP_WORDS[i + 1]}"; return ;;
            --root=*) echo "${COMP_WORDS[i]#--root=}"; return ;;
        esac
    done
    echo /run/berth
}

_berth_ids() {
    # container ids: directories under the state root (no need to run berth)
    local root
    root=$(_berth_root)
    [ -d "$root" ] || return
    local d
    for d in "$root"/*/; do
        [ -d "$d" ] && basename "$d"
    done
}

_berth() {
    local cur prev
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD - 1]}

    local global_flags="--root --log --log-format --debug --version --help"
    local commands="create start state kill delete run list ls help
        exec ps pause resume update events spec features"

    # find the subcommand, skipping global flags and their values
    local i cmd="" cmd_index=0
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
            --root | --log | --log-format) ((i++)) ;;
            -*) ;;
            *) cmd=${COMP_WORDS[i]}; cmd_index=$i; break ;;
        esac
    done

    # values of flags
    case $prev in
        --root | -b | --bundle)
            COMPREPLY=($(compgen -d -- "$cur")); return ;;
        --log | --pid-file)
            COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --console-socket)
            COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --log-format)
            COMPREPLY=($(compgen -W "text json" -- "$cur")); return ;;
        --format | -f)
            case $cmd in
                list | ls | ps) COMPREPLY=($(compgen -W "table json" -- "$cur")); return ;;
            esac ;;
        --resources | -r)
            [ "$cmd" = update ] && { COMPREPLY=($(compgen -f -- "$cur")); return; } ;;
        --interval)
            COMPREPLY=($(compgen -W "500ms 1s 5s 10s 1m" -- "$cur")); return ;;
        --memory | --memory-reservation | --memory-swap)
            COMPREPLY=($(compgen -W "-1 64m 128m 256m 512m 1g 2g" -- "$cur")); return ;;
        --cpu-share | --cpu-shares | --cpu-quota | --cpu-period | --cpu-burst | \
            --cpu-rt-period | --cpu-rt-runtime | --cpuset-cpus | --cpuset-mems | \
            --pids-limit | --blkio-weight)
            return ;;
        --preserve-fds)
            COMPREPLY=($(compgen -W "0 1 2 3" -- "$cur")); return ;;
    esac

    if [ -z "$cmd" ]; then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "$global_flags" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$commands" -- "$cur"))
        fi
        return
    fi

    local flags=""
    case $cmd in
        create) flags="--bundle -b --pid-file --console-socket --no-pivot --no-new-keyring --preserve-fds --help" ;;
        run) flags="--bundle -b --detach -d --pid-file --keep --console-socket --no-pivot --no-new-keyring --preserve-fds --help" ;;
        kill) flags="--all -a --help" ;;
        delete) flags="--force -f --help" ;;
        list | ls) flags="--format -f --quiet -q --help" ;;
        update) flags="--resources -r --memory --memory-reservation --memory-swap --cpu-share
            --cpu-shares --cpu-quota --cpu-period --cpu-burst --cpu-rt-period --cpu-rt-runtime
            --cpuset-cpus --cpuset-mems --pids-limit --blkio-weight --help" ;;
        ps) flags="--format -f --help" ;;
        events) flags="--stats --interval --help" ;;
        start | state | pause | resume) flags="--help" ;;
        help) COMPREPLY=($(compgen -W "$commands" -- "$cur")); return ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$flags" -- "$cur"))
        return
    fi

    # positional arguments after the subcommand
    local args=0
    for ((i = cmd_index + 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
            --bundle | -b | --pid-file | --console-socket | --preserve-fds | --format | \
                --resources | -r | --interval | --memory | --memory-reservation | --memory-swap | \
                --cpu-share | --cpu-shares | --cpu-quota | --cpu-period | --cpu-burst | \
                --cpu-rt-period | --cpu-rt-runtime | --cpuset-cpus | --cpuset-mems | \
                --pids-limit | --blkio-weight) ((i++)) ;;
            -f) case $cmd in list | ls | ps) ((i++)) ;; esac ;;
            -*) ;;
            *) ((args++)) ;;
        esac
    done
    case $cmd in
        start | state | delete | kill | exec | ps | pause | resume | update | events)
            if [ "$args" -eq 0 ]; then
                COMPREPLY=($(compgen -W "$(_berth_ids)" -- "$cur"))
            elif [ "$cmd" = kill ] && [ "$args" -eq 1 ]; then
                COMPREPLY=($(compgen -W "TERM KILL INT HUP QUIT USR1 USR2 STOP CONT
                    SIGTERM SIGKILL SIGINT SIGHUP SIGQUIT SIGUSR1 SIGUSR2 SIGSTOP SIGCONT" -- "$cur"))
            fi ;;
    esac
}

complete -F _berth berth
