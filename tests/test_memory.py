"""What keeps a link's memory down (issue 7), and the numbers that show it.

Inputs are mapped, not read; once a table has been copied out of them, ``link.pages`` gives
their pages back.  The data must stay readable (the kernel faults it in again), and
``--stats`` reports each pass's time and the peak resident memory so far.
"""
from __future__ import annotations

import mmap

import numpy as np

from tests import toolchain as tc
from xld.link import pages
from xld.tools import bench

ASM = """
    .text
    .globl _start
_start:
    li a0, 0
    li a7, 93
    ecall
"""


def test_released_pages_read_back_the_same(tmp_path):
    data = np.arange(5 * mmap.PAGESIZE // 8, dtype=np.int64)
    p = tmp_path / "blob"
    p.write_bytes(data.tobytes())
    with open(p, "rb") as f:
        mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    view = np.frombuffer(mm, dtype=np.int64, count=3 * mmap.PAGESIZE // 8, offset=100 * 8)
    before = view.copy()
    pages.release([(mm, view), (None, view), (mm, np.zeros(10))])     # others are skipped
    assert (view == before).all()
    pages.release_inputs([type("F", (), {"buf": memoryview(mm)})()])
    assert (np.frombuffer(mm, dtype=np.int64) == data).all()


def test_stats_report_time_and_peak_memory_per_pass(tmp_path):
    obj = tc.assemble("riscv64", ASM, tmp_path / "a.o")
    r = tc.xld_cli(["--arch", "riscv64", "-static", "--stats", "-o", str(tmp_path / "a.out"), str(obj)])
    assert r.returncode == 0, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    passes = [ln for ln in lines if "MiB peak RSS" in ln]
    assert len(passes) >= 20 and any(ln.split(":")[0].strip() == "relocate" for ln in passes)
    peaks = [int(ln.split()[-4]) for ln in passes]
    assert peaks == sorted(peaks) and 5 < peaks[-1] < 4096        # a high-water mark, in MiB
    parsed = bench.parse_stats(r.stderr)
    assert {"read+resolve", "scan", "relocate", "total"} <= set(parsed)
    assert all(v >= 0 for v in parsed.values())


def test_the_heap_regime_is_set_only_in_a_process_of_the_links_own(tmp_path, monkeypatch):
    """pages.reuse_freed_memory changes the C allocator's settings for the whole process: a
    command's own process (the console script, a served link) takes it, a caller that links
    in its own process (the API, these tests) keeps its allocator as it was."""
    from xld.link import cli
    obj = tc.assemble("riscv64", ASM, tmp_path / "a.o")
    calls = []
    monkeypatch.setattr(pages, "reuse_freed_memory", lambda: calls.append(1))
    argv = ["--arch", "riscv64", str(obj), "-o", str(tmp_path / "a.out")]
    assert cli.main(argv) == 0 and calls == []
    assert cli.main(argv, own_process=True) == 0 and calls == [1]
