#include <criterion/criterion.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "sys/path_resolve.hpp"
#include "sys/syscalls.hpp"

using namespace berth;
namespace fs = std::filesystem;

namespace {

// A temporary directory that holds the rootfs under test ("root") next to a
// "host" directory standing for everything outside it.
struct Sandbox {
  fs::path base;
  fs::path root;
  fs::path host;
  int root_fd = -1;
};
Sandbox sandbox;

void setup() {
  char templ[] = "/tmp/berth-path-resolve-XXXXXX";
  cr_assert_not_null(::mkdtemp(templ));
  sandbox.base = templ;
  sandbox.root = sandbox.base / "a" / "b" / "root";
  sandbox.host = sandbox.base / "host";
  fs::create_directories(sandbox.root);
  fs::create_directories(sandbox.host);
  sandbox.root_fd = ::open(sandbox.root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  cr_assert_geq(sandbox.root_fd, 0);
}

void teardown() {
  ::close(sandbox.root_fd);
  std::error_code ignored;
  fs::remove_all(sandbox.base, ignored);
}

void symlink_in_root(const std::string &target, const std::string &name) {
  fs::create_directory_symlink(target, sandbox.root / name);
}

ino_t inode_of_fd(int fd) {
  struct stat st {};
  cr_assert_eq(::fstat(fd, &st), 0);
  return st.st_ino;
}

ino_t inode_of(const fs::path &path) {
  struct stat st {};
  cr_assert_eq(::lstat(path.c_str(), &st), 0, "%s missing", path.c_str());
  return st.st_ino;
}

int errno_of(const Error &error) {
  return error.errno_value();
}

} // namespace

TestSuite(path_resolve, .init = setup, .fini = teardown);

Test(path_resolve, split_path_drops_empty_and_dot_names) {
  cr_expect_eq(sys::split_path("/a//./b/"), (std::vector<std::string>{"a", "b"}));
  cr_expect_eq(sys::split_path("../x/.."), (std::vector<std::string>{"..", "x", ".."}));
  cr_expect(sys::split_path("/").empty());
  cr_expect(sys::split_path("").empty());
}

Test(path_resolve, slash_opens_the_root) {
  auto fd = sys::open_in_root(sandbox.root_fd, "/");
  cr_assert(fd.has_value());
  cr_expect_eq(inode_of_fd(fd->get()), inode_of(sandbox.root));
}

Test(path_resolve, creates_nested_directories_inside_the_root) {
  auto fd = sys::mkdir_all_in_root(sandbox.root_fd, "/x/y/z");
  cr_assert(fd.has_value(), "%s", fd ? "" : fd.error().message().c_str());
  cr_expect_eq(inode_of_fd(fd->get()), inode_of(sandbox.root / "x/y/z"));
  // An existing path is fine and gives the same directory.
  auto again = sys::mkdir_all_in_root(sandbox.root_fd, "x/y/z/");
  cr_assert(again.has_value());
  cr_expect_eq(inode_of_fd(again->get()), inode_of(sandbox.root / "x/y/z"));
}

Test(path_resolve, absolute_symlink_is_taken_relative_to_the_root) {
  // etc -> /etc would be the host's /etc if followed naively.
  symlink_in_root("/etc", "etc");
  fs::create_directory(sandbox.root / "etc-real");
  auto dangling = sys::mkdir_all_in_root(sandbox.root_fd, "/etc/berth-test-should-not-exist");
  cr_expect(!dangling.has_value());
  cr_expect(!fs::exists("/etc/berth-test-should-not-exist"));

  // Once the root has its own /etc, the link leads there.
  fs::create_directory(sandbox.root / "realetc");
  fs::remove(sandbox.root / "etc");
  symlink_in_root("/realetc", "etc");
  auto fd = sys::mkdir_all_in_root(sandbox.root_fd, "/etc/created");
  cr_assert(fd.has_value(), "%s", fd ? "" : fd.error().message().c_str());
  cr_expect_eq(inode_of_fd(fd->get()), inode_of(sandbox.root / "realetc/created"));
}

Test(path_resolve, dotdot_symlink_is_clamped_at_the_root) {
  symlink_in_root("../../../../../../..", "up");
  auto fd = sys::mkdir_all_in_root(sandbox.root_fd, "up/escaped");
  cr_assert(fd.has_value(), "%s", fd ? "" : fd.error().message().c_str());
  cr_expect_eq(inode_of_fd(fd->get()), inode_of(sandbox.root / "escaped"));
  cr_expect(!fs::exists(sandbox.base / "escaped"));
  cr_expect(!fs::exists(sandbox.base / "a" / "escaped"));
  cr_expect(!fs::exists("/escaped"));
}

Test(path_resolve, dotdot_in_the_path_is_clamped_at_the_root) {
  auto fd = sys::mkdir_all_in_root(sandbox.root_fd, "../../../dotdot");
  cr_assert(fd.has_value(), "%s", fd ? "" : fd.error().message().c_str());
  cr_expect_eq(inode_of_fd(fd->get()), inode_of(sandbox.root / "dotdot"));
  cr_expect(!fs::exists(sandbox.base / "a" / "dotdot"));
}

Test(path_resolve, symlink_loop_is_an_error) {
  symlink_in_root("loop2", "loop1");
  symlink_in_root("loop1", "loop2");
  auto fd = sys::mkdir_all_in_root(sandbox.root_fd, "loop1/x");
  cr_assert(!fd.has_value());
  cr_expect_eq(errno_of(fd.error()), ELOOP);
}

Test(path_resolve, symlink_in_the_middle_of_a_path_stays_inside) {
  fs::create_directories(sandbox.root / "a");
  fs::create_directories(sandbox.root / "b");
  fs::create_directory_symlink(sandbox.host,
                               sandbox.root / "a" / "host-abs"); // absolute, host path
  fs::create_directory_symlink("/b", sandbox.root / "a" / "link");
  auto fd = sys::mkdir_all_in_root(sandbox.root_fd, "/a/link/c/d");
  cr_assert(fd.has_value(), "%s", fd ? "" : fd.error().message().c_str());
  cr_expect_eq(inode_of_fd(fd->get()), inode_of(sandbox.root / "b/c/d"));

  // A link naming the host's directory by its host path resolves inside the root.
  auto hostile = sys::mkdir_all_in_root(sandbox.root_fd, "/a/host-abs/owned");
  cr_expect(!fs::exists(sandbox.host / "owned"));
  if (hostile)
    cr_expect(fs::exists(sandbox.root / sandbox.host.relative_path() / "owned"));
}

Test(path_resolve, a_file_where_a_directory_is_expected_is_an_error) {
  std::ofstream(sandbox.root / "file") << "x";
  auto fd = sys::mkdir_all_in_root(sandbox.root_fd, "file/sub");
  cr_assert(!fd.has_value());
  cr_expect_eq(errno_of(fd.error()), ENOTDIR);
  cr_expect(fd.error().message().find("/file") != std::string::npos);
}

Test(path_resolve, no_symlinks_rejects_a_symlinked_proc) {
  fs::create_directories(sandbox.root / "tmp/hostdir");
  symlink_in_root("/tmp/hostdir", "proc");
  sys::InRootOptions strict;
  strict.no_symlinks = true;
  auto refused = sys::mkdir_all_in_root(sandbox.root_fd, "/proc", 0755, strict);
  cr_assert(!refused.has_value());
  cr_expect_eq(errno_of(refused.error()), ELOOP);
  // Without the option the link is followed, but only inside the root.
  auto followed = sys::mkdir_all_in_root(sandbox.root_fd, "/proc");
  cr_assert(followed.has_value());
  cr_expect_eq(inode_of_fd(followed->get()), inode_of(sandbox.root / "tmp/hostdir"));
}

Test(path_resolve, open_reads_the_root_copy_not_the_host_one) {
  fs::create_directory(sandbox.root / "realetc");
  std::ofstream(sandbox.root / "realetc" / "hostname") << "inside";
  symlink_in_root("/realetc", "etc");
  auto fd = sys::open_in_root(sandbox.root_fd, "/etc/hostname", O_RDONLY);
  cr_assert(fd.has_value(), "%s", fd ? "" : fd.error().message().c_str());
  auto text = sys::read_fd(fd->get(), 100);
  cr_assert(text.has_value());
  cr_expect_eq(*text, std::string("inside"));
}

Test(path_resolve, create_file_through_a_hostile_link_lands_inside) {
  symlink_in_root("/", "x");
  auto fd = sys::create_file_in_root(sandbox.root_fd, "/x/tmp/berth-file-test");
  cr_assert(fd.has_value(), "%s", fd ? "" : fd.error().message().c_str());
  cr_expect_eq(inode_of_fd(fd->get()), inode_of(sandbox.root / "tmp/berth-file-test"));
  cr_expect(!fs::exists("/tmp/berth-file-test"));
  cr_expect(fs::is_regular_file(sandbox.root / "tmp/berth-file-test"));
}

Test(path_resolve, create_file_keeps_an_existing_file_and_refuses_a_directory) {
  std::ofstream(sandbox.root / "existing") << "data";
  auto fd = sys::create_file_in_root(sandbox.root_fd, "existing");
  cr_assert(fd.has_value());
  cr_expect_eq(fs::file_size(sandbox.root / "existing"), 4u);
  fs::create_directory(sandbox.root / "dir");
  auto dir = sys::create_file_in_root(sandbox.root_fd, "dir");
  cr_assert(!dir.has_value());
  cr_expect_eq(errno_of(dir.error()), EISDIR);
}

Test(path_resolve, create_file_creates_a_dangling_links_target_inside_the_root) {
  // As runc: the link is resolved in the root and what it names is created.
  const auto host_name = "berth-test-" + sandbox.base.filename().string();
  symlink_in_root("/" + host_name + "/file", "dangling");
  auto fd = sys::create_file_in_root(sandbox.root_fd, "dangling");
  cr_assert(fd.has_value(), "%s", fd ? "" : fd.error().message().c_str());
  cr_expect_eq(inode_of_fd(fd->get()), inode_of(sandbox.root / host_name / "file"));
  cr_expect(!fs::exists("/" + host_name));
  // A relative target is taken from the link's directory, clamped at the root.
  fs::create_directory(sandbox.root / "d");
  symlink_in_root("../../../../../rel/f", "d/rel-link");
  auto rel = sys::create_file_in_root(sandbox.root_fd, "d/rel-link");
  cr_assert(rel.has_value(), "%s", rel ? "" : rel.error().message().c_str());
  cr_expect_eq(inode_of_fd(rel->get()), inode_of(sandbox.root / "rel/f"));
  cr_expect(!fs::exists(sandbox.base / "rel"));
}

Test(path_resolve, mkdir_all_creates_a_dangling_links_target_inside_the_root) {
  const auto host_name = "berth-test-" + sandbox.base.filename().string();
  symlink_in_root("/" + host_name + "/x", "abs");
  symlink_in_root("../../../../" + host_name + "-rel", "rel");
  symlink_in_root("abs", "chain");
  auto fd = sys::mkdir_all_in_root(sandbox.root_fd, "/chain/below");
  cr_assert(fd.has_value(), "%s", fd ? "" : fd.error().message().c_str());
  cr_expect_eq(inode_of_fd(fd->get()), inode_of(sandbox.root / host_name / "x/below"));
  auto rel = sys::mkdir_all_in_root(sandbox.root_fd, "rel");
  cr_assert(rel.has_value(), "%s", rel ? "" : rel.error().message().c_str());
  cr_expect_eq(inode_of_fd(rel->get()), inode_of(sandbox.root / (host_name + "-rel")));
  cr_expect(!fs::exists("/" + host_name));
  cr_expect(!fs::exists("/" + host_name + "-rel"));
  cr_expect(!fs::exists(sandbox.base / (host_name + "-rel")));
}

Test(path_resolve, parent_and_name) {
  auto entry = sys::open_parent_in_root(sandbox.root_fd, "/dev/net/tun");
  cr_assert(entry.has_value(), "%s", entry ? "" : entry.error().message().c_str());
  cr_expect_eq(entry->name, std::string("tun"));
  cr_expect_eq(inode_of_fd(entry->parent.get()), inode_of(sandbox.root / "dev/net"));
  cr_expect(!sys::open_parent_in_root(sandbox.root_fd, "/").has_value());
  cr_expect(!sys::open_parent_in_root(sandbox.root_fd, "a/..").has_value());
}
