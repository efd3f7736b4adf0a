// seccomp/cache.hpp: compiled programs kept under <root>/@cache/seccomp. The
// tests plant files by hand (cache_detail::encode with a program libseccomp
// would never make) to see what compile_cached loads and what it refuses, each
// in a fresh temporary state root.
#include <criterion/criterion.h>

#include <fcntl.h>
#include <linux/filter.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "fork_child.hpp"
#include "seccomp/cache.hpp"
#include "string_assert.hpp"

using namespace berth;
namespace cache = berth::seccomp::cache_detail;
namespace fs = std::filesystem;
using spec::Seccomp;
using spec::SeccompSyscall;

namespace {

// A fresh state root, removed at the end of the test.
struct TempRoot {
  TempRoot() {
    char pattern[] = "/tmp/berth-seccomp-cache.XXXXXX";
    cr_assert_not_null(::mkdtemp(pattern));
    path = pattern;
  }
  ~TempRoot() {
    std::error_code ignored;
    fs::permissions(dir(), fs::perms::owner_all, ignored);
    fs::remove_all(path, ignored);
  }
  TempRoot(const TempRoot &) = delete;
  TempRoot &operator=(const TempRoot &) = delete;
  std::string dir() const { return path + "/@cache/seccomp"; }
  std::string file_for(const Seccomp &config) const {
    auto key = cache::key_of(config);
    cr_assert(key.has_value());
    return dir() + "/" + cache::file_name(*key);
  }
  std::string path;
};

Seccomp profile(std::vector<std::string> denied = {"getppid", "mount"}) {
  Seccomp config;
  config.default_action = "SCMP_ACT_ALLOW";
  config.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
  config.syscalls = {SeccompSyscall{std::move(denied), "SCMP_ACT_ERRNO", 38, {}},
                     SeccompSyscall{{"not_a_real_syscall"}, "SCMP_ACT_ERRNO", {}, {}}};
  return config;
}

seccomp::Program compiled(const Seccomp &config) {
  auto program = seccomp::compile(config);
  cr_assert(program.has_value(), "compile: %s", program ? "" : program.error().message().c_str());
  return std::move(*program);
}

seccomp::Program cached(const Seccomp &config, const TempRoot &root) {
  auto program = seccomp::compile_cached(config, root.path);
  cr_assert(program.has_value(), "compile_cached: %s",
            program ? "" : program.error().message().c_str());
  return std::move(*program);
}

bool same(const seccomp::Program &a, const seccomp::Program &b) {
  if (a.flags != b.flags || a.instructions.size() != b.instructions.size())
    return false;
  for (std::size_t i = 0; i < a.instructions.size(); ++i) {
    const sock_filter &x = a.instructions[i], &y = b.instructions[i];
    if (x.code != y.code || x.jt != y.jt || x.jf != y.jf || x.k != y.k)
      return false;
  }
  return true;
}

// A program no profile here compiles to: "return ERRNO(42)" for everything.
seccomp::Program planted() {
  seccomp::Program program;
  program.instructions = {sock_filter{BPF_RET | BPF_K, 0, 0, 0x00050000u | 42}};
  return program;
}

std::string slurp(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void plant(const std::string &path, const std::string &bytes, mode_t mode = 0600) {
  fs::create_directories(fs::path(path).parent_path());
  ::unlink(path.c_str());
  {
    std::ofstream out(path, std::ios::binary);
    out << bytes;
  }
  cr_assert_eq(::chmod(path.c_str(), mode), 0);
}

// The cache file holds exactly `config`'s compiled program.
void assert_holds(const TempRoot &root, const Seccomp &config) {
  auto key = cache::key_of(config);
  cr_assert(key.has_value());
  auto program = cache::decode(slurp(root.file_for(config)), *key);
  cr_assert(program.has_value(), "the cache file does not decode for its key");
  cr_assert(same(*program, compiled(config)));
}

ino_t inode_of(const std::string &path) {
  struct stat st {};
  cr_assert_eq(::lstat(path.c_str(), &st), 0, "stat %s", path.c_str());
  return st.st_ino;
}

mode_t mode_of(const std::string &path) {
  struct stat st {};
  cr_assert_eq(::lstat(path.c_str(), &st), 0, "stat %s", path.c_str());
  return st.st_mode & 07777;
}

std::size_t entries_in(const std::string &dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto &entry : fs::directory_iterator(dir))
    ++n;
  return n;
}

} // namespace

Test(seccomp_cache, miss_then_hit_gives_the_compiled_program) {
  TempRoot root;
  Seccomp config = profile();
  seccomp::Program first = cached(config, root);
  cr_assert(same(first, compiled(config)));
  std::string file = root.file_for(config);
  cr_assert_eq(mode_of(root.path + "/@cache"), 0700u);
  cr_assert_eq(mode_of(root.dir()), 0700u);
  cr_assert_eq(mode_of(file), 0600u);
  assert_holds(root, config);

  // A hit reads the file and leaves it alone (write_file_atomic would have
  // renamed a new inode over it).
  ino_t before = inode_of(file);
  seccomp::Program second = cached(config, root);
  cr_assert(same(second, first));
  cr_assert_eq(inode_of(file), before);
  cr_assert_eq(entries_in(root.dir()), 1u);
}

