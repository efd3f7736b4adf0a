// Finding the program the init will exec, before start, so that a missing
// binary fails create rather than the container's first instant.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>

#include "linux/process_setup.hpp"

namespace berth::linux {

namespace {

constexpr std::string_view kDefaultPath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// The value of the last PATH= entry: runc builds its environment from the
// list with later entries replacing earlier ones.
std::string_view search_path(const std::vector<std::string> &env) {
  std::optional<std::string_view> path;
  for (const auto &entry : env)
    if (entry.starts_with("PATH="))
      path = std::string_view(entry).substr(5);
  return path.value_or(kDefaultPath);
}

// Why a path cannot be executed: `error` is 0 when it can; `at_stat` says the
// path itself is missing or unreachable rather than unfit.
struct Unfit {
  int error = 0;
  bool at_stat = false;
};

// Whether the mode bits let `user` execute a file with `st`: the lookup runs
// before the switch to the process' user (so that the exec is all that is left
// after the seccomp filter), and the kernel checks the same bits at execve.
// Root (uid 0) needs one execute bit, which faccessat has checked already.
bool user_may_execute(const struct stat &st, const spec::User &user) {
  if (user.uid == 0)
    return true;
  if (st.st_uid == user.uid)
    return (st.st_mode & S_IXUSR) != 0;
  bool in_group = st.st_gid == user.gid;
  for (auto gid : user.additional_gids)
    in_group = in_group || st.st_gid == gid;
  if (in_group)
    return (st.st_mode & S_IXGRP) != 0;
  return (st.st_mode & S_IXOTH) != 0;
}

Unfit check_executable(const std::string &path, const spec::User &user) {
  struct stat st {};
  if (::stat(path.c_str(), &st) < 0)
    return {errno, true};
  // execve refuses a directory, or anything but a regular file, with EACCES
  // (runc says "permission denied" for both, and Docker exits 126 on it).
  if (!S_ISREG(st.st_mode))
    return {EACCES};
  // What the kernel says for the caller (a noexec mount, a file without any
  // execute bit), then what the bits say for the process' user.
  if (::faccessat(AT_FDCWD, path.c_str(), X_OK, AT_EACCESS) < 0)
    return {errno};
  if (!user_may_execute(st, user))
    return {EACCES};
  return {};
}

std::string quoted(std::string_view program) {
  return "exec: \"" + std::string(program) + "\"";
}

} // namespace

Result<std::string> find_executable(const spec::Process &process) {
  if (process.args.empty() || process.args[0].empty())
    return fail("/process/args: no program to execute");
  const std::string &program = process.args[0];

  if (program.find('/') != std::string::npos) {
    Unfit unfit = check_executable(program, process.user);
    if (unfit.error != 0)
      return fail(Error::in_kernel_words(
          quoted(program) + (unfit.at_stat ? ": stat " + program : ""), unfit.error));
    return program;
  }

  std::string_view dirs = search_path(process.env);
  for (;;) {
    auto colon = dirs.find(':');
    std::string_view dir = dirs.substr(0, colon);
    // An empty PATH entry means the working directory, as in execvp.
    std::string candidate = (dir.empty() ? std::string(".") : std::string(dir)) + "/" + program;
    if (check_executable(candidate, process.user).error == 0)
      return candidate;
    if (colon == std::string_view::npos)
      break;
    dirs.remove_prefix(colon + 1);
  }
  return fail(quoted(program) + ": executable file not found in $PATH");
}

} // namespace berth::linux
