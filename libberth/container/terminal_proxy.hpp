// The foreground end of a container's terminal: `run` (and `exec -t`) without
// --console-socket hold the pty's master themselves and copy between it and the
// caller's stdin and stdout, as runc does in the foreground. The caller's
// terminal, when stdin is one, is in raw mode meanwhile, so that every key
// (^C, ^Z, ^D included) reaches the container's terminal, whose own line
// discipline acts on it.
#pragma once

#include <poll.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sys/error.hpp"
#include "sys/unique_fd.hpp"

namespace berth::container {

class TerminalProxy {
public:
  // Takes the master; start() sets things up.
  explicit TerminalProxy(UniqueFd master, int in = STDIN_FILENO, int out = STDOUT_FILENO);
  TerminalProxy(const TerminalProxy &) = delete;
  TerminalProxy &operator=(const TerminalProxy &) = delete;
  // Puts the caller's terminal back as it was, and SIGPIPE's disposition.
  ~TerminalProxy();

  // Makes the master non-blocking, puts `in` in raw mode when it is a
  // terminal, gives the container's terminal the size of the caller's (when
  // the caller has a terminal with a size; consoleSize stays otherwise), and
  // ignores SIGPIPE so that a closed stdout is an error to note, not death
  // with the caller's terminal left raw.
  Result<void> start();

  // The fds a poll loop watches for the proxy, appended to `fds`; the same
  // entries, with revents filled in, go back to handle(). Copying never fails
  // the wait: a side that ends or breaks is dropped and the rest goes on.
  void add_poll_fds(std::vector<pollfd> &fds) const;
  void handle(std::span<const pollfd> fds);

  // SIGWINCH: the caller's terminal's size to the container's terminal (whose
  // foreground process group the kernel then sends SIGWINCH).
  void resize();

  // Once the container's process is gone: copies out what is still buffered.
  void drain();

private:
  void copy_output();
  void write_output(const char *data, std::size_t size);
  void copy_input();
  void flush_input();

  UniqueFd master_;
  int in_;
  int out_;
  int caller_tty_ = -1; // in_ or out_, whichever is a terminal, for its size
  std::optional<termios> saved_mode_;
  std::optional<struct sigaction> saved_sigpipe_;
  bool input_open_ = true;
  bool master_open_ = true;
  bool output_ok_ = true;
  std::string pending_input_; // read from `in`, not yet taken by the master
};

} // namespace berth::container
