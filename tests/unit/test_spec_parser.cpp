// The config parser: a complete config read into the model, the top level of
// config.json, the process object, and the entry points (load_config,
// parse_process, parse_exec_process, parse_resources).
#include <criterion/criterion.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <unistd.h>

#include "test_spec_helpers.hpp"

using namespace berth;
using spec_test::parse_ok;
using spec_test::with;
using spec_test::without;

// Every section of the spec, each field with a value distinct enough to catch
// a field read into the wrong place.
static constexpr std::string_view kFullConfig = R"({
  "ociVersion": "1.2.1",
  "root": {"path": "/bundles/c1/rootfs", "readonly": true},
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/data", "type": "none", "source": "/vol", "options": ["rbind", "ro", "idmap"],
     "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
     "gidMappings": [{"containerID": 1, "hostID": 200000, "size": 1000}]}
  ],
  "process": {
    "terminal": true,
    "consoleSize": {"height": 25, "width": 80},
    "user": {"uid": 1000, "gid": 1001, "umask": 18, "additionalGids": [5, 6, 4294967295]},
    "args": ["/bin/sh", "-c", "echo hi"],
    "env": ["PATH=/usr/bin:/bin", "TERM=xterm", "EMPTY="],
    "cwd": "/home/user",
    "capabilities": {
      "bounding": ["CAP_AUDIT_WRITE", "CAP_KILL"],
      "effective": ["CAP_KILL"],
      "inheritable": [],
      "permitted": ["CAP_KILL", "CAP_NOT_A_REAL_ONE"],
      "ambient": ["CAP_NET_BIND_SERVICE"]
    },
    "rlimits": [
      {"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 4096},
      {"type": "RLIMIT_CORE", "soft": 18446744073709551615, "hard": 18446744073709551615}
    ],
    "noNewPrivileges": true,
    "apparmorProfile": "acme",
    "oomScoreAdj": -1000,
    "selinuxLabel": "system_u:system_r:container_t:s0",
    "scheduler": {"policy": "SCHED_DEADLINE", "nice": -5, "priority": 3,
                  "flags": ["SCHED_FLAG_RESET_ON_FORK"], "runtime": 100, "deadline": 200, "period": 300},
    "ioPriority": {"class": "IOPRIO_CLASS_BE", "priority": 7},
    "execCPUAffinity": {"initial": "7", "final": "0-3,7"}
  },
  "hostname": "box",
  "domainname": "example.test",
  "hooks": {
    "prestart": [{"path": "/usr/bin/pre"}],
    "createRuntime": [{"path": "/usr/bin/cr", "args": ["cr", "-v"], "env": ["A=1"], "timeout": 5}],
    "createContainer": [{"path": "/usr/bin/cc"}],
    "startContainer": [{"path": "/usr/bin/sc"}],
    "poststart": [{"path": "/usr/bin/ps"}],
    "poststop": [{"path": "/usr/bin/pt"}, {"path": "/usr/bin/pt2"}]
  },
  "annotations": {"com.example.key": "value", "org.opencontainers.image.os": "linux"},
  "linux": {
    "namespaces": [
      {"type": "pid"}, {"type": "network", "path": "/var/run/netns/n1"}, {"type": "mount"},
      {"type": "ipc"}, {"type": "uts"}, {"type": "user"}, {"type": "cgroup"}, {"type": "time"}
    ],
    "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 32000}],
    "gidMappings": [{"containerID": 0, "hostID": 2000, "size": 16000}],
    "timeOffsets": {"monotonic": {"secs": -86400, "nanosecs": 999999999}, "boottime": {"secs": 7}},
    "devices": [
      {"type": "c", "path": "/dev/fuse", "major": 10, "minor": 229, "fileMode": 438, "uid": 0, "gid": 5},
      {"type": "p", "path": "/dev/myfifo"}
    ],
    "netDevices": {"eth1": {"name": "ceth1"}, "eth2": {}},
    "cgroupsPath": "/machine/c1",
    "resources": {
      "devices": [{"allow": false, "access": "rwm"},
                  {"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rw"}],
      "memory": {"limit": 536870912, "reservation": 268435456, "swap": -1, "kernel": -1,
                 "kernelTCP": 1024, "swappiness": 60, "disableOOMKiller": true,
                 "useHierarchy": false, "checkBeforeUpdate": true},
      "cpu": {"shares": 1024, "quota": -1, "burst": 5000, "period": 100000, "realtimeRuntime": 950000,
              "realtimePeriod": 1000000, "cpus": "2-3", "mems": "0-7", "idle": 1},
      "pids": {"limit": 32771},
      "blockIO": {"weight": 10, "leafWeight": 1000,
                  "weightDevice": [{"major": 8, "minor": 0, "weight": 500, "leafWeight": 300},
                                   {"major": 8, "minor": 16, "weight": 500}],
                  "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 600}],
                  "throttleWriteBpsDevice": [{"major": 8, "minor": 1, "rate": 601}],
                  "throttleReadIOPSDevice": [{"major": 8, "minor": 2, "rate": 602}],
                  "throttleWriteIOPSDevice": [{"major": 8, "minor": 3, "rate": 603}]},
      "hugepageLimits": [{"pageSize": "2MB", "limit": 209715200}, {"pageSize": "64KB", "limit": 1000000}],
      "network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 500}]},
      "rdma": {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 10000}, "rxe3": {"hcaObjects": 42}},
      "unified": {"io.max": "259:0 rbps=2097152", "memory.high": "max"}
    },
    "intelRdt": {"closID": "guaranteed", "l3CacheSchema": "L3:0=7f0;1=1f", "memBwSchema": "MB:0=20;1=70",
                 "schemata": ["L2:0=ff"], "enableMonitoring": true},
    "sysctl": {"net.ipv4.ip_forward": "1", "kernel.shmmax": "4096"},
    "seccomp": {
      "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
      "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
      "flags": ["SECCOMP_FILTER_FLAG_LOG"],
      "listenerPath": "/run/agent.sock", "listenerMetadata": "meta",
      "syscalls": [
        {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
        {"names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
         "args": [{"index": 0, "value": 8, "valueTwo": 9, "op": "SCMP_CMP_MASKED_EQ"}]}
      ]
    },
    "rootfsPropagation": "rslave",
    "maskedPaths": ["/proc/kcore", "/proc/keys"],
    "readonlyPaths": ["/proc/sys"],
    "mountLabel": "system_u:object_r:container_file_t:s0",
    "personality": {"domain": "LINUX32", "flags": []},
    "memoryPolicy": {"mode": "MPOL_BIND", "nodes": "0-1", "flags": ["MPOL_F_STATIC_NODES"]}
  }
})";

