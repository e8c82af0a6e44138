""".symtab and .strtab made by a forked child while the link copies and relocates the image
(link/write.py ``_SymbolTableWorker``): the output is byte for byte the one the link makes
without it, the child really made the tables, and a child that fails leaves them to the link.

The links run in a Python process of their own (a fork is only made from a process with one
thread; pytest-xdist's workers have more), with ``XLD_SYMTAB_WORKER=1`` (whatever the link's
size) or ``0`` (never), and ``write.symbol_table`` wrapped to log which process called it."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

import toolchain as tc

A_C = r"""
__thread int counter __attribute__((tls_model("initial-exec")));
int table[64];
static int hidden_count;
__attribute__((visibility("hidden"))) int helper(int k) { return table[k & 63] + hidden_count++; }
static int local_twice(int k) { return helper(k) * 2; }
extern int other(int);
int start(void) { return local_twice(3) + other(4) + counter++; }
"""

B_C = r"""
const char *names[] = {"a", "bb", "ccc"};
static int seen;
int other(int k) { seen += k; return names[k % 3][0] + seen; }
int unused_global(void) { return seen; }
"""

SPY = r"""
import os, sys
from xld.link import driver, dynamic, options, write
me = os.getpid()
log, mode, args = sys.argv[1], sys.argv[2], sys.argv[3:]

def spying(real, what):
    def spy(*a):
        with open(log, "a") as f:
            f.write(what + ("@parent\n" if os.getpid() == me else "@child\n"))
        if mode == "fail" and os.getpid() != me:
            raise RuntimeError("the worker fails")
        return real(*a)
    return spy

