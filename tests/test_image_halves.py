"""A large static link's image made in two halves, the later input files' by a forked child
(link/halves.py): the output is byte for byte the one made in one process, the child really
made its half, and an error met in either half is reported as one process reports it (the
same text, order and exit status, no output left).

The links run in a Python process of their own (a fork is made only from a process with one
thread), with ``XLD_IMAGE_WORKER=1`` (whatever the image's size) or ``0`` (never), and
``write.copy_part`` / ``write.copy_all`` wrapped to log which process copied what."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

import toolchain as tc

SPY = r"""
import os, sys
from xld.link import cli, write
me = os.getpid()
log, mode, args = sys.argv[1], sys.argv[2], sys.argv[3:]

def spying(real, what):
    def spy(*a, **k):
        with open(log, "a") as f:
            f.write(what + ("@parent\n" if os.getpid() == me else "@child\n"))
        if mode == "fail" and os.getpid() != me:
            raise RuntimeError("the child fails")
        if mode == "tables-oom" and what == "symtab" and os.getpid() == me:
            raise MemoryError
        return real(*a, **k)
    return spy

write.copy_part = spying(write.copy_part, "part")
write.copy_all = spying(write.copy_all, "all")
if "tables" in mode:
    write.symbol_table = spying(write.symbol_table, "symtab")
status = cli.main(args)
if mode == "tables-oom":                # (a child of the link not reaped: running, or a zombie)
    try:
        os.waitpid(-1, os.WNOHANG)
        with open(log, "a") as f:
            f.write("child-left\n")
    except ChildProcessError:
        pass
sys.exit(status)
"""

# a corpus of the bench's shape, smaller: calls, data and string references, a TLS variable,
# switch tables, constants merged across files; and C++ with exceptions (.eh_frame, LSDAs)
C_FILE = r"""
#include <stdio.h>
__thread int tls_{k};
static const char *names_{k}[] = {{"alpha{k}", "beta", "gamma{k}", "delta"}};
int table_{k}[32] = {{{k}, 1, 2, 3}};
extern int step_{n}(int);
int step_{k}(int x) {{
    switch (x & 7) {{
    case 0: return x + table_{k}[x & 31];
    case 1: return x * 3 + names_{k}[x & 3][0];
    case 2: return x - tls_{k}++;
    case 3: return x ^ 0x55;
    case 4: return x + {k};
    default: return {k} > 0 ? step_{n}(x - 1) : x;
    }}
}}
int report_{k}(int x) {{ printf("%s %d\n", names_{k}[x & 3], x); return x; }}
"""

CXX_FILE = r"""
#include <cstdio>
#include <stdexcept>
extern "C" int step_0(int);
extern "C" int report_0(int);
static int thrower(int x) { if (x > 3) throw std::runtime_error("big"); return x; }
int main() {
    int sum = 0;
    for (int i = 0; i < 8; i++) {
        try { sum += thrower(step_0(i)); } catch (const std::exception &e) { sum += 100; }
    }
    report_0(sum);
    std::printf("sum %d\n", sum);
    return 0;
}
"""

NFILES = 8


def _recording_ld(root) -> tuple:
    """A -B directory whose ``ld`` writes its arguments to ``args`` (one a line) and links
    nothing: the compiler driver's own link line, linked below under the spy."""
    d = root / "recording-ld"
    d.mkdir(parents=True, exist_ok=True)
    (d / "ld").write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{d}/args"\n')
    (d / "ld").chmod(0o755)
    return d, d / "args"


def _spy(tmp_path, args, worker: str, mode: str = "", tag: str = "", **env) -> tuple:
    log = tmp_path / f"log-{tag}-{worker}-{mode or 'ok'}"
    env = dict(os.environ, XLD_IMAGE_WORKER=worker, XLD_SERVER="0", **env)
    p = subprocess.run([sys.executable, "-c", SPY, str(log), mode, *map(str, args)], env=env,
                       capture_output=True, text=True, timeout=300)
    who = log.read_text().split() if log.exists() else []
    return p, who


