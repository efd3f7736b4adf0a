#include <criterion/criterion.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "linux/process_setup.hpp"
#include "string_assert.hpp"

using namespace berth;

namespace {

std::string g_root; // a fresh temporary directory per test

void make_file(const std::string &path, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  cr_assert(fd >= 0, "create %s", path.c_str());
  cr_assert_eq(::write(fd, "#!/bin/sh\n", 10), 10);
  ::close(fd);
  cr_assert_eq(::chmod(path.c_str(), mode), 0);
}

void make_dir(const std::string &path) {
  cr_assert_eq(::mkdir(path.c_str(), 0755), 0);
}

// Layout:
//   a/           tool (0644: not executable), dironly/ (a directory)
//   b/           tool (0755), other (0755)
//   c/           tool (0755)
void setup() {
  char tmpl[] = "/tmp/berth-exec-lookup-XXXXXX";
  cr_assert(::mkdtemp(tmpl) != nullptr);
  g_root = tmpl;
  for (const char *dir : {"/a", "/b", "/c"})
    make_dir(g_root + dir);
  make_file(g_root + "/a/tool", 0644);
  make_dir(g_root + "/a/dironly");
  make_dir(g_root + "/b/dironly");
  make_file(g_root + "/b/tool", 0755);
  make_file(g_root + "/b/other", 0755);
  make_file(g_root + "/c/tool", 0755);
}

void teardown() {
  std::string command = "rm -rf '" + g_root + "'";
  cr_assert_eq(std::system(command.c_str()), 0);
}

spec::Process process_with(std::string program, std::vector<std::string> env) {
  spec::Process process;
  process.args = {std::move(program)};
  process.env = std::move(env);
  return process;
}

std::string path_env(std::initializer_list<const char *> dirs) {
  std::string out = "PATH=";
  bool first = true;
  for (const char *dir : dirs) {
    out += (first ? "" : ":") + g_root + dir;
    first = false;
  }
  return out;
}

} // namespace

TestSuite(exec_lookup, .init = setup, .fini = teardown);

// Running as root, access(X_OK) passes for any file with an x bit, and a file
// with none fails: the 0644 file in a/ must still be skipped.
Test(exec_lookup, skips_non_executable_and_takes_first_match) {
  auto found = linux::find_executable(process_with("tool", {path_env({"/a", "/b", "/c"})}));
  cr_assert(found.has_value(), "%s", found ? "" : found.error().message().c_str());
  BERTH_ASSERT_STR_EQ(found->c_str(), (g_root + "/b/tool").c_str());
}

Test(exec_lookup, skips_directories) {
  auto found = linux::find_executable(process_with("dironly", {path_env({"/a", "/b"})}));
  cr_assert(!found.has_value());
  BERTH_ASSERT_STR_EQ(found.error().message().c_str(),
                      "exec: \"dironly\": executable file not found in $PATH");
}

Test(exec_lookup, not_found_names_the_program) {
  auto found = linux::find_executable(process_with("missing", {path_env({"/a", "/b", "/c"})}));
  cr_assert(!found.has_value());
  BERTH_ASSERT_STR_EQ(found.error().message().c_str(),
                      "exec: \"missing\": executable file not found in $PATH");
}

Test(exec_lookup, last_path_entry_wins) {
  auto found = linux::find_executable(
      process_with("tool", {path_env({"/b"}), "HOME=/root", path_env({"/c"})}));
  cr_assert(found.has_value());
  BERTH_ASSERT_STR_EQ(found->c_str(), (g_root + "/c/tool").c_str());
}

Test(exec_lookup, default_path_without_path_in_env) {
  auto found = linux::find_executable(process_with("sh", {"HOME=/root"}));
  cr_assert(found.has_value(), "%s", found ? "" : found.error().message().c_str());
  cr_assert(found->ends_with("/sh"));
  cr_assert(found->starts_with("/usr/local/sbin/") || found->starts_with("/usr/local/bin/") ||
            found->starts_with("/usr/sbin/") || found->starts_with("/usr/bin/") ||
            found->starts_with("/sbin/") || found->starts_with("/bin/"));
}

