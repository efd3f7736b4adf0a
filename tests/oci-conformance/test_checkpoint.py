"""checkpoint and restore: the failures this host can show (its kernel is
newer than Debian's criu understands, so the real checkpoint and restore run
in the VM suite, tests/vm/criu-tests.sh). Each failure is one error line,
and a failed restore leaves nothing behind."""

import pytest

from berthtest import assert_one_error_line

MISSING_CRIU = "/nonexistent/criu"


def running(rt):
    b = rt.bundle().sh("exec sleep 1000")
    cid = rt.create_ok(b)
    assert rt("start", cid).rc == 0
    rt.wait_status(cid, "running")
    return b, cid


def test_checkpoint_of_a_created_container_is_refused(rt, tmp_path):
    cid = rt.create_ok(rt.bundle().args("true"))
    res = rt("checkpoint", "--image-path", tmp_path / "img", cid)
    assert_one_error_line(res, cid, "created, not running")
    assert rt.state(cid)["status"] == "created"
    assert not (tmp_path / "img").exists(), "a refused checkpoint made the image directory"


def test_checkpoint_of_a_stopped_container_is_refused(rt, tmp_path):
    cid = rt.create_ok(rt.bundle().args("true"))
    assert rt("start", cid).rc == 0
    rt.wait_status(cid, "stopped")
    res = rt("checkpoint", "--image-path", tmp_path / "img", cid)
    assert_one_error_line(res, "stopped, not running")


def test_checkpoint_of_an_unknown_container(rt, tmp_path):
    res = rt("checkpoint", "--image-path", tmp_path / "img", "no-such-ct")
    assert_one_error_line(res, '"no-such-ct" does not exist')


@pytest.mark.parametrize("criu,message", [
    (MISSING_CRIU, "criu not found at /nonexistent/criu"),
    ("no-such-criu", '"no-such-criu" is not in PATH'),
])
def test_checkpoint_without_criu_says_so_and_leaves_the_container_running(rt, tmp_path, criu,
                                                                           message):
    _, cid = running(rt)
    pid = rt.state(cid)["pid"]
    res = rt("checkpoint", "--image-path", tmp_path / "img", cid, global_args=("--criu", criu))
    assert_one_error_line(res, message)
    state = rt.state(cid)
    assert state["status"] == "running" and state["pid"] == pid


def test_restore_without_criu_leaves_nothing(rt, tmp_path):
    b = rt.bundle().sh("exec sleep 1000")
    b.write()
    (tmp_path / "img").mkdir()
    before = rt.snapshot_mounts()
    cid = rt.new_id()
    res = rt("restore", "--bundle", b.path, "--image-path", tmp_path / "img", cid,
             global_args=("--criu", MISSING_CRIU))
    assert_one_error_line(res, "criu not found")
    rt.assert_clean(cid, before)


def test_restore_without_images_leaves_nothing(rt, tmp_path):
    b = rt.bundle().sh("exec sleep 1000")
    b.write()
    before = rt.snapshot_mounts()
    cid = rt.new_id()
    res = rt("restore", "--bundle", b.path, "--image-path", tmp_path / "missing", cid)
    assert_one_error_line(res, "--image-path", "missing")
    rt.assert_clean(cid, before)


def test_restore_that_criu_fails_names_its_log_and_leaves_nothing(rt, tmp_path):
    """An empty image directory: criu fails on any host (here already at its
    kernel probe, elsewhere at the missing inventory). Its error lines come in
    the one error line, with the log's path; the state directory, the cgroup
    and criu's root bind are gone."""
    b = rt.bundle().sh("exec sleep 1000")
    b.write()
    (tmp_path / "img").mkdir()
    before = rt.snapshot_mounts()
    cid = rt.new_id()
    res = rt("restore", "--bundle", b.path, "--image-path", tmp_path / "img",
             "--work-path", tmp_path / "work", cid)
    line = assert_one_error_line(res, f'restore container "{cid}": criu restore failed: ',
                                 "Error (", f"(log: {tmp_path}/work/restore.log)")
    assert (tmp_path / "work" / "restore.log").exists(), line
    rt.assert_clean(cid, before)


def test_restore_of_a_terminal_container_is_refused(rt, tmp_path):
    b = rt.bundle().sh("exec sleep 1000")
    b.process["terminal"] = True
    b.write()
    (tmp_path / "img").mkdir()
    before = rt.snapshot_mounts()
    cid = rt.new_id()
    res = rt("restore", "-d", "--bundle", b.path, "--image-path", tmp_path / "img", cid)
    assert_one_error_line(res, "terminal", "not supported yet")
    rt.assert_clean(cid, before)


def test_restore_with_systemd_cgroup_is_refused(rt, tmp_path):
    # It would otherwise make a cgroupfs cgroup of its own, not the scope asked for.
    b = rt.bundle().sh("exec sleep 1000")
    b.write()
    (tmp_path / "img").mkdir()
    before = rt.snapshot_mounts()
    cid = rt.new_id()
    res = rt("restore", "-d", "--bundle", b.path, "--image-path", tmp_path / "img", cid,
             global_args=["--systemd-cgroup"])
    assert_one_error_line(res, "--systemd-cgroup", "not supported yet")
    rt.assert_clean(cid, before)