Test(spec_full, top_level_root_mounts_hooks_annotations) {
  spec::Config c = parse_ok(kFullConfig);
  cr_assert_str_eq(c.oci_version.c_str(), "1.2.1");
  cr_assert_str_eq(c.root.path.c_str(), "/bundles/c1/rootfs");
  cr_assert(c.root.readonly);
  cr_assert_eq(c.mounts.size(), 2u);
  cr_assert_str_eq(c.mounts[0].destination.c_str(), "/proc");
  cr_assert_str_eq(c.mounts[0].type->c_str(), "proc");
  cr_assert_str_eq(c.mounts[0].source->c_str(), "proc");
  cr_assert(c.mounts[0].options.empty());
  const spec::Mount &data = c.mounts[1];
  cr_assert_eq(data.options.size(), 3u);
  cr_assert_str_eq(data.options[2].c_str(), "idmap");
  cr_assert_eq(data.uid_mappings.size(), 1u);
  cr_assert_eq(data.uid_mappings[0].host_id, 100000u);
  cr_assert_eq(data.uid_mappings[0].size, 65536u);
  cr_assert_eq(data.gid_mappings[0].container_id, 1u);
  cr_assert_eq(data.gid_mappings[0].host_id, 200000u);
  cr_assert_str_eq(c.hostname->c_str(), "box");
  cr_assert_str_eq(c.domainname->c_str(), "example.test");

  cr_assert(c.hooks.has_value());
  cr_assert_str_eq(c.hooks->prestart[0].path.c_str(), "/usr/bin/pre");
  const spec::Hook &cr = c.hooks->create_runtime[0];
  cr_assert_str_eq(cr.path.c_str(), "/usr/bin/cr");
  cr_assert_eq(cr.args.size(), 2u);
  cr_assert_str_eq(cr.args[1].c_str(), "-v");
  cr_assert_str_eq(cr.env[0].c_str(), "A=1");
  cr_assert_eq(*cr.timeout, 5);
  cr_assert(!c.hooks->prestart[0].timeout.has_value());
  cr_assert_str_eq(c.hooks->create_container[0].path.c_str(), "/usr/bin/cc");
  cr_assert_str_eq(c.hooks->start_container[0].path.c_str(), "/usr/bin/sc");
  cr_assert_str_eq(c.hooks->poststart[0].path.c_str(), "/usr/bin/ps");
  cr_assert_eq(c.hooks->poststop.size(), 2u);
  cr_assert_str_eq(c.hooks->poststop[1].path.c_str(), "/usr/bin/pt2");
  cr_assert_eq(c.annotations.size(), 2u);
  cr_assert_str_eq(c.annotations.at("com.example.key").c_str(), "value");
}

Test(spec_full, process) {
  spec::Config c = parse_ok(kFullConfig);
  const spec::Process &p = *c.process;
  cr_assert(p.terminal);
  cr_assert_eq(p.console_size->height, 25u);
  cr_assert_eq(p.console_size->width, 80u);
  cr_assert_eq(p.user.uid, 1000u);
  cr_assert_eq(p.user.gid, 1001u);
  cr_assert_eq(*p.user.umask, 18u);
  cr_assert_eq(p.user.additional_gids.size(), 3u);
  cr_assert_eq(p.user.additional_gids[2], 4294967295u);
  cr_assert_eq(p.args.size(), 3u);
  cr_assert_str_eq(p.args[2].c_str(), "echo hi");
  cr_assert_str_eq(p.env[2].c_str(), "EMPTY=");
  cr_assert_str_eq(p.cwd.c_str(), "/home/user");
  cr_assert_eq(p.capabilities->bounding.size(), 2u);
  cr_assert_str_eq(p.capabilities->effective[0].c_str(), "CAP_KILL");
  cr_assert(p.capabilities->inheritable.empty());
  cr_assert_str_eq(p.capabilities->permitted[1].c_str(), "CAP_NOT_A_REAL_ONE",
                   "unknown capabilities are kept for a warning later");
  cr_assert_str_eq(p.capabilities->ambient[0].c_str(), "CAP_NET_BIND_SERVICE");
  cr_assert_eq(p.rlimits.size(), 2u);
  cr_assert_str_eq(p.rlimits[0].type.c_str(), "RLIMIT_NOFILE");
  cr_assert_eq(p.rlimits[0].soft, 1024u);
  cr_assert_eq(p.rlimits[0].hard, 4096u);
  cr_assert_eq(p.rlimits[1].hard, 18446744073709551615ull);
  cr_assert(p.no_new_privileges);
  cr_assert_str_eq(p.apparmor_profile->c_str(), "acme");
  cr_assert_eq(*p.oom_score_adj, -1000);
  cr_assert_str_eq(p.selinux_label->c_str(), "system_u:system_r:container_t:s0");
  cr_assert_str_eq(p.scheduler->policy.c_str(), "SCHED_DEADLINE");
  cr_assert_eq(*p.scheduler->nice, -5);
  cr_assert_eq(*p.scheduler->priority, 3);
  cr_assert_str_eq(p.scheduler->flags[0].c_str(), "SCHED_FLAG_RESET_ON_FORK");
  cr_assert_eq(*p.scheduler->runtime, 100u);
  cr_assert_eq(*p.scheduler->deadline, 200u);
  cr_assert_eq(*p.scheduler->period, 300u);
  cr_assert_str_eq(p.io_priority->io_class.c_str(), "IOPRIO_CLASS_BE");
  cr_assert_eq(p.io_priority->priority, 7);
  cr_assert_str_eq(p.exec_cpu_affinity->initial->c_str(), "7");
  cr_assert_str_eq(p.exec_cpu_affinity->final_->c_str(), "0-3,7");
}

Test(spec_full, linux_namespaces_mappings_devices) {
  spec::Config c = parse_ok(kFullConfig);
  const spec::Linux &l = *c.linux;
  cr_assert_eq(l.namespaces.size(), 8u);
  cr_assert(l.namespaces[0].type == spec::NamespaceType::Pid);
  cr_assert(!l.namespaces[0].path.has_value());
  cr_assert(l.namespaces[1].type == spec::NamespaceType::Network);
  cr_assert_str_eq(l.namespaces[1].path->c_str(), "/var/run/netns/n1");
  cr_assert(l.namespaces[7].type == spec::NamespaceType::Time);
  cr_assert(l.find_namespace(spec::NamespaceType::Cgroup) != nullptr);
  cr_assert_eq(l.uid_mappings[0].host_id, 1000u);
  cr_assert_eq(l.uid_mappings[0].size, 32000u);
  cr_assert_eq(l.gid_mappings[0].host_id, 2000u);
  cr_assert_eq(l.gid_mappings[0].size, 16000u);
  cr_assert_eq(l.time_offsets.at("monotonic").secs, -86400);
  cr_assert_eq(l.time_offsets.at("monotonic").nanosecs, 999999999u);
  cr_assert_eq(l.time_offsets.at("boottime").secs, 7);
  cr_assert_eq(l.time_offsets.at("boottime").nanosecs, 0u);
  cr_assert_eq(l.devices.size(), 2u);
  cr_assert_str_eq(l.devices[0].type.c_str(), "c");
  cr_assert_str_eq(l.devices[0].path.c_str(), "/dev/fuse");
  cr_assert_eq(l.devices[0].major, 10);
  cr_assert_eq(l.devices[0].minor, 229);
  cr_assert_eq(*l.devices[0].file_mode, 438u);
  cr_assert_eq(*l.devices[0].uid, 0u);
  cr_assert_eq(*l.devices[0].gid, 5u);
  cr_assert_str_eq(l.devices[1].type.c_str(), "p");
  cr_assert_eq(l.devices[1].major, 0, "a fifo needs no device number");
  cr_assert_str_eq(l.net_devices.at("eth1").name->c_str(), "ceth1");
  cr_assert(!l.net_devices.at("eth2").name.has_value());
  cr_assert_str_eq(l.cgroups_path->c_str(), "/machine/c1");
}

