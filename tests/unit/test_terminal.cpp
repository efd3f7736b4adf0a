// The terminal pieces that work without a container: handing a master over a
// unix socket (and refusing what is not one), the console socket's errors,
// opening a pty of the host's own devpts, becoming its owner, and runc's rules
// for process.terminal with --console-socket.
#include <criterion/criterion.h>

#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "container/preflight.hpp"
#include "linux/terminal.hpp"
#include "string_assert.hpp"

using namespace berth;

namespace {

struct SocketPair {
  UniqueFd a, b;
};

SocketPair socket_pair() {
  int fds[2];
  cr_assert_eq(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// A master of the host's devpts, or an empty fd where the sandbox has none.
UniqueFd host_master() {
  int fd = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  return UniqueFd(fd);
}

unsigned pty_index(int master) {
  unsigned index = ~0u;
  cr_assert_eq(::ioctl(master, TIOCGPTN, &index), 0);
  return index;
}

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

// Sends raw fds with a payload, as a misbehaving sender would.
void send_fds(int socket_fd, const int *fds, std::size_t count) {
  char payload = 'x';
  iovec iov{.iov_base = &payload, .iov_len = 1};
  union {
    cmsghdr header;
    char bytes[CMSG_SPACE(sizeof(int) * 2)];
  } control{};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.bytes;
  msg.msg_controllen = CMSG_SPACE(sizeof(int) * count);
  cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int) * count);
  std::memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * count);
  cr_assert_eq(::sendmsg(socket_fd, &msg, 0), 1);
}

spec::Process process_with_terminal(bool terminal) {
  spec::Process process;
  process.terminal = terminal;
  return process;
}

} // namespace

Test(terminal, master_travels_over_the_socket_with_its_name) {
  UniqueFd master = host_master();
  if (!master)
    cr_skip_test("no /dev/ptmx here");
  auto pair = socket_pair();
  auto sent = linux::send_console_master(pair.a.get(), master.get(), "/dev/pts/7");
  cr_assert(sent.has_value(), "%s", sent ? "" : sent.error().message().c_str());
  auto received = linux::receive_console_master(pair.b.get());
  cr_assert(received.has_value(), "%s", received ? "" : received.error().message().c_str());
  cr_assert_neq(received->get(), master.get());
  cr_assert_eq(pty_index(received->get()), pty_index(master.get()), "not the same pty");
  cr_assert(::fcntl(received->get(), F_GETFD) & FD_CLOEXEC, "the received fd leaks into execs");
}

Test(terminal, receive_refuses_what_is_not_one_pty_master) {
  {
    auto pair = socket_pair();
    int pipe_fds[2];
    cr_assert_eq(::pipe2(pipe_fds, O_CLOEXEC), 0);
    UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
    send_fds(pair.a.get(), pipe_fds, 1);
    auto received = linux::receive_console_master(pair.b.get());
    cr_assert(!received.has_value());
    cr_assert(contains(received.error().message(), "not a pty master"), "%s",
              received.error().message().c_str());
  }
  {
    UniqueFd master = host_master();
    if (!master)
      cr_skip_test("no /dev/ptmx here");
    auto pair = socket_pair();
    int two[2] = {master.get(), master.get()};
    send_fds(pair.a.get(), two, 2);
    auto received = linux::receive_console_master(pair.b.get());
    cr_assert(!received.has_value());
    cr_assert(contains(received.error().message(), "expected one fd, got 2"), "%s",
              received.error().message().c_str());
  }
  {
    auto pair = socket_pair();
    pair.a.reset();
    auto received = linux::receive_console_master(pair.b.get());
    cr_assert(!received.has_value());
    cr_assert(contains(received.error().message(), "closed the connection"), "%s",
              received.error().message().c_str());
  }
}

Test(terminal, send_to_a_gone_receiver_is_an_error_not_sigpipe) {
  UniqueFd master = host_master();
  if (!master)
    cr_skip_test("no /dev/ptmx here");
  auto pair = socket_pair();
  pair.b.reset();
  auto sent = linux::send_console_master(pair.a.get(), master.get(), "/dev/pts/0");
  cr_assert(!sent.has_value());
  cr_assert_eq(sent.error().errno_value(), EPIPE);
}

Test(terminal, console_socket_errors_name_the_path) {
  auto missing = linux::connect_console_socket("/nonexistent-berth-dir/console.sock");
  cr_assert(!missing.has_value());
  BERTH_ASSERT_STR_EQ(missing.error().message(),
                      "connect to console socket /nonexistent-berth-dir/console.sock: No such "
                      "file or directory");
  std::string long_path = "/" + std::string(200, 'x');
  auto too_long = linux::connect_console_socket(long_path);
  cr_assert(!too_long.has_value());
  cr_assert(contains(too_long.error().message(), "connect to console socket " + long_path));
  cr_assert_eq(too_long.error().errno_value(), ENAMETOOLONG);
}

