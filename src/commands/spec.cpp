#include <fcntl.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "commands.hpp"
#include "spec/default_config.hpp"
#include "sys/syscalls.hpp"
#include "sys/unique_fd.hpp"
#include "json/value.hpp"

namespace berth::cli {
namespace {

// runc gives the default config a cgroup namespace only where the host's
// cgroups are v2 alone; on v1 and hybrid hosts it keeps the host's view.
bool host_cgroups_unified() {
  struct statfs fs {};
  return ::statfs("/sys/fs/cgroup", &fs) == 0 &&
         static_cast<unsigned long>(fs.f_type) == CGROUP2_SUPER_MAGIC;
}

} // namespace

Result<int> spec_command(const Invocation &invocation) {
  const std::string &bundle = invocation.create.bundle;
  spec::DefaultConfigOptions options{.rootless = invocation.spec_rootless,
                                     .host_uid = ::geteuid(),
                                     .host_gid = ::getegid(),
                                     .cgroup_namespace = host_cgroups_unified()};
  std::string text = json::serialize_indented(spec::default_config(options));

  BERTH_TRY_ASSIGN(UniqueFd dir,
                   with_context(sys::open_path(bundle, O_PATH | O_DIRECTORY), "spec"));
  const std::string path = bundle + "/config.json";
  // O_EXCL: an existing config.json is someone's work, and is never replaced
  // (not even through a symlink of that name).
  UniqueFd file(::openat(dir.get(), "config.json",
                         O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666));
  if (!file.valid()) {
    if (errno == EEXIST)
      return fail("spec: " + path + " already exists: remove it first");
    return fail_errno("spec: create " + path);
  }
  if (auto written = sys::write_all(file.get(), text); !written) {
    ::unlinkat(dir.get(), "config.json", 0);
    return fail(std::move(written).error().context("spec: write " + path));
  }
  return 0;
}

} // namespace berth::cli