Test(spec_full, linux_resources) {
  spec::Config c = parse_ok(kFullConfig);
  const spec::Resources &r = *c.linux->resources;
  cr_assert_eq(r.devices.size(), 2u);
  cr_assert(!r.devices[0].allow);
  cr_assert(!r.devices[0].type.has_value());
  cr_assert(!r.devices[0].major.has_value());
  cr_assert_str_eq(r.devices[0].access->c_str(), "rwm");
  cr_assert(r.devices[1].allow);
  cr_assert_str_eq(r.devices[1].type->c_str(), "c");
  cr_assert_eq(*r.devices[1].major, 10);
  cr_assert_eq(*r.devices[1].minor, 229);
  const spec::MemoryResources &m = *r.memory;
  cr_assert_eq(*m.limit, 536870912);
  cr_assert_eq(*m.reservation, 268435456);
  cr_assert_eq(*m.swap, -1);
  cr_assert_eq(*m.kernel, -1);
  cr_assert_eq(*m.kernel_tcp, 1024);
  cr_assert_eq(*m.swappiness, 60u);
  cr_assert(*m.disable_oom_killer);
  cr_assert(!*m.use_hierarchy);
  cr_assert(*m.check_before_update);
  const spec::CpuResources &cpu = *r.cpu;
  cr_assert_eq(*cpu.shares, 1024u);
  cr_assert_eq(*cpu.quota, -1);
  cr_assert_eq(*cpu.burst, 5000u);
  cr_assert_eq(*cpu.period, 100000u);
  cr_assert_eq(*cpu.realtime_runtime, 950000);
  cr_assert_eq(*cpu.realtime_period, 1000000u);
  cr_assert_str_eq(cpu.cpus->c_str(), "2-3");
  cr_assert_str_eq(cpu.mems->c_str(), "0-7");
  cr_assert_eq(*cpu.idle, 1);
  cr_assert_eq(*r.pids_limit, 32771);
  const spec::BlockIoResources &io = *r.block_io;
  cr_assert_eq(*io.weight, 10);
  cr_assert_eq(*io.leaf_weight, 1000);
  cr_assert_eq(io.weight_device.size(), 2u);
  cr_assert_eq(io.weight_device[0].major, 8);
  cr_assert_eq(*io.weight_device[0].leaf_weight, 300);
  cr_assert_eq(io.weight_device[1].minor, 16);
  cr_assert(!io.weight_device[1].leaf_weight.has_value());
  cr_assert_eq(io.throttle_read_bps_device[0].rate, 600u);
  cr_assert_eq(io.throttle_write_bps_device[0].rate, 601u);
  cr_assert_eq(io.throttle_read_iops_device[0].rate, 602u);
  cr_assert_eq(io.throttle_write_iops_device[0].minor, 3);
  cr_assert_eq(io.throttle_write_iops_device[0].rate, 603u);
  cr_assert_eq(r.hugepage_limits.size(), 2u);
  cr_assert_str_eq(r.hugepage_limits[1].page_size.c_str(), "64KB");
  cr_assert_eq(r.hugepage_limits[0].limit, 209715200u);
  cr_assert_eq(*r.network->class_id, 1048577u);
  cr_assert_str_eq(r.network->priorities[0].name.c_str(), "eth0");
  cr_assert_eq(r.network->priorities[0].priority, 500u);
  cr_assert_eq(*r.rdma.at("mlx5_1").hca_handles, 3u);
  cr_assert_eq(*r.rdma.at("mlx5_1").hca_objects, 10000u);
  cr_assert(!r.rdma.at("rxe3").hca_handles.has_value());
  cr_assert_str_eq(r.unified.at("memory.high").c_str(), "max");
}

Test(spec_full, linux_seccomp_and_the_rest) {
  spec::Config c = parse_ok(kFullConfig);
  const spec::Linux &l = *c.linux;
  const spec::Seccomp &s = *l.seccomp;
  cr_assert_str_eq(s.default_action.c_str(), "SCMP_ACT_ERRNO");
  cr_assert_eq(*s.default_errno_ret, 38u);
  cr_assert_eq(s.architectures.size(), 2u);
  cr_assert_str_eq(s.architectures[1].c_str(), "SCMP_ARCH_X86");
  cr_assert_str_eq(s.flags[0].c_str(), "SECCOMP_FILTER_FLAG_LOG");
  cr_assert_str_eq(s.listener_path->c_str(), "/run/agent.sock");
  cr_assert_str_eq(s.listener_metadata->c_str(), "meta");
  cr_assert_eq(s.syscalls.size(), 2u);
  cr_assert_str_eq(s.syscalls[0].names[1].c_str(), "write");
  cr_assert(!s.syscalls[0].errno_ret.has_value());
  cr_assert_eq(*s.syscalls[1].errno_ret, 1u);
  const spec::SeccompArg &arg = s.syscalls[1].args[0];
  cr_assert_eq(arg.index, 0u);
  cr_assert_eq(arg.value, 8u);
  cr_assert_eq(*arg.value_two, 9u);
  cr_assert_str_eq(arg.op.c_str(), "SCMP_CMP_MASKED_EQ");
  cr_assert_str_eq(l.intel_rdt->clos_id->c_str(), "guaranteed");
  cr_assert_str_eq(l.intel_rdt->l3_cache_schema->c_str(), "L3:0=7f0;1=1f");
  cr_assert_str_eq(l.intel_rdt->mem_bw_schema->c_str(), "MB:0=20;1=70");
  cr_assert_str_eq(l.intel_rdt->schemata[0].c_str(), "L2:0=ff");
  cr_assert(*l.intel_rdt->enable_monitoring);
  cr_assert_str_eq(l.sysctl.at("kernel.shmmax").c_str(), "4096");
  cr_assert_str_eq(l.rootfs_propagation->c_str(), "rslave");
  cr_assert_str_eq(l.masked_paths[1].c_str(), "/proc/keys");
  cr_assert_str_eq(l.readonly_paths[0].c_str(), "/proc/sys");
  cr_assert_str_eq(l.mount_label->c_str(), "system_u:object_r:container_file_t:s0");
  cr_assert_str_eq(l.personality->domain.c_str(), "LINUX32");
  cr_assert_str_eq(l.memory_policy->mode.c_str(), "MPOL_BIND");
  cr_assert_str_eq(l.memory_policy->nodes->c_str(), "0-1");
  cr_assert_str_eq(l.memory_policy->flags[0].c_str(), "MPOL_F_STATIC_NODES");
}

