// Runs a function in a forked child and returns the text it reports, for tests
// that change what a process can never change back (uid, capabilities, limits,
// namespaces). The child reports through a pipe and exits without running the
// test framework's exit handlers, nor ASan's: its _exit interceptor runs the
// leak check, which a child under a seccomp filter (test_rootfs_plan) or with
// other credentials cannot, so the child ends with the exit_group system call.
#pragma once

#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>

namespace berth::test {

inline std::string run_in_child(const std::function<std::string()> &body) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0)
    return "ERR pipe";
  pid_t pid = ::fork();
  if (pid < 0)
    return "ERR fork";
  if (pid == 0) {
    ::close(fds[0]);
    std::string report = body();
    std::size_t done = 0;
    while (done < report.size()) {
      ssize_t n = ::write(fds[1], report.data() + done, report.size() - done);
      if (n <= 0)
        ::syscall(SYS_exit_group, 2);
      done += static_cast<std::size_t>(n);
    }
    ::syscall(SYS_exit_group, 0);
    ::_exit(0); // not reached
  }
  ::close(fds[1]);
  std::string report;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0)
    report.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return "ERR child died: " + report;
  return report;
}

// The named lines of /proc/self/status ("CapEff", "Uid", ...), each "Key\tvalue".
inline std::string status_lines(std::initializer_list<const char *> keys) {
  std::ifstream status("/proc/self/status");
  std::map<std::string, std::string> found;
  for (std::string line; std::getline(status, line);) {
    auto colon = line.find(':');
    if (colon == std::string::npos)
      continue;
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    value.erase(value.find_last_not_of(" \t") + 1); // "Groups:\t10 20 " ends in a space
    found[line.substr(0, colon)] = value;
  }
  std::string out;
  for (const char *key : keys)
    out += std::string(key) + "\t" + found[key] + "\n";
  return out;
}

// Picks one "Key\tvalue" line out of a report.
inline std::string field(const std::string &report, const std::string &key) {
  std::istringstream lines(report);
  for (std::string line; std::getline(lines, line);)
    if (line.starts_with(key + "\t"))
      return line.substr(key.size() + 1);
  return "<missing " + key + ">";
}

} // namespace berth::test