Test(seccomp_cache, a_hit_does_not_compile) {
  // A valid file for the key is taken as it is: what it holds is what runs.
  TempRoot root;
  Seccomp config = profile();
  plant(root.file_for(config), cache::encode(*cache::key_of(config), planted()));
  cr_assert(same(cached(config, root), planted()));
}

Test(seccomp_cache, a_file_for_another_key_is_ignored_and_replaced) {
  // The name is the key's hash; a collision (here: a file for another
  // profile moved under this name) must not load the other profile.
  TempRoot root;
  Seccomp config = profile();
  Seccomp other = profile({"chmod"});
  plant(root.file_for(config), cache::encode(*cache::key_of(other), planted()));
  cr_assert(same(cached(config, root), compiled(config)));
  assert_holds(root, config);
}

Test(seccomp_cache, damaged_files_are_ignored_and_replaced) {
  TempRoot root;
  Seccomp config = profile();
  std::string good = cache::encode(*cache::key_of(config), planted());
  std::string flipped = good;
  flipped[flipped.size() - 12] ^= 0x01; // inside the last instruction
  std::string longer = good;
  longer.insert(longer.size() - 8, 8, '\0'); // an instruction too many
  for (const std::string &bytes :
       {std::string(), good.substr(0, good.size() / 2), good.substr(0, good.size() - 1), flipped,
        longer, std::string("BSECCOMP") + std::string(64, '\xff')}) {
    plant(root.file_for(config), bytes);
    cr_assert(same(cached(config, root), compiled(config)), "a damaged file of %zu bytes loaded",
              bytes.size());
    assert_holds(root, config);
  }
}

Test(seccomp_cache, files_others_could_write_are_ignored) {
  TempRoot root;
  Seccomp config = profile();
  std::string file = root.file_for(config);
  std::string bytes = cache::encode(*cache::key_of(config), planted());
  for (mode_t mode : {0620u, 0602u, 0666u}) {
    plant(file, bytes, mode);
    cr_assert(same(cached(config, root), compiled(config)), "loaded a file of mode %o", mode);
    cr_assert_eq(mode_of(file), 0600u); // replaced by a private one
  }
  if (::geteuid() == 0) {
    plant(file, bytes);
    cr_assert_eq(::chown(file.c_str(), 65534, 65534), 0);
    cr_assert(same(cached(config, root), compiled(config)), "loaded a file of another uid");
    assert_holds(root, config);
  }
}

Test(seccomp_cache, symlinks_and_fifos_are_ignored) {
  TempRoot root;
  Seccomp config = profile();
  std::string file = root.file_for(config);
  std::string elsewhere = root.path + "/planted";
  plant(elsewhere, cache::encode(*cache::key_of(config), planted()));
  fs::create_directories(root.dir());
  cr_assert_eq(::symlink(elsewhere.c_str(), file.c_str()), 0);
  cr_assert(same(cached(config, root), compiled(config)));
  assert_holds(root, config);

  ::unlink(file.c_str());
  cr_assert_eq(::mkfifo(file.c_str(), 0600), 0);
  cr_assert(same(cached(config, root), compiled(config))); // and does not hang
}

Test(seccomp_cache, a_cache_directory_others_could_write_is_not_used) {
  TempRoot root;
  Seccomp config = profile();
  std::string file = root.file_for(config);
  plant(file, cache::encode(*cache::key_of(config), planted()));
  cr_assert_eq(::chmod(root.dir().c_str(), 0777), 0);
  cr_assert(same(cached(config, root), compiled(config)));
  // Not written either: the directory is not berth's alone.
  cr_assert(same(*cache::decode(slurp(file), *cache::key_of(config)), planted()));

  // The same for @cache, and for a symlink in its place.
  TempRoot second;
  fs::create_directories(second.path + "/elsewhere/seccomp");
  cr_assert_eq(::chmod((second.path + "/elsewhere").c_str(), 0700), 0);
  cr_assert_eq(::chmod((second.path + "/elsewhere/seccomp").c_str(), 0700), 0);
  cr_assert_eq(::symlink("elsewhere", (second.path + "/@cache").c_str()), 0);
  cr_assert(same(cached(config, second), compiled(config)));
  cr_assert_eq(entries_in(second.path + "/elsewhere/seccomp"), 0u);
}

Test(seccomp_cache, no_usable_cache_still_compiles) {
  Seccomp config = profile();
  // No state root yet: the state store creates it, not the cache.
  {
    TempRoot root;
    std::string missing = root.path + "/not-yet";
    auto program = seccomp::compile_cached(config, missing);
    cr_assert(program.has_value());
    cr_assert(same(*program, compiled(config)));
    cr_assert(!fs::exists(missing));
  }
  // @cache taken by a file: no directory can be made there.
  {
    TempRoot root;
    plant(root.path + "/@cache", "not a directory");
    cr_assert(same(cached(config, root), compiled(config)));
  }
  // A relative root is not used.
  {
    auto program = seccomp::compile_cached(config, "relative/root");
    cr_assert(program.has_value());
    cr_assert(!fs::exists("relative"));
  }
}