Test(spec_minimal, defaults_when_absent) {
  spec::Config c = parse_ok(spec_test::kMinimalConfig);
  cr_assert(!c.root.readonly);
  cr_assert(c.mounts.empty());
  cr_assert(!c.hostname && !c.domainname && !c.hooks && !c.linux);
  cr_assert(c.annotations.empty());
  const spec::Process &p = *c.process;
  cr_assert(!p.terminal && !p.no_new_privileges);
  cr_assert(!p.console_size && !p.capabilities && !p.oom_score_adj && !p.user.umask);
  cr_assert(p.env.empty() && p.rlimits.empty() && p.user.additional_gids.empty());
}

Test(spec_extensibility, unknown_properties_are_ignored) {
  std::string text = with("/vendorExtension", R"({"deep": [1, {"x": null}]})");
  text = with(text, "/process/user/username", R"("windows-only")");
  text = with(text, "/process/commandLine", R"("cmd.exe")");
  text = with(text, "/linux/vtpms", R"([{"statePath": "/x"}])");
  text = with(text, "/linux/resources/memory/unknownKnob", "42");
  text = with(text, "/linux/seccomp", R"({"defaultAction": "SCMP_ACT_ALLOW", "future": true})");
  spec::Config c = parse_ok(text);
  cr_assert_str_eq(c.linux->seccomp->default_action.c_str(), "SCMP_ACT_ALLOW");
  cr_assert(c.linux->resources->memory.has_value());
}

Test(spec_null, null_optional_members_are_absent) {
  std::string text = with("/hostname", "null");
  text = with(text, "/mounts", "null");
  text = with(text, "/hooks", "null");
  text = with(text, "/annotations", "null");
  text = with(text, "/process/terminal", "null");
  text = with(text, "/process/env", "null");
  text = with(text, "/process/oomScoreAdj", "null");
  text = with(text, "/process/user/umask", "null");
  text = with(text, "/linux", R"({"namespaces": null, "resources": {"memory": {"limit": null}}})");
  spec::Config c = parse_ok(text);
  cr_assert(!c.hostname && !c.hooks && c.mounts.empty() && c.annotations.empty());
  cr_assert(!c.process->terminal && c.process->env.empty() && !c.process->oom_score_adj);
  cr_assert(!c.process->user.umask.has_value());
  cr_assert(c.linux->namespaces.empty());
  cr_assert(!c.linux->resources->memory->limit.has_value());
}

Test(spec_null, null_required_members_are_type_errors) {
  expect_config_error(with("/ociVersion", "null"),
                      "config.json: /ociVersion: expected a string, got null");
  expect_config_error(with("/process/user/uid", "null"),
                      "config.json: /process/user/uid: expected a number, got null");
  expect_config_error(with("/root", "null"), "config.json: /root: expected an object, got null");
  expect_config_error(with("/process/args/0", "null"),
                      "config.json: /process/args/0: expected a string, got null");
}

Test(spec_json, malformed_and_hostile_documents) {
  std::string error = spec_test::config_error(R"({"ociVersion": "1.0.0",})");
  cr_assert(error.starts_with("config.json: invalid JSON at byte "), "%s", error.c_str());
  std::string deep(200000, '[');
  error = spec_test::config_error(deep);
  cr_assert(error.starts_with("config.json: invalid JSON at byte "), "%s", error.c_str());
  cr_assert(error.find("nesting deeper than") != std::string::npos, "%s", error.c_str());
  expect_config_error("[]", "config.json: expected an object, got an array");
  expect_config_error("\"x\"", "config.json: expected an object, got a string");
}

Test(spec_json, source_names_the_file) {
  auto config = spec::parse_config("{}", "bundle/config.json");
  cr_assert(!config);
  std::string message = config.error().message();
  cr_assert_str_eq(message.c_str(), "bundle/config.json: /ociVersion: required");
}

Test(spec_top, required_members) {
  expect_config_error(without("/ociVersion"), "config.json: /ociVersion: required");
  expect_config_error(without("/root"), "config.json: /root: required");
  expect_config_error(without("/root/path"), "config.json: /root/path: required");
  expect_config_error(without("/process"), "config.json: /process: required");
  expect_config_error(with("/ociVersion", R"("")"), "config.json: /ociVersion: must not be empty");
  expect_config_error(with("/root/path", R"("")"), "config.json: /root/path: must not be empty");
}

Test(spec_top, types) {
  expect_config_error(with("/ociVersion", "1"),
                      "config.json: /ociVersion: expected a string, got a number");
  expect_config_error(with("/root/readonly", R"("yes")"),
                      "config.json: /root/readonly: expected a boolean, got a string");
  expect_config_error(with("/mounts", "{}"),
                      "config.json: /mounts: expected an array, got an object");
  expect_config_error(with("/mounts", "[1]"),
                      "config.json: /mounts/0: expected an object, got a number");
  expect_config_error(with("/annotations", R"({"a": 1})"),
                      "config.json: /annotations/a: expected a string, got a number");
  expect_config_error(with("/annotations", "[]"),
                      "config.json: /annotations: expected an object of strings, got an array");
  expect_config_error(with("/hooks", "[]"),
                      "config.json: /hooks: expected an object, got an array");
  expect_config_error(with("/linux", "true"),
                      "config.json: /linux: expected an object, got a boolean");
}

Test(spec_top, annotation_keys_must_not_be_empty) {
  expect_config_error(with("/annotations", R"({"": "x"})"),
                      "config.json: /annotations: keys must not be empty");
}

Test(spec_top, json_pointer_escapes_keys) {
  expect_config_error(with("/annotations", R"({"a/b~c": 1})"),
                      "config.json: /annotations/a~1b~0c: expected a string, got a number");
}

Test(spec_mounts, destination) {
  expect_config_error(with("/mounts", R"([{"type": "tmpfs"}])"),
                      "config.json: /mounts/0/destination: required");
  expect_config_error(with("/mounts", R"([{"destination": ""}])"),
                      "config.json: /mounts/0/destination: must not be empty");
  // Relative destinations are deprecated but valid (spec 1.2): relative to "/".
  spec::Config c = parse_ok(with("/mounts", R"([{"destination": "tmp"}, {"destination": "/a"}])"));
  cr_assert_str_eq(c.mounts[0].destination.c_str(), "/tmp");
  cr_assert_str_eq(c.mounts[1].destination.c_str(), "/a");
}