Test(terminal, open_pty_of_the_current_root) {
  if (!host_master())
    cr_skip_test("no /dev/ptmx here");
  auto pty = linux::open_pty(spec::ConsoleSize{.height = 33, .width = 101});
  if (!pty && pty.error().errno_value() == ENODEV)
    cr_skip_test("this /dev/ptmx is not the ptmx of a devpts: %s", pty.error().message().c_str());
  cr_assert(pty.has_value(), "%s", pty ? "" : pty.error().message().c_str());
  BERTH_ASSERT_STR_EQ(pty->replica_path, std::string(::ptsname(pty->master.get())));
  winsize size{};
  cr_assert_eq(::ioctl(pty->replica.get(), TIOCGWINSZ, &size), 0);
  cr_assert_eq(size.ws_row, 33);
  cr_assert_eq(size.ws_col, 101);
  cr_assert(::fcntl(pty->master.get(), F_GETFD) & FD_CLOEXEC);
  cr_assert(::fcntl(pty->replica.get(), F_GETFD) & FD_CLOEXEC);
  // What is written on one side arrives on the other: a live, unlocked pair.
  cr_assert_eq(::write(pty->master.get(), "x\n", 2), 2);
  char buffer[8];
  cr_assert_gt(::read(pty->replica.get(), buffer, sizeof buffer), 0);
}

Test(terminal, console_size_beyond_a_terminal_is_refused) {
  if (!host_master())
    cr_skip_test("no /dev/ptmx here");
  auto pty = linux::open_pty(spec::ConsoleSize{.height = 70000, .width = 80});
  cr_assert(!pty.has_value());
  cr_assert(contains(pty.error().message(), "consoleSize 70000x80"), "%s",
            pty.error().message().c_str());
}

Test(terminal, become_terminal_owner_makes_it_stdio_and_controlling) {
  if (!host_master())
    cr_skip_test("no /dev/ptmx here");
  // Its own fork rather than run_in_child: the report pipe must sit above
  // the stdio the child replaces (a test worker may run with them closed).
  int fds[2];
  cr_assert_eq(::pipe2(fds, O_CLOEXEC), 0);
  UniqueFd read_end(::fcntl(fds[0], F_DUPFD_CLOEXEC, 10));
  UniqueFd write_end(::fcntl(fds[1], F_DUPFD_CLOEXEC, 10));
  ::close(fds[0]);
  ::close(fds[1]);
  pid_t pid = ::fork();
  cr_assert_geq(pid, 0);
  if (pid == 0) {
    read_end.reset();
    std::string out;
    auto pty = linux::open_pty(std::nullopt);
    if (!pty) {
      out = "open: " + pty.error().message();
    } else if (auto owned = linux::become_terminal_owner(pty->replica.get()); !owned) {
      out = "own: " + owned.error().message();
    } else {
      for (int fd = 0; fd <= 2; ++fd)
        out += ::isatty(fd) && std::string(::ttyname(fd)) == pty->replica_path ? "tty " : "no ";
      out += ::tcgetsid(0) == ::getpid() ? "session" : "other-session";
    }
    (void)::write(write_end.get(), out.data(), out.size());
    ::_exit(0);
  }
  write_end.reset();
  std::string report;
  char buffer[512];
  for (ssize_t n; (n = ::read(read_end.get(), buffer, sizeof buffer)) > 0;)
    report.append(buffer, static_cast<std::size_t>(n));
  ::waitpid(pid, nullptr, 0);
  BERTH_ASSERT_STR_EQ(report, "tty tty tty session");
}

Test(terminal, runc_rules_for_terminal_and_console_socket) {
  container::CreateOptions none;
  container::CreateOptions with_socket;
  with_socket.console_socket = "/run/console.sock";
  auto terminal = process_with_terminal(true);
  auto plain = process_with_terminal(false);

  // detached (create, run -d): the master needs somewhere to go
  auto detached = container::check_terminal(terminal, none, false);
  cr_assert(!detached.has_value());
  cr_assert(contains(detached.error().message(), "--console-socket"));
  cr_assert(container::check_terminal(terminal, with_socket, false).has_value());
  // foreground run: berth drives it, or hands it to the socket it was given
  cr_assert(container::check_terminal(terminal, none, true).has_value());
  cr_assert(container::check_terminal(terminal, with_socket, true).has_value());
  // a console socket would never receive anything without a terminal
  for (bool foreground : {false, true}) {
    auto useless = container::check_terminal(plain, with_socket, foreground);
    cr_assert(!useless.has_value());
    cr_assert(contains(useless.error().message(), "--console-socket needs a terminal"));
  }
  cr_assert(container::check_terminal(plain, none, false).has_value());
}