@pytest.fixture(scope="module", params=tc.ARCHES)
def program(request, tmp_path_factory):
    """A static glibc C++ program of NFILES C files and one C++ file: g++'s own link line."""
    arch = request.param
    d = tmp_path_factory.mktemp(f"halves-{arch}")
    cc = tc.compiler("gcc", arch)
    objs = []
    for k in range(NFILES):
        src = d / f"f{k}.c"
        src.write_text(C_FILE.format(k=k, n=(k + 1) % NFILES))
        objs.append(cc.compile(src, d / f"f{k}.o", ("-O2",)))
    gxx = tc.require(f"{tc.TRIPLE[arch]}-g++")
    cxx = d / "main.cc"
    cxx.write_text(CXX_FILE)
    flags = ["-march=rv64gc", "-mabi=lp64d"] if arch == "riscv64" else []
    subprocess.run([gxx, *flags, "-O2", "-c", str(cxx), "-o", str(d / "main.o")], check=True)
    bdir, args_file = _recording_ld(d)
    out = d / "prog"
    subprocess.run([gxx, *flags, "-static", "-B", str(bdir), str(d / "main.o"), *map(str, objs), "-o", str(out)],
                   check=True, capture_output=True)
    args = args_file.read_text().splitlines()
    return arch, d, args, out


def _with_output(args, out) -> list[str]:
    args = list(args)
    args[args.index("-o") + 1] = str(out)
    return args


def test_the_halves_make_the_same_bytes(program, tmp_path):
    arch, d, args, _ = program
    outs = {}
    for worker in ("0", "1"):
        out = tmp_path / f"prog-{worker}"
        p, who = _spy(tmp_path, _with_output(args, out), worker, tag=arch)
        assert p.returncode == 0, p.stderr
        outs[worker] = out.read_bytes()
        if worker == "0":
            assert who == []                                        # (build_image copied it all)
        else:
            assert sorted(who) == ["part@child", "part@parent"]    # (both halves copied)
    assert outs["1"] == outs["0"]
    r = tc.qemu_run(arch, tmp_path / "prog-1")
    assert r.status == 0, r.summary()
    assert b"sum " in r.stdout


@pytest.mark.parametrize("tables", ["here", "1"])
def test_the_symbol_tables_beside_the_half_child(program, tmp_path, tables):
    """``here`` (the default on two cores): the link's own process makes .symtab and .strtab
    after its half, while the child makes the other, not a third process beside the two;
    ``1``: a child of their own.  The same bytes as a link in one process either way."""
    arch, d, args, _ = program
    plain = tmp_path / "plain"
    p, who = _spy(tmp_path, _with_output(args, plain), "0", "tables", tag=arch, XLD_SYMTAB_WORKER="0")
    assert p.returncode == 0, p.stderr
    assert who == ["symtab@parent"]
    out = tmp_path / f"tables-{tables}"
    p, who = _spy(tmp_path, _with_output(args, out), "1", "tables", tag=arch, XLD_SYMTAB_WORKER=tables)
    assert p.returncode == 0, p.stderr
    if tables == "here":
        assert who.index("symtab@parent") > who.index("part@parent"), who     # (after its half)
        assert sorted(who) == ["part@child", "part@parent", "symtab@parent"]
    else:
        assert sorted(who) == ["part@child", "part@parent", "symtab@child"]
    assert out.read_bytes() == plain.read_bytes()


