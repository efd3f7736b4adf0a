#include <criterion/criterion.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

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