Test(spec_mounts, field_types) {
  expect_config_error(with("/mounts", R"([{"destination": "/a", "options": "ro"}])"),
                      "config.json: /mounts/0/options: expected an array of strings, got a string");
  expect_config_error(with("/mounts", R"([{"destination": "/a", "source": 5}])"),
                      "config.json: /mounts/0/source: expected a string, got a number");
  expect_config_error(
      with("/mounts", R"([{"destination": "/a", "uidMappings": [{"containerID": 0, "hostID": 1}],
                          "gidMappings": []}])"),
      "config.json: /mounts/0/uidMappings/0/size: required");
}

Test(spec_mounts, idmap_needs_both_mappings) {
  expect_config_error(with("/mounts", R"([{"destination": "/a"},
             {"destination": "/b", "uidMappings": [{"containerID": 0, "hostID": 1, "size": 1}]}])"),
                      "config.json: /mounts/1/gidMappings: required with uidMappings");
  expect_config_error(with("/mounts", R"([{"destination": "/b",
                           "gidMappings": [{"containerID": 0, "hostID": 1, "size": 1}]}])"),
                      "config.json: /mounts/0/uidMappings: required with gidMappings");
}

Test(spec_mounts, idmap_option_needs_mappings_or_a_user_namespace) {
  // config.md: without mappings of its own the mount takes the container's user
  // namespace's; with neither, an error.
  expect_config_error(
      with("/mounts", R"([{"destination": "/a"},
                          {"destination": "/b", "source": "/s", "options": ["rbind", "ridmap"]}])"),
      "config.json: /mounts/1/options: \"ridmap\" needs uidMappings and gidMappings or a user "
      "namespace in /linux/namespaces");
  parse_ok(with(with("/mounts", R"([{"destination": "/b", "source": "/s",
                                     "options": ["bind", "idmap"]}])"),
                "/linux", R"({"namespaces": [{"type": "user", "path": "/proc/1/ns/user"}]})"));
  parse_ok(with("/mounts", R"([{"destination": "/b", "source": "/s", "options": ["idmap"],
                               "uidMappings": [{"containerID": 0, "hostID": 1, "size": 1}],
                               "gidMappings": [{"containerID": 0, "hostID": 1, "size": 1}]}])"));
}

Test(spec_mounts, options_are_not_validated) {
  spec::Config c = parse_ok(
      with("/mounts", R"([{"destination": "/t", "options": ["size=64k", "whatever", "ro"]}])"));
  cr_assert_str_eq(c.mounts[0].options[1].c_str(), "whatever");
}

Test(spec_hooks, path_and_timeout) {
  expect_config_error(with("/hooks", R"({"poststop": [{"args": ["x"]}]})"),
                      "config.json: /hooks/poststop/0/path: required");
  expect_config_error(with("/hooks", R"({"createRuntime": [{"path": "/a"}, {"path": "hook"}]})"),
                      "config.json: /hooks/createRuntime/1/path: must be an absolute path, got "
                      "\"hook\"");
  expect_config_error(with("/hooks", R"({"startContainer": [{"path": "/a", "timeout": 0}]})"),
                      "config.json: /hooks/startContainer/0/timeout: must be greater than zero, "
                      "got 0");
  expect_config_error(with("/hooks", R"({"poststart": [{"path": "/a", "timeout": -3}]})"),
                      "config.json: /hooks/poststart/0/timeout: must be greater than zero, got -3");
  expect_config_error(with("/hooks", R"({"prestart": [{"path": "/a", "timeout": 1.5}]})"),
                      "config.json: /hooks/prestart/0/timeout: expected an integer from "
                      "-9223372036854775808 to 9223372036854775807");
  expect_config_error(with("/hooks", R"({"createContainer": [{"path": "/a", "env": [1]}]})"),
                      "config.json: /hooks/createContainer/0/env/0: expected a string, got a "
                      "number");
}

Test(spec_uts, hostname_and_domainname_need_a_uts_namespace) {
  expect_config_error(with("/hostname", R"("box")"),
                      "config.json: /hostname: set without a uts namespace in /linux/namespaces");
  std::string text = with("/domainname", R"("example.test")");
  text = with(text, "/linux/namespaces", R"([{"type": "pid"}])");
  expect_config_error(text,
                      "config.json: /domainname: set without a uts namespace in /linux/namespaces");
  text = with(text, "/linux/namespaces/1", R"({"type": "uts"})");
  spec::Config named = parse_ok(text);
  cr_assert_str_eq(named.domainname->c_str(), "example.test");
  // Joining a pod's UTS namespace and naming it is allowed, as with runc.
  text = with("/hostname", R"("box")");
  text = with(text, "/linux/namespaces", R"([{"type": "uts", "path": "/proc/1/ns/uts"}])");
  named = parse_ok(text);
  cr_assert_str_eq(named.hostname->c_str(), "box");
  // An empty hostname is no hostname.
  cr_assert(!parse_ok(with("/hostname", R"("")")).hostname.has_value());
}

Test(spec_process, required_members) {
  expect_config_error(without("/process/args"), "config.json: /process/args: required");
  expect_config_error(without("/process/cwd"), "config.json: /process/cwd: required");
  expect_config_error(without("/process/user"), "config.json: /process/user: required");
  expect_config_error(without("/process/user/uid"), "config.json: /process/user/uid: required");
  expect_config_error(without("/process/user/gid"), "config.json: /process/user/gid: required");
  expect_config_error(with("/process/consoleSize", R"({"height": 10})"),
                      "config.json: /process/consoleSize/width: required");
  expect_config_error(with("/process/rlimits", R"([{"type": "RLIMIT_NOFILE", "soft": 1}])"),
                      "config.json: /process/rlimits/0/hard: required");
  expect_config_error(with("/process/scheduler", R"({"nice": 1})"),
                      "config.json: /process/scheduler/policy: required");
  expect_config_error(with("/process/ioPriority", R"({"class": "IOPRIO_CLASS_RT"})"),
                      "config.json: /process/ioPriority/priority: required");
}

