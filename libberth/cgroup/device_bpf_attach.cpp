// Loading the device program and attaching it to a cgroup, through bpf(2)
// directly (no libbpf). BPF memory is charged to the memory cgroup since
// Linux 5.11, so nothing here touches RLIMIT_MEMLOCK.
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "cgroup/device_bpf.hpp"

namespace berth::cgroup {
namespace {

static_assert(sizeof kDeviceProgramName <= BPF_OBJ_NAME_LEN, "the kernel keeps 15 characters");

// bpf(2) checks that every byte it does not use for `cmd` is zero.
bpf_attr zeroed_attr() {
  bpf_attr attr;
  std::memset(&attr, 0, sizeof attr);
  return attr;
}

long bpf(int cmd, bpf_attr &attr) {
  return ::syscall(SYS_bpf, cmd, &attr, sizeof attr);
}

template <class T> std::uint64_t pointer_value(T *pointer) {
  return reinterpret_cast<std::uintptr_t>(pointer);
}

int load(const std::vector<bpf_insn> &program, char *log, std::uint32_t log_size) {
  static constexpr char kLicense[] = "GPL";
  bpf_attr attr = zeroed_attr();
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = pointer_value(program.data());
  attr.insn_cnt = static_cast<std::uint32_t>(program.size());
  attr.license = pointer_value(kLicense);
  attr.log_level = log ? 1 : 0;
  attr.log_buf = pointer_value(log);
  attr.log_size = log ? log_size : 0;
  std::memcpy(attr.prog_name, kDeviceProgramName, sizeof kDeviceProgramName);
  return static_cast<int>(bpf(BPF_PROG_LOAD, attr));
}

// The verifier's log ends with why it refused and a line of statistics; the
// lines before trace every instruction, which an error message does not need.
std::string log_tail(std::string_view log) {
  constexpr std::size_t kLines = 2;
  std::vector<std::string_view> lines;
  for (std::size_t start = 0; start < log.size();) {
    std::size_t end = std::min(log.find('\n', start), log.size());
    if (end > start)
      lines.push_back(log.substr(start, end - start));
    start = end + 1;
  }
  std::string tail;
  for (std::size_t i = lines.size() > kLines ? lines.size() - kLines : 0; i < lines.size(); ++i) {
    if (!tail.empty())
      tail += "; ";
    tail += lines[i];
  }
  return tail;
}

Result<std::vector<std::uint32_t>> attached_program_ids(int cgroup_dirfd) {
  std::vector<std::uint32_t> ids(16);
  for (;;) {
    bpf_attr attr = zeroed_attr();
    attr.query.target_fd = static_cast<std::uint32_t>(cgroup_dirfd);
    attr.query.attach_type = BPF_CGROUP_DEVICE;
    attr.query.prog_ids = pointer_value(ids.data());
    attr.query.prog_cnt = static_cast<std::uint32_t>(ids.size());
    if (bpf(BPF_PROG_QUERY, attr) == 0) {
      ids.resize(attr.query.prog_cnt);
      return ids;
    }
    // Too small a buffer: prog_cnt now says how many there are.
    if (errno != ENOSPC || attr.query.prog_cnt <= ids.size())
      return fail_errno("query the cgroup's device programs");
    ids.resize(attr.query.prog_cnt);
  }
}

// An fd for an attached program that berth attached, or an invalid fd for
// someone else's (or one that went away meanwhile).
Result<UniqueFd> open_if_berths(std::uint32_t id) {
  bpf_attr attr = zeroed_attr();
  attr.prog_id = id;
  UniqueFd program(static_cast<int>(bpf(BPF_PROG_GET_FD_BY_ID, attr)));
  if (!program) {
    if (errno == ENOENT)
      return UniqueFd();
    return fail_errno("open device program " + std::to_string(id));
  }
  bpf_prog_info info;
  std::memset(&info, 0, sizeof info);
  attr = zeroed_attr();
  attr.info.bpf_fd = static_cast<std::uint32_t>(program.get());
  attr.info.info_len = sizeof info;
  attr.info.info = pointer_value(&info);
  if (bpf(BPF_OBJ_GET_INFO_BY_FD, attr) < 0)
    return fail_errno("read device program " + std::to_string(id));
  if (info.type != BPF_PROG_TYPE_CGROUP_DEVICE ||
      std::strncmp(info.name, kDeviceProgramName, sizeof info.name) != 0)
    return UniqueFd();
  return program;
}

Result<std::vector<UniqueFd>> berth_programs(int cgroup_dirfd) {
  BERTH_TRY_ASSIGN(auto ids, attached_program_ids(cgroup_dirfd));
  std::vector<UniqueFd> programs;
  for (std::uint32_t id : ids) {
    BERTH_TRY_ASSIGN(UniqueFd program, open_if_berths(id));
    if (program)
      programs.push_back(std::move(program));
  }
  return programs;
}

Result<void> attach(int cgroup_dirfd, int program_fd, int replaced_fd) {
  bpf_attr attr = zeroed_attr();
  attr.target_fd = static_cast<std::uint32_t>(cgroup_dirfd);
  attr.attach_bpf_fd = static_cast<std::uint32_t>(program_fd);
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (replaced_fd >= 0) {
    attr.attach_flags |= BPF_F_REPLACE;
    attr.replace_bpf_fd = static_cast<std::uint32_t>(replaced_fd);
  }
  if (bpf(BPF_PROG_ATTACH, attr) < 0)
    return fail_errno(replaced_fd >= 0 ? "replace the device program"
                                       : "attach the device program");
  return {};
}

Result<void> detach(int cgroup_dirfd, int program_fd) {
  bpf_attr attr = zeroed_attr();
  attr.target_fd = static_cast<std::uint32_t>(cgroup_dirfd);
  attr.attach_bpf_fd = static_cast<std::uint32_t>(program_fd);
  attr.attach_type = BPF_CGROUP_DEVICE;
  if (bpf(BPF_PROG_DETACH, attr) < 0 && errno != ENOENT)
    return fail_errno("detach a device program");
  return {};
}

} // namespace

Result<UniqueFd> load_device_program(const std::vector<bpf_insn> &program) {
  UniqueFd fd(load(program, nullptr, 0));
  if (fd)
    return fd;
  const int load_errno = errno;
  // Loaded again only to learn why: the log slows every load down.
  std::string log(1u << 20, '\0');
  UniqueFd retry(load(program, log.data(), static_cast<std::uint32_t>(log.size())));
  if (retry)
    return retry; // refused once for a passing reason (EAGAIN, ENOMEM)
  std::string why = log_tail(log.c_str());
  return fail(why.empty() ? "load the device program" : "load the device program: " + why,
              load_errno);
}

Result<void> attach_device_program(int cgroup_dirfd, const std::vector<bpf_insn> &program) {
  BERTH_TRY_ASSIGN(UniqueFd loaded, load_device_program(program));
  BERTH_TRY_ASSIGN(std::vector<UniqueFd> previous, berth_programs(cgroup_dirfd));
  BERTH_TRY(attach(cgroup_dirfd, loaded.get(), previous.empty() ? -1 : previous.front().get()));
  // More than one only when two attaches raced: the new program stands alone.
  for (std::size_t i = 1; i < previous.size(); ++i)
    BERTH_TRY(detach(cgroup_dirfd, previous[i].get()));
  return {};
}

Result<void> detach_device_programs(int cgroup_dirfd) {
  BERTH_TRY_ASSIGN(std::vector<UniqueFd> programs, berth_programs(cgroup_dirfd));
  for (const auto &program : programs)
    BERTH_TRY(detach(cgroup_dirfd, program.get()));
  return {};
}

} // namespace berth::cgroup
