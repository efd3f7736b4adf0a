"""Each config of the corpus (and each seed of the grammar) runs under runc and
under berth, as `run` and as `exec` into a running container; the probe's two
reports must be equal but for what tests/differential/allowlist lists.

Options (conftest.py): --seeds N runs N new random seeds besides the fixed
ones (BERTH_DIFF_SEEDS=N does the same), --seed S runs exactly seed S.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

import diffrun as d
from grammar import generate

MODES = ("run", "exec")


def _probe_one(name: str, template: dict, runtime: str, binary: str, workdir: Path,
               rootfs: Path, mode: str, sandbox: dict | None = None):
    """(outcome, normalized report or None) of one runtime."""
    ctx = d.new_ctx(runtime, binary, workdir, name)
    sandbox_ns = None
    try:
        if sandbox is not None:
            # a pod: the sandbox container (a sleep) first, under the same runtime
            sctx = d.new_ctx(runtime, binary, workdir, name + "-sandbox")
            sctx.made = ctx.made
            d.write_bundle(sandbox, sctx, rootfs, ["/bin/sleep", "100000"])
            res = d.start_detached(sctx)
            if res.returncode != 0:
                return d.Outcome(False, None, res.returncode, "sandbox: " + res.stderr), None
            ctx.sandbox_pid = d.init_pid(sctx, sctx.cid)
            sandbox_ns = {k: os.readlink(f"/proc/{ctx.sandbox_pid}/ns/{k}")
                          for k in ("net", "ipc", "uts", "pid", "cgroup", "user", "mnt")}
        if mode == "run":
            d.write_bundle(template, ctx, rootfs, ["/probe"])
            out = d.run_probe(ctx)
        else:
            d.write_bundle(template, ctx, rootfs, ["/bin/sleep", "100000"])
            out = d.exec_probe(ctx)
        return out, (d.normalize(out.report, ctx, sandbox_ns) if out.ok else None)
    finally:
        d.cleanup(ctx)


def differential(name: str, template: dict, env, mode: str, sandbox: dict | None = None):
    allow, _ = env.allowlist
    workdir = env.workdir(name + "-" + mode)
    runc_out, runc_rep = _probe_one(name, template, "runc", env.runc, workdir, env.rootfs, mode,
                                    sandbox)
    berth_out, berth_rep = _probe_one(name, template, "berth", env.berth, workdir, env.rootfs,
                                      mode, sandbox)
    key = f"{name}/{mode}"
    if not runc_out.ok and not berth_out.ok:
        pytest.skip(f"both runtimes refuse {key} on this host (runc: {runc_out.describe()})")
    if not runc_out.ok:
        reason = d.allowed_reason(allow, key, "accepted")
        if reason:
            pytest.skip(f"berth accepts what runc refuses, allowed: {reason}")
        pytest.fail(f"{key}: runc refuses it ({runc_out.describe()}) but berth runs it",
                    pytrace=False)
    if not berth_out.ok:
        reason = d.allowed_reason(allow, key, "refused")
        if reason:
            pytest.skip(f"berth refuses {key} ({berth_out.describe()}); allowed: {reason}")
        pytest.fail(f"{key}: runc runs it but berth refuses it: {berth_out.describe()}\n"
                    "(a refusal needs an allow-list entry `<config>/<mode> refused <reason>`)",
                    pytrace=False)
    diffs = d.compare(runc_rep, berth_rep)
    bad = []
    for diff in diffs:
        diff.allowed = d.allowed_reason(allow, key, diff.field)
        if diff.allowed is None:
            bad.append(diff)
    for diff in diffs:
        if diff.allowed:
            env.allowed_seen.add(diff.allowed)
    if bad:
        pytest.fail(f"{key}: {len(bad)} difference(s) between runc and berth "
                    "(field, then what each runtime's process saw):\n"
                    + "\n".join(str(x) for x in bad), pytrace=False)


# -- the corpus ------------------------------------------------------------------

CORPUS = sorted(p for p in d.CORPUS.glob("*.json") if not p.name.startswith("pod-"))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_corpus(path, mode, env):
    differential(path.stem, json.loads(path.read_text()), env, mode)


@pytest.mark.parametrize("mode", MODES)
def test_pod(mode, env):
    """A sandbox (a sleep) and a container joining its network, ipc and uts
    namespaces by /proc/<pid>/ns path, as a CRI engine makes a pod."""
    sandbox = json.loads((d.CORPUS / "pod-sandbox.json").read_text())
    container = json.loads((d.CORPUS / "pod-container.json").read_text())
    differential("pod-container", container, env, mode, sandbox=sandbox)


# -- the grammar -------------------------------------------------------------------

def pytest_generate_tests(metafunc):
    if "seed" in metafunc.fixturenames:
        seeds = metafunc.config.diff_seeds
        metafunc.parametrize("seed", seeds, ids=[f"seed{s}" for s in seeds])


@pytest.mark.parametrize("mode", MODES)
def test_seed(seed, mode, env):
    differential(f"seed-{seed}", generate(seed), env, mode)


# -- error cases -----------------------------------------------------------------

ERRORS = sorted(d.ERRORS.glob("*.json"))


def _cgroups_named(cid: str) -> list:
    """Directories named `cid` at the top of each hierarchy or under our own
    cgroup there (where a config without cgroupsPath puts a container)."""
    found = []
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, ctrls, path = line.split(":", 2)
        name = ctrls.replace("name=", "") or "unified"
        for base in (Path("/sys/fs/cgroup") / name, Path("/sys/fs/cgroup") / name / path.lstrip("/")):
            if (base / cid).exists():
                found.append(str(base / cid))
    return found


@pytest.mark.parametrize("path", ERRORS, ids=[p.stem for p in ERRORS])
def test_refused(path, env):
    """A config both runtimes refuse: berth says so in one line and leaves
    nothing (no state entry, no cgroup, no process) behind."""
    template = json.loads(path.read_text())
    workdir = env.workdir(path.stem)
    outs = {}
    for runtime, binary in (("runc", env.runc), ("berth", env.berth)):
        ctx = d.new_ctx(runtime, binary, workdir, path.stem)
        try:
            d.write_bundle(template, ctx, env.rootfs, template["process"].get("args") or [])
            outs[runtime] = (d.run_probe(ctx), ctx)
            if runtime == "berth":
                state = ctx.cmd("state", ctx.cid)
                left = [p.name for p in ctx.root.iterdir()] if ctx.root.exists() else []
                cgroups = _cgroups_named(ctx.cid)
                procs = subprocess.run(["pgrep", "-f", ctx.cid], capture_output=True,
                                       text=True).stdout.split()
        finally:
            d.cleanup(ctx)
    runc_out, berth_out = outs["runc"][0], outs["berth"][0]
    if runc_out.ok:
        pytest.fail(f"runc accepts {path.name}: not an error case", pytrace=False)
    assert not berth_out.ok, f"berth runs {path.name}, which runc refuses ({runc_out.describe()})"
    lines = [l for l in berth_out.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, f"berth's error is not one line:\n{berth_out.stderr}"
    assert state.returncode != 0, f"`berth state` still answers after the refusal:\n{state.stdout}"
    assert not left, f"berth left state behind in --root: {left}"
    assert not cgroups, f"berth left cgroups behind: {cgroups}"
    assert not procs, f"berth left processes behind: {procs}"


# -- the allow-list itself ---------------------------------------------------------

def test_allowlist_has_reasons(env):
    _, problems = env.allowlist
    assert not problems, "\n".join(problems)