Test(exec_lookup, path_with_slash_is_used_as_is) {
  std::string absolute = g_root + "/b/other";
  auto found = linux::find_executable(process_with(absolute, {path_env({"/c"})}));
  cr_assert(found.has_value());
  BERTH_ASSERT_STR_EQ(found->c_str(), absolute.c_str());
}

Test(exec_lookup, relative_path_with_slash_is_relative_to_cwd) {
  cr_assert_eq(::chdir(g_root.c_str()), 0);
  auto found = linux::find_executable(process_with("./b/tool", {}));
  cr_assert(found.has_value());
  BERTH_ASSERT_STR_EQ(found->c_str(), "./b/tool");
  // The PATH is not consulted for a name with a slash.
  auto missing = linux::find_executable(process_with("./tool", {path_env({"/b"})}));
  cr_assert(!missing.has_value());
  BERTH_ASSERT_STR_EQ(missing.error().message().c_str(),
                      "exec: \"./tool\": stat ./tool: no such file or directory");
}

Test(exec_lookup, path_with_slash_must_be_an_executable_file) {
  std::string not_exec = g_root + "/a/tool";
  auto refused = linux::find_executable(process_with(not_exec, {}));
  cr_assert(!refused.has_value());
  cr_assert_eq(refused.error().errno_value(), EACCES);
  // The kernel's words, in lower case as runc (Go) writes them: Docker finds
  // "permission denied" in it and exits 126.
  BERTH_ASSERT_STR_EQ(refused.error().message().c_str(),
                      ("exec: \"" + not_exec + "\": permission denied").c_str());

  // execve refuses a directory with EACCES; so does runc.
  std::string dir = g_root + "/a/dironly";
  auto is_dir = linux::find_executable(process_with(dir, {}));
  cr_assert(!is_dir.has_value());
  cr_assert_eq(is_dir.error().errno_value(), EACCES);
  BERTH_ASSERT_STR_EQ(is_dir.error().message().c_str(),
                      ("exec: \"" + dir + "\": permission denied").c_str());
}

Test(exec_lookup, empty_path_entry_means_cwd) {
  cr_assert_eq(::chdir((g_root + "/c").c_str()), 0);
  auto found = linux::find_executable(process_with("tool", {"PATH=" + g_root + "/a:"}));
  cr_assert(found.has_value());
  BERTH_ASSERT_STR_EQ(found->c_str(), "./tool");
}

Test(exec_lookup, no_args_is_an_error) {
  spec::Process process;
  auto found = linux::find_executable(process);
  cr_assert(!found.has_value());
}

// HOME from the container's /etc/passwd (linux::home_in_passwd), as runc
// finds it: the first entry with the uid, "/" without one.
Test(home_in_passwd, the_first_entry_of_the_uid) {
  const char *passwd = "root:x:0:0:root:/root:/bin/sh\n"
                       "# not an entry\n"
                       "broken\n"
                       "daemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n"
                       "test:x:1000:1000:test user:/home/test:/bin/sh\n"
                       "again:x:1000:1000::/home/again:/bin/sh\n"
                       "nohome:x:1001:1001:::/bin/sh\n"
                       "last:x:1002:1002::/home/last";
  BERTH_ASSERT_STR_EQ(linux::home_in_passwd(passwd, 0).c_str(), "/root");
  BERTH_ASSERT_STR_EQ(linux::home_in_passwd(passwd, 1).c_str(), "/usr/sbin");
  BERTH_ASSERT_STR_EQ(linux::home_in_passwd(passwd, 1000).c_str(), "/home/test");
  BERTH_ASSERT_STR_EQ(linux::home_in_passwd(passwd, 1001).c_str(), "/");
  BERTH_ASSERT_STR_EQ(linux::home_in_passwd(passwd, 1002).c_str(), "/home/last");
  BERTH_ASSERT_STR_EQ(linux::home_in_passwd(passwd, 4242).c_str(), "/");
  BERTH_ASSERT_STR_EQ(linux::home_in_passwd("", 0).c_str(), "/");
  BERTH_ASSERT_STR_EQ(linux::home_in_passwd("x:x:00:0::/zero:\n", 0).c_str(), "/zero");
  BERTH_ASSERT_STR_EQ(
      linux::home_in_passwd("x:x:-1:0::/neg:\nx:x:4294967296:0::/big:\n", 0).c_str(), "/");
}
