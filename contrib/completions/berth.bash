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

    local global_flags="--root --log --log-format --debug --systemd-cgroup --rootless --criu
        --version --help"
    local commands="create start state kill delete run list ls help
        exec ps pause resume update events spec features checkpoint restore"

    # find the subcommand, skipping global flags and their values
    local i cmd="" cmd_index=0
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
            --root | --log | --log-format | --rootless | --criu) ((i++)) ;;
            -*) ;;
            *) cmd=${COMP_WORDS[i]}; cmd_index=$i; break ;;
        esac
    done

    # values of flags
    case $prev in
        --root | -b | --bundle | --cwd | --image-path | --work-path)
            COMPREPLY=($(compgen -d -- "$cur")); return ;;
        --log | --pid-file | --criu)
            COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --rootless)
            [ -z "$cmd" ] && { COMPREPLY=($(compgen -W "true false auto" -- "$cur")); return; } ;;
        --process | -p)
            [ "$cmd" = exec ] && { COMPREPLY=($(compgen -f -- "$cur")); return; } ;;
        --cap | -c)
            [ "$cmd" = exec ] && {
                COMPREPLY=($(compgen -W "CAP_CHOWN CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_FOWNER
                    CAP_FSETID CAP_KILL CAP_SETGID CAP_SETUID CAP_SETPCAP CAP_LINUX_IMMUTABLE
                    CAP_NET_BIND_SERVICE CAP_NET_BROADCAST CAP_NET_ADMIN CAP_NET_RAW CAP_IPC_LOCK
                    CAP_IPC_OWNER CAP_SYS_MODULE CAP_SYS_RAWIO CAP_SYS_CHROOT CAP_SYS_PTRACE
                    CAP_SYS_PACCT CAP_SYS_ADMIN CAP_SYS_BOOT CAP_SYS_NICE CAP_SYS_RESOURCE
                    CAP_SYS_TIME CAP_SYS_TTY_CONFIG CAP_MKNOD CAP_LEASE CAP_AUDIT_WRITE
                    CAP_AUDIT_CONTROL CAP_SETFCAP CAP_MAC_OVERRIDE CAP_MAC_ADMIN CAP_SYSLOG
                    CAP_WAKE_ALARM CAP_BLOCK_SUSPEND CAP_AUDIT_READ CAP_PERFMON CAP_BPF
                    CAP_CHECKPOINT_RESTORE" -- "$cur"))
                return
            } ;;
        --env | -e | --user | -u | --additional-gids | -g | --process-label | --apparmor | --cgroup)
            [ "$cmd" = exec ] && return ;;
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
        exec) flags="--process -p --tty -t --detach -d --pid-file --console-socket --cwd --env -e
            --user -u --additional-gids -g --cap -c --no-new-privs --process-label --apparmor
            --preserve-fds --cgroup --ignore-paused --help" ;;
        spec) flags="--bundle -b --rootless --help" ;;
        checkpoint) flags="--image-path --work-path --leave-running --tcp-established --file-locks
            --ext-unix-sk --shell-job --help" ;;
        restore) flags="--bundle -b --image-path --work-path --detach -d --pid-file --console-socket
            --tcp-established --file-locks --ext-unix-sk --shell-job --help" ;;
        start | state | pause | resume | features) flags="--help" ;;
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
                --pids-limit | --blkio-weight | --process | --cwd | --env | --user | \
                --additional-gids | --cap | --process-label | --apparmor | --cgroup | \
                --image-path | --work-path) ((i++)) ;;
            -f) case $cmd in list | ls | ps) ((i++)) ;; esac ;;
            -p | -e | -u | -g | -c) [ "$cmd" = exec ] && ((i++)) ;;
            -*) ;;
            *) ((args++)) ;;
        esac
    done
    case $cmd in
        start | state | delete | kill | exec | ps | pause | resume | update | events | checkpoint)
            if [ "$args" -eq 0 ]; then
                COMPREPLY=($(compgen -W "$(_berth_ids)" -- "$cur"))
            elif [ "$cmd" = kill ] && [ "$args" -eq 1 ]; then
                COMPREPLY=($(compgen -W "TERM KILL INT HUP QUIT USR1 USR2 STOP CONT
                    SIGTERM SIGKILL SIGINT SIGHUP SIGQUIT SIGUSR1 SIGUSR2 SIGSTOP SIGCONT" -- "$cur"))
            fi ;;
    esac
}

complete -F _berth berth
