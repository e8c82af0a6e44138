"""Runs in parallel share no temporary state, and a killed runner leaves no guest data behind
(emu/tmpdirs.py): SIGTERM cleans up at once; after SIGKILL the next run sweeps the dead run's
private /tmp (its lock is free), never a live one's. The pytest plugin under pytest-xdist."""

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from xld.emu import tmpdirs


def _leftovers(d):
    return sorted(n for n in os.listdir(d) if n.startswith(tmpdirs.PREFIX))


@pytest.fixture
def tmpenv(tmp_path):
    """A TMPDIR of the test's own, and a root for the guest (whose /tmp is private)."""
    t = tmp_path / "tmpdir"
    t.mkdir()
    root = tmp_path / "root"
    root.mkdir()
    return {**os.environ, "TMPDIR": str(t)}, str(t), str(root)


def _start(exe, root, env, *args):
    p = subprocess.Popen([sys.executable, "-m", "xld.emu", "--root", root, exe, *args],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert p.stdout.readline() == b"ready\n", p.stderr.read()
    return p


@pytest.mark.parametrize("mode", ["spin", "sleep"])
def test_sigterm_removes_the_private_tmp(build, tmpenv, mode):
    env, tmp, root = tmpenv
    p = _start(build("tmpspin", "arm64"), root, env, mode)
    try:
        (left,) = _leftovers(tmp)
        assert open(os.path.join(tmp, left, "tmp", "guest-data")).read() == "secret guest data\n"
        # a sweep while the run lives leaves its directory alone
        assert tmpdirs.sweep(tmp) == [] and _leftovers(tmp) == [left]
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=30) == 143
    finally:
        p.kill()
    assert _leftovers(tmp) == []


def test_after_sigkill_the_next_run_sweeps_the_dead_runs_tmp(build, tmpenv):
    env, tmp, root = tmpenv
    exe = build("tmpspin", "riscv64")
    p = _start(exe, root, env)
    p.kill()
    p.wait(timeout=30)
    (left,) = _leftovers(tmp)                     # SIGKILL cannot be caught: it is still there
    assert os.path.exists(os.path.join(tmp, left, "tmp", "guest-data"))
    q = subprocess.run([sys.executable, "-m", "xld.emu", "--root", root, exe, "exit"], env=env,
                       capture_output=True, timeout=60)
    assert q.returncode == 0 and q.stdout == b"ready\n", q.stderr
    assert _leftovers(tmp) == []


def test_pytest_plugin_under_xdist(build, tmpenv, tmp_path):
    """Four tests on two xdist workers, each run (in the sandbox of its test's tmp_path, with
    its private /tmp) creating /tmp/guest-data exclusively: they pass only if no two runs
    share a /tmp; nothing is left in TMPDIR afterwards."""
    pytest.importorskip("xdist")
    env, tmp, _root = tmpenv
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "test_many.py").write_text(textwrap.dedent("""
        import os
        import pytest

        @pytest.mark.parametrize("i", range(4))
        def test_run(xld_run, tmp_path, i):
            for _ in range(2):
                res = xld_run(os.environ["XLD_TEST_EXE"], "exit", root=tmp_path)
                assert (res.returncode, res.stdout) == (0, b"ready\\n"), res.crash
            assert os.environ.get("PYTEST_XDIST_WORKER", "").startswith("gw")
    """))
    env = {**env, "XLD_TEST_EXE": build("tmpspin", "arm64")}
    p = subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "2", "-p", "no:cacheprovider",
                        "--basetemp", str(tmp_path / "base"), str(suite)],
                       cwd=suite, env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0 and "4 passed" in p.stdout, p.stdout + p.stderr
    assert _leftovers(tmp) == []


def test_sweep_removes_only_dead_or_abandoned_directories(tmp_path):
    live = tmpdirs.PrivateTmp(str(tmp_path))
    dead = tmpdirs.PrivateTmp(str(tmp_path))
    os.close(dead.lock_fd)                          # as if its process had died
    young = tmp_path / (tmpdirs.PREFIX + "young")   # still setting up: no lock yet
    young.mkdir()
    old = tmp_path / (tmpdirs.PREFIX + "old")       # its run died while setting up
    old.mkdir()
    os.utime(old, (0, 0))
    other = tmp_path / "unrelated"
    other.mkdir()
    assert sorted(tmpdirs.sweep(str(tmp_path))) == sorted([dead.base, str(old)])
    assert os.path.isdir(live.path) and young.is_dir() and other.is_dir()
    live.remove()
    assert not os.path.exists(live.base)
