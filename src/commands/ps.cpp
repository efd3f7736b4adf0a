#include <string>
#include <vector>

#include "../host_command.hpp"
#include "../ps_output.hpp"
#include "commands.hpp"

namespace berth::cli {

Result<int> ps_command(const Invocation &invocation) {
  BERTH_TRY_ASSIGN(std::vector<int> pids,
                   container::processes(invocation.global.options, invocation.id));
  if (invocation.ps_format == PsFormat::Json) {
    // As in runc, the ps(1) options do not apply to the JSON form.
    BERTH_TRY(print(pids_json(pids)));
    return 0;
  }
  std::vector<std::string> argv = {"ps"};
  if (invocation.ps_args.empty())
    argv.emplace_back("-ef");
  else
    argv.insert(argv.end(), invocation.ps_args.begin(), invocation.ps_args.end());
  BERTH_TRY_ASSIGN(std::string table, capture_stdout(argv));
  BERTH_TRY_ASSIGN(std::string filtered, filter_ps_table(table, pids));
  BERTH_TRY(print(filtered));
  return 0;
}

} // namespace berth::cli
