// process.terminal: a pseudo-terminal made inside the container (from the
// container's own devpts instance) whose master goes to whoever drives it: the
// engine through --console-socket (SCM_RIGHTS, as containerd's shim and conmon
// expect) or berth itself for `run`/`exec -t` in the foreground.
//
// CVE-2025-52565: nothing here resolves a path the container could have
// prepared into something else. The master is opened inside the container's
// root and checked to be a ptmx; the replica comes from the master itself
// (TIOCGPTPEER), never from /dev/pts/N; /dev/console is covered through fds.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "spec/config.hpp"
#include "sys/error.hpp"
#include "sys/unique_fd.hpp"

namespace berth::linux {

struct Pty {
  UniqueFd master;
  UniqueFd replica;         // opened through TIOCGPTPEER, never by path
  std::string replica_path; // "/dev/pts/N" as the container sees it
};

// Opens /dev/ptmx of the calling process' root (after pivot_root: the
// container's), verified to be the ptmx character device (5:2), and its peer,
// verified to be a terminal of a devpts instance; applies `size` (consoleSize)
// when given. Both fds are close-on-exec; the replica is not the caller's
// controlling terminal yet (become_terminal_owner). Without a devpts mounted at
// /dev/pts there is no /dev/ptmx to open and this fails, as with runc.
Result<Pty> open_pty(const std::optional<spec::ConsoleSize> &size);

// Makes `replica` the controlling terminal of a new session and stdin, stdout
// and stderr of the calling process. The caller must not lead a process group
// (setsid fails for a group leader): a freshly cloned or forked process does not.
Result<void> become_terminal_owner(int replica);

// Bind-mounts the replica onto /dev/console of the current root (the init's
// terminal is the container's console, as runc does). A missing /dev/console is
// created as an empty regular file; a symlink, a directory or anything but a
// regular file or a character device there is refused.
Result<void> bind_console(const Pty &pty);

// Connects to the engine's console socket (a host path: berth connects before
// the clone, as for the seccomp listener). Errors read
// "connect to console socket PATH: <reason>".
Result<UniqueFd> connect_console_socket(const std::string &path);

// Sends the master with SCM_RIGHTS; the payload is the replica's name.
Result<void> send_console_master(int socket_fd, int master_fd, std::string_view name);

// Receives a master sent by send_console_master (for berth's own foreground
// proxy and the tests), close-on-exec, checked to be a pty master.
Result<UniqueFd> receive_console_master(int socket_fd);

} // namespace berth::linux