Test(seccomp_cache, a_read_only_state_root_still_compiles) {
  if (::geteuid() != 0)
    cr_skip_test("needs root (a read-only bind mount in a private mount namespace)");
  TempRoot root;
  Seccomp config = profile();
  std::string report = test::run_in_child([&]() -> std::string {
    if (::unshare(CLONE_NEWNS) < 0 ||
        ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0)
      return "ERR unshare";
    if (::mount(root.path.c_str(), root.path.c_str(), nullptr, MS_BIND, nullptr) < 0 ||
        ::mount(nullptr, root.path.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) < 0)
      return "ERR read-only bind mount";
    auto program = seccomp::compile_cached(config, root.path);
    if (!program)
      return "ERR " + program.error().message();
    return same(*program, compiled(config)) ? "OK" : "ERR another program";
  });
  BERTH_ASSERT_STR_EQ(report, "OK");
  cr_assert(!fs::exists(root.path + "/@cache"));
}

Test(seccomp_cache, different_profiles_get_different_files) {
  TempRoot root;
  Seccomp a = profile();
  Seccomp b = profile({"getppid", "chmod"});
  Seccomp errno_differs = profile();
  errno_differs.syscalls[0].errno_ret = 39;
  Seccomp arch_differs = profile();
  arch_differs.architectures.pop_back();
  Seccomp flag_differs = profile();
  flag_differs.flags = {"SECCOMP_FILTER_FLAG_LOG"};
  Seccomp with_listener = profile();
  with_listener.listener_path = "/run/agent-1.sock";
  std::vector<std::string> files;
  for (const Seccomp *config :
       {&a, &b, &errno_differs, &arch_differs, &flag_differs, &with_listener}) {
    cr_assert(same(cached(*config, root), compiled(*config)));
    files.push_back(root.file_for(*config));
    assert_holds(root, *config);
  }
  cr_assert_eq(entries_in(root.dir()), files.size());

  // Only whether there is a listener counts: per-container paths and
  // metadata share one file.
  Seccomp other_listener = with_listener;
  other_listener.listener_path = "/run/agent-2.sock";
  other_listener.listener_metadata = "container 2";
  BERTH_ASSERT_STR_EQ(root.file_for(other_listener), root.file_for(with_listener));
  cr_assert_eq(*cache::key_of(other_listener), *cache::key_of(with_listener));

  // The ENOSYS prologue is part of the program: with and without it are two keys.
  cr_assert_neq(*cache::key_of(a, true), *cache::key_of(a, false));
}

Test(seccomp_cache, keys_are_deterministic_and_files_round_trip) {
  Seccomp config = profile();
  auto key = cache::key_of(config);
  cr_assert(key.has_value());
  cr_assert_eq(*key, *cache::key_of(profile()));
  cr_assert_eq(cache::file_name(*key).size(), 16u);
  seccomp::Program program = compiled(config);
  program.flags = SECCOMP_FILTER_FLAG_LOG;
  auto back = cache::decode(cache::encode(*key, program), *key);
  cr_assert(back.has_value());
  cr_assert(same(*back, program));
  cr_assert(!cache::decode(cache::encode(*key, program), *key + "x").has_value());
}

Test(seccomp_cache, config_errors_are_reported_and_not_kept) {
  TempRoot root;
  Seccomp config = profile();
  config.default_action = "SCMP_ACT_NOPE";
  auto program = seccomp::compile_cached(config, root.path);
  cr_assert(!program.has_value());
  cr_assert(program.error().message().find("unknown seccomp action") != std::string::npos, "%s",
            program.error().message().c_str());
  cr_assert_eq(entries_in(root.dir()), 0u);
}

Test(seccomp_cache, the_oldest_files_go_past_the_limit) {
  TempRoot root;
  fs::create_directories(root.dir());
  ::chmod((root.path + "/@cache").c_str(), 0700);
  ::chmod(root.dir().c_str(), 0700);
  // kMaxCacheFiles + 5 older files, the first ones oldest.
  std::size_t planted_count = cache::kMaxCacheFiles + 5;
  for (std::size_t i = 0; i < planted_count; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "%016zx", i);
    std::string path = root.dir() + "/" + name;
    plant(path, "old");
    struct timespec times[2] = {{static_cast<time_t>(1000 + i), 0},
                                {static_cast<time_t>(1000 + i), 0}};
    cr_assert_eq(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
  }
  Seccomp config = profile();
  cr_assert(same(cached(config, root), compiled(config)));
  cr_assert_eq(entries_in(root.dir()), cache::kMaxCacheFiles);
  assert_holds(root, config);
  // The six oldest went (five over the limit, plus room for the new one).
  for (std::size_t i = 0; i < planted_count; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "%016zx", i);
    bool kept = fs::exists(root.dir() + "/" + name);
    cr_assert_eq(kept, i >= 6, "file %zu %s", i, kept ? "kept" : "removed");
  }
}
