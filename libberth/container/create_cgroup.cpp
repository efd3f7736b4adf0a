#include "container/create_cgroup.hpp"

#include <unistd.h>

#include <algorithm>

#include "cgroup/resources.hpp"

namespace berth::container {
namespace {

bool not_delegated(const Error &error) {
  int e = error.errno_value();
  return e == EACCES || e == EPERM || e == EROFS;
}

// The controllers linux.resources sets limits in, device rules aside; empty
// when it sets none.
std::vector<std::string> limited_controllers(const spec::Config &config) {
  std::vector<std::string> controllers;
  if (!config.linux || !config.linux->resources)
    return controllers;
  spec::Resources limits = *config.linux->resources;
  limits.devices.clear();
  auto writes = cgroup::v1_writes(limits);
  if (!writes)
    writes = cgroup::v2_writes(limits);
  if (!writes)
    return {"linux.resources"}; // asks for something neither version expresses alone
  for (const auto &w : *writes)
    if (std::find(controllers.begin(), controllers.end(), w.controller) == controllers.end())
      controllers.push_back(w.controller);
  return controllers;
}

std::string join(const std::vector<std::string> &items) {
  std::string out;
  for (const auto &item : items)
    out += (out.empty() ? "" : ", ") + item;
  return out;
}

} // namespace

Result<bool> create_cgroup(cgroup::Manager &cgroups, const spec::Config &config, bool rootless,
                           std::vector<std::string> &warnings) {
  auto created = cgroups.create();
  if (created)
    return true;
  if (!rootless || !not_delegated(created.error()))
    return fail(std::move(created).error());
  std::string why = created.error().message();
  auto limited = limited_controllers(config);
  if (!limited.empty())
    return fail("rootless: linux.resources sets limits (" + join(limited) +
                ") that need a cgroup, and uid " + std::to_string(::geteuid()) +
                " cannot create one (not delegated): " + why);
  warnings.push_back("rootless: the container has no cgroup (" + why +
                     "): pause, resume, update and events need one");
  return false;
}

Result<void> apply_resources(cgroup::Manager &cgroups, const spec::Resources &resources,
                             bool rootless) {
  if (!rootless)
    return cgroups.apply(resources);
  // update() writes what is given and, with no device rules, leaves the
  // device cgroup alone (apply() always writes the default rules).
  spec::Resources limits = resources;
  limits.devices.clear();
  return cgroups.update(limits);
}

} // namespace berth::container
