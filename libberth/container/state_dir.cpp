#include "container/state_dir.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <memory>
#include <vector>

#include "spec/parser.hpp"
#include "sys/syscalls.hpp"
#include "json/value.hpp"

namespace berth::container {
namespace {

Result<void> lock(int fd, LockMode mode) {
  int operation = mode == LockMode::Exclusive      ? LOCK_EX
                  : mode == LockMode::SharedIfFree ? LOCK_SH | LOCK_NB
                                                   : LOCK_SH;
  while (::flock(fd, operation) < 0) {
    if (errno != EINTR)
      return fail_errno("lock state directory");
  }
  return {};
}

Result<void> mkdir_parents(const std::string &path) {
  std::string partial;
  std::size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    partial = path.substr(0, pos);
    if (partial.empty())
      continue;
    if (::mkdir(partial.c_str(), 0711) < 0 && errno != EEXIST)
      return fail_errno("create state root " + partial);
  }
  return {};
}

// Whoever can write a state root, a container's directory or its state.json
// can forge the state berth acts on: the pid `kill` signals, the cgroup
// `delete` empties. Each must be the caller's and writable by it alone;
// checked on the opened fd, so what is checked is what is used.
Result<struct stat> stat_private(int fd, const std::string &shown) {
  struct stat st {};
  if (::fstat(fd, &st) < 0)
    return fail_errno("stat " + shown);
  const uid_t euid = ::geteuid();
  const char *forge = ", so another user could forge the state berth acts on";
  if (st.st_uid != euid)
    return fail(shown + ": owned by uid " + std::to_string(st.st_uid) +
                    ", not by the caller (uid " + std::to_string(euid) + ")" + forge,
                EPERM);
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return fail(shown + ": writable by group or others (mode " + mode + ")" + forge, EPERM);
  }
  return st;
}

Result<void> check_private(int fd, const std::string &shown) {
  BERTH_TRY(stat_private(fd, shown));
  return {};
}

json::Value hook_list_json(const std::vector<spec::Hook> &hooks) {
  auto list = json::Value::array();
  for (const auto &hook : hooks) {
    auto entry = json::Value::object();
    entry.set("path", json::Value::string(hook.path));
    auto strings = [](const std::vector<std::string> &values) {
      auto array = json::Value::array();
      for (const auto &value : values)
        array.push_back(json::Value::string(value));
      return array;
    };
    if (!hook.args.empty())
      entry.set("args", strings(hook.args));
    if (!hook.env.empty())
      entry.set("env", strings(hook.env));
    if (hook.timeout)
      entry.set("timeout", json::Value::number(*hook.timeout));
    list.push_back(std::move(entry));
  }
  return list;
}

// The config's own shape (config.md "POSIX-platform Hooks"), so that the spec
// parser reads it back; absent when there are none, as in a state written
// before berth ran hooks.
void set_hooks(json::Value &v, const spec::Hooks &hooks) {
  if (hooks.poststart.empty() && hooks.poststop.empty())
    return;
  auto &object = v.set("hooks", json::Value::object());
  if (!hooks.poststart.empty())
    object.set("poststart", hook_list_json(hooks.poststart));
  if (!hooks.poststop.empty())
    object.set("poststop", hook_list_json(hooks.poststop));
}

json::Value to_json(const StoredState &s) {
  auto v = json::Value::object();
  v.set("ociVersion", json::Value::string(s.oci_version));
  v.set("id", json::Value::string(s.id));
  v.set("bundle", json::Value::string(s.bundle));
  v.set("rootfs", json::Value::string(s.rootfs));
  v.set("pid", json::Value::number(std::int64_t{s.init.pid}));
  v.set("pidStartTime", json::Value::number(s.init.start_time));
  v.set("creating", json::Value::boolean(s.creating));
  v.set("started", json::Value::boolean(s.started));
  v.set("ownPidNamespace", json::Value::boolean(s.own_pid_namespace));
  v.set("created", json::Value::string(s.created));
  v.set("owner", json::Value::number(std::uint64_t{s.owner}));
  v.set("cgroup", s.cgroup);
  if (!s.notify_socket.empty())
    v.set("notifySocket", json::Value::string(s.notify_socket));
  auto &annotations = v.set("annotations", json::Value::object());
  for (const auto &[key, value] : s.annotations)
    annotations.set(key, json::Value::string(value));
  set_hooks(v, s.hooks);
  if (s.host_rootfs_mount != 0)
    v.set("hostRootfsMount", json::Value::number(s.host_rootfs_mount));
  if (s.host_rootfs_mount_below != 0)
    v.set("hostRootfsMountBelow", json::Value::number(s.host_rootfs_mount_below));
  return v;
}

