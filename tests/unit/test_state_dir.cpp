#include <criterion/criterion.h>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "container/state_dir.hpp"
#include "json/value.hpp"

using berth::container::LockMode;
using berth::container::StateDir;
using berth::container::StoredState;

namespace {

std::string make_root() {
  char tmpl[] = "/tmp/berth-test-state-XXXXXX";
  cr_assert(::mkdtemp(tmpl) != nullptr);
  return tmpl;
}

std::string slurp(const std::string &path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

StoredState state_with(const std::string &id, std::size_t annotation_size) {
  StoredState state;
  state.oci_version = "1.2.0";
  state.id = id;
  state.bundle = "/b";
  state.rootfs = "/b/rootfs";
  state.created = "2026-11-22T00:00:00Z";
  if (annotation_size > 0)
    state.annotations["note"] = std::string(annotation_size, 'x');
  return state;
}

std::vector<std::string> names_in(const std::string &dir) {
  std::vector<std::string> names;
  DIR *d = ::opendir(dir.c_str());
  cr_assert(d != nullptr);
  while (auto *entry = ::readdir(d)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..")
      names.push_back(name);
  }
  ::closedir(d);
  return names;
}

ino_t inode_of(const std::string &path) {
  struct stat st {};
  cr_assert(::stat(path.c_str(), &st) == 0);
  return st.st_ino;
}

} // namespace

// Every write replaces state.json whole (a new file renamed over the old): a
// reader that does not take the directory's lock, or a berth killed half-way,
// sees the old state or the new one, never a mix; and a shorter state written
// over a longer one leaves nothing of the old behind.
Test(state_dir, each_write_replaces_the_file_whole) {
  std::string root = make_root();
  auto dir = StateDir::reserve(root, "c1");
  cr_assert(dir.has_value(), "%s", dir ? "" : dir.error().message().c_str());
  cr_assert(dir->write(state_with("c1", 1500)).has_value());
  std::string path = root + "/c1/state.json";
  ino_t first = inode_of(path);

  StoredState shorter = state_with("c1", 0);
  shorter.creating = false;
  cr_assert(dir->write(shorter).has_value());
  cr_assert_neq(inode_of(path), first, "state.json was rewritten in place, not replaced");
  cr_assert(berth::json::parse(slurp(path)).has_value(), "state.json no longer parses");
  auto back = dir->read();
  cr_assert(back.has_value(), "%s", back ? "" : back.error().message().c_str());
  cr_assert(!back->creating);
  cr_assert(back->annotations.empty(), "the old annotation survived the rewrite");
  cr_assert(dir->destroy().has_value());
  ::rmdir(root.c_str());
}

// The replaced state goes away with each write: after several, state.json is
// the directory's only file (no temporary or old copy left under another name).
Test(state_dir, writes_leave_only_state_json) {
  std::string root = make_root();
  auto dir = StateDir::reserve(root, "c2");
  cr_assert(dir.has_value(), "%s", dir ? "" : dir.error().message().c_str());
  for (std::size_t size : {10, 2000, 0})
    cr_assert(dir->write(state_with("c2", size)).has_value());
  auto names = names_in(root + "/c2");
  cr_assert_eq(names.size(), 1u, "%zu files in the state directory, the first %s", names.size(),
               names.empty() ? "" : names.front().c_str());
  cr_assert(names.front() == std::string("state.json"));
  auto back = dir->read();
  cr_assert(back.has_value(), "%s", back ? "" : back.error().message().c_str());
  cr_assert(back->annotations.empty(), "not the last state written");
  cr_assert(dir->destroy().has_value());
  ::rmdir(root.c_str());
}

namespace {

// The error of `result`, which must have failed, as one line.
template <class T> std::string refusal(const berth::Result<T> &result, const char *what) {
  cr_assert(!result.has_value(), "%s was accepted", what);
  cr_assert(berth::container::is_untrusted_state(result.error()),
            "%s: not refused as untrusted: %s", what, result.error().message().c_str());
  return result.error().message();
}

bool mentions(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

} // namespace

// Another user who can write the state root, a container's directory or its
// state.json could forge the pid `kill` signals: each is refused unless the
// caller owns it and only the caller can write it, with the path and the
// reason in the message.
Test(state_dir, a_root_others_can_write_is_refused) {
  std::string root = make_root();
  for (mode_t mode : {0777, 0770, 0722, 01777}) {
    cr_assert(::chmod(root.c_str(), mode) == 0);
    std::string message = refusal(StateDir::open(root, "c1", LockMode::Shared), "open");
    cr_assert(mentions(message, "--root " + root) &&
                  mentions(message, "writable by group or others"),
              "%s", message.c_str());
    refusal(StateDir::reserve(root, "c1"), "reserve");
    refusal(berth::container::open_state_root(root, false), "open_state_root");
    cr_assert(names_in(root).empty(), "reserve left something in a refused root");
  }
  cr_assert(::chmod(root.c_str(), 0711) == 0);
  cr_assert(berth::container::open_state_root(root, false).has_value(), "0711 refused");
  ::rmdir(root.c_str());
}

Test(state_dir, a_container_directory_or_state_others_can_write_is_refused) {
  std::string root = make_root();
  {
    auto dir = StateDir::reserve(root, "c1");
    cr_assert(dir.has_value(), "%s", dir ? "" : dir.error().message().c_str());
    cr_assert(dir->write(state_with("c1", 0)).has_value());
    dir->commit();
  }
  std::string dir_path = root + "/c1", file = dir_path + "/state.json";
  cr_assert(::chmod(dir_path.c_str(), 0770) == 0);
  std::string message = refusal(StateDir::open(root, "c1", LockMode::Shared), "the directory");
  cr_assert(mentions(message, "state directory " + dir_path), "%s", message.c_str());
  cr_assert(::chmod(dir_path.c_str(), 0700) == 0);

  cr_assert(::chmod(file.c_str(), 0620) == 0);
  auto dir = StateDir::open(root, "c1", LockMode::Shared);
  cr_assert(dir.has_value(), "%s", dir ? "" : dir.error().message().c_str());
  message = refusal(dir->read(), "state.json");
  cr_assert(mentions(message, file) && mentions(message, "mode 0620"), "%s", message.c_str());
  cr_assert(::chmod(file.c_str(), 0600) == 0);
  cr_assert(dir->read().has_value(), "a private state.json refused");

  // A symlink, or anything but a regular file, in place of state.json.
  cr_assert(::rename(file.c_str(), (dir_path + "/real.json").c_str()) == 0);
  cr_assert(::symlink("real.json", file.c_str()) == 0);
  message = refusal(dir->read(), "a symlink");
  cr_assert(mentions(message, file), "%s", message.c_str());
  cr_assert(::unlink(file.c_str()) == 0);
  cr_assert(::mkfifo(file.c_str(), 0600) == 0);
  message = refusal(dir->read(), "a fifo");
  cr_assert(mentions(message, "not a regular file"), "%s", message.c_str());
  cr_assert(::unlink(file.c_str()) == 0);
  cr_assert(::unlink((dir_path + "/real.json").c_str()) == 0);
  cr_assert(dir->destroy().has_value());
  ::rmdir(root.c_str());
}

// Owned by another uid (needs root to chown; skipped otherwise).
Test(state_dir, state_of_another_uid_is_refused) {
  if (::geteuid() != 0)
    cr_skip_test("chown needs root");
  const uid_t other = 65534;
  std::string root = make_root();
  {
    auto dir = StateDir::reserve(root, "c1");
    cr_assert(dir.has_value());
    cr_assert(dir->write(state_with("c1", 0)).has_value());
    dir->commit();
  }
  std::string dir_path = root + "/c1", file = dir_path + "/state.json";
  for (const std::string &path : {root, dir_path, file}) {
    cr_assert(::chown(path.c_str(), other, other) == 0);
    auto dir = StateDir::open(root, "c1", LockMode::Shared);
    std::string message = dir ? refusal(dir->read(), path.c_str()) : refusal(dir, path.c_str());
    cr_assert(mentions(message, path + ": owned by uid 65534, not by the caller (uid 0)"), "%s",
              message.c_str());
    cr_assert(::chown(path.c_str(), 0, 0) == 0);
  }
  auto dir = StateDir::open(root, "c1", LockMode::Shared);
  cr_assert(dir.has_value() && dir->read().has_value(), "the caller's own state refused");
  cr_assert(dir->destroy().has_value());
  ::rmdir(root.c_str());
}
