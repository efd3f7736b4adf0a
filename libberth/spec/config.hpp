// The OCI runtime-spec configuration (config.json) for Linux, as plain structs.
//
// Field names follow the spec's JSON names so that a reader can go from
// config.md to this file without a dictionary. An absent optional field is
// std::nullopt; an absent array is empty. Only the parser (spec/parser.cpp)
// builds these, and it has already checked types and values when it returns.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tables/namespaces.hpp"

namespace berth::spec {

using StringMap = std::map<std::string, std::string>;

struct Root {
  std::string path; // as written: relative paths are relative to the bundle
  bool readonly = false;
};

struct IdMapping {
  std::uint32_t container_id = 0; // containerID
  std::uint32_t host_id = 0;      // hostID
  std::uint32_t size = 0;
};

struct Mount {
  std::string destination;
  std::optional<std::string> type;
  std::optional<std::string> source;
  std::vector<std::string> options;
  std::vector<IdMapping> uid_mappings; // uidMappings
  std::vector<IdMapping> gid_mappings; // gidMappings
};

struct ConsoleSize {
  std::uint32_t height = 0;
  std::uint32_t width = 0;
};

struct Rlimit {
  std::string type; // "RLIMIT_NOFILE"; validated against the rlimit table
  std::uint64_t soft = 0;
  std::uint64_t hard = 0;
};

struct Capabilities {
  // Names as written ("CAP_CHOWN"); unknown names are kept here and skipped with
  // a warning when applied (the spec says runtimes may ignore unknown ones).
  std::vector<std::string> bounding;
  std::vector<std::string> effective;
  std::vector<std::string> inheritable;
  std::vector<std::string> permitted;
  std::vector<std::string> ambient;
};

struct Scheduler {
  std::string policy; // SCHED_OTHER, SCHED_FIFO, ...
  std::optional<std::int32_t> nice;
  std::optional<std::int32_t> priority;
  std::vector<std::string> flags;
  std::optional<std::uint64_t> runtime;
  std::optional<std::uint64_t> deadline;
  std::optional<std::uint64_t> period;
};

struct IoPriority {
  std::string io_class; // "class": IOPRIO_CLASS_RT | IOPRIO_CLASS_BE | IOPRIO_CLASS_IDLE
  std::int32_t priority = 0;
};

struct ExecCpuAffinity {
  std::optional<std::string> initial;
  std::optional<std::string> final_; // "final"
};

struct User {
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::optional<std::uint32_t> umask;
  std::vector<std::uint32_t> additional_gids; // additionalGids
};

struct Process {
  bool terminal = false;
  std::optional<ConsoleSize> console_size; // consoleSize
  User user;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string cwd;
  std::optional<Capabilities> capabilities;
  std::vector<Rlimit> rlimits;
  bool no_new_privileges = false;              // noNewPrivileges
  std::optional<std::string> apparmor_profile; // apparmorProfile
  std::optional<std::int32_t> oom_score_adj;   // oomScoreAdj, -1000..1000
  std::optional<std::string> selinux_label;    // selinuxLabel
  std::optional<Scheduler> scheduler;
  std::optional<IoPriority> io_priority;            // ioPriority
  std::optional<ExecCpuAffinity> exec_cpu_affinity; // execCPUAffinity
};

struct Hook {
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::optional<std::int64_t> timeout; // seconds, > 0
};

struct Hooks {
  std::vector<Hook> prestart;
  std::vector<Hook> create_runtime;   // createRuntime
  std::vector<Hook> create_container; // createContainer
  std::vector<Hook> start_container;  // startContainer
  std::vector<Hook> poststart;
  std::vector<Hook> poststop;
  bool empty() const {
    return prestart.empty() && create_runtime.empty() && create_container.empty() &&
           start_container.empty() && poststart.empty() && poststop.empty();
  }
};

// The kinds live with their table (tables/namespaces.hpp), below spec.
using tables::NamespaceType;

struct Namespace {
  NamespaceType type;
  std::optional<std::string> path; // join this one instead of creating a new one
};

struct Device {
  std::string type; // "c", "b", "u" or "p"
  std::string path;
  std::int64_t major = 0; // required for c, b, u
  std::int64_t minor = 0;
  std::optional<std::uint32_t> file_mode; // fileMode
  std::optional<std::uint32_t> uid;
  std::optional<std::uint32_t> gid;
};

struct DeviceCgroupRule {
  bool allow = false;
  std::optional<std::string> type; // "a", "c" or "b"; absent means all
  std::optional<std::int64_t> major;
  std::optional<std::int64_t> minor;
  std::optional<std::string> access; // some of "rwm"
};

struct MemoryResources {
  std::optional<std::int64_t> limit;
  std::optional<std::int64_t> reservation;
  std::optional<std::int64_t> swap;
  std::optional<std::int64_t> kernel;
  std::optional<std::int64_t> kernel_tcp; // kernelTCP
  std::optional<std::uint64_t> swappiness;
  std::optional<bool> disable_oom_killer;  // disableOOMKiller
  std::optional<bool> use_hierarchy;       // useHierarchy
  std::optional<bool> check_before_update; // checkBeforeUpdate
};

struct CpuResources {
  std::optional<std::uint64_t> shares;
  std::optional<std::int64_t> quota;
  std::optional<std::uint64_t> burst;
  std::optional<std::uint64_t> period;
  std::optional<std::int64_t> realtime_runtime; // realtimeRuntime
  std::optional<std::uint64_t> realtime_period; // realtimePeriod
  std::optional<std::string> cpus;
  std::optional<std::string> mems;
  std::optional<std::int64_t> idle;
};

struct WeightDevice {
  std::int64_t major = 0;
  std::int64_t minor = 0;
  std::optional<std::uint16_t> weight;
  std::optional<std::uint16_t> leaf_weight; // leafWeight
};

struct ThrottleDevice {
  std::int64_t major = 0;
  std::int64_t minor = 0;
  std::uint64_t rate = 0;
};

struct BlockIoResources {
  std::optional<std::uint16_t> weight;
  std::optional<std::uint16_t> leaf_weight;               // leafWeight
  std::vector<WeightDevice> weight_device;                // weightDevice
  std::vector<ThrottleDevice> throttle_read_bps_device;   // throttleReadBpsDevice
  std::vector<ThrottleDevice> throttle_write_bps_device;  // throttleWriteBpsDevice
  std::vector<ThrottleDevice> throttle_read_iops_device;  // throttleReadIOPSDevice
  std::vector<ThrottleDevice> throttle_write_iops_device; // throttleWriteIOPSDevice
};

struct HugepageLimit {
  std::string page_size; // pageSize, "2MB"
  std::uint64_t limit = 0;
};

struct NetworkPriority {
  std::string name;
  std::uint32_t priority = 0;
};

struct NetworkResources {
  std::optional<std::uint32_t> class_id; // classID
  std::vector<NetworkPriority> priorities;
};

struct RdmaLimit {
  std::optional<std::uint32_t> hca_handles; // hcaHandles
  std::optional<std::uint32_t> hca_objects; // hcaObjects
};

struct Resources {
  std::vector<DeviceCgroupRule> devices;
  std::optional<MemoryResources> memory;
  std::optional<CpuResources> cpu;
  std::optional<std::int64_t> pids_limit;     // pids.limit
  std::optional<BlockIoResources> block_io;   // blockIO
  std::vector<HugepageLimit> hugepage_limits; // hugepageLimits
  std::optional<NetworkResources> network;
  std::map<std::string, RdmaLimit> rdma;
  StringMap unified;
};

struct SeccompArg {
  std::uint32_t index = 0;
  std::uint64_t value = 0;
  std::optional<std::uint64_t> value_two; // valueTwo
  std::string op;                         // SCMP_CMP_NE, ...
};

struct SeccompSyscall {
  std::vector<std::string> names;
  std::string action;                     // SCMP_ACT_...
  std::optional<std::uint32_t> errno_ret; // errnoRet
  std::vector<SeccompArg> args;
};

struct Seccomp {
  std::string default_action;                     // defaultAction
  std::optional<std::uint32_t> default_errno_ret; // defaultErrnoRet
  std::vector<std::string> architectures;
  std::vector<std::string> flags;
  std::optional<std::string> listener_path;     // listenerPath
  std::optional<std::string> listener_metadata; // listenerMetadata
  std::vector<SeccompSyscall> syscalls;
};

struct IntelRdt {
  std::optional<std::string> clos_id;         // closID
  std::optional<std::string> l3_cache_schema; // l3CacheSchema
  std::optional<std::string> mem_bw_schema;   // memBwSchema
  std::vector<std::string> schemata;
  std::optional<bool> enable_monitoring; // enableMonitoring
};

struct Personality {
  std::string domain; // LINUX | LINUX32
  std::vector<std::string> flags;
};

struct MemoryPolicy {
  std::string mode; // MPOL_...
  std::optional<std::string> nodes;
  std::vector<std::string> flags;
};

struct TimeOffset {
  std::int64_t secs = 0;
  std::uint32_t nanosecs = 0;
};

struct NetDevice {
  std::optional<std::string> name; // the name inside the container
};

struct Linux {
  std::vector<Namespace> namespaces;
  std::vector<IdMapping> uid_mappings;            // uidMappings
  std::vector<IdMapping> gid_mappings;            // gidMappings
  std::map<std::string, TimeOffset> time_offsets; // timeOffsets: "monotonic", "boottime"
  std::vector<Device> devices;
  std::map<std::string, NetDevice> net_devices; // netDevices
  std::optional<std::string> cgroups_path;      // cgroupsPath
  std::optional<Resources> resources;
  std::optional<IntelRdt> intel_rdt; // intelRdt
  StringMap sysctl;
  std::optional<Seccomp> seccomp;
  std::optional<std::string> rootfs_propagation; // rootfsPropagation
  std::vector<std::string> masked_paths;         // maskedPaths
  std::vector<std::string> readonly_paths;       // readonlyPaths
  std::optional<std::string> mount_label;        // mountLabel
  std::optional<Personality> personality;
  std::optional<MemoryPolicy> memory_policy; // memoryPolicy

  const Namespace *find_namespace(NamespaceType type) const {
    for (const auto &ns : namespaces)
      if (ns.type == type)
        return &ns;
    return nullptr;
  }
};

struct Config {
  std::string oci_version; // ociVersion
  Root root;
  std::vector<Mount> mounts;
  std::optional<Process> process;
  std::optional<std::string> hostname;
  std::optional<std::string> domainname;
  std::optional<Hooks> hooks;
  StringMap annotations;
  std::optional<Linux> linux;
};

} // namespace berth::spec
