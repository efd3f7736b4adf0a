// The config.json `berth spec` writes: a starting point people edit, with the
// same defaults runc and crun give (a shell on a read-only rootfs, the standard
// /proc, /dev and /sys mounts, a few harmless capabilities, no device access),
// so that a bundle made with any of them runs the same under berth.
#pragma once

#include <sys/types.h>

#include "json/value.hpp"

namespace berth::spec {

struct DefaultConfigOptions {
  // A config an unprivileged user can run (`spec --rootless`): a user namespace
  // mapping the caller to root and nothing else, no network namespace (an
  // unprivileged user could not connect a new one to anything), /sys bound
  // from the host (sysfs cannot be mounted without owning the network
  // namespace), no uid=/gid= mount options (ids outside the one-id mapping),
  // and no linux.resources (an unprivileged caller cannot use the host's
  // cgroups).
  bool rootless = false;
  uid_t host_uid = 0; // rootless: the host ids container root maps to
  gid_t host_gid = 0;
  // Adds a cgroup namespace, so /sys/fs/cgroup shows only the container's own
  // cgroup. runc adds one where the host's cgroups are v2 only; `berth spec`
  // follows it.
  bool cgroup_namespace = false;
};

json::Value default_config(const DefaultConfigOptions &options = {});

} // namespace berth::spec