Test(spec_process, types) {
  expect_config_error(with("/process", "[]"),
                      "config.json: /process: expected an object, got an array");
  expect_config_error(with("/process/args", R"("sh")"),
                      "config.json: /process/args: expected an array of strings, got a string");
  expect_config_error(with("/process/args", R"(["sh", 1])"),
                      "config.json: /process/args/1: expected a string, got a number");
  expect_config_error(with("/process/user/uid", R"("0")"),
                      "config.json: /process/user/uid: expected a number, got a string");
  expect_config_error(with("/process/terminal", "1"),
                      "config.json: /process/terminal: expected a boolean, got a number");
  expect_config_error(with("/process/user/additionalGids", R"([1, "2"])"),
                      "config.json: /process/user/additionalGids/1: expected a number, got a "
                      "string");
  expect_config_error(with("/process/user/additionalGids", "7"),
                      "config.json: /process/user/additionalGids: expected an array of integers, "
                      "got a number");
  expect_config_error(with("/process/capabilities", R"({"bounding": "CAP_KILL"})"),
                      "config.json: /process/capabilities/bounding: expected an array of strings, "
                      "got a string");
  expect_config_error(with("/process/execCPUAffinity", R"({"final": 3})"),
                      "config.json: /process/execCPUAffinity/final: expected a string, got a "
                      "number");
}

Test(spec_process, integer_boundaries) {
  cr_assert_eq(parse_ok(with("/process/user/uid", "4294967295")).process->user.uid, 4294967295u);
  cr_assert_eq(parse_ok(with("/process/user/gid", "0")).process->user.gid, 0u);
  expect_config_error(with("/process/user/uid", "4294967296"),
                      "config.json: /process/user/uid: expected an integer from 0 to 4294967295");
  expect_config_error(with("/process/user/uid", "-1"),
                      "config.json: /process/user/uid: expected an integer from 0 to 4294967295");
  expect_config_error(with("/process/user/uid", "1.0"),
                      "config.json: /process/user/uid: expected an integer from 0 to 4294967295");
  expect_config_error(with("/process/user/uid", "1e3"),
                      "config.json: /process/user/uid: expected an integer from 0 to 4294967295");
  auto rlimit = [](std::string_view soft_hard) {
    return with("/process/rlimits",
                std::string(R"([{"type": "RLIMIT_NOFILE", )") + std::string(soft_hard) + "}]");
  };
  cr_assert_eq(parse_ok(rlimit(R"("soft": 18446744073709551615, "hard": 18446744073709551615)"))
                   .process->rlimits[0]
                   .soft,
               18446744073709551615ull);
  expect_config_error(rlimit(R"("soft": 18446744073709551616, "hard": 1)"),
                      "config.json: /process/rlimits/0/soft: expected an integer from 0 to "
                      "18446744073709551615");
  // INT32_MIN parses as an int32, then is out of sched_setattr's range.
  expect_config_error(
      with("/process/scheduler", R"({"policy": "SCHED_OTHER", "nice": -2147483648})"),
      "config.json: /process/scheduler/nice: expected an integer from -20 to 19");
  expect_config_error(
      with("/process/scheduler", R"({"policy": "SCHED_OTHER", "nice": 2147483648})"),
      "config.json: /process/scheduler/nice: expected an integer from -2147483648 "
      "to 2147483647");
}

Test(spec_process, scheduling_fields) {
  expect_config_error(with("/process/scheduler", R"({"policy": "SCHED_OTHER", "nice": 20})"),
                      "config.json: /process/scheduler/nice: expected an integer from -20 to 19");
  expect_config_error(with("/process/scheduler", R"({"policy": "SCHED_RR", "priority": 100})"),
                      "config.json: /process/scheduler/priority: expected an integer from 0 to 99");
  expect_config_error(with("/process/scheduler", R"({"policy": "SCHED_NORMAL"})"),
                      "config.json: /process/scheduler/policy: unknown scheduler policy "
                      "\"SCHED_NORMAL\"");
  expect_config_error(
      with("/process/scheduler", R"({"policy": "SCHED_OTHER", "flags": ["SCHED_FLAG_X"]})"),
      "config.json: /process/scheduler/flags/0: unknown scheduler flag \"SCHED_FLAG_X\"");
  expect_config_error(
      with("/process/ioPriority", R"({"class": "IOPRIO_CLASS_NONE", "priority": 0})"),
      "config.json: /process/ioPriority/class: unknown I/O priority class "
      "\"IOPRIO_CLASS_NONE\"");
  expect_config_error(with("/process/execCPUAffinity", R"({"final": "65536"})"),
                      "config.json: /process/execCPUAffinity/final: expected a CPU list such as "
                      "\"0-3,7\", got \"65536\"");
  auto config = parse_ok(with("/process/scheduler", R"({"policy": "SCHED_IDLE", "nice": -20,
                                                       "flags": ["SCHED_FLAG_RESET_ON_FORK"]})"));
  cr_assert_eq(*config.process->scheduler->nice, -20);
}

Test(spec_process, args_cwd_env) {
  expect_config_error(with("/process/args", "[]"), "config.json: /process/args: must not be empty");
  expect_config_error(with("/process/cwd", R"("home")"),
                      "config.json: /process/cwd: must be an absolute path, got \"home\"");
  expect_config_error(with("/process/cwd", R"("")"),
                      "config.json: /process/cwd: must be an absolute path, got \"\"");
  expect_config_error(with("/process/env", R"(["A=1", "BROKEN"])"),
                      "config.json: /process/env/1: expected KEY=value, got \"BROKEN\"");
}

Test(spec_process, rlimits) {
  expect_config_error(
      with("/process/rlimits", R"([{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}])"),
      "config.json: /process/rlimits/0/type: unknown rlimit \"RLIMIT_BOGUS\"");
  expect_config_error(with("/process/rlimits", R"([{"type": "RLIMIT_NOFILE", "soft": 1, "hard": 1},
                                   {"type": "RLIMIT_CORE", "soft": 1, "hard": 1},
                                   {"type": "RLIMIT_NOFILE", "soft": 2, "hard": 2}])"),
                      "config.json: /process/rlimits/2/type: duplicate rlimit \"RLIMIT_NOFILE\"");
  expect_config_error(
      with("/process/rlimits", R"([{"type": "RLIMIT_NOFILE", "soft": 2048, "hard": 1024}])"),
      "config.json: /process/rlimits/0/soft: 2048 is above the hard limit 1024");
  spec::Config c =
      parse_ok(with("/process/rlimits", R"([{"type": "RLIMIT_NOFILE", "soft": 5, "hard": 5}])"));
  cr_assert_eq(c.process->rlimits[0].soft, 5u);
}

Test(spec_process, oom_score_adj_range) {
  cr_assert_eq(*parse_ok(with("/process/oomScoreAdj", "1000")).process->oom_score_adj, 1000);
  cr_assert_eq(*parse_ok(with("/process/oomScoreAdj", "-1000")).process->oom_score_adj, -1000);
  expect_config_error(with("/process/oomScoreAdj", "1001"),
                      "config.json: /process/oomScoreAdj: expected an integer from -1000 to 1000");
  expect_config_error(with("/process/oomScoreAdj", "-1001"),
                      "config.json: /process/oomScoreAdj: expected an integer from -1000 to 1000");
}

