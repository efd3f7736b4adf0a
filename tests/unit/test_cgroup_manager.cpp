// cgroup::Manager on the real kernel (as root): a uniquely named cgroup in
// every hierarchy of this host (v1, hybrid, or v2 alike), limits written and
// read back, processes placed, listed, frozen, thawed, signalled, and the
// directories gone after destroy(). One test repeats the v2 paths in a
// private mount namespace with cgroup2 mounted over /sys/fs/cgroup (on a
// hybrid host a pure v2 view holding what the unified hierarchy has).
//
// The fixture's teardown removes whatever a failed test left behind: it
// thaws, kills and removes every directory below the test's own names.
#include <criterion/criterion.h>

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cgroup/manager.hpp"
#include "cgroup/manager_impl.hpp"
#include "fork_child.hpp"
#include "string_assert.hpp"
#include "sys/syscalls.hpp"
#include "json/value.hpp"

using namespace berth;
using namespace berth::cgroup;

namespace {

// ---- cleanup -------------------------------------------------------------

std::vector<std::string> g_cleanup; // top directories of this test's cgroups

bool exists(const std::string &path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

std::string read_trimmed(const std::string &path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string value = text.str();
  while (!value.empty() && (value.back() == '\n' || value.back() == ' '))
    value.pop_back();
  return value;
}

void write_quietly(const std::string &path, const char *value) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return;
  (void)!::write(fd, value, std::strlen(value));
  ::close(fd);
}

void remove_tree(const std::string &dir) {
  if (DIR *stream = ::opendir(dir.c_str())) {
    std::vector<std::string> children;
    while (auto *entry = ::readdir(stream))
      if (entry->d_type == DT_DIR && std::strcmp(entry->d_name, ".") != 0 &&
          std::strcmp(entry->d_name, "..") != 0)
        children.push_back(dir + "/" + entry->d_name);
    ::closedir(stream);
    for (const auto &child : children)
      remove_tree(child);
  }
  write_quietly(dir + "/freezer.state", "THAWED");
  write_quietly(dir + "/cgroup.freeze", "0");
  for (int attempt = 0; attempt < 100 && exists(dir); ++attempt) {
    std::istringstream pids(read_trimmed(dir + "/cgroup.procs"));
    for (pid_t pid; pids >> pid;)
      ::kill(pid, SIGKILL);
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void cleanup() {
  for (auto dir = g_cleanup.rbegin(); dir != g_cleanup.rend(); ++dir)
    remove_tree(*dir);
}

std::string unique_name() {
  static int counter = 0;
  return "berth-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

// ---- processes -------------------------------------------------------------

// Allocates and writes every page (volatile: the compiler may not drop it).
void touch_memory(std::size_t bytes) {
  auto *block = static_cast<volatile char *>(::malloc(bytes));
  for (std::size_t offset = 0; block && offset < bytes; offset += 4096)
    block[offset] = 1;
}

[[noreturn]] void spin() {
  volatile unsigned long counter = 0;
  for (;;)
    counter = counter + 1;
}

// A forked child that the test kills; reaped (and killed if still alive)
// when the guard goes. It stops itself at once, so that the test places it
// in a cgroup before it does anything (a forker's children join with it).
class Child {
public:
  enum class Kind { Sleeper, Spinner, Forker, Toucher };
  explicit Child(Kind kind) {
    pid_ = ::fork();
    if (pid_ == 0) {
      ::raise(SIGSTOP);
      if (kind == Kind::Forker)
        for (int i = 0; i < 4; ++i)
          if (::fork() == 0)
            break;
      if (kind == Kind::Spinner)
        spin();
      if (kind == Kind::Toucher) {
        constexpr std::size_t kBytes = 8 << 20;
        touch_memory(kBytes);
      }
      for (;;)
        ::pause();
    }
    int status = 0;
    ::waitpid(pid_, &status, WUNTRACED);
  }
  Child(const Child &) = delete;
  Child &operator=(const Child &) = delete;
  ~Child() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  void start() { ::kill(pid_, SIGCONT); }
  // The wait status, waiting at most a few seconds.
  int wait() {
    int status = 0;
    for (int i = 0; i < 500; ++i) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        reaped_ = true;
        return status;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
  }

private:
  pid_t pid_ = -1;
  bool reaped_ = false;
};

// /proc/<pid>/stat: the state letter and utime + stime.
char process_state(pid_t pid) {
  auto stat = read_trimmed("/proc/" + std::to_string(pid) + "/stat");
  auto close = stat.rfind(')');
  return close == std::string::npos || close + 2 >= stat.size() ? '?' : stat[close + 2];
}

unsigned long cpu_ticks(pid_t pid) {
  auto stat = read_trimmed("/proc/" + std::to_string(pid) + "/stat");
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string field;
  unsigned long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14)
      utime = std::stoul(field);
    if (i == 15)
      stime = std::stoul(field);
  }
  return utime + stime;
}

bool contains(const std::vector<pid_t> &pids, pid_t pid) {
  return std::find(pids.begin(), pids.end(), pid) != pids.end();
}

// Until the process's CPU time moves (or a second passed): whether it did.
bool cpu_advances(pid_t pid) {
  auto before = cpu_ticks(pid);
  for (int i = 0; i < 10; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (cpu_ticks(pid) != before)
      return true;
  }
  return false;
}

// ---- the cgroup under test ---------------------------------------------------

#define ASSERT_OK(result)                                                                          \
  do {                                                                                             \
    auto &&checked_ = (result);                                                                    \
    cr_assert(checked_.has_value(), "%s: %s", #result,                                             \
              checked_ ? "" : checked_.error().message().c_str());                                 \
  } while (0)

spec::Config config_with(std::optional<std::string> cgroups_path,
                         std::optional<spec::Resources> resources = std::nullopt) {
  spec::Config config;
  config.linux = spec::Linux{};
  config.linux->cgroups_path = std::move(cgroups_path);
  config.linux->resources = std::move(resources);
  return config;
}

spec::Resources memory_and_pids(std::int64_t memory, std::int64_t pids) {
  spec::Resources resources;
  resources.memory = spec::MemoryResources{};
  resources.memory->limit = memory;
  resources.pids_limit = pids;
  return resources;
}

struct Placed {
  std::string mount_point;
  std::string path;
  std::vector<std::string> created;
  std::string dir() const { return mount_point + path; }
};

// The directories a manager describes.
std::vector<Placed> placed(const Manager &manager) {
  std::vector<Placed> dirs;
  auto description = manager.describe();
  for (const auto &entry : description.find("hierarchies")->items()) {
    Placed dir{entry.find("mount_point")->text(), entry.find("path")->text(), {}};
    for (const auto &created : entry.find("created")->items())
      dir.created.push_back(created.text());
    dirs.push_back(std::move(dir));
  }
  return dirs;
}

// Registers the test's top directory in every hierarchy before anything is
// created, so that teardown finds it whatever fails.
void register_cleanup(const Manager &manager, const std::string &name) {
  for (const auto &dir : placed(manager)) {
    auto full = dir.dir();
    auto at = full.find("/" + name);
    if (at != std::string::npos)
      g_cleanup.push_back(full.substr(0, at + 1 + name.size()));
  }
}

HostHierarchies host() {
  auto found = discover_hierarchies();
  cr_assert(found.has_value(), "%s", found ? "" : found.error().message().c_str());
  return std::move(*found);
}

Manager manager_for(const HostHierarchies &hierarchies, const spec::Config &config,
                    const std::string &id, const std::string &name) {
  auto manager = Manager::for_container(hierarchies, config, id);
  cr_assert(manager.has_value(), "%s", manager ? "" : manager.error().message().c_str());
  register_cleanup(*manager, name);
  return std::move(*manager);
}

void skip_unless_root() {
  if (::geteuid() != 0)
    cr_skip_test("needs root to create cgroups");
}

const json::Value *member(const json::Value &object, std::initializer_list<const char *> keys) {
  const json::Value *value = &object;
  for (const char *key : keys) {
    value = value->find(key);
    if (!value)
      return nullptr;
  }
  return value;
}

std::uint64_t number_at(const json::Value &object, std::initializer_list<const char *> keys) {
  const json::Value *value = member(object, keys);
  cr_assert(value && value->to_uint64(), "no number at %s", std::string(*keys.begin()).c_str());
  return *value->to_uint64();
}

// Polls until the cgroup holds `count` processes (or two seconds passed).
std::size_t wait_for_processes(const Manager &manager, std::size_t count) {
  std::size_t seen = 0;
  for (int i = 0; i < 200 && seen != count; ++i) {
    auto pids = manager.pids();
    cr_assert(pids.has_value(), "%s", pids ? "" : pids.error().message().c_str());
    seen = pids->size();
    if (seen != count)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return seen;
}

} // namespace

TestSuite(cgroup_manager, .fini = cleanup);

Test(cgroup_manager, lifecycle_on_this_host) {
  skip_unless_root();
  auto hierarchies = host();
  auto name = unique_name();
  auto manager = manager_for(hierarchies, config_with("/" + name + "/ctr"), "ctr", name);
  ASSERT_OK(manager.create());

  auto dirs = placed(manager);
  cr_assert(!dirs.empty());
  for (const auto &dir : dirs) {
    cr_expect(exists(dir.dir()), "%s was not created", dir.dir().c_str());
    cr_expect_eq(dir.created.size(), 2u, "%s: both levels are berth's", dir.dir().c_str());
  }
  // A new v1 cpuset cgroup gets its parent's cpus and mems at every level.
  if (const Hierarchy *cpuset = hierarchies.owner_of("cpuset");
      cpuset && cpuset->version == Version::V1) {
    auto leaf = cpuset->mount_point + "/" + name + "/ctr";
    cr_expect(!read_trimmed(leaf + "/cpuset.cpus").empty());
    cr_expect(!read_trimmed(leaf + "/cpuset.mems").empty());
  }

  ASSERT_OK(manager.apply(memory_and_pids(64 << 20, 32)));
  const Hierarchy *memory = hierarchies.owner_of("memory");
  const Hierarchy *pids = hierarchies.owner_of("pids");
  cr_assert(memory && pids, "this test wants memory and pids controllers");
  auto memory_file = memory->version == Version::V1 ? "/memory.limit_in_bytes" : "/memory.max";
  BERTH_ASSERT_STR_EQ(read_trimmed(memory->mount_point + "/" + name + "/ctr" + memory_file),
                      "67108864");
  BERTH_ASSERT_STR_EQ(read_trimmed(pids->mount_point + "/" + name + "/ctr/pids.max"), "32");
  // A new container's device rules: default deny, the default devices allowed.
  if (const Hierarchy *devices = hierarchies.owner_of("devices")) {
    auto list = read_trimmed(devices->mount_point + "/" + name + "/ctr/devices.list");
    cr_expect(list.find("c 1:3 rwm") != std::string::npos, "%s", list.c_str());
    cr_expect(list.find("a *:* rwm") == std::string::npos, "%s", list.c_str());
  }

  Child child(Child::Kind::Spinner);
  ASSERT_OK(manager.add_process(child.pid()));
  child.start();
  auto listed = manager.pids();
  ASSERT_OK(listed);
  cr_expect(contains(*listed, child.pid()));
  // In every hierarchy of the container: one /proc/<pid>/cgroup line each.
  std::istringstream own(read_trimmed("/proc/" + std::to_string(child.pid()) + "/cgroup"));
  std::size_t placed_in = 0;
  for (std::string line; std::getline(own, line);)
    placed_in += line.ends_with(":/" + name + "/ctr") ? 1 : 0;
  cr_expect_eq(placed_in, dirs.size());

  ASSERT_OK(manager.freeze());
  auto frozen = manager.frozen();
  ASSERT_OK(frozen);
  cr_expect(*frozen);
  cr_expect(!cpu_advances(child.pid()), "a frozen process must not run");
  // What this kernel shows: the v1 freezer parks tasks in an uninterruptible
  // wait ('D'); v2's freezer traps them in an interruptible one ('S').
  const Hierarchy *freezer = hierarchies.owner_of("freezer");
  bool v1_freezer = freezer && freezer->version == Version::V1;
  cr_expect_eq(process_state(child.pid()), v1_freezer ? 'D' : 'S', "state %c",
               process_state(child.pid()));
  if (v1_freezer)
    BERTH_ASSERT_STR_EQ(read_trimmed(freezer->mount_point + "/" + name + "/ctr/freezer.state"),
                        "FROZEN");

  ASSERT_OK(manager.thaw());
  frozen = manager.frozen();
  ASSERT_OK(frozen);
  cr_expect(!*frozen);
  cr_expect(cpu_advances(child.pid()), "a thawed process runs again");

  ASSERT_OK(manager.signal_all(SIGKILL));
  int status = child.wait();
  cr_expect(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "status %d", status);

  ASSERT_OK(manager.destroy());
  for (const auto &dir : dirs)
    cr_expect(!exists(dir.mount_point + "/" + name), "%s/%s is left", dir.mount_point.c_str(),
              name.c_str());
  ASSERT_OK(manager.destroy()); // idempotent
}

Test(cgroup_manager, stats_and_oom_kills) {
  skip_unless_root();
  auto hierarchies = host();
  auto name = unique_name();
  auto manager = manager_for(hierarchies, config_with("/" + name), "c", name);
  ASSERT_OK(manager.create());
  ASSERT_OK(manager.apply(memory_and_pids(32 << 20, 32)));

  Child sleeper(Child::Kind::Sleeper);
  ASSERT_OK(manager.add_process(sleeper.pid()));
  sleeper.start();
  auto stats = manager.stats();
  ASSERT_OK(stats);
  const auto &data = stats->data;
  cr_expect_eq(number_at(data, {"memory", "usage", "limit"}), 32u << 20);
  cr_expect(member(data, {"memory", "usage", "usage"}));
  cr_expect(member(data, {"memory", "raw"}));
  cr_expect_eq(number_at(data, {"pids", "current"}), 1u);
  cr_expect_eq(number_at(data, {"pids", "limit"}), 32u);
  cr_expect(member(data, {"cpu", "usage", "total"}), "%s", json::serialize(data).c_str());
  cr_expect(member(data, {"blkio"}));
  auto ooms = manager.oom_kill_count();
  ASSERT_OK(ooms);
  cr_expect_eq(*ooms, 0u);

  // A process that touches more than the limit is OOM-killed, and counted.
  pid_t hog = ::fork();
  if (hog == 0) {
    ::raise(SIGSTOP); // joins the cgroup before it allocates
    for (;;)
      touch_memory(1 << 20);
  }
  int status = 0;
  ::waitpid(hog, &status, WUNTRACED);
  ASSERT_OK(manager.add_process(hog));
  ::kill(hog, SIGCONT);
  ::waitpid(hog, &status, 0);
  cr_expect(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "hog status %d", status);
  ooms = manager.oom_kill_count();
  ASSERT_OK(ooms);
  cr_expect_geq(*ooms, 1u);
  ASSERT_OK(manager.destroy());
}

Test(cgroup_manager, relative_path_under_berths_own_cgroup) {
  skip_unless_root();
  auto hierarchies = host();
  auto name = unique_name();
  auto manager = manager_for(hierarchies, config_with(std::nullopt), name, name);
  ASSERT_OK(manager.create());
  auto dirs = placed(manager);
  for (const auto &hierarchy : hierarchies.hierarchies) {
    for (const auto &dir : dirs) {
      if (dir.mount_point != hierarchy.mount_point)
        continue;
      std::string own = hierarchy.own_cgroup == "/" ? "" : hierarchy.own_cgroup;
      BERTH_ASSERT_STR_EQ(dir.path, own + "/" + name);
      cr_expect(exists(dir.dir()));
    }
  }
  ASSERT_OK(manager.destroy());
  for (const auto &dir : dirs)
    cr_expect(!exists(dir.dir()));
}

Test(cgroup_manager, keeps_a_parent_it_did_not_create) {
  skip_unless_root();
  auto hierarchies = host();
  auto name = unique_name();
  auto manager = manager_for(hierarchies, config_with("/" + name + "/a/ctr"), "ctr", name);
  for (const auto &dir : placed(manager))
    cr_assert(::mkdir((dir.mount_point + "/" + name).c_str(), 0755) == 0);
  ASSERT_OK(manager.create());
  for (const auto &dir : placed(manager)) {
    cr_assert_eq(dir.created.size(), 2u);
    BERTH_ASSERT_STR_EQ(dir.created.front(), "/" + name + "/a");
  }
  ASSERT_OK(manager.destroy());
  for (const auto &dir : placed(manager)) {
    cr_expect(exists(dir.mount_point + "/" + name), "the parent was there before");
    cr_expect(!exists(dir.mount_point + "/" + name + "/a"));
  }
}

Test(cgroup_manager, reopened_from_its_description) {
  skip_unless_root();
  auto hierarchies = host();
  auto name = unique_name();
  auto first = manager_for(hierarchies, config_with("/" + name + "/x"), "x", name);
  ASSERT_OK(first.create());
  Child child(Child::Kind::Forker);
  ASSERT_OK(first.add_process(child.pid()));
  child.start();
  auto text = json::serialize(first.describe());
  auto parsed = json::parse(text);
  ASSERT_OK(parsed);
  auto reopened = Manager::from_description(*parsed);
  ASSERT_OK(reopened);
  BERTH_ASSERT_STR_EQ(json::serialize(reopened->describe()), text);

  // The forker's children joined with it.
  cr_expect_eq(wait_for_processes(*reopened, 5), 5u);
  // A paused container is deleted: thawed, killed, removed.
  ASSERT_OK(reopened->freeze());
  ASSERT_OK(reopened->destroy());
  cr_expect(WIFSIGNALED(child.wait()));
  for (const auto &dir : placed(first))
    cr_expect(!exists(dir.mount_point + "/" + name));
}

Test(cgroup_manager, signal_all_reaches_every_process) {
  skip_unless_root();
  auto hierarchies = host();
  auto name = unique_name();
  auto manager = manager_for(hierarchies, config_with("/" + name), "c", name);
  ASSERT_OK(manager.create());
  Child child(Child::Kind::Forker);
  ASSERT_OK(manager.add_process(child.pid()));
  child.start();
  cr_expect_eq(wait_for_processes(manager, 5), 5u);
  ASSERT_OK(manager.signal_all(SIGTERM));
  int status = child.wait();
  cr_expect(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM, "status %d", status);
  std::vector<pid_t> left = {0};
  for (int i = 0; i < 200 && !left.empty(); ++i) {
    auto pids = manager.pids();
    ASSERT_OK(pids);
    left = *pids;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  cr_expect(left.empty(), "the forker's children got SIGTERM too");
  ASSERT_OK(manager.destroy());
}

Test(cgroup_manager, update_changes_live_limits_and_checks_usage) {
  skip_unless_root();
  auto hierarchies = host();
  auto name = unique_name();
  auto manager = manager_for(hierarchies, config_with("/" + name), "c", name);
  ASSERT_OK(manager.create());
  ASSERT_OK(manager.apply(memory_and_pids(64 << 20, 32)));
  Child toucher(Child::Kind::Toucher);
  ASSERT_OK(manager.add_process(toucher.pid()));
  toucher.start();

  const Hierarchy *memory = hierarchies.owner_of("memory");
  const Hierarchy *pids = hierarchies.owner_of("pids");
  cr_assert(memory && pids);
  auto memory_file = memory->mount_point + "/" + name +
                     (memory->version == Version::V1 ? "/memory.limit_in_bytes" : "/memory.max");
  spec::Resources changed;
  changed.pids_limit = 64;
  ASSERT_OK(manager.update(changed));
  BERTH_ASSERT_STR_EQ(read_trimmed(pids->mount_point + "/" + name + "/pids.max"), "64");
  BERTH_ASSERT_STR_EQ(read_trimmed(memory_file), "67108864"); // untouched

  // Below what the process uses (8 MiB touched): refused, limit unchanged.
  auto usage_file = memory->version == Version::V1 ? "/memory.usage_in_bytes" : "/memory.current";
  for (int i = 0; i < 200; ++i) {
    if (std::stoull(read_trimmed(memory->mount_point + "/" + name + usage_file)) > (4u << 20))
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  spec::Resources tight;
  tight.memory = spec::MemoryResources{};
  tight.memory->limit = 1 << 20;
  tight.memory->check_before_update = true;
  auto refused = manager.update(tight);
  cr_assert(!refused.has_value());
  cr_expect(refused.error().message().find("below the current usage") != std::string::npos, "%s",
            refused.error().message().c_str());
  BERTH_ASSERT_STR_EQ(read_trimmed(memory_file), "67108864");
  ASSERT_OK(manager.destroy());
}

Test(cgroup_manager, destroy_removes_cgroups_made_inside) {
  skip_unless_root();
  auto hierarchies = host();
  auto name = unique_name();
  auto manager = manager_for(hierarchies, config_with("/" + name), "c", name);
  ASSERT_OK(manager.create());
  Child child(Child::Kind::Sleeper);
  // As a container's own systemd would: a cgroup below its cgroup, holding
  // a process.
  for (const auto &dir : placed(manager)) {
    auto inner = dir.dir() + "/inner";
    cr_assert(::mkdir(inner.c_str(), 0755) == 0);
    cr_assert(::mkdir((inner + "/deeper").c_str(), 0755) == 0);
    for (const char *file : {"/cpuset.cpus", "/cpuset.mems"})
      if (exists(inner + file))
        std::ofstream(inner + file) << read_trimmed(dir.dir() + file);
    std::ofstream(inner + "/cgroup.procs") << child.pid();
  }
  child.start();
  auto listed = manager.pids();
  ASSERT_OK(listed);
  cr_expect(contains(*listed, child.pid()));
  ASSERT_OK(manager.destroy());
  cr_expect(WIFSIGNALED(child.wait()));
  for (const auto &dir : placed(manager))
    cr_expect(!exists(dir.dir()), "%s is left", dir.dir().c_str());
}

Test(cgroup_manager, refuses_a_description_that_is_not_a_container_cgroup) {
  auto description = [](const char *hierarchy) {
    auto parsed = json::parse(std::string(R"({"hierarchies":[)") + hierarchy + "]}");
    cr_assert(parsed.has_value());
    return Manager::from_description(*parsed);
  };
  cr_expect(description(R"({"version":2,"mount_point":"/sys/fs/cgroup","path":"/c1",)"
                        R"("created":["/c1"]})")
                .has_value());
  for (const char *bad : {
           R"({"version":2,"mount_point":"/sys/fs/cgroup","path":"/a/../b","created":[]})",
           R"({"version":2,"mount_point":"/sys/fs/cgroup","path":"/","created":[]})",
           R"({"version":2,"mount_point":"/sys/fs/cgroup","path":"/c1","created":["/etc"]})",
           R"({"version":3,"mount_point":"/sys/fs/cgroup","path":"/c1","created":[]})",
           R"({"version":1,"mount_point":"sys/fs/cgroup","path":"/c1","created":[]})",
           R"({"version":1,"path":"/c1"})",
       })
    cr_expect(!description(bad).has_value(), "%s was accepted", bad);
  cr_expect(!Manager::from_description(json::Value::object()).has_value());
}

Test(cgroup_manager, a_config_path_must_stay_in_the_hierarchy) {
  auto hierarchies = host();
  for (const char *path : {"../escape", "/a/../../b", "/"}) {
    auto manager = Manager::for_container(hierarchies, config_with(path), "c");
    cr_expect(!manager.has_value(), "%s was accepted", path);
  }
}

// The v2 paths: cgroup.freeze, cgroup.kill, CLONE_INTO_CGROUP, the device
// program, and a limit for a controller the hierarchy lacks.
Test(cgroup_manager, unified_view_in_a_private_mount_namespace) {
  skip_unless_root();
  auto hierarchies = host();
  const Hierarchy *unified = hierarchies.unified();
  if (!unified)
    cr_skip_test("no cgroup v2 hierarchy on this host");
  auto name = unique_name();
  g_cleanup.push_back(unified->mount_point + "/" + name);
  bool has_pids = unified->owns("pids");

  std::string report = test::run_in_child([&]() -> std::string {
    if (::unshare(CLONE_NEWNS) < 0 ||
        ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0)
      return "ERR private mount namespace";
    if (hierarchies.is_pure_v2() == false &&
        ::mount("none", "/sys/fs/cgroup", "cgroup2", 0, nullptr) < 0)
      return std::string("ERR mount cgroup2: ") + std::strerror(errno);
    auto view = discover_hierarchies();
    if (!view)
      return "ERR discover: " + view.error().message();
    if (!view->is_pure_v2() || view->hierarchies.size() != 1)
      return "ERR the view is not pure v2";
    auto manager = Manager::for_container(*view, config_with("/" + name), "c");
    if (!manager)
      return "ERR for_container: " + manager.error().message();
    if (auto created = manager->create(); !created)
      return "ERR create: " + created.error().message();
    std::string out;
    if (auto applied = manager->apply(spec::Resources{}); !applied)
      out += "ERR apply devices: " + applied.error().message() + "\n";
    if (!has_pids) {
      spec::Resources pids;
      pids.pids_limit = 10;
      auto refused = manager->apply(pids);
      out +=
          refused ? "pids limit accepted\n" : "pids refused: " + refused.error().message() + "\n";
    }

    int fd = manager->clone_into_fd();
    if (fd < 0)
      return out + "ERR no clone_into_fd";
    struct clone_args args {};
    args.flags = CLONE_INTO_CGROUP;
    args.exit_signal = SIGCHLD;
    args.cgroup = static_cast<std::uint64_t>(fd);
    long pid = sys::clone3_raw(&args);
    if (pid == 0)
      spin();
    if (pid < 0)
      return out + "ERR clone3: " + std::strerror(errno);
    auto child = static_cast<pid_t>(pid);
    auto listed = manager->pids();
    out += listed && contains(*listed, child) ? "placed by clone3\n" : "ERR not placed\n";
    if (auto frozen = manager->freeze(); !frozen)
      out += "ERR freeze: " + frozen.error().message() + "\n";
    auto events = read_trimmed("/sys/fs/cgroup/" + name + "/cgroup.events");
    out += events.find("frozen 1") != std::string::npos ? "events frozen\n" : "ERR " + events;
    out += cpu_advances(child) ? "ERR ran while frozen\n" : "stopped\n";
    out += std::string("state ") + process_state(child) + "\n";
    if (auto thawed = manager->thaw(); !thawed)
      out += "ERR thaw: " + thawed.error().message() + "\n";
    out += cpu_advances(child) ? "runs again\n" : "ERR still stopped\n";
    if (auto killed = manager->signal_all(SIGKILL); !killed)
      out += "ERR signal_all: " + killed.error().message() + "\n";
    int status = 0;
    ::waitpid(child, &status, 0);
    out += WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL ? "killed\n" : "ERR not killed\n";
    if (auto destroyed = manager->destroy(); !destroyed)
      out += "ERR destroy: " + destroyed.error().message() + "\n";
    out += exists("/sys/fs/cgroup/" + name) ? "ERR left\n" : "removed\n";
    return out;
  });
  cr_expect(report.find("ERR") == std::string::npos, "%s", report.c_str());
  for (const char *step : {"placed by clone3", "events frozen", "stopped", "state S", "runs again",
                           "killed", "removed"})
    cr_expect(report.find(step) != std::string::npos, "%s missing in:\n%s", step, report.c_str());
  if (!has_pids)
    cr_expect(report.find("pids refused: /linux/resources/pids") != std::string::npos, "%s",
              report.c_str());
  cr_expect(!exists(unified->mount_point + "/" + name));
}

// ---- v2 controller delegation, on a directory tree that imitates one -------

namespace {

// A stand-in for a v2 hierarchy: regular files take writes from offset 0, so
// each cgroup.subtree_control below receives at most one write.
struct FakeTree {
  std::string root;
  FakeTree() {
    char name[] = "/tmp/berth-fake-cgroup-XXXXXX";
    cr_assert(::mkdtemp(name));
    root = name;
    for (const char *level : {"/a", "/a/b", "/a/b/c"})
      cr_assert(::mkdir((root + level).c_str(), 0755) == 0);
  }
  ~FakeTree() {
    for (const char *level : {"/a/b/c", "/a/b", "/a", ""}) {
      for (const char *file : {"/cgroup.controllers", "/cgroup.subtree_control"})
        ::unlink((root + level + file).c_str());
      ::rmdir((root + level).c_str());
    }
  }
  void set(const std::string &level, const char *controllers, const char *enabled) const {
    std::ofstream(root + level + "/cgroup.controllers") << controllers;
    std::ofstream(root + level + "/cgroup.subtree_control") << enabled;
  }
  std::string enabled(const std::string &level) const {
    return read_trimmed(root + level + "/cgroup.subtree_control");
  }
  CgroupDir dir() const {
    CgroupDir dir;
    dir.hierarchy.mount_point = root;
    dir.path = "/a/b/c";
    dir.created = {"/a/b", "/a/b/c"}; // "/a" was there before
    return dir;
  }
};

} // namespace

Test(cgroup_delegation, needed_controllers_down_to_the_parent) {
  FakeTree tree;
  tree.set("", "cpu memory pids\n", "cpu\n");
  tree.set("/a", "cpu memory pids\n", "");
  tree.set("/a/b", "memory\n", "");
  tree.set("/a/b/c", "", "");
  ASSERT_OK(enable_controllers(tree.dir(), {"memory"}));
  BERTH_ASSERT_STR_EQ(tree.enabled(""), "+memory");
  // Not berth's: only what the container needs, not cpu or pids.
  BERTH_ASSERT_STR_EQ(tree.enabled("/a"), "+memory");
  // berth's own: all that is available there.
  BERTH_ASSERT_STR_EQ(tree.enabled("/a/b"), "+memory");
  // The container's cgroup enables nothing.
  BERTH_ASSERT_STR_EQ(tree.enabled("/a/b/c"), "");
}

Test(cgroup_delegation, leaves_enabled_controllers_alone) {
  FakeTree tree;
  tree.set("", "cpu memory\n", "memory\n");
  tree.set("/a", "memory\n", "memory\n");
  tree.set("/a/b", "memory\n", "memory\n");
  ASSERT_OK(enable_controllers(tree.dir(), {"memory"}));
  BERTH_ASSERT_STR_EQ(tree.enabled(""), "memory");
  BERTH_ASSERT_STR_EQ(tree.enabled("/a"), "memory");
}

Test(cgroup_delegation, a_needed_controller_missing_on_the_way_is_an_error) {
  FakeTree tree;
  tree.set("", "memory pids\n", "memory pids\n");
  tree.set("/a", "memory pids\n", "memory pids\n");
  tree.set("/a/b", "memory\n", "");
  auto enabled = enable_controllers(tree.dir(), {"pids"});
  cr_expect(!enabled.has_value());
  auto message = enabled ? std::string() : enabled.error().message();
  cr_expect(message.find("pids is not available in " + tree.root + "/a/b") != std::string::npos,
            "%s", message.c_str());
}

// exec's placement: the container's cgroup, or a sub-cgroup of it that must
// exist, never above it; the result owns nothing.
Test(cgroup_manager, exec_placement_in_sub_cgroups) {
  skip_unless_root();
  auto hierarchies = host();
  auto name = unique_name();
  auto manager = manager_for(hierarchies, config_with("/" + name), "c", name);
  ASSERT_OK(manager.create());
  for (const auto &dir : placed(manager)) {
    cr_assert(::mkdir((dir.dir() + "/sub").c_str(), 0755) == 0, "mkdir %s/sub", dir.dir().c_str());
    // A v1 cpuset cgroup takes processes once it has CPUs and memory nodes.
    for (const char *file : {"/cpuset.cpus", "/cpuset.mems"})
      if (exists(dir.dir() + file))
        write_quietly(dir.dir() + "/sub" + file, read_trimmed(dir.dir() + file).c_str());
  }

  auto top = manager.for_exec({});
  ASSERT_OK(top);
  for (const auto &dir : placed(*top))
    cr_expect(dir.created.empty(), "%s: exec's placement owns no directory", dir.dir().c_str());
  cr_expect_eq(placed(*top).size(), placed(manager).size());
  // As for create: a clone3 fd exactly when the unified hierarchy is the only one.
  cr_expect_eq(top->clone_into_fd() >= 0, hierarchies.is_pure_v2());

  auto sub = manager.for_exec({{"", "sub"}});
  ASSERT_OK(sub);
  Child child(Child::Kind::Sleeper);
  ASSERT_OK(sub->add_process(child.pid()));
  std::istringstream own(read_trimmed("/proc/" + std::to_string(child.pid()) + "/cgroup"));
  std::size_t in_sub = 0;
  for (std::string line; std::getline(own, line);)
    in_sub += line.ends_with(":/" + name + "/sub") ? 1 : 0;
  cr_expect_eq(in_sub, placed(manager).size());

  auto missing = manager.for_exec({{"", "missing"}});
  cr_expect(!missing.has_value());
  cr_expect(!manager.for_exec({{"", "../escape"}}).has_value());
  cr_expect(!manager.for_exec({{"no-such-controller", "sub"}}).has_value());
  // An absolute path starts at the container's cgroup too.
  ASSERT_OK(manager.for_exec({{"", "/sub"}}));

  ASSERT_OK(manager.signal_all(SIGKILL));
  child.wait();
  ASSERT_OK(manager.destroy());
  for (const auto &dir : placed(manager))
    cr_expect(!exists(dir.dir()), "%s is left", dir.dir().c_str());
}
