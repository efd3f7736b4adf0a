// The processes of a container's cgroup: listing and signalling them.
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <set>
#include <span>

#include "cgroup/cgroup_files.hpp"
#include "cgroup/manager_impl.hpp"
#include "sys/syscalls.hpp"

namespace berth::cgroup {
namespace {

void sort_unique(std::vector<pid_t> &pids) {
  std::sort(pids.begin(), pids.end());
  pids.erase(std::unique(pids.begin(), pids.end()), pids.end());
}

// A signal that makes processes fork (SIGCHLD handlers, restarts) could keep
// the list growing: a bounded number of rounds, each signalling the
// processes the previous ones did not see.
constexpr int kSignalRounds = 16;

// pidfds held at once while signalling, well under any RLIMIT_NOFILE.
constexpr std::size_t kPidfdBatch = 256;

Result<void> signal_batch(std::span<const pid_t> batch, int signal,
                          const std::function<Result<std::vector<pid_t>>()> &list) {
  std::vector<std::pair<pid_t, UniqueFd>> opened;
  for (pid_t pid : batch) {
    int fd = sys::pidfd_open_raw(pid);
    if (fd >= 0)
      opened.emplace_back(pid, UniqueFd(fd));
    else if (errno != ESRCH)
      return fail_errno("pidfd_open " + std::to_string(pid));
  }
  if (opened.empty())
    return {};
  BERTH_TRY_ASSIGN(auto listed, list());
  sort_unique(listed);
  for (auto &[pid, fd] : opened) {
    if (!std::binary_search(listed.begin(), listed.end(), pid))
      continue;
    if (sys::pidfd_send_signal_raw(fd.get(), signal) < 0 && errno != ESRCH)
      return fail_errno("signal process " + std::to_string(pid));
  }
  return {};
}

bool has_file(const std::string &path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

} // namespace

Result<std::vector<pid_t>> all_pids(const CgroupSet &cgroups) {
  std::vector<pid_t> pids;
  for (const auto &dir : cgroups.dirs) {
    auto listed = read_cgroup_procs_recursive(dir.dir());
    if (!listed) {
      if (listed.error().errno_value() == ENOENT)
        continue;
      return fail(std::move(listed).error());
    }
    pids.insert(pids.end(), listed->begin(), listed->end());
  }
  sort_unique(pids);
  return pids;
}

Result<void> signal_listed(const std::vector<pid_t> &pids, int signal,
                           const std::function<Result<std::vector<pid_t>>()> &list) {
  for (std::size_t start = 0; start < pids.size(); start += kPidfdBatch) {
    auto count = std::min(kPidfdBatch, pids.size() - start);
    BERTH_TRY(signal_batch(std::span<const pid_t>(pids).subspan(start, count), signal, list));
  }
  return {};
}

Result<std::vector<pid_t>> Manager::pids() const {
  const CgroupDir *dir = impl_->cgroups.listing();
  if (!dir)
    return std::vector<pid_t>();
  BERTH_TRY_ASSIGN(auto pids, read_cgroup_procs_recursive(dir->dir()));
  sort_unique(pids);
  return pids;
}

Result<void> Manager::signal_all(int signal) const {
  const CgroupSet &cgroups = impl_->cgroups;
  const CgroupDir *unified = cgroups.unified();
  // cgroup.kill (Linux 5.14) kills the whole subtree at once, forks and all.
  if (signal == SIGKILL && unified && has_file(unified->dir() + "/cgroup.kill")) {
    BERTH_TRY(write_cgroup_file(unified->dir(), "cgroup.kill", "1"));
    // Alone it suffices where the unified hierarchy is the only one.
    if (cgroups.dirs.size() == 1)
      return {};
  }
  auto list = [this] { return pids(); };
  std::set<pid_t> signalled;
  for (int round = 0; round < kSignalRounds; ++round) {
    BERTH_TRY_ASSIGN(auto current, pids());
    std::vector<pid_t> fresh;
    for (pid_t pid : current)
      if (!signalled.contains(pid))
        fresh.push_back(pid);
    if (fresh.empty())
      return {};
    BERTH_TRY_CTX(signal_listed(fresh, signal, list), "signal the container's processes");
    signalled.insert(fresh.begin(), fresh.end());
  }
  return {};
}

} // namespace berth::cgroup