Test(spec_process, scheduler_and_io_priority_names) {
  expect_config_error(with("/process/scheduler", R"({"policy": "SCHED_FAST"})"),
                      "config.json: /process/scheduler/policy: unknown scheduler policy "
                      "\"SCHED_FAST\"");
  expect_config_error(
      with("/process/scheduler",
           R"({"policy": "SCHED_RR", "flags": ["SCHED_FLAG_RECLAIM", "SCHED_FLAG_NOPE"]})"),
      "config.json: /process/scheduler/flags/1: unknown scheduler flag \"SCHED_FLAG_NOPE\"");
  expect_config_error(with("/process/ioPriority", R"({"class": "IOPRIO_CLASS_X", "priority": 1})"),
                      "config.json: /process/ioPriority/class: unknown I/O priority class "
                      "\"IOPRIO_CLASS_X\"");
  expect_config_error(with("/process/ioPriority", R"({"class": "IOPRIO_CLASS_RT", "priority": 8})"),
                      "config.json: /process/ioPriority/priority: expected an integer from 0 to 7");
  expect_config_error(
      with("/process/ioPriority", R"({"class": "IOPRIO_CLASS_IDLE", "priority": -1})"),
      "config.json: /process/ioPriority/priority: expected an integer from 0 to 7");
}

Test(spec_process, exec_cpu_affinity_lists) {
  spec::Config c =
      parse_ok(with("/process/execCPUAffinity", R"({"initial": "0,2-4,010", "final": ""})"));
  cr_assert_str_eq(c.process->exec_cpu_affinity->initial->c_str(), "0,2-4,010");
  const char *bad[] = {"x", "1,", ",1", "3-1", "1--2", "-1", "1 ,2"};
  for (const char *list : bad) {
    std::string value = std::string("{\"initial\": \"") + list + "\"}";
    std::string expected = std::string("config.json: /process/execCPUAffinity/initial: expected a "
                                       "CPU list such as \"0-3,7\", got \"") +
                           list + "\"";
    expect_config_error(with("/process/execCPUAffinity", value), expected.c_str());
  }
}

Test(spec_entry, parse_process_for_exec) {
  auto process = spec::parse_process(
      R"({"user": {"uid": 5, "gid": 6}, "args": ["ls"], "cwd": "/tmp", "env": ["X=1"]})",
      "process.json");
  cr_assert(process.has_value(), "%s", process.error().message().c_str());
  cr_assert_eq(process->user.uid, 5u);
  cr_assert_str_eq(process->args[0].c_str(), "ls");
  auto bad = spec::parse_process(R"({"user": {"uid": 5, "gid": 6}, "args": ["ls"], "cwd": "tmp"})",
                                 "process.json");
  cr_assert(!bad);
  std::string message = bad.error().message();
  cr_assert_str_eq(message.c_str(), "process.json: /cwd: must be an absolute path, got \"tmp\"");
  bad = spec::parse_process("[", "process.json");
  cr_assert(!bad);
  cr_assert(bad.error().message().starts_with("process.json: invalid JSON at byte "), "%s",
            bad.error().message().c_str());
}

// exec --process: what confines the process and the file leaves out is the
// container's config.process, never berth's own (all capabilities, the
// caller's rlimits, uid 0).
static spec::Process container_process() {
  spec::Process process;
  process.args = {"sleep", "1000"};
  process.env = {"PATH=/bin", "FROM=container"};
  process.cwd = std::string(1, '/');
  process.user = {.uid = 1000, .gid = 1001, .umask = 077u, .additional_gids = {5}};
  process.capabilities = spec::Capabilities{
      .bounding = {"CAP_KILL"},
      .effective = {"CAP_KILL"},
      .inheritable = {"CAP_KILL"},
      .permitted = {"CAP_KILL"},
      .ambient = {"CAP_KILL"},
  };
  process.rlimits = {{.type = "RLIMIT_NOFILE", .soft = 1000, .hard = 1234}};
  process.no_new_privileges = true;
  process.apparmor_profile = "container-profile";
  process.selinux_label = "system_u:system_r:container_t:s0";
  return process;
}

static spec::Process exec_process_ok(std::string_view text) {
  auto process = spec::parse_exec_process(text, "process.json", container_process());
  cr_assert(process.has_value(), "%s", process ? "" : process.error().message().c_str());
  return *process;
}

static void expect_containers_confinement(const spec::Process &process) {
  auto container = container_process();
  cr_assert_eq(process.user.uid, 1000u);
  cr_assert_eq(process.user.gid, 1001u);
  cr_assert(process.user.umask == container.user.umask);
  cr_assert(process.user.additional_gids == container.user.additional_gids);
  cr_assert(process.capabilities.has_value(), "no capabilities: berth's own would stay");
  cr_assert(process.capabilities->bounding == container.capabilities->bounding);
  cr_assert(process.capabilities->effective == container.capabilities->effective);
  cr_assert(process.capabilities->inheritable == container.capabilities->inheritable);
  cr_assert(process.capabilities->permitted == container.capabilities->permitted);
  cr_assert(process.capabilities->ambient == container.capabilities->ambient);
  cr_assert_eq(process.rlimits.size(), 1u);
  cr_assert_str_eq(process.rlimits[0].type.c_str(), "RLIMIT_NOFILE");
  cr_assert_eq(process.rlimits[0].soft, 1000u);
  cr_assert_eq(process.rlimits[0].hard, 1234u);
  cr_assert(process.no_new_privileges);
  cr_assert(process.apparmor_profile == container.apparmor_profile);
  cr_assert(process.selinux_label == container.selinux_label);
}

Test(spec_exec_process, left_out_members_are_the_containers) {
  auto process = exec_process_ok(R"({"args": ["ls"], "cwd": "/tmp"})");
  expect_containers_confinement(process);
  // The rest is the file's alone: nothing else comes from the container.
  cr_assert(process.args == std::vector<std::string>{"ls"});
  cr_assert_str_eq(process.cwd.c_str(), "/tmp");
  cr_assert(process.env.empty());
}

Test(spec_exec_process, null_and_empty_members_are_left_out) {
  expect_containers_confinement(exec_process_ok(
      R"({"args": ["ls"], "cwd": "/", "user": null, "capabilities": null, "rlimits": [],
          "noNewPrivileges": null, "apparmorProfile": "", "selinuxLabel": ""})"));
}

