#include "container/criu_args.hpp"

#include <algorithm>

#include "sys/text.hpp"

namespace berth::container {
namespace {

// Flags both directions take the same way.
void add_common(std::vector<std::string> &args, const CriuOptions &options, const char *log) {
  // -v4 with a log file: the file is what berth quotes when criu fails.
  args.insert(args.end(), {"-v4", "-o", log, "--images-dir", options.image_path, "--work-dir",
                           options.work_path.empty() ? options.image_path : options.work_path,
                           "--root", options.root, "--manage-cgroups=ignore"});
  if (options.tcp_established)
    args.emplace_back("--tcp-established");
  if (options.file_locks)
    args.emplace_back("--file-locks");
  if (options.ext_unix_sk)
    args.emplace_back("--ext-unix-sk");
  if (options.shell_job)
    args.emplace_back("--shell-job");
}

bool is_bind(const spec::Mount &mount) {
  if (mount.type == "bind")
    return true;
  return std::ranges::any_of(mount.options,
                             [](const std::string &o) { return o == "bind" || o == "rbind"; });
}

std::string last_component(const std::string &path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string join(const std::string &dir, const std::string &name) {
  if (dir.ends_with('/'))
    return dir + name;
  return dir + "/" + name;
}

} // namespace

std::vector<std::string> criu_dump_args(const std::string &criu, const CriuOptions &options,
                                        pid_t init_pid, bool leave_running) {
  std::vector<std::string> args{criu, "dump", "--tree", std::to_string(init_pid)};
  add_common(args, options, kCriuDumpLog);
  for (const auto &mount : options.external_mounts)
    args.push_back("--external=mnt[" + mount.key + "]:" + mount.key);
  if (leave_running)
    args.emplace_back("--leave-running");
  return args;
}

std::vector<std::string> criu_restore_args(const std::string &criu, const CriuOptions &options,
                                           const std::string &pid_file) {
  std::vector<std::string> args{criu, "restore"};
  add_common(args, options, kCriuRestoreLog);
  for (const auto &mount : options.external_mounts)
    args.push_back("--external=mnt[" + mount.key + "]:" + mount.host_path);
  args.insert(args.end(), {"--restore-detached", "--restore-sibling", "--pidfile", pid_file});
  return args;
}

std::vector<ExternalMount> bind_mounts_of(const spec::Config &config, const std::string &bundle) {
  std::vector<ExternalMount> out;
  for (const auto &mount : config.mounts) {
    if (!is_bind(mount) || !mount.source)
      continue;
    std::string source = *mount.source;
    if (!source.starts_with('/'))
      source = join(bundle, source);
    out.push_back({mount.destination, source});
  }
  return out;
}

std::vector<ExternalMount> cgroup_binds_of(const std::vector<sys::MountInfo> &mounts) {
  std::vector<ExternalMount> out;
  for (const auto &mount : mounts)
    if ((mount.fstype == "cgroup" || mount.fstype == "cgroup2") && mount.root != "/")
      out.push_back({mount.mount_point, ""});
  return out;
}

std::vector<ExternalMount> cgroup_binds_for_restore(const spec::Config &config,
                                                    const json::Value &hierarchies) {
  std::vector<ExternalMount> out;
  // With a cgroup namespace the container mounts cgroupfs itself: nothing is
  // bound from the host.
  if (config.linux && config.linux->find_namespace(spec::NamespaceType::Cgroup))
    return out;
  if (!hierarchies.is_array())
    return out;
  const auto &items = hierarchies.items();
  for (const auto &mount : config.mounts) {
    if (mount.type != "cgroup" && mount.type != "cgroup2")
      continue;
    for (const auto &hierarchy : items) {
      const json::Value *mount_point = hierarchy.find("mount_point");
      const json::Value *path = hierarchy.find("path");
      const json::Value *version = hierarchy.find("version");
      if (!mount_point || !mount_point->is_string() || !path || !path->is_string())
        continue;
      bool pure_v2 = items.size() == 1 && version && version->to_uint64() == 2u;
      std::string key = pure_v2 ? mount.destination
                                : join(mount.destination, last_component(mount_point->text()));
      std::string host = mount_point->text() + path->text();
      out.push_back({std::move(key), std::move(host)});
    }
  }
  return out;
}

std::string criu_log_summary(std::string_view log, std::size_t max_lines) {
  std::vector<std::string_view> errors;
  std::string_view last;
  for (std::string_view line : sys::split_lines(log)) {
    if (line.empty())
      continue;
    // "(00.012345) Error (criu/mount.c:1234): ...": the timestamp says nothing.
    if (line.starts_with('(')) {
      auto close = line.find(") ");
      if (close != std::string_view::npos)
        line.remove_prefix(close + 2);
    }
    last = line;
    if (line.find("Error") != std::string_view::npos)
      errors.push_back(line);
  }
  if (errors.empty())
    return std::string(last);
  std::string out;
  std::size_t first = errors.size() > max_lines ? errors.size() - max_lines : 0;
  for (std::size_t i = first; i < errors.size(); ++i) {
    if (!out.empty())
      out += "; ";
    out += errors[i];
  }
  return out;
}

} // namespace berth::container
