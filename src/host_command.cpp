#include "host_command.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "sys/syscalls.hpp"
#include "sys/unique_fd.hpp"

namespace berth::cli {
namespace {

// Far more than any process table; a bound keeps a runaway program from
// exhausting memory.
constexpr std::size_t kMaxOutput = 64u << 20;

struct Pipe {
  UniqueFd read_end;
  UniqueFd write_end;
};

Result<Pipe> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0)
    return fail_errno("pipe");
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// The child between fork and exec: only async-signal-safe calls. A failed exec
// sends its errno up `exec_errors`, whose write end the exec would have closed.
[[noreturn]] void exec_child(char *const argv[], int stdout_fd, int exec_errors) {
  bool ok = stdout_fd == STDOUT_FILENO ? ::fcntl(STDOUT_FILENO, F_SETFD, 0) == 0
                                       : ::dup2(stdout_fd, STDOUT_FILENO) == STDOUT_FILENO;
  if (ok)
    ::execvp(argv[0], argv);
  int error = errno;
  (void)!::write(exec_errors, &error, sizeof error);
  ::_exit(127);
}

Result<int> wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return fail_errno("wait");
  return status;
}

} // namespace

Result<std::string> capture_stdout(std::span<const std::string> argv) {
  if (argv.empty())
    return fail("no program to run");
  const std::string &program = argv.front();
  std::vector<char *> c_argv;
  for (const std::string &arg : argv)
    c_argv.push_back(const_cast<char *>(arg.c_str()));
  c_argv.push_back(nullptr);

  BERTH_TRY_ASSIGN(Pipe output, make_pipe());
  BERTH_TRY_ASSIGN(Pipe exec_errors, make_pipe());
  pid_t pid = ::fork();
  if (pid < 0)
    return fail_errno("fork to run " + program);
  if (pid == 0)
    exec_child(c_argv.data(), output.write_end.get(), exec_errors.write_end.get());
  output.write_end.reset();
  exec_errors.write_end.reset();

  int exec_errno = 0;
  ssize_t got = 0;
  do
    got = ::read(exec_errors.read_end.get(), &exec_errno, sizeof exec_errno);
  while (got < 0 && errno == EINTR);
  bool exec_failed = got == static_cast<ssize_t>(sizeof exec_errno);
  // Read everything before waiting: a child blocked on a full pipe never exits.
  Result<std::string> text = exec_failed
                                 ? Result<std::string>(std::string())
                                 : with_context(sys::read_fd(output.read_end.get(), kMaxOutput),
                                                "read the output of " + program);
  output.read_end.reset(); // a child still writing gets EPIPE instead of blocking
  BERTH_TRY_ASSIGN(int status, wait_for(pid));

  if (exec_failed)
    return fail("run " + program, exec_errno);
  if (!text)
    return fail(std::move(text.error()));
  if (WIFSIGNALED(status))
    return fail(program + " was killed by signal " + std::to_string(WTERMSIG(status)));
  if (WEXITSTATUS(status) != 0)
    return fail(program + " exited with status " + std::to_string(WEXITSTATUS(status)));
  return std::move(*text);
}

} // namespace berth::cli
