// process.terminal, for the init and for an `exec`'d process alike.
#pragma once

#include <string_view>

#include "spec/config.hpp"
#include "sys/error.hpp"

namespace berth::process {

// A pty of the container's own devpts, made once the process is in the
// container's mount namespace (no path of the host is involved) and while it is
// still root there (the pts node and the /dev/console bind need that). With
// `as_console` (the init) the replica is also bound onto /dev/console. The
// replica belongs to process.user.uid, as login makes it, so the program can
// reopen it by name (tty, ssh-agent, gpg) and set its modes; the group stays
// devpts' (gid=5 in the usual config). It becomes the process' stdio and
// controlling terminal, so nothing of the caller's stdio reaches the
// container. The master goes to `console_socket` (the engine's
// --console-socket, named `socket_path` in errors, or berth's own socketpair)
// and neither end stays with the process: its program must not be able to read
// its own input back through the master, nor reach the socket.
Result<void> set_up_terminal(const spec::Process &process, int console_socket,
                             std::string_view socket_path, bool as_console);

} // namespace berth::process
