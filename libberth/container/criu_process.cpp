#include "container/criu_process.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "container/criu_args.hpp"
#include "sys/syscalls.hpp"
#include "sys/text.hpp"
#include "sys/unique_fd.hpp"

namespace berth::container {
namespace {

bool is_executable_file(const std::string &path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// The child between fork and exec. berth is single-threaded, so the cgroup
// write may allocate. Whatever goes wrong is sent up `errors` as text.
std::string place(const CriuPlacement &placement) {
  if (placement.cgroup) {
    if (auto moved = placement.cgroup->add_process(::getpid()); !moved)
      return "move criu into the container's cgroup: " + moved.error().message();
  }
  if (!placement.rootfs.empty()) {
    if (::unshare(CLONE_NEWNS) < 0)
      return std::string("unshare the mount namespace for criu: ") + std::strerror(errno);
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0)
      return std::string("make criu's mounts private: ") + std::strerror(errno);
    if (::mount(placement.rootfs.c_str(), placement.root_target.c_str(), nullptr, MS_BIND | MS_REC,
                nullptr) < 0)
      return "bind the rootfs " + placement.rootfs + " for criu: " + std::strerror(errno);
  }
  return {};
}

[[noreturn]] void exec_criu(const std::vector<std::string> &args, const CriuPlacement &placement,
                            int errors) {
  std::string message = place(placement);
  if (message.empty()) {
    int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null >= 0)
      ::dup2(null, STDIN_FILENO);
    std::vector<char *> argv;
    for (const auto &arg : args)
      argv.push_back(const_cast<char *>(arg.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    message = "exec " + args[0] + ": " + std::strerror(errno);
  }
  (void)!::write(errors, message.data(), message.size());
  ::_exit(127);
}

Result<std::string> absolute(const std::string &path) {
  if (path.starts_with('/'))
    return path;
  char cwd[4096];
  if (!::getcwd(cwd, sizeof cwd))
    return fail_errno("getcwd");
  return std::string(cwd) + "/" + path;
}

Result<void> make_dir(const std::string &path, std::string_view what) {
  if (::mkdir(path.c_str(), 0700) < 0 && errno != EEXIST)
    return fail_errno(std::string(what) + " " + path);
  return {};
}

Result<void> require_dir(const std::string &path, std::string_view what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) < 0)
    return fail_errno(std::string(what) + " " + path);
  if (!S_ISDIR(st.st_mode))
    return fail(std::string(what) + " " + path + " is not a directory");
  return {};
}

} // namespace

Result<CriuOptions> criu_directories(const CriuFlags &flags, bool dump) {
  CriuOptions options;
  BERTH_TRY_ASSIGN(options.image_path,
                   absolute(flags.image_path.empty() ? "checkpoint" : flags.image_path));
  BERTH_TRY_ASSIGN(options.work_path, flags.work_path.empty()
                                          ? Result<std::string>(options.image_path)
                                          : absolute(flags.work_path));
  if (dump)
    BERTH_TRY(make_dir(options.image_path, "--image-path"));
  BERTH_TRY(require_dir(options.image_path, "--image-path"));
  BERTH_TRY(make_dir(options.work_path, "--work-path"));
  BERTH_TRY(require_dir(options.work_path, "--work-path"));
  options.tcp_established = flags.tcp_established;
  options.file_locks = flags.file_locks;
  options.ext_unix_sk = flags.ext_unix_sk;
  options.shell_job = flags.shell_job;
  return options;
}

Result<std::string> find_criu(const std::string &criu) {
  if (criu.find('/') != std::string::npos) {
    if (is_executable_file(criu))
      return criu;
    return fail("criu not found at " + criu + " (--criu)");
  }
  std::string path = ::getenv("PATH") ? ::getenv("PATH") : "";
  path += ":/usr/sbin:/sbin";
  std::string_view rest = path;
  while (!rest.empty()) {
    auto colon = rest.find(':');
    std::string_view dir = rest.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
    if (dir.empty())
      continue;
    std::string candidate = std::string(dir) + "/" + criu;
    if (is_executable_file(candidate))
      return candidate;
  }
  return fail("checkpoint and restore need criu, and \"" + criu +
              "\" is not in PATH, /usr/sbin or /sbin: install criu or give its path with --criu");
}

Result<void> run_criu(const std::vector<std::string> &args, const std::string &log_path,
                      const CriuPlacement &placement) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0)
    return fail_errno("pipe");
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  pid_t pid = ::fork();
  if (pid < 0)
    return fail_errno("fork to run criu");
  if (pid == 0)
    exec_criu(args, placement, write_end.get());
  write_end.reset();
  auto child_error = sys::read_fd(read_end.get(), 4096);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return fail_errno("wait for criu");
  if (child_error && !child_error->empty())
    return fail(*child_error);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return {};
  std::string what = "criu " + (args.size() > 1 ? args[1] : std::string()) + " failed";
  auto log = sys::read_file(log_path, 16u << 20);
  if (!log)
    return fail(what + " (" +
                (WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                   : "killed by signal " + std::to_string(WTERMSIG(status))) +
                ") and left no log at " + log_path);
  return fail(what + ": " + criu_log_summary(*log) + " (log: " + log_path + ")");
}

} // namespace berth::container
