#include <sys/stat.h>

#include <cerrno>
#include <cstdint>
#include <string>
#include <thread>

#include "../event_lines.hpp"
#include "commands.hpp"

namespace berth::cli {
namespace {

// Whether the container's story is over: it stopped, or it was deleted. A
// sample fails once `delete` has removed the container; other failures
// (permissions, a broken cgroup) must still be reported.
bool has_ended(const container::GlobalOptions &global, const std::string &id) {
  auto state = container::state(global, id);
  if (state)
    return state->status == container::Status::Stopped;
  struct stat st {};
  return ::stat((global.root + "/" + id).c_str(), &st) < 0 && errno == ENOENT;
}

} // namespace

// Statistics are sampled every --interval. An OOM kill shows as a rise of the
// cgroup's kill counter between two samples: it is reported at the next
// sample, before the statistics, and before the stream ends if the kill
// stopped the container.
Result<int> events_command(const Invocation &invocation) {
  const container::GlobalOptions &global = invocation.global.options;
  const std::string &id = invocation.id;
  BERTH_TRY_ASSIGN(container::EventSample sample, container::sample_events(global, id));
  if (sample.status == container::Status::Stopped)
    return fail(container::container_not_running(id));
  BERTH_TRY(print(stats_event_line(id, sample.stats_json)));
  if (invocation.stats_once)
    return 0;

  std::uint64_t oom_kills = sample.oom_kills;
  for (;;) {
    std::this_thread::sleep_for(invocation.interval);
    auto next = container::sample_events(global, id);
    if (!next) {
      if (has_ended(global, id))
        return 0;
      return fail(std::move(next.error()));
    }
    if (next->oom_kills > oom_kills)
      BERTH_TRY(print(oom_event_line(id)));
    oom_kills = next->oom_kills;
    if (next->status == container::Status::Stopped)
      return 0;
    BERTH_TRY(print(stats_event_line(id, next->stats_json)));
  }
}

} // namespace berth::cli
