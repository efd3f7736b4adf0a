// linux.sysctl: which keys a container may set, and writing them.
#include <sys/stat.h>

#include <optional>

#include "linux/process_setup.hpp"
#include "sys/procfs_write.hpp"
#include "tables/namespaces.hpp"
#include "json/value.hpp"

namespace berth::linux {

namespace {

// The JSON pointer of a sysctl key: '~' and '/' are escaped per RFC 6901, so
// that the error names the member even for the keys it refuses.
std::string pointer_to(std::string_view key) {
  return json::pointer_append("/linux/sysctl", key);
}

Result<void> check_key_syntax(std::string_view key) {
  if (key.empty())
    return fail("the key is empty");
  if (key.find('/') != std::string_view::npos)
    return fail("the key contains '/'; components are separated by '.'");
  if (key.find('\0') != std::string_view::npos)
    return fail("the key contains a NUL byte");
  // With '.' as the separator an empty component is also how ".." would show.
  if (key.front() == '.' || key.back() == '.' || key.find("..") != std::string_view::npos)
    return fail("the key has an empty component");
  return {};
}

// The namespace that isolates a sysctl, or nullopt when no namespace does and
// setting it would change the host.
std::optional<spec::NamespaceType> isolating_namespace(std::string_view key) {
  if (key.starts_with("kernel.msg") || key.starts_with("kernel.shm") || key == "kernel.sem" ||
      key == "kernel.sem_next_id" || key.starts_with("fs.mqueue."))
    return spec::NamespaceType::Ipc;
  if (key.starts_with("net."))
    return spec::NamespaceType::Network;
  if (key == "kernel.hostname" || key == "kernel.domainname")
    return spec::NamespaceType::Uts;
  return std::nullopt;
}

const spec::Namespace *find_namespace(const spec::Config &config, spec::NamespaceType type) {
  return config.linux ? config.linux->find_namespace(type) : nullptr;
}

// kernel.hostname and kernel.domainname set what the config's hostname and
// domainname fields set: with both, which one wins would be an accident of the
// order berth applies them in. Refused, as runc and crun refuse it.
Result<void> check_uts_field_conflict(const spec::Config &config, std::string_view key) {
  const std::optional<std::string> *field = nullptr;
  std::string_view field_name;
  if (key == "kernel.hostname") {
    field = &config.hostname;
    field_name = "/hostname";
  } else if (key == "kernel.domainname") {
    field = &config.domainname;
    field_name = "/domainname";
  }
  if (!field || !*field || (*field)->empty())
    return {};
  return fail(pointer_to(key) + ": conflicts with " + std::string(field_name) +
              ", which sets the same name; set only one of them");
}

// Checks the key and returns the namespace it needs.
Result<spec::NamespaceType> classify(const spec::Config &config, std::string_view key) {
  BERTH_TRY_CTX(check_key_syntax(key), pointer_to(key));
  auto type = isolating_namespace(key);
  if (!type)
    return fail(pointer_to(key) +
                ": not a namespaced sysctl; setting it would change the host, so berth refuses it");
  if (!find_namespace(config, *type))
    return fail(pointer_to(key) + ": needs linux.namespaces to give the container its own " +
                std::string(tables::namespace_info(*type).name) + " namespace");
  BERTH_TRY(check_uts_field_conflict(config, key));
  return *type;
}

// Dots become slashes: "net.ipv4.ip_forward" is net/ipv4/ip_forward.
std::string relative_path(std::string_view key) {
  std::string path(key);
  for (char &c : path)
    if (c == '.')
      c = '/';
  return path;
}

// Refuses a joined namespace that is the runtime's own: writing its sysctls
// would change the host (or whatever namespace berth itself runs in).
Result<void> check_not_runtime_namespace(const spec::Namespace &ns, std::string_view key) {
  if (!ns.path)
    return {};
  const auto &info = tables::namespace_info(ns.type);
  struct stat joined {};
  if (::stat(ns.path->c_str(), &joined) < 0)
    return fail_errno(pointer_to(key) + ": stat " + *ns.path);
  std::string own_path = "/proc/self/ns/" + std::string(info.proc_name);
  struct stat own {};
  if (::stat(own_path.c_str(), &own) < 0)
    return fail_errno(pointer_to(key) + ": stat " + own_path);
  if (joined.st_dev == own.st_dev && joined.st_ino == own.st_ino)
    return fail(pointer_to(key) + ": the " + std::string(info.name) + " namespace " + *ns.path +
                " is the runtime's own (the host's); its sysctls are not the container's to set");
  return {};
}

} // namespace

Result<void> check_sysctl(const spec::Config &config, std::string_view key) {
  BERTH_TRY(classify(config, key));
  return {};
}

Result<void> validate_sysctl(const spec::Config &config) {
  if (!config.linux)
    return {};
  for (const auto &[key, value] : config.linux->sysctl) {
    BERTH_TRY_ASSIGN(auto type, classify(config, key));
    BERTH_TRY(check_not_runtime_namespace(*find_namespace(config, type), key));
  }
  return {};
}

Result<void> apply_sysctl(const spec::Config &config) {
  if (!config.linux || config.linux->sysctl.empty())
    return {};
  // Every key is checked before the first write, so a refused key leaves none
  // of the others half-applied.
  for (const auto &[key, value] : config.linux->sysctl)
    BERTH_TRY(check_sysctl(config, key));
  BERTH_TRY_ASSIGN(UniqueFd proc_sys, sys::open_procfs_dir("/proc/sys"));
  for (const auto &[key, value] : config.linux->sysctl) {
    std::string relative = relative_path(key);
    BERTH_TRY_CTX(sys::write_procfs_file(proc_sys.get(), relative, value, "/proc/sys/" + relative),
                  "sysctl " + key);
  }
  return {};
}

} // namespace berth::linux
