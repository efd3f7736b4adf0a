"""LSM labels: process.apparmorProfile, process.selinuxLabel, linux.mountLabel.

This host runs neither SELinux nor AppArmor, so what a user can check here is
runc's behaviour on such a host: SELinux labels are ignored (one config serves
hosts with and without SELinux), and an AppArmor profile that cannot be enforced
is an error rather than silently dropped. The VM suite checks that an AppArmor
profile really reaches the kernel (tests/vm/vm-tests.sh).
"""

from pathlib import Path

import pytest

from berthtest import expect_clean_failure


def _apparmor_enabled() -> bool:
    p = Path("/sys/module/apparmor/parameters/enabled")
    return p.exists() and p.read_text().strip() == "Y"


def _selinux_enabled() -> bool:
    return Path("/sys/fs/selinux/enforce").exists()


@pytest.mark.skipif(_apparmor_enabled(), reason="this host runs AppArmor")
@pytest.mark.parametrize("command", ["run", "create"])
def test_apparmor_profile_without_apparmor_is_an_error(rt, command):
    b = rt.bundle()
    out = rt.host_dir("out")
    b.bind("/out", out)
    b.sh("echo ran > /out/marker")
    b.process["apparmorProfile"] = "berth-test-profile"
    line = expect_clean_failure(rt, b, "/process/apparmorProfile", "AppArmor is not enabled",
                                command=command)
    assert line
    assert not (out / "marker").exists()


@pytest.mark.skipif(_selinux_enabled(), reason="this host runs SELinux")
def test_selinux_labels_are_ignored_without_selinux(rt):
    b = rt.bundle()
    b.process["selinuxLabel"] = "system_u:system_r:container_t:s0:c1,c2"
    b.linux["mountLabel"] = "system_u:object_r:container_file_t:s0:c1,c2"
    # The filesystems berth creates (tmpfs, devpts, mqueue) still mount, with
    # no context= option the kernel would refuse without SELinux.
    b.sh("grep -E ' /dev (tmpfs|devtmpfs) ' /proc/mounts | grep -c context=; "
         "grep ' /dev/shm ' /proc/mounts | grep -q tmpfs && echo shm-ok; echo done")
    res = rt.run(b)
    assert res.rc == 0, res
    assert res.out.split() == ["0", "shm-ok", "done"], res
