#include "container/terminal_proxy.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>

#include <array>
#include <cerrno>

namespace berth::container {
namespace {

constexpr std::size_t kChunk = 16384;

bool would_block(int error) {
  return error == EAGAIN || error == EWOULDBLOCK;
}

} // namespace

TerminalProxy::TerminalProxy(UniqueFd master, int in, int out)
    : master_(std::move(master)), in_(in), out_(out) {}

TerminalProxy::~TerminalProxy() {
  if (saved_mode_)
    ::tcsetattr(in_, TCSANOW, &*saved_mode_);
  if (saved_sigpipe_)
    ::sigaction(SIGPIPE, &*saved_sigpipe_, nullptr);
}

Result<void> TerminalProxy::start() {
  int flags = ::fcntl(master_.get(), F_GETFL);
  if (flags < 0 || ::fcntl(master_.get(), F_SETFL, flags | O_NONBLOCK) < 0)
    return fail_errno("make the terminal's master non-blocking");
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction previous {};
  if (::sigaction(SIGPIPE, &ignore, &previous) < 0)
    return fail_errno("ignore SIGPIPE");
  saved_sigpipe_ = previous;
  if (::isatty(in_))
    caller_tty_ = in_;
  else if (::isatty(out_))
    caller_tty_ = out_;
  if (caller_tty_ == in_) {
    termios mode{};
    if (::tcgetattr(in_, &mode) < 0)
      return fail_errno("read the mode of the caller's terminal");
    termios raw = mode;
    ::cfmakeraw(&raw);
    if (::tcsetattr(in_, TCSANOW, &raw) < 0)
      return fail_errno("put the caller's terminal in raw mode");
    saved_mode_ = mode;
  }
  resize();
  return {};
}

void TerminalProxy::resize() {
  if (caller_tty_ < 0)
    return;
  winsize size{};
  // A terminal that does not know its size (0x0, as a fresh pty) says nothing
  // worth passing on: consoleSize, or the default, stays.
  if (::ioctl(caller_tty_, TIOCGWINSZ, &size) < 0 || (size.ws_row == 0 && size.ws_col == 0))
    return;
  (void)::ioctl(master_.get(), TIOCSWINSZ, &size);
}

void TerminalProxy::add_poll_fds(std::vector<pollfd> &fds) const {
  // Input is read only once the master took the last of it: a container that
  // does not read must slow the caller down, not grow berth's memory.
  if (input_open_ && pending_input_.empty())
    fds.push_back({in_, POLLIN, 0});
  if (master_open_) {
    short events = POLLIN;
    if (!pending_input_.empty())
      events |= POLLOUT;
    fds.push_back({master_.get(), events, 0});
  }
}

void TerminalProxy::handle(std::span<const pollfd> fds) {
  for (const pollfd &p : fds) {
    if (p.revents == 0)
      continue;
    if (p.fd == in_ && input_open_ && pending_input_.empty()) {
      copy_input();
    } else if (p.fd == master_.get() && master_open_) {
      if (p.revents & POLLOUT)
        flush_input();
      if (p.revents & (POLLIN | POLLHUP | POLLERR))
        copy_output();
    }
  }
}

void TerminalProxy::drain() {
  if (master_open_)
    copy_output();
}

void TerminalProxy::copy_input() {
  std::array<char, kChunk> buffer;
  ssize_t n = ::read(in_, buffer.data(), buffer.size());
  if (n < 0 && (errno == EINTR || would_block(errno)))
    return;
  if (n <= 0) {
    // End of input: the container's terminal stays open (closing the master
    // would hang it up), it just gets nothing more.
    input_open_ = false;
    return;
  }
  pending_input_.assign(buffer.data(), static_cast<std::size_t>(n));
  flush_input();
}

void TerminalProxy::flush_input() {
  while (!pending_input_.empty()) {
    ssize_t n = ::write(master_.get(), pending_input_.data(), pending_input_.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && would_block(errno))
      return; // the rest when poll says the master has room
    if (n < 0) {
      pending_input_.clear();
      input_open_ = false;
      return;
    }
    pending_input_.erase(0, static_cast<std::size_t>(n));
  }
}

void TerminalProxy::copy_output() {
  std::array<char, kChunk> buffer;
  for (;;) {
    ssize_t n = ::read(master_.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && would_block(errno))
      return;
    if (n <= 0) {
      // EIO: every replica fd is closed, the container's side is done.
      master_open_ = false;
      pending_input_.clear();
      return;
    }
    write_output(buffer.data(), static_cast<std::size_t>(n));
  }
}

void TerminalProxy::write_output(const char *data, std::size_t size) {
  // Once the caller's stdout is gone the output is still read, and dropped,
  // so that the container never blocks on a full terminal.
  while (output_ok_ && size > 0) {
    ssize_t n = ::write(out_, data, size);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && would_block(errno)) {
      pollfd p{out_, POLLOUT, 0};
      (void)::poll(&p, 1, -1);
      continue;
    }
    if (n <= 0) {
      output_ok_ = false;
      return;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

} // namespace berth::container
