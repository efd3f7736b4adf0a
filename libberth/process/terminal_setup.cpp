#include "process/terminal_setup.hpp"

#include <unistd.h>

#include <string>

#include "linux/terminal.hpp"

namespace berth::process {

Result<void> set_up_terminal(const spec::Process &process, int console_socket,
                             std::string_view socket_path, bool as_console) {
  BERTH_TRY_ASSIGN(linux::Pty pty, linux::open_pty(process.console_size));
  if (as_console)
    BERTH_TRY(linux::bind_console(pty));
  if (::fchown(pty.replica.get(), process.user.uid, static_cast<gid_t>(-1)) < 0)
    return fail_errno("chown " + pty.replica_path + " to uid " + std::to_string(process.user.uid));
  BERTH_TRY(linux::become_terminal_owner(pty.replica.get()));
  auto sent = linux::send_console_master(console_socket, pty.master.get(), pty.replica_path);
  if (!sent && !socket_path.empty())
    sent.error().context("console socket " + std::string(socket_path));
  BERTH_TRY(std::move(sent));
  pty.master.reset();
  ::close(console_socket);
  return {};
}

} // namespace berth::process
