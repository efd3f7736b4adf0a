#include <pwd.h>

#include "container/lifecycle.hpp"
#include "sys/syscalls.hpp"
#include "sys/text.hpp"
#include "json/value.hpp"

namespace berth::container {
namespace {

// The static binary has no NSS: /etc/passwd is read directly, as list only
// needs the name for display.
std::string user_name(uid_t uid) {
  auto passwd = sys::read_file("/etc/passwd", 4u << 20);
  if (passwd) {
    for (std::string_view line : sys::split_lines(*passwd)) {
      auto c1 = line.find(':');
      auto c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
      auto c3 = c2 == std::string_view::npos ? c2 : line.find(':', c2 + 1);
      if (c3 == std::string_view::npos)
        continue;
      if (line.substr(c2 + 1, c3 - c2 - 1) == std::to_string(uid))
        return std::string(line.substr(0, c1));
    }
  }
  return std::to_string(uid);
}

} // namespace

std::string_view status_name(Status status) {
  switch (status) {
  case Status::Creating:
    return "creating";
  case Status::Created:
    return "created";
  case Status::Running:
    return "running";
  case Status::Paused:
    return "paused";
  case Status::Stopped:
    return "stopped";
  }
  return "unknown";
}

Status current_status(const StoredState &state) {
  if (!is_alive(state.init))
    return Status::Stopped;
  if (state.creating)
    return Status::Creating;
  if (!state.started)
    return Status::Created;
  auto cgroups = container_cgroup(state);
  if (cgroups && *cgroups) {
    auto frozen = (*cgroups)->frozen();
    if (frozen && *frozen)
      return Status::Paused;
  }
  return Status::Running;
}

Result<std::optional<cgroup::Manager>> container_cgroup(const StoredState &state) {
  if (state.cgroup.is_null())
    return std::optional<cgroup::Manager>();
  BERTH_TRY_ASSIGN(auto manager, cgroup::Manager::from_description(state.cgroup));
  return std::optional<cgroup::Manager>(std::move(manager));
}

State public_state(const StoredState &stored) {
  State state;
  state.oci_version = stored.oci_version;
  state.id = stored.id;
  state.status = current_status(stored);
  state.pid = state.status == Status::Stopped ? 0 : stored.init.pid;
  state.bundle = stored.bundle;
  state.annotations = stored.annotations;
  state.created = stored.created;
  state.owner = user_name(stored.owner);
  return state;
}

std::string State::to_json() const {
  auto v = json::Value::object();
  v.set("ociVersion", json::Value::string(oci_version));
  v.set("id", json::Value::string(id));
  v.set("status", json::Value::string(std::string(status_name(status))));
  v.set("pid", json::Value::number(std::int64_t{pid}));
  v.set("bundle", json::Value::string(bundle));
  if (!annotations.empty()) {
    auto &a = v.set("annotations", json::Value::object());
    for (const auto &[key, value] : annotations)
      a.set(key, json::Value::string(value));
  }
  v.set("created", json::Value::string(created));
  v.set("owner", json::Value::string(owner));
  return json::serialize(v);
}

Result<State> state(const GlobalOptions &global, const std::string &id) {
  BERTH_TRY(validate_id(id));
  BERTH_TRY_ASSIGN(StateDir dir, StateDir::open(global.root, id, LockMode::Shared));
  BERTH_TRY_ASSIGN(StoredState stored, dir.read());
  return public_state(stored);
}

} // namespace berth::container
