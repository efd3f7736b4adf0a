# fish completion for berth(8)
#
# Install: copy to /usr/share/fish/vendor_completions.d/berth.fish
#          (or ~/.config/fish/completions/berth.fish).

# Container ids: the directories under the state root (the --root given on
# the command line, else the default); berth itself is not run.
function __berth_ids
    set -l root /run/berth
    set -l tokens (commandline -opc)
    set -l n (count $tokens)
    for i in (seq $n)
        switch $tokens[$i]
            case --root
                if test $i -lt $n
                    set root $tokens[(math $i + 1)]
                end
            case '--root=*'
                set root (string replace -- --root= '' $tokens[$i])
        end
    end
    for dir in $root/*/
        basename $dir
    end
end

set -l __berth_commands create start state kill delete run list ls pause resume update ps events exec spec features checkpoint restore help
set -l __berth_with_id start state kill delete pause resume update ps events exec checkpoint

complete -c berth -f

# global options, before the command
set -l global "not __fish_seen_subcommand_from $__berth_commands"
complete -c berth -n $global -l root -r -a '(__fish_complete_directories)' -d 'directory for container state'
complete -c berth -n $global -l log -r -F -d 'also append log messages to FILE'
complete -c berth -n $global -l log-format -x -a 'text json' -d 'format of the --log file'
complete -c berth -n $global -l debug -d 'log debug messages too'
complete -c berth -n $global -l systemd-cgroup -d 'manage cgroups through systemd'
complete -c berth -n $global -l rootless -x -a 'true false auto' -d 'rootless mode'
complete -c berth -n $global -l criu -r -F -d 'the criu binary checkpoint and restore run'
complete -c berth -n $global -s v -l version -d 'print the version'
complete -c berth -s h -l help -d 'show the help'

# the commands
complete -c berth -n $global -a create -d 'create a container from a bundle'
complete -c berth -n $global -a start -d 'run the user process of a created container'
complete -c berth -n $global -a state -d 'print the state of a container as JSON'
complete -c berth -n $global -a kill -d "send a signal to a container's init process"
complete -c berth -n $global -a delete -d 'delete a container and its resources'
complete -c berth -n $global -a run -d 'create and start a container, wait for it, delete it'
complete -c berth -n $global -a 'list ls' -d 'list the containers under --root'
complete -c berth -n $global -a pause -d 'freeze every process of a container'
complete -c berth -n $global -a resume -d 'thaw the processes of a paused container'
complete -c berth -n $global -a update -d 'change the resource limits of a container'
complete -c berth -n $global -a ps -d 'show the processes of a container'
complete -c berth -n $global -a events -d "print a container's statistics as JSON lines"
complete -c berth -n $global -a exec -d 'run another process in a running container'
complete -c berth -n $global -a spec -d 'write a default config.json into the bundle'
complete -c berth -n $global -a features -d 'print what this berth supports, as JSON'
complete -c berth -n $global -a checkpoint -d "save a running container's processes to images with criu"
complete -c berth -n $global -a restore -d 'create a container whose processes criu restores from images'
complete -c berth -n $global -a help -d 'show the help of berth or of a command'
complete -c berth -n '__fish_seen_subcommand_from help' -a "$__berth_commands"

# container ids for the commands that take one
complete -c berth -n "__fish_seen_subcommand_from $__berth_with_id" -a '(__berth_ids)' -d container

# create and run
set -l create '__fish_seen_subcommand_from create run'
complete -c berth -n $create -s b -l bundle -r -a '(__fish_complete_directories)' -d 'bundle directory holding config.json'
complete -c berth -n $create -l pid-file -r -F -d "write the container's pid to FILE"
complete -c berth -n $create -l console-socket -r -F -d "send the terminal's master to this unix socket"
complete -c berth -n $create -l no-pivot -d 'do not use pivot_root'
complete -c berth -n $create -l no-new-keyring -d "keep the caller's session keyring"
complete -c berth -n $create -l preserve-fds -x -d 'pass N extra fds to the container'
complete -c berth -n '__fish_seen_subcommand_from run' -s d -l detach -d 'return once the container runs'
complete -c berth -n '__fish_seen_subcommand_from run' -l keep -d 'do not delete the container after it exits'

complete -c berth -n '__fish_seen_subcommand_from kill' -s a -l all -d 'signal every process of the container'
complete -c berth -n '__fish_seen_subcommand_from kill' -a 'TERM KILL INT HUP QUIT USR1 USR2 STOP CONT WINCH' -d signal
complete -c berth -n '__fish_seen_subcommand_from delete' -s f -l force -d 'kill the container first if it is running'

complete -c berth -n '__fish_seen_subcommand_from list ls' -s f -l format -x -a 'table json' -d 'output format'
complete -c berth -n '__fish_seen_subcommand_from list ls' -s q -l quiet -d 'print only the container ids'
complete -c berth -n '__fish_seen_subcommand_from ps' -s f -l format -x -a 'table json' -d 'output format'

complete -c berth -n '__fish_seen_subcommand_from events' -l stats -d 'print the statistics once and exit'
complete -c berth -n '__fish_seen_subcommand_from events' -l interval -x -a '500ms 1s 5s 10s 1m' -d 'time between statistics'

# update
set -l update '__fish_seen_subcommand_from update'
complete -c berth -n $update -s r -l resources -r -F -d 'read a JSON LinuxResources object (- for stdin)'
complete -c berth -n $update -l memory -x -d 'memory limit (512k, 64m, 1g; -1 for none)'
complete -c berth -n $update -l memory-reservation -x -d 'memory soft limit'
complete -c berth -n $update -l memory-swap -x -d 'limit of memory plus swap'
complete -c berth -n $update -l cpu-share -x -d 'CPU shares'
complete -c berth -n $update -l cpu-shares -x -d 'CPU shares'
complete -c berth -n $update -l cpu-quota -x -d 'CPU time per period, in microseconds'
complete -c berth -n $update -l cpu-period -x -d 'CPU CFS period, in microseconds'
complete -c berth -n $update -l cpu-burst -x -d 'CPU burst, in microseconds'
complete -c berth -n $update -l cpu-rt-period -x -d 'realtime period, in microseconds'
complete -c berth -n $update -l cpu-rt-runtime -x -d 'realtime runtime, in microseconds'
complete -c berth -n $update -l cpuset-cpus -x -d 'CPUs to run on, such as 0-3,7'
complete -c berth -n $update -l cpuset-mems -x -d 'memory nodes to use'
complete -c berth -n $update -l pids-limit -x -d 'maximum number of processes (-1 for none)'
complete -c berth -n $update -l blkio-weight -x -d 'block IO weight, 10 to 1000'

# exec
set -l exec '__fish_seen_subcommand_from exec'
complete -c berth -n $exec -s p -l process -r -F -d 'run the process a JSON file describes'
complete -c berth -n $exec -s t -l tty -d 'give the process a terminal'
complete -c berth -n $exec -s d -l detach -d 'return once the process runs'
complete -c berth -n $exec -l pid-file -r -F -d "write the process' pid to FILE"
complete -c berth -n $exec -l console-socket -r -F -d "send the terminal's master to this unix socket"
complete -c berth -n $exec -l cwd -x -d 'working directory in the container'
complete -c berth -n $exec -s e -l env -x -d 'set an environment variable (NAME=VALUE)'
complete -c berth -n $exec -s u -l user -x -d 'run as this user (UID[:GID])'
complete -c berth -n $exec -s g -l additional-gids -x -d 'add a supplementary group'
complete -c berth -n $exec -s c -l cap -x -d 'add a capability' -a 'CAP_CHOWN CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_FOWNER CAP_FSETID CAP_KILL CAP_SETGID CAP_SETUID CAP_SETPCAP CAP_LINUX_IMMUTABLE CAP_NET_BIND_SERVICE CAP_NET_BROADCAST CAP_NET_ADMIN CAP_NET_RAW CAP_IPC_LOCK CAP_IPC_OWNER CAP_SYS_MODULE CAP_SYS_RAWIO CAP_SYS_CHROOT CAP_SYS_PTRACE CAP_SYS_PACCT CAP_SYS_ADMIN CAP_SYS_BOOT CAP_SYS_NICE CAP_SYS_RESOURCE CAP_SYS_TIME CAP_SYS_TTY_CONFIG CAP_MKNOD CAP_LEASE CAP_AUDIT_WRITE CAP_AUDIT_CONTROL CAP_SETFCAP CAP_MAC_OVERRIDE CAP_MAC_ADMIN CAP_SYSLOG CAP_WAKE_ALARM CAP_BLOCK_SUSPEND CAP_AUDIT_READ CAP_PERFMON CAP_BPF CAP_CHECKPOINT_RESTORE'
complete -c berth -n $exec -l no-new-privs -d 'set no_new_privs for the process'
complete -c berth -n $exec -l process-label -x -d 'SELinux label of the process'
complete -c berth -n $exec -l apparmor -x -d 'AppArmor profile of the process'
complete -c berth -n $exec -l preserve-fds -x -d 'pass N extra fds to the process'
complete -c berth -n $exec -l cgroup -x -d "run in this sub-cgroup of the container's"
complete -c berth -n $exec -l ignore-paused -d 'exec in a paused container too'

# spec
complete -c berth -n '__fish_seen_subcommand_from spec' -s b -l bundle -r -a '(__fish_complete_directories)' -d 'write config.json into DIR'
complete -c berth -n '__fish_seen_subcommand_from spec' -l rootless -d 'a config for an unprivileged user'

# checkpoint, restore
set -l criu_cmds '__fish_seen_subcommand_from checkpoint restore'
complete -c berth -n $criu_cmds -l image-path -r -a '(__fish_complete_directories)' -d 'directory of the criu images'
complete -c berth -n $criu_cmds -l work-path -r -a '(__fish_complete_directories)' -d "directory of criu's logs"
complete -c berth -n $criu_cmds -l tcp-established -d 'allow open TCP connections'
complete -c berth -n $criu_cmds -l file-locks -d 'handle file locks'
complete -c berth -n $criu_cmds -l ext-unix-sk -d 'allow external unix sockets'
complete -c berth -n $criu_cmds -l shell-job -d 'allow a shell job'
complete -c berth -n '__fish_seen_subcommand_from checkpoint' -l leave-running -d 'leave the processes running'
set -l restore '__fish_seen_subcommand_from restore'
complete -c berth -n $restore -s b -l bundle -r -a '(__fish_complete_directories)' -d 'bundle directory'
complete -c berth -n $restore -s d -l detach -d 'return once the container runs'
complete -c berth -n $restore -l pid-file -r -F -d "write the restored container's pid to FILE"
complete -c berth -n $restore -l console-socket -r -F -d 'for a terminal (not supported yet)'
