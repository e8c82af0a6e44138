"""Bounded resources: every size a guest controls is capped before the host allocates, the
time limit covers loading and every system call, the sandbox has a default time limit and a
disk quota, and a Python exception in a handler is an errno or a report, never a traceback.

No timed assertions: the limits are asserted by what stopped the guest, and host memory by
the peak RSS of a child process (wait4's rusage)."""

import errno
import os
import subprocess
import sys
import textwrap

import pytest

from xld.emu import run, runner
from xld.emu.syscalls import Syscalls

BIGIO = textwrap.dedent("""
    import sys
    from xld.emu import run, syscalls
    syscalls.MAX_MAP_COUNT = 500      # the cap is vm.max_map_count's 65530; a quicker probe
    res = run(sys.argv[1], ["bigio"], root=sys.argv[2], timeout=120, max_memory=256 << 20)
    sys.stdout.buffer.write(res.stdout)
    sys.exit(res.returncode)
""")


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_huge_sizes_take_no_host_memory(build, arch, tmp_path):
    """readv/writev of 2^40-byte iovecs, 2048 iovecs, lengths that wrap, poll and select on
    2^30 descriptors, a pread near 2^63, a read and a getdents of 2^40 bytes, mmap until it
    fails: each answered as Linux would (a short count or EINVAL/EFAULT/ENOMEM), and the
    whole run stays far below what any of them asks for."""
    p = subprocess.Popen([sys.executable, "-c", BIGIO, build("sandbox", arch), str(tmp_path)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = p.communicate(timeout=300)
    assert p.returncode == 0, err.decode()
    assert out == (b"readv huge: ok\nreadv 64M: ok 1\nwritev huge: ok\nwritev 2048: Invalid argument\n"
                   b"writev wrap: Invalid argument\nppoll huge: Invalid argument\npread far: ok\n"
                   b"read huge: ok\nselect huge: Invalid argument\ngetdents huge: ok\nmmaps: stopped 1\n")


def test_peak_host_memory_of_a_hostile_run(build, tmp_path):
    """The same probes under the CLI, measured: the emulator's peak RSS stays under 512 MiB
    (Python and Unicorn take about 80 MiB) though the guest asked for terabytes."""
    p = subprocess.Popen([sys.executable, "-c", BIGIO, build("sandbox", "arm64"), str(tmp_path)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(p.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert usage.ru_maxrss < 512 * 1024, usage.ru_maxrss       # KiB


def test_time_limit_stops_a_sleeping_guest_and_the_sandbox_has_one_by_default(build, tmp_path, monkeypatch):
    exe = build("sandbox", "riscv64")
    res = run(exe, ["sleep"], timeout=0.5)
    assert (res.limit, res.signal, res.stdout) == ("timeout", 9, b"sleeping\n")
    monkeypatch.setattr(runner, "DEFAULT_SANDBOX_TIMEOUT", 0.5)
    res = run(exe, ["sleep"], root=tmp_path)          # no timeout given: the sandbox's default
    assert res.limit == "timeout" and "time limit reached" in res.crash


def test_time_limit_covers_loading(build, monkeypatch):
    """A load that takes longer than the limit (here: made slow on purpose) ends the run with
    the time limit before the program runs one instruction."""
    import time
    from xld.emu import loader
    real = loader.map_image

    def slow(*a, **k):
        time.sleep(1.5)
        return real(*a, **k)
    monkeypatch.setattr(loader, "map_image", slow)
    res = run(build("hello", "arm64"), timeout=0.3)
    assert (res.limit, res.stdout) == ("timeout", b"")


def test_time_limit_just_before_a_run_begins_still_ends_it(build, monkeypatch):
    """The time limit passing after the run loop's last look at it and before the next run
    has begun: its one uc_emu_stop was forgotten by Unicorn (no run was going on), and a
    program spinning without system calls ran for ever. Here the run's start waits for the
    time limit, which made the old code hang on every run; the watchdog now asks again until
    the run loop is over (runner.stop_engine)."""
    import threading
    from xld.emu import uc as U
    procs = []
    real_count, real_start = runner.Process.run_count, U.Engine.emu_start

    def count(self):
        procs[:] = [self]
        return real_count(self)

    def start(self, *args):
        if procs:
            procs[0].stop_event.wait(5)
        return real_start(self, *args)
    monkeypatch.setattr(runner.Process, "run_count", count)
    monkeypatch.setattr(U.Engine, "emu_start", start)
    exe = build("spin", "arm64")
    box = []
    t = threading.Thread(target=lambda: box.append(run(exe, timeout=0.3)), daemon=True)
    t.start()
    t.join(60)
    assert box, "the run did not end"
    # (the stop comes within 10 ms of the run's start: the program may have printed)
    assert box[0].limit == "timeout" and box[0].stdout in (b"", b"spinning\n")


def test_the_image_counts_against_the_memory_limit(build, monkeypatch):
    """PT_LOAD segments are mapped as whole ranges and charged to --max-memory."""
    seen = []
    real = runner.Process.build_stack

    def spy(self):
        seen.append(self.mem.committed)
        return real(self)
    monkeypatch.setattr(runner.Process, "build_stack", spy)
    exe = build("hello", "arm64")
    assert run(exe).ok
    from xld.emu.elf import read_elf
    image = sum(s.memsz for s in read_elf(exe).loads)
    assert seen[0] >= image > 0                    # charged before the program runs


@pytest.mark.parametrize("arch", ["arm64", "riscv64"])
def test_disk_quota(build, tmp_path, arch):
    exe = build("sandbox", arch)
    res = run(exe, ["fill", "big.bin", "65536"], root=tmp_path, max_disk=1 << 20, timeout=60)
    assert res.stdout == b"after 1048576: Disk quota exceeded\n"
    assert (tmp_path / "big.bin").stat().st_size == 1 << 20
    # rewriting the same bytes grows nothing; the CLI spelling
    p = subprocess.run([sys.executable, "-m", "xld.emu", "--root", str(tmp_path), "--max-disk", "100000",
                        exe, "fill", "/tmp/t.bin", "30000"], capture_output=True, timeout=120)
    assert p.stdout == b"after 100000: Disk quota exceeded\n"


def test_a_handler_exception_is_an_errno_or_a_report(build, monkeypatch):
    """The one catch-all: an OSError is its errno, an overflow EINVAL; anything else ends the
    program with SIGSYS and a report naming the call — never a Python traceback."""
    exe = build("sandbox", "arm64")

    def fails(exc):
        def sys_getcwd(self, *_):
            raise exc
        return sys_getcwd
    monkeypatch.setattr(Syscalls, "sys_getcwd", fails(PermissionError(errno.EPERM, "no")))
    assert b"cwd Operation not permitted\n" in run(exe, ["argv0"]).stdout
    monkeypatch.setattr(Syscalls, "sys_getcwd", fails(OverflowError("too big")))
    assert b"cwd Invalid argument\n" in run(exe, ["argv0"]).stdout
    monkeypatch.setattr(Syscalls, "sys_getcwd", fails(KeyError("bug")))
    res = run(exe, ["argv0"])
    assert res.signal == 31
    assert "internal error while serving system call 17 (getcwd): KeyError('bug')" in res.crash
    assert "Traceback" not in res.crash