write.symbol_table = spying(write.symbol_table, "symtab")
dynamic._dynsym_table = spying(dynamic._dynsym_table, "dynsym")
driver.link(options.parse(args))
"""


@pytest.fixture(scope="module", params=tc.ARCHES)
def objs(request, tmp_path_factory):
    arch = request.param
    cc = tc.compiler("gcc", arch)
    d = tmp_path_factory.mktemp(f"symtab-worker-{arch}")
    out = []
    for name, src in (("a", A_C), ("b", B_C)):
        (d / f"{name}.c").write_text(src)
        out.append(cc.compile(d / f"{name}.c", d / f"{name}.o", ("-O2", "-fPIC")))
    return arch, out


def _link(tmp_path, arch, objs, flags, worker: str, mode: str = "") -> tuple[bytes, list[str]]:
    out = tmp_path / f"out-{worker}-{mode or 'ok'}"
    log = tmp_path / f"log-{worker}-{mode or 'ok'}"
    env = dict(os.environ, XLD_SYMTAB_WORKER=worker, XLD_SERVER="0")
    args = ["--arch", arch, *flags, "-o", str(out), *map(str, objs)]
    p = subprocess.run([sys.executable, "-c", SPY, str(log), mode, *args], env=env,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return out.read_bytes(), log.read_text().split()


@pytest.mark.parametrize("flags", [("-static", "-e", "start"), ("-shared",)], ids=["static", "shared"])
def test_the_worker_makes_the_same_bytes(objs, tmp_path, flags):
    arch, o = objs
    plain, who_plain = _link(tmp_path, arch, o, flags, "0")
    forked, who_forked = _link(tmp_path, arch, o, flags, "1")
    dynsym = ["dynsym@parent"] if "-shared" in flags else []
    assert who_plain == ["symtab@parent"] + dynsym
    assert who_forked == ["symtab@child"] + [w.replace("parent", "child") for w in dynsym]
    assert forked == plain                      # (the tables above came from the worker)
    assert b"hidden_count" in forked and b"unused_global" in forked     # (a local, a global)


@pytest.mark.parametrize("flags", [("-static", "-e", "start"), ("-shared",)], ids=["static", "shared"])
def test_here_without_halves_makes_the_tables_in_the_link(objs, tmp_path, flags):
    """``XLD_SYMTAB_WORKER=here`` (the tables made by the link's own process, beside an image
    half child) on a link not made in halves (small, or -shared): made as without a worker,
    not by a child of their own (it was ``=1``'s child, whatever the link's size)."""
    arch, o = objs
    plain, _ = _link(tmp_path, arch, o, flags, "0")
    here, who = _link(tmp_path, arch, o, flags, "here")
    assert who == ["symtab@parent"] + (["dynsym@parent"] if "-shared" in flags else [])
    assert here == plain


@pytest.mark.parametrize("flags", [("-static", "-e", "start"), ("-shared",)], ids=["static", "shared"])
def test_a_worker_that_fails_leaves_the_tables_to_the_link(objs, tmp_path, flags):
    arch, o = objs
    plain, _ = _link(tmp_path, arch, o, flags, "0")
    again, who = _link(tmp_path, arch, o, flags, "1", "fail")
    assert who == ["symtab@child", "symtab@parent"] + (["dynsym@parent"] if "-shared" in flags else [])
    assert again == plain


def test_a_static_glibc_program_through_gcc_is_the_same(tmp_path):
    """The worker in a real link (gcc -static -B, libc's thousands of symbols)."""
    outs = {}
    for arch in tc.ARCHES:
        cc = tc.compiler("gcc", arch)
        src = tmp_path / "hello.c"
        src.write_text('#include <stdio.h>\nint main(void) { printf("hi %d\\n", 42); return 0; }\n')
        obj = cc.compile(src, tmp_path / f"hello-{arch}.o", ("-O2",))
        wrapper = tc.ld_wrapper_dir(tmp_path)
        for worker in ("0", "1"):
            out = tmp_path / f"hello-{arch}-{worker}"
            env = dict(os.environ, XLD_SYMTAB_WORKER=worker, XLD_SERVER="0")
            p = subprocess.run([*cc.argv, "-static", "-B", str(wrapper), str(obj), "-o", str(out)],
                               env=env, capture_output=True, text=True, timeout=120)
            assert p.returncode == 0, p.stderr
            outs[arch, worker] = out.read_bytes()
        assert (wrapper / "called").exists()
        assert outs[arch, "1"] == outs[arch, "0"]
        r = tc.qemu_run(arch, tmp_path / f"hello-{arch}-1")
        assert r.status == 0 and r.stdout == b"hi 42\n"


def test_tables_larger_than_the_room_left_for_them(objs, tmp_path):
    """Names in no input's string table (here 2,000 --defsym names, 90 KB) make the tables
    larger than the room the image was made with: the output is copied into a larger buffer,
    with the worker's tables."""
    arch, o = objs
    flags = ["-static", "-e", "start"] + [f"--defsym=defined_on_the_command_line_{k:05d}_{'x' * 16}=0x{k:x}"
                                          for k in range(2000)]
    plain, _ = _link(tmp_path, arch, o, flags, "0")
    again, who = _link(tmp_path, arch, o, flags, "1")
    assert who == ["symtab@child"]
    assert again == plain
    assert b"defined_on_the_command_line_01999_" in again


PADDED_S = """
\t.text
\t.globl start
start:
\t.word 0
\t.section .big,"a"
\t.p2align 31
\t.byte 1
"""


@pytest.mark.parametrize("worker", ["0", "1"])
@pytest.mark.parametrize("arch", tc.ARCHES)
def test_an_output_of_padding_is_refused_with_or_without_the_worker(arch, worker, tmp_path):
    """The padding check the image makes (a 2 GiB alignment): the same refusal, no output."""
    obj = tc.assemble(arch, PADDED_S, tmp_path / "pad.o")
    out = tmp_path / "pad"
    p = subprocess.run([*tc.xld_command(), "--arch", arch, "-static", "-e", "start", str(obj), "-o", str(out)],
                       env=dict(os.environ, XLD_SYMTAB_WORKER=worker, XLD_SERVER="0"),
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 1
    assert "xld: error: the output would be" in p.stderr and "of them padding (section .big asks for " \
        "2147483648-byte alignment)" in p.stderr, p.stderr
    assert "Traceback" not in p.stderr and not out.exists()