Test(spec_exec_process, what_the_file_says_wins) {
  auto process = exec_process_ok(
      R"({"args": ["ls"], "cwd": "/", "user": {"uid": 7, "gid": 8}, "capabilities": {},
          "rlimits": [{"type": "RLIMIT_NPROC", "soft": 1, "hard": 2}],
          "noNewPrivileges": false, "apparmorProfile": "unconfined", "selinuxLabel": "l"})");
  cr_assert_eq(process.user.uid, 7u);
  cr_assert_eq(process.user.gid, 8u);
  cr_assert(!process.user.umask);
  cr_assert(process.user.additional_gids.empty());
  // An empty object is empty sets, not the container's.
  cr_assert(process.capabilities.has_value());
  cr_assert(process.capabilities->bounding.empty() && process.capabilities->effective.empty());
  cr_assert_eq(process.rlimits.size(), 1u);
  cr_assert_str_eq(process.rlimits[0].type.c_str(), "RLIMIT_NPROC");
  cr_assert(!process.no_new_privileges);
  cr_assert_str_eq(process.apparmor_profile->c_str(), "unconfined");
  cr_assert_str_eq(process.selinux_label->c_str(), "l");
}

Test(spec_exec_process, a_given_user_is_still_checked) {
  auto bad = spec::parse_exec_process(R"({"args": ["ls"], "cwd": "/", "user": {"uid": 7}})",
                                      "process.json", container_process());
  cr_assert(!bad);
  std::string message = bad.error().message();
  cr_assert_str_eq(message.c_str(), "process.json: /user/gid: required");
  bad = spec::parse_exec_process(R"({"args": ["ls"], "cwd": "/", "user": 0})", "process.json",
                                 container_process());
  cr_assert(!bad);
  message = bad.error().message();
  cr_assert(message.starts_with("process.json: /user: expected an object"), "%s", message.c_str());
}

Test(spec_entry, parse_resources_for_update) {
  auto resources = spec::parse_resources(
      R"({"memory": {"limit": 1048576}, "pids": {"limit": 10}, "cpu": {"cpus": "0"}})",
      "resources.json");
  cr_assert(resources.has_value(), "%s", resources.error().message().c_str());
  cr_assert_eq(*resources->memory->limit, 1048576);
  cr_assert_eq(*resources->pids_limit, 10);
  auto bad = spec::parse_resources(R"({"blockIO": {"weight": 5}})", "resources.json");
  cr_assert(!bad);
  std::string message = bad.error().message();
  cr_assert_str_eq(message.c_str(),
                   "resources.json: /blockIO/weight: expected an integer from 10 to 1000");
  bad = spec::parse_resources(R"({"pids": {}})", "-");
  cr_assert(!bad);
  message = bad.error().message();
  cr_assert_str_eq(message.c_str(), "-: /pids/limit: required");
}

// A bundle in a fresh temporary directory, removed by the test.
static std::string make_bundle(std::string_view config_text) {
  char dir[] = "/tmp/berth-spec-test-XXXXXX";
  cr_assert(mkdtemp(dir) != nullptr);
  std::ofstream(std::string(dir) + "/config.json") << config_text;
  return dir;
}

static void remove_bundle(const std::string &dir) {
  std::remove((dir + "/config.json").c_str());
  rmdir(dir.c_str());
}

Test(spec_entry, load_config_reads_the_bundle) {
  std::string dir = make_bundle(spec_test::kMinimalConfig);
  auto config = spec::load_config(dir);
  auto with_slash = spec::load_config(dir + "/");
  remove_bundle(dir);
  cr_assert(config.has_value(), "%s", config.error().message().c_str());
  cr_assert_str_eq(config->process->args[0].c_str(), "/bin/sh");
  cr_assert(with_slash.has_value());
}

Test(spec_entry, load_config_errors_name_config_json) {
  std::string dir = make_bundle(R"({"ociVersion": 1})");
  auto config = spec::load_config(dir);
  remove_bundle(dir);
  cr_assert(!config);
  std::string message = config.error().message();
  cr_assert_str_eq(message.c_str(), "config.json: /ociVersion: expected a string, got a number");

  auto missing = spec::load_config("/nonexistent-berth-bundle");
  cr_assert(!missing);
  message = missing.error().message();
  cr_assert_str_eq(message.c_str(),
                   "config.json: open /nonexistent-berth-bundle/config.json: No such file or "
                   "directory");
}

Test(spec_entry, load_config_refuses_huge_files) {
  char dir[] = "/tmp/berth-spec-test-XXXXXX";
  cr_assert(mkdtemp(dir) != nullptr);
  std::string path = std::string(dir) + "/config.json";
  // A sparse file just over the cap: nothing is written, so this is cheap.
  FILE *f = std::fopen(path.c_str(), "w");
  cr_assert(f != nullptr);
  cr_assert_eq(ftruncate(fileno(f), (64 << 20) + 1), 0);
  std::fclose(f);
  auto config = spec::load_config(dir);
  std::remove(path.c_str());
  rmdir(dir);
  cr_assert(!config);
  cr_assert(config.error().message().starts_with("config.json: "), "%s",
            config.error().message().c_str());
  cr_assert(config.error().message().find("larger than 67108864 bytes") != std::string::npos, "%s",
            config.error().message().c_str());
}

// The shape engines and `spec` generators produce, with their habits: empty
// strings for unset values and a uts namespace for the hostname.
Test(spec_realistic, generator_style_config_parses) {
  spec::Config c = parse_ok(R"({
    "ociVersion": "1.0.2-dev",
    "process": {
      "terminal": false, "user": {"uid": 0, "gid": 0},
      "args": ["sh"], "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                              "TERM=xterm"],
      "cwd": "/",
      "capabilities": {"bounding": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
                       "effective": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
                       "permitted": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]},
      "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
      "noNewPrivileges": true, "apparmorProfile": "", "selinuxLabel": ""
    },
    "root": {"path": "rootfs", "readonly": true},
    "hostname": "container",
    "mounts": [
      {"destination": "/proc", "type": "proc", "source": "proc"},
      {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
       "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
      {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
       "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
      {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
       "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
      {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
       "options": ["nosuid", "noexec", "nodev"]},
      {"destination": "/sys", "type": "sysfs", "source": "sysfs",
       "options": ["nosuid", "noexec", "nodev", "ro"]},
      {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
       "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}
    ],
    "linux": {
      "resources": {"devices": [{"allow": false, "access": "rwm"}]},
      "namespaces": [{"type": "pid"}, {"type": "network", "path": ""}, {"type": "ipc"},
                     {"type": "uts"}, {"type": "mount"}, {"type": "cgroup"}],
      "cgroupsPath": "", "rootfsPropagation": "",
      "maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                      "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                      "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
      "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
    }
  })");
  cr_assert_eq(c.mounts.size(), 7u);
  cr_assert_eq(c.linux->namespaces.size(), 6u);
  cr_assert(!c.linux->namespaces[1].path.has_value());
  cr_assert(!c.linux->cgroups_path.has_value());
  cr_assert(!c.linux->rootfs_propagation.has_value());
  cr_assert(!c.process->apparmor_profile.has_value());
  cr_assert(!c.process->selinux_label.has_value());
}
