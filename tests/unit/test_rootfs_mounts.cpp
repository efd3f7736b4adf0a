// The mount, device and masking steps against a real kernel, each in a forked
// child with a private mount namespace so nothing reaches the test's own. Needs
// root (CAP_SYS_ADMIN); skipped otherwise.
#include <criterion/criterion.h>

#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <variant>

#include "fork_child.hpp"
#include "linux/devices.hpp"
#include "linux/idmapped_mount.hpp"
#include "linux/masked_paths.hpp"
#include "linux/mounts.hpp"
#include "linux/rootfs_plan.hpp"

using namespace berth;
namespace fs = std::filesystem;

namespace {

fs::path base;

void setup() {
  if (::geteuid() != 0)
    cr_skip_test("needs root");
  char templ[] = "/tmp/berth-rootfs-mounts-XXXXXX";
  cr_assert_not_null(::mkdtemp(templ));
  base = templ;
  fs::create_directories(base / "root");
  fs::create_directories(base / "outside");
  fs::create_directories(base / "source");
  std::ofstream(base / "source" / "file") << "from the host";
}

void teardown() {
  std::error_code ignored;
  if (!base.empty())
    fs::remove_all(base, ignored);
}

// Runs `body` in a child with its own mount namespace and the root fd open.
std::string in_mount_namespace(const std::function<std::string(int root_fd)> &body) {
  return test::run_in_child([&] {
    if (::unshare(CLONE_NEWNS) < 0 ||
        ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0)
      return std::string("ERR unshare");
    int root_fd = ::open((base / "root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root_fd < 0)
      return std::string("ERR open root");
    return body(root_fd);
  });
}

spec::Mount mount_of(std::string destination, std::string type, std::string source,
                     std::vector<std::string> options) {
  spec::Mount mount;
  mount.destination = std::move(destination);
  if (!type.empty())
    mount.type = std::move(type);
  mount.source = std::move(source);
  mount.options = std::move(options);
  return mount;
}

// Plans and performs each of `mounts` in `context`, as prepare_rootfs does.
std::string mount_all_in(const std::vector<spec::Mount> &mounts,
                         const linux::MountContext &context) {
  spec::Config config;
  config.mounts = mounts;
  for (std::size_t i = 0; i < config.mounts.size(); ++i) {
    auto step = linux::plan_mount_step(config, i);
    if (!step)
      return "ERR " + step.error().message();
    if (auto done = linux::perform_mount_step(*step, context); !done)
      return "ERR " + done.error().message();
  }
  return "";
}

std::string mount_all(int root_fd, const std::vector<spec::Mount> &mounts) {
  linux::MountContext context;
  context.root_fd = root_fd;
  return mount_all_in(mounts, context);
}

std::string flags_of(const fs::path &path) {
  struct statvfs st {};
  if (::statvfs(path.c_str(), &st) < 0)
    return "ERR statvfs";
  std::string out;
  if (st.f_flag & ST_RDONLY)
    out += "ro ";
  if (st.f_flag & ST_NOSUID)
    out += "nosuid ";
  if (st.f_flag & ST_NODEV)
    out += "nodev ";
  if (st.f_flag & ST_NOEXEC)
    out += "noexec ";
  return out;
}

bool is_tmpfs(const fs::path &path) {
  struct statfs st {};
  return ::statfs(path.c_str(), &st) == 0 && st.f_type == TMPFS_MAGIC;
}

} // namespace

TestSuite(rootfs_mounts, .init = setup, .fini = teardown);

Test(rootfs_mounts, tmpfs_gets_its_flags_and_data) {
  auto report = in_mount_namespace([](int root_fd) {
    auto error = mount_all(root_fd, {mount_of("/run/t", "tmpfs", "tmpfs",
                                              {"nosuid", "nodev", "noexec", "mode=700", "ro"})});
    if (!error.empty())
      return error;
    struct stat st {};
    ::stat((base / "root/run/t").c_str(), &st);
    return flags_of(base / "root/run/t") + "mode=" + std::to_string(st.st_mode & 07777);
  });
  cr_expect_eq(report, std::string("ro nosuid nodev noexec mode=448"));
}

Test(rootfs_mounts, read_only_bind_of_a_file_and_a_directory) {
  auto report = in_mount_namespace([](int root_fd) {
    auto error = mount_all(
        root_fd,
        {
            mount_of("/data", "bind", (base / "source").string(), {"rbind", "ro", "nosuid"}),
            mount_of("/etc/file", "", (base / "source/file").string(), {"bind", "ro"}),
        });
    if (!error.empty())
      return error;
    std::string content;
    std::getline(std::ifstream(base / "root/etc/file"), content);
    bool write_refused =
        ::open((base / "root/data/new").c_str(), O_CREAT | O_WRONLY, 0600) < 0 && errno == EROFS;
    return flags_of(base / "root/data") + "|" + content + "|" + (write_refused ? "erofs" : "rw");
  });
  cr_expect_eq(report, std::string("ro nosuid |from the host|erofs"));
  cr_expect(!fs::exists(base / "source/new"));
}

Test(rootfs_mounts, hostile_symlinks_cannot_move_a_mount_out_of_the_root) {
  fs::create_directory_symlink("/", base / "root/x");
  fs::create_directory_symlink(base / "outside", base / "root/out");
  // The links are resolved in the root: what they name is created there (the
  // host's directory is never touched), and that is where the mounts go.
  auto report = in_mount_namespace([](int root_fd) {
    auto error = mount_all(root_fd, {mount_of("/out/m", "tmpfs", "tmpfs", {}),
                                     mount_of("/x/" + (base / "outside/n").relative_path().string(),
                                              "tmpfs", "tmpfs", {})});
    if (!error.empty())
      return error;
    auto inside = base / "root" / (base / "outside").relative_path();
    return std::string(is_tmpfs(inside / "m") ? "m inside " : "m missing ") +
           (is_tmpfs(inside / "n") ? "n inside " : "n missing ") +
           (fs::exists(base / "outside/m") || fs::exists(base / "outside/n") ? "LEAKED" : "clean");
  });
  cr_expect_eq(report, std::string("m inside n inside clean"), "%s", report.c_str());
}

Test(rootfs_mounts, proc_through_a_symlink_is_refused) {
  fs::create_directory_symlink(base / "outside", base / "root/proc");
  auto report = in_mount_namespace(
      [](int root_fd) { return mount_all(root_fd, {mount_of("/proc", "proc", "proc", {})}); });
  cr_expect(report.starts_with("ERR mount proc on /proc"), "%s", report.c_str());
  cr_expect(fs::is_empty(base / "outside"));
}

Test(rootfs_mounts, devices_and_masks) {
  fs::create_directories(base / "root/secret-dir");
  std::ofstream(base / "root/secret-dir/data") << "hidden";
  std::ofstream(base / "root/secret-file") << "hidden";
  auto report = in_mount_namespace([](int root_fd) {
    auto error = mount_all(root_fd, {mount_of("/dev", "tmpfs", "tmpfs", {"mode=755"})});
    if (!error.empty())
      return error;
    spec::Config config;
    config.linux.emplace();
    config.linux->devices.push_back({"c", "/dev/net/tun", 10, 200, 0600u, {}, {}});
    auto plan = linux::plan_rootfs(config, {});
    if (!plan)
      return "ERR " + plan.error().message();
    for (const auto &step : plan->prepare) {
      Result<void> done;
      if (const auto *device = std::get_if<linux::DeviceStep>(&step))
        done = linux::create_device(root_fd, *device);
      else if (const auto *link = std::get_if<linux::DevSymlinkStep>(&step))
        done = linux::create_dev_symlink(root_fd, *link);
      if (!done)
        return "ERR " + done.error().message();
    }
    if (auto masked =
            linux::mask_paths(root_fd, {"/secret-dir", "/secret-file", "/does/not/exist"});
        !masked)
      return "ERR " + masked.error().message();
    struct stat null {
    }, tun{};
    ::stat((base / "root/dev/null").c_str(), &null);
    ::stat((base / "root/dev/net/tun").c_str(), &tun);
    std::string file;
    std::getline(std::ifstream(base / "root/secret-file"), file);
    return std::string(S_ISCHR(null.st_mode) && null.st_rdev == ::makedev(1, 3) ? "null " : "") +
           (S_ISCHR(tun.st_mode) && (tun.st_mode & 07777) == 0600 ? "tun " : "") +
           (fs::read_symlink(base / "root/dev/fd") == "/proc/self/fd" ? "fd " : "") +
           (fs::is_empty(base / "root/secret-dir") ? "dir-masked " : "") +
           (file.empty() ? "file-masked" : "file-visible");
  });
  cr_expect_eq(report, std::string("null tun fd dir-masked file-masked"));
}

Test(rootfs_mounts, a_fake_dev_null_is_refused_for_masking) {
  fs::create_directories(base / "root/dev");
  std::ofstream(base / "root/dev/null") << "not a device";
  std::ofstream(base / "root/secret-file") << "hidden";
  auto report = in_mount_namespace([](int root_fd) {
    auto masked = linux::mask_paths(root_fd, {"/secret-file"});
    return masked ? std::string("masked") : "ERR " + masked.error().message();
  });
  cr_expect(report.find("not the null device") != std::string::npos, "%s", report.c_str());
}

Test(rootfs_mounts, readonly_paths_keep_their_flags) {
  auto report = in_mount_namespace([](int root_fd) {
    auto error =
        mount_all(root_fd, {mount_of("/state", "tmpfs", "tmpfs", {"nosuid", "nodev", "noexec"})});
    if (!error.empty())
      return error;
    fs::create_directories(base / "root/state/sub");
    if (auto ro = linux::make_paths_readonly(root_fd, {"/state/sub", "/missing"}); !ro)
      return "ERR " + ro.error().message();
    return flags_of(base / "root/state/sub") + "|" + flags_of(base / "root/state");
  });
  cr_expect_eq(report, std::string("ro nosuid nodev noexec |nosuid nodev noexec "));
}

namespace {

// Mounts `mounts` as prepare_rootfs does, with the idmapped trees built in this
// process (berth's side and the init's are one process here), and reports the
// owners of `paths` below the root.
std::string idmapped_owners(int root_fd, const std::vector<spec::Mount> &mounts,
                            const std::vector<std::string> &paths) {
  spec::Config config;
  config.mounts = mounts;
  linux::MountContext context;
  context.root_fd = root_fd;
  context.idmapped_tree = [&](std::size_t index) {
    return linux::create_idmapped_bind(config.mounts[index], config, AT_FDCWD, ::getpid());
  };
  if (auto error = mount_all_in(mounts, context); !error.empty())
    return error;
  std::string out;
  for (const auto &path : paths) {
    struct stat st {};
    if (::stat((base / "root" / path).c_str(), &st) < 0)
      return "ERR stat " + path;
    out += std::to_string(st.st_uid) + ":" + std::to_string(st.st_gid) + " ";
  }
  return out;
}

spec::Mount idmapped_mount_of(std::string destination, std::vector<std::string> options) {
  spec::Mount mount =
      mount_of(std::move(destination), "bind", (base / "source").string(), std::move(options));
  mount.uid_mappings = {{.container_id = 1000, .host_id = 5000, .size = 2}};
  mount.gid_mappings = {{.container_id = 1000, .host_id = 7000, .size = 2}};
  return mount;
}

// The source: a file owned by 1000:1001 and, on a tmpfs mounted below it, one
// owned by 1001:1000. Made in the child, whose mount namespace is private.
bool make_nested_source() {
  fs::create_directories(base / "source/sub");
  if (::chown((base / "source/file").c_str(), 1000, 1001) < 0 ||
      ::mount("tmpfs", (base / "source/sub").c_str(), "tmpfs", 0, "mode=755") < 0)
    return false;
  std::ofstream(base / "source/sub/below") << "below";
  return ::chown((base / "source/sub/below").c_str(), 1001, 1000) == 0;
}

} // namespace

Test(rootfs_mounts, idmapped_bind_shows_the_mapped_owners) {
  auto report = in_mount_namespace([](int root_fd) {
    if (!make_nested_source())
      return std::string("ERR source");
    return idmapped_owners(
        root_fd,
        {idmapped_mount_of("/top", {"rbind", "idmap"}),
         idmapped_mount_of("/all", {"rbind", "ridmap"}), idmapped_mount_of("/implied", {"rbind"})},
        {"top/file", "top/sub/below", "all/file", "all/sub/below", "implied/sub/below"});
  });
  // "idmap" maps the top mount only; "ridmap", and mappings alone on an rbind,
  // the tmpfs below too.
  cr_expect_eq(report, std::string("5000:7001 1001:1000 5000:7001 5001:7000 5001:7000 "));
}

Test(rootfs_mounts, idmapped_bind_of_an_unsupporting_filesystem_is_refused) {
  auto report = in_mount_namespace([](int root_fd) {
    fs::create_directories(base / "source/sub");
    if (::mount("ramfs", (base / "source").c_str(), "ramfs", 0, nullptr) < 0)
      return std::string("ERR ramfs");
    return idmapped_owners(root_fd, {idmapped_mount_of("/data", {"bind", "idmap"})}, {});
  });
  cr_expect(report.find("does not support idmapped mounts") != std::string::npos, "%s",
            report.c_str());
  cr_expect(report.find("/mounts/0: idmapped mount") == 4, "%s", report.c_str());
}
