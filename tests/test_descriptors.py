"""Descriptors in a long-lived process: the tests link and run in-process, as users' test
suites embedding xld do. Two bugs found by the full test run: every in-process link kept its
inputs' mappings (and so a descriptor each) because the link turned the cyclic collector off for
good; and the emulator waited with select(), which cannot take a descriptor past 1023 (its
signal thread died on one and a forked guest waited forever)."""
from __future__ import annotations

import os
import resource

from tests import toolchain as tc


def test_in_process_links_do_not_keep_descriptors(tmp_path):
    cc = tc.compiler("gcc", "arm64")
    (tmp_path / "a.c").write_text("int f(int x) { return x + 1; }\n")
    obj = cc.compile(tmp_path / "a.c", tmp_path / "a.o")
    tc.archive("arm64", [obj], tmp_path / "liba.a")
    (tmp_path / "m.c").write_text("int f(int); int _start_c(void) { return f(41); }\n")
    main = cc.compile(tmp_path / "m.c", tmp_path / "m.o")
    import gc
    gc.collect()
    before = len(os.listdir("/proc/self/fd"))
    for k in range(12):
        res = tc.xld_link(["-e", "_start_c", "-o", tmp_path / f"out{k}", main, tmp_path / "liba.a"])
        assert res.status == 0, res.stderr
        assert gc.isenabled()             # the link gave the collector back
    gc.collect()                          # (what the collector does on its own, now)
    assert len(os.listdir("/proc/self/fd")) - before < 4


def test_the_emulator_waits_on_descriptors_past_1023():
    from xld.emu.process import wait_readable
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 1500 if hard == resource.RLIM_INFINITY or hard > 1600 else hard - 8
    if soft < want + 8:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want + 8, hard))
    r, w = os.pipe()
    high = os.dup2(r, want)
    try:
        os.write(w, b"x")
        wait_readable(high, 5.0)            # select() raised ValueError here past 1023
        assert os.read(high, 1) == b"x"
    finally:
        for fd in (r, w, high):
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