def test_a_link_that_fails_making_its_tables_leaves_no_child(program, tmp_path):
    """``here``: the tables are made between this process's half and the child's answer; a
    link that stops there (out of memory) reaps the half child all the same (it was left
    running, then a zombie, with its pipe open: a link run in-process leaked one a link)."""
    arch, d, args, _ = program
    out = tmp_path / "oom"
    p, who = _spy(tmp_path, _with_output(args, out), "1", "tables-oom", tag=arch, XLD_SYMTAB_WORKER="here")
    assert p.returncode == 1, p.stderr
    assert "out of memory" in p.stderr and not out.exists()
    assert "part@child" in who and "symtab@parent" in who, who
    assert "child-left" not in who, who


def test_a_child_that_fails_leaves_the_image_to_the_link(program, tmp_path):
    arch, d, args, _ = program
    plain = tmp_path / "plain"
    p, _ = _spy(tmp_path, _with_output(args, plain), "0", tag=arch)
    assert p.returncode == 0, p.stderr
    again = tmp_path / "again"
    p, who = _spy(tmp_path, _with_output(args, again), "1", "fail", tag=arch)
    assert p.returncode == 0, p.stderr
    assert "part@child" in who and who[-1] == "all@parent"      # (made again whole, here)
    assert again.read_bytes() == plain.read_bytes()


# a conditional branch to a symbol far out of its reach: relocate's error
BRANCH = {
    "arm64": "\tb.eq far_{k}\n",
    "riscv64": "\tbeq a0, a1, far_{k}\n",
}


def _asm(arch: str, k: int, bad: bool) -> str:
    body = "".join(BRANCH[arch].format(k=k) for _ in range(3)) if bad else "\tnop\n"
    return (f"\t.text\n\t.globl f{k}\nf{k}:\n{body}\t.word 0\n"
            f"\t.data\n\t.globl d{k}\nd{k}:\n\t.quad f{k}\n\t.quad d{k}\n")


@pytest.mark.parametrize("bad", [(3,), (0, 3), (0,)], ids=["child", "both", "parent"])
@pytest.mark.parametrize("arch", tc.ARCHES)
def test_an_error_in_a_half_is_reported_as_in_one_process(arch, bad, tmp_path):
    objs = [tc.assemble(arch, _asm(arch, k, k in bad), tmp_path / f"a{k}.o") for k in range(4)]
    defs = [f"--defsym=far_{k}=0x{0x40000000 + k * 0x1000:x}" for k in range(4)]
    results = {}
    for worker in ("0", "1"):
        out = tmp_path / f"out-{worker}"
        p, who = _spy(tmp_path, ["--arch", arch, "-static", "-e", "f0", *defs, "-o", str(out), *objs],
                      worker, tag="-".join(map(str, bad)))
        assert p.returncode == 1, p.stderr
        assert "Traceback" not in p.stderr and not out.exists()
        results[worker] = p.stderr
        if worker == "1":
            assert who == ["part@parent", "part@child", "all@parent"] or \
                who == ["part@child", "part@parent", "all@parent"], who
    assert "out of range" in results["0"]
    assert results["1"] == results["0"]


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_a_small_link_is_not_split_by_default(arch, tmp_path):
    """Below MIN_IMAGE the fork would cost more than the half it takes: one process."""
    objs = [tc.assemble(arch, _asm(arch, k, False), tmp_path / f"a{k}.o") for k in range(4)]
    env_less = {k: v for k, v in os.environ.items() if k != "XLD_IMAGE_WORKER"}
    out = tmp_path / "small"
    log = tmp_path / "log"
    p = subprocess.run([sys.executable, "-c", SPY, str(log), "", "--arch", arch, "-static", "-e", "f0",
                        "-o", str(out), *map(str, objs)], env=dict(env_less, XLD_SERVER="0"),
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert not log.exists()                     # (neither half copied: build_image did it all)
    p, who = _spy(tmp_path, ["--arch", arch, "-static", "-e", "f0", "-o", str(tmp_path / "forced"), *objs], "1")
    assert p.returncode == 0, p.stderr
    assert sorted(who) == ["part@child", "part@parent"]
    assert (tmp_path / "forced").read_bytes() == out.read_bytes()