Result<StoredState> from_json(const json::Value &v) {
  auto text = [&](const char *key) -> std::string {
    const auto *m = v.find(key);
    return m && m->is_string() ? m->text() : std::string();
  };
  auto flag = [&](const char *key) {
    const auto *m = v.find(key);
    return m && m->is_bool() && m->as_bool();
  };
  StoredState s;
  s.oci_version = text("ociVersion");
  s.id = text("id");
  s.bundle = text("bundle");
  s.rootfs = text("rootfs");
  s.created = text("created");
  s.creating = flag("creating");
  s.started = flag("started");
  s.own_pid_namespace = flag("ownPidNamespace");
  s.notify_socket = text("notifySocket");
  const auto *pid = v.find("pid");
  const auto *start = v.find("pidStartTime");
  const auto *owner = v.find("owner");
  if (!pid || !pid->to_int64() || !start || !start->to_uint64())
    return fail("state.json is corrupt: no pid");
  s.init.pid = static_cast<pid_t>(*pid->to_int64());
  s.init.start_time = *start->to_uint64();
  if (const auto *cgroup = v.find("cgroup"))
    s.cgroup = *cgroup;
  if (const auto *mount = v.find("hostRootfsMount"); mount && mount->to_uint64())
    s.host_rootfs_mount = *mount->to_uint64();
  if (const auto *below = v.find("hostRootfsMountBelow"); below && below->to_uint64())
    s.host_rootfs_mount_below = *below->to_uint64();
  if (owner && owner->to_uint64())
    s.owner = static_cast<uid_t>(*owner->to_uint64());
  if (const auto *annotations = v.find("annotations"); annotations && annotations->is_object())
    for (const auto &[key, value] : annotations->members())
      if (value.is_string())
        s.annotations[key] = value.text();
  if (const auto *hooks = v.find("hooks")) {
    BERTH_TRY_ASSIGN(s.hooks, spec::parse_hooks(*hooks, "state.json is corrupt: hooks"));
  }
  return s;
}

} // namespace

Result<UniqueFd> open_state_root(const std::string &root, bool create) {
  if (root.empty() || root[0] != '/')
    return fail("--root must be an absolute path: \"" + root + "\"");
  // Named as the option: a bad --root is the caller's to fix.
  auto opened = sys::open_path(root, O_RDONLY | O_DIRECTORY);
  // The root exists but for the first create: mkdir of each parent, which
  // locks each parent directory even when it exists, only then.
  if (!opened && create && opened.error().errno_value() == ENOENT) {
    BERTH_TRY_CTX(mkdir_parents(root), "--root");
    opened = sys::open_path(root, O_RDONLY | O_DIRECTORY);
  }
  if (!opened)
    return with_context(std::move(opened), "--root");
  BERTH_TRY(check_private(opened->get(), "--root " + root));
  return opened;
}

