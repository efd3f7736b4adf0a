#include <criterion/criterion.h>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "container/state_store.hpp"
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
  cr_assert(back.has_value());
  cr_assert(back->annotations.empty(), "not the last state written");
  cr_assert(dir->destroy().has_value());
  ::rmdir(root.c_str());
}
