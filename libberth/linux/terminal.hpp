// process.terminal: a pseudo-terminal made inside the container (from the
// container's own devpts instance) whose master goes to whoever drives it: the
// engine through --console-socket (SCM_RIGHTS, as containerd's shim and conmon
// expect) or berth itself for `run`/`exec -t` in the foreground.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "spec/config.hpp"
#include "sys/error.hpp"
#include "sys/unique_fd.hpp"

namespace berth::linux {

struct Pty {
  UniqueFd master;
  UniqueFd replica;        // opened through TIOCGPTPEER, never by path
  std::string replica_path; // "/dev/pts/N" as the container sees it
};

// Opens /dev/ptmx of the calling process' root (after pivot_root: the
// container's), verified to be a ptmx character device of a devpts instance,
// and its peer; applies `size` (consoleSize) when given.
Result<Pty> open_pty(const std::optional<spec::ConsoleSize> &size);

// Makes `replica` the controlling terminal of a new session and stdin, stdout
// and stderr of the calling process.
Result<void> become_terminal_owner(int replica);

// Bind-mounts the replica onto /dev/console of the current root (the init's
// terminal is the container's console, as runc does).
Result<void> bind_console(const Pty &pty);

// Connects to the engine's console socket (a host path: berth connects before
// the clone, as for the seccomp listener).
Result<UniqueFd> connect_console_socket(const std::string &path);

// Sends the master with SCM_RIGHTS; the payload is the replica's name.
Result<void> send_console_master(int socket_fd, int master_fd, std::string_view name);

// Receives a master sent by send_console_master (for berth's own foreground
// proxy and the tests).
Result<UniqueFd> receive_console_master(int socket_fd);

} // namespace berth::linux