Result<StateDir> StateDir::reserve(const std::string &root, const std::string &id) {
  BERTH_TRY_ASSIGN(UniqueFd root_fd, open_state_root(root, true));
  if (::mkdirat(root_fd.get(), id.c_str(), 0700) < 0) {
    if (errno == EEXIST)
      // runc's words, which scripts around engines match (docs/engine-messages.md)
      return fail("container \"" + id + "\": container with given ID already exists");
    return fail_errno("--root: create state directory " + root + "/" + id);
  }
  auto dir = sys::open_at(root_fd.get(), id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  if (!dir) {
    ::unlinkat(root_fd.get(), id.c_str(), AT_REMOVEDIR);
    return fail(std::move(dir.error()));
  }
  StateDir state(std::move(root_fd), std::move(*dir), root, id);
  state.remove_on_destruction_ = true;
  BERTH_TRY(check_private(state.fd(), "state directory " + state.path()));
  BERTH_TRY(lock(state.fd(), LockMode::Exclusive));
  return state;
}

Error container_not_found(const std::string &id) {
  return Error("container \"" + id + "\" does not exist");
}

bool is_container_not_found(const Error &error, const std::string &id) {
  return error.errno_value() == 0 && error.what() == container_not_found(id).what();
}

bool is_untrusted_state(const Error &error) {
  return error.errno_value() == EPERM;
}

Result<StateDir> StateDir::open(const std::string &root, const std::string &id, LockMode mode) {
  auto not_found = [&] { return fail(container_not_found(id)); };
  auto root_fd = open_state_root(root, false);
  if (!root_fd)
    return root_fd.error().errno_value() == ENOENT ? not_found() : fail(root_fd.error());
  int fd = ::openat(root_fd->get(), id.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? not_found() : fail_errno("open state directory of " + id);
  StateDir state(std::move(*root_fd), UniqueFd(fd), root, id);
  BERTH_TRY(check_private(state.fd(), "state directory " + state.path()));
  BERTH_TRY(lock(state.fd(), mode));
  // A delete that held the lock before us may have removed the directory.
  struct stat st {};
  if (::fstat(state.fd(), &st) < 0 || st.st_nlink == 0)
    return not_found();
  return state;
}

StateDir::~StateDir() {
  if (remove_on_destruction_ && dir_.valid())
    (void)destroy();
}

Result<void> StateDir::write(const StoredState &state) const {
  return sys::write_file_atomic(fd(), kStateFile, json::serialize(to_json(state)), 0600);
}

Result<StoredState> StateDir::read() const {
  // O_NONBLOCK: a fifo there must not hang berth (the check refuses it).
  const std::string shown = path() + "/" + kStateFile;
  int file = ::openat(fd(), kStateFile, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (file < 0) {
    if (errno == ENOENT)
      return fail("container \"" + id_ + "\" is being created or its create failed");
    if (errno == ELOOP)
      return fail(shown + ": a symlink, not a regular file", EPERM);
    return fail_errno("open " + shown);
  }
  UniqueFd owned(file);
  BERTH_TRY_ASSIGN(struct stat st, stat_private(owned.get(), shown));
  if (!S_ISREG(st.st_mode))
    return fail(shown + ": not a regular file", EPERM);
  auto text = with_context(sys::read_fd(owned.get(), 1 << 20), "read " + shown);
  if (!text)
    return fail(std::move(text.error()));
  auto doc = json::parse(*text);
  if (!doc)
    return fail("state.json of \"" + id_ + "\" is corrupt: " + doc.error().message());
  return from_json(*doc);
}

namespace {

// The names in a directory, collected first: unlinking while iterating a
// directory stream may skip entries.
Result<std::vector<std::string>> entry_names(int dir_fd) {
  std::vector<std::string> names;
  int dup_fd = ::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0)
    return fail_errno("read state directory");
  std::unique_ptr<DIR, int (*)(DIR *)> dir(::fdopendir(dup_fd), ::closedir);
  if (!dir) {
    ::close(dup_fd);
    return fail_errno("read state directory");
  }
  while (auto *entry = ::readdir(dir.get())) {
    std::string_view name = entry->d_name;
    if (name != "." && name != "..")
      names.emplace_back(name);
  }
  return names;
}

// Empties a state directory: its files, and the files of its subdirectories
// (notify/ of NOTIFY_SOCKET); berth makes nothing deeper.
Result<void> remove_entries(int dir_fd, const std::string &shown, bool descend) {
  BERTH_TRY_ASSIGN(auto names, entry_names(dir_fd));
  for (const auto &name : names) {
    if (::unlinkat(dir_fd, name.c_str(), 0) == 0 || errno == ENOENT)
      continue;
    if (errno != EISDIR || !descend)
      return fail_errno("remove " + shown + "/" + name);
    BERTH_TRY_ASSIGN(UniqueFd sub, sys::open_at(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
    BERTH_TRY(remove_entries(sub.get(), shown + "/" + name, false));
    if (::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT)
      return fail_errno("remove " + shown + "/" + name);
  }
  return {};
}

} // namespace

Result<void> StateDir::destroy() {
  remove_on_destruction_ = false;
  BERTH_TRY(remove_entries(fd(), path(), true));
  if (::unlinkat(root_fd_.get(), id_.c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT)
    return fail_errno("remove " + path());
  return {};
}

struct sockaddr_un StateDir::start_socket_address() const {
  struct sockaddr_un addr {};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s", fd(), kStartSocket);
  return addr;
}

std::string rfc3339_now() {
  struct timespec ts {};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm {};
  ::gmtime_r(&ts.tv_sec, &tm);
  char buf[64];
  std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%09ldZ", ts.tv_nsec);
  return buf;
}

} // namespace berth::container
