#include "container/process_scan.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <string>

#include "sys/syscalls.hpp"

namespace berth::container {
namespace {

std::vector<int> all_pids() {
  std::vector<int> pids;
  DIR *proc = ::opendir("/proc");
  if (!proc)
    return pids;
  while (dirent *entry = ::readdir(proc)) {
    char *end = nullptr;
    long pid = std::strtol(entry->d_name, &end, 10);
    if (*end == '\0' && pid > 0)
      pids.push_back(static_cast<int>(pid));
  }
  ::closedir(proc);
  return pids;
}

bool same_pid_namespace(int pid, const struct stat &ns) {
  struct stat st {};
  return ::stat(("/proc/" + std::to_string(pid) + "/ns/pid").c_str(), &st) == 0 &&
         st.st_dev == ns.st_dev && st.st_ino == ns.st_ino;
}

// The parent pid from /proc/<pid>/stat ("pid (comm) S ppid ..."); comm may
// hold spaces and parentheses, so the last ')' ends it.
int parent_of(int pid) {
  auto stat = sys::read_file("/proc/" + std::to_string(pid) + "/stat", 4096);
  if (!stat)
    return 0;
  auto close = stat->rfind(')');
  if (close == std::string::npos || close + 4 >= stat->size())
    return 0;
  return std::atoi(stat->c_str() + close + 4);
}

} // namespace

Result<std::vector<int>> processes_without_cgroup(const StoredState &state) {
  std::vector<int> found;
  if (!is_alive(state.init))
    return found;
  int init = state.init.pid;
  if (state.own_pid_namespace) {
    struct stat ns {};
    if (::stat(("/proc/" + std::to_string(init) + "/ns/pid").c_str(), &ns) < 0)
      return fail_errno("read the pid namespace of the container's init " + std::to_string(init));
    for (int pid : all_pids())
      if (same_pid_namespace(pid, ns))
        found.push_back(pid);
  } else {
    std::vector<int> pids = all_pids();
    std::vector<int> parents;
    for (int pid : pids)
      parents.push_back(parent_of(pid));
    found.push_back(init);
    // Breadth-first over the parent links: each round adds the children of
    // what was found so far.
    for (std::size_t next = 0; next < found.size(); ++next)
      for (std::size_t i = 0; i < pids.size(); ++i)
        if (parents[i] == found[next] && pids[i] != init)
          found.push_back(pids[i]);
  }
  std::sort(found.begin(), found.end());
  // Read by pid: only valid if the init still lived afterwards.
  if (!is_alive(state.init))
    return std::vector<int>{};
  return found;
}

} // namespace berth::container
