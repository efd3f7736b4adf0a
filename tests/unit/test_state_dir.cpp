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

// A shorter state written over a longer one must read back as itself: no tail
// of the old text may survive (it is padded with whitespace, still JSON).
Test(state_dir, rewrite_of_a_shorter_state_leaves_only_the_new_one) {
  std::string root = make_root();
  auto dir = StateDir::reserve(root, "c1");
  cr_assert(dir.has_value(), "%s", dir ? "" : dir.error().message().c_str());
  cr_assert(dir->write(state_with("c1", 1500)).has_value());
  std::string path = root + "/c1/state.json";
  ino_t first = inode_of(path);

  StoredState shorter = state_with("c1", 0);
  shorter.creating = false;
  cr_assert(dir->write(shorter).has_value());
  cr_assert_eq(inode_of(path), first, "a small rewrite happens in place");
  auto parsed = berth::json::parse(slurp(path));
  cr_assert(parsed.has_value(), "state.json no longer parses");
  auto back = dir->read();
  cr_assert(back.has_value(), "%s", back ? "" : back.error().message().c_str());
  cr_assert(!back->creating);
  cr_assert(back->annotations.empty(), "the old annotation survived the rewrite");
  cr_assert(dir->destroy().has_value());
  ::rmdir(root.c_str());
}

// Past one page a write is no longer all-or-nothing when berth is killed, so
// a large state goes through a temporary file and a rename instead.
Test(state_dir, large_states_are_replaced_by_rename) {
  std::string root = make_root();
  auto dir = StateDir::reserve(root, "c2");
  cr_assert(dir.has_value());
  cr_assert(dir->write(state_with("c2", 10)).has_value());
  std::string path = root + "/c2/state.json";
  ino_t first = inode_of(path);
  cr_assert(dir->write(state_with("c2", 8000)).has_value());
  cr_assert_neq(inode_of(path), first, "a state past one page must be renamed into place");
  auto back = dir->read();
  cr_assert(back.has_value());
  cr_assert_eq(back->annotations.at("note").size(), 8000u);
  // And back down: the large file is replaced again rather than padded.
  cr_assert(dir->write(state_with("c2", 0)).has_value());
  back = dir->read();
  cr_assert(back.has_value());
  cr_assert(back->annotations.empty());
  cr_assert(dir->destroy().has_value());
  ::rmdir(root.c_str());
}
