"""Compile, link and run helpers shared by the test suites.

Tools are found once; a test that needs a missing one is skipped with the reason — except in
CI (``CI=true``), where a missing tool fails the test, so a broken CI image cannot pass by
skipping everything.

    cc = compiler("gcc", "arm64")           # or "zig"; Compiler or skip/fail
    objs = cc.compile_many(sources, outdir, flags)
    gnu_ld("arm64", objs, out)              # the oracle: GNU ld -static
    link = xld_link(["-o", out, *objs])     # xld in process: LinkResult(status, stderr)
    xld_cli([...])                          # xld as a subprocess: CompletedProcess
    qemu_run("arm64", exe, args)            # RunResult(status, stdout, stderr)
    xld_run(exe, args)                      # the same through xld.emu.run
"""
from __future__ import annotations

import contextlib
import functools
import importlib.util
import io
import os
import shutil
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

ARCHES = ("arm64", "riscv64")
TRIPLE = {"arm64": "aarch64-linux-gnu", "riscv64": "riscv64-linux-gnu"}
ZIG_TARGET = {"arm64": "aarch64-linux-musl", "riscv64": "riscv64-linux-musl"}
QEMU = {"arm64": "qemu-aarch64", "riscv64": "qemu-riscv64"}
MACHINE = {"arm64": 183, "riscv64": 243}

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
JOBS = max(1, min(4, os.cpu_count() or 1))


def seeds(var: str, default: int) -> range:
    """The seeds a random differential test runs: the environment variable ``var`` is a count
    N (seeds 1..N) or a range A-B (seeds A..B, a soak beyond the seeds already run)."""
    text = os.environ.get(var, str(default))
    first, _, last = text.partition("-")
    return range(int(first), 1 + int(last)) if last else range(1, 1 + int(first))


def missing(reason: str):
    """Skip (locally) or fail (in CI) because a tool is missing."""
    if IN_CI:
        pytest.fail(f"required tool missing in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def skip_unless(present: bool, reason: str):
    """A marker: skip when a tool is missing on a user's machine; in CI never (the test runs
    and fails if the tool really is missing)."""
    return pytest.mark.skipif(not present and not IN_CI, reason=reason)


@functools.cache
def cross_and_qemu():
    """The skip marker of tests that need both cross gcc drivers and both qemu-user binaries."""
    return skip_unless(all(which(f"{t}-gcc") for t in TRIPLE.values()) and all(which(q) for q in QEMU.values()),
                       "cross gcc and qemu-user are needed")


def which(name: str) -> str | None:
    return shutil.which(name)


@functools.cache
def have_zig() -> bool:
    return importlib.util.find_spec("ziglang") is not None


def require(name: str) -> str:
    path = which(name)
    if path is None:
        missing(f"{name} not found on PATH")
    return path


# --- Rust -------------------------------------------------------------------------------------

# Debian's rustc, with the std of its own version for the target: .ci/run unpacks Debian's
# libstd-rust-dev:arm64 into RUST_SYSROOT (rustup's server is out of reach; installing the
# package would bring libc6:arm64, which breaks qemu-user's -L sysroot). Debian bookworm has no
# riscv64 port, hence no Rust std for riscv64.
RUST_TARGET = {"arm64": "aarch64-unknown-linux-gnu"}
RUST_SYSROOT = "/usr/local/lib/xld-rust-sysroot"


def rustc(arch: str) -> list[str]:
    """``rustc --sysroot S --target T`` for ``arch`` (missing() when there is none)."""
    exe, target = "/usr/bin/rustc", RUST_TARGET[arch]
    if not os.access(exe, os.X_OK):
        missing("Debian's rustc (/usr/bin/rustc) is needed")
    for root in (os.environ.get("XLD_RUST_SYSROOT", RUST_SYSROOT), "/usr"):
        if (Path(root) / "lib" / "rustlib" / target / "lib").is_dir():
            return [exe, "--sysroot", root, "--target", target]
    missing(f"Rust's std for {target} is needed (.ci/run unpacks it into {RUST_SYSROOT})")


# --- compilers --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Compiler:
    kind: str               # "gcc" or "zig"
    arch: str
    argv: tuple[str, ...]   # the command up to the flags

    # Freestanding code: no libc, no stack protector, no builtins the libc would provide.
    def base_flags(self) -> list[str]:
        flags = ["-ffreestanding", "-fno-stack-protector", "-fno-builtin"]
        if self.kind == "zig":
            flags += ["-fno-sanitize=undefined"]      # zig cc's Debug default adds UBSan calls
        if self.arch == "riscv64" and self.kind == "gcc":
            flags += ["-march=rv64gc", "-mabi=lp64d"]    # zig's riscv64 baseline is rv64gc
        return flags

    def compile(self, src: Path, obj: Path, flags=()) -> Path:
        cmd = [*self.argv, *self.base_flags(), *flags, "-c", str(src), "-o", str(obj)]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            raise AssertionError(f"compile failed: {' '.join(cmd)}\n{p.stderr}")
        return obj

    def compile_many(self, sources, outdir: Path, flags=()) -> list[Path]:
        """Compile in parallel; objects are named after their sources' directory and stem."""
        outdir.mkdir(parents=True, exist_ok=True)
        jobs = [(Path(s), outdir / f"{Path(s).parent.name}_{Path(s).stem}.o") for s in sources]
        with ThreadPoolExecutor(JOBS) as ex:
            return list(ex.map(lambda j: self.compile(j[0], j[1], flags), jobs))


def compiler(kind: str, arch: str) -> Compiler:
    """The ``kind`` ("gcc" or "zig") cross compiler for ``arch``, or skip/fail."""
    if kind == "gcc":
        cc = f"{TRIPLE[arch]}-gcc"
        require(cc)
        return Compiler("gcc", arch, (cc,))
    if kind == "zig":
        if not have_zig():
            missing("zig cc not available (pip install ziglang)")
        return Compiler("zig", arch, (sys.executable, "-m", "ziglang", "cc",
                                      "-target", ZIG_TARGET[arch]))
    if kind == "clang":
        require("clang-14")
        return Compiler("clang", arch, ("clang-14", f"--target={TRIPLE[arch]}"))
    raise ValueError(kind)


def compile_c(arch: str, source: str, d: Path, flags=()) -> Path:
    """C text ``source`` compiled by gcc for ``arch``: ``d``/prog.o."""
    src = d / "prog.c"
    src.write_text(source)
    return compiler("gcc", arch).compile(src, d / "prog.o", tuple(flags))


def assemble(arch: str, source: str, obj: Path) -> Path:
    """Assemble a snippet of GNU assembler source with the cross gcc."""
    cc = require(f"{TRIPLE[arch]}-gcc")
    src = obj.with_suffix(".s")
    src.write_text(source)
    p = subprocess.run([cc, "-c", str(src), "-o", str(obj)], capture_output=True, text=True)
    if p.returncode != 0:
        raise AssertionError(f"assembly failed:\n{p.stderr}")
    return obj


def archive(arch: str, objs, out: Path, thin: bool = False) -> Path:
    """Pack objects into an ``ar`` archive with a symbol index (binutils ar); ``thin``: a
    thin archive, whose members stay in their own files."""
    ar = require(f"{TRIPLE[arch]}-ar")
    if out.exists():
        out.unlink()
    subprocess.run([ar, "rcsT" if thin else "rcs", str(out), *map(str, objs)], check=True,
                   capture_output=True)
    return out


# --- linkers ----------------------------------------------------------------------------------

def gnu_ld(arch: str, objs, out: Path, extra=()) -> Path:
    """Link with GNU ld, the oracle: ``<triple>-ld -static -o out objs``."""
    ld = require(f"{TRIPLE[arch]}-ld")
    cmd = [ld, "-static", *extra, "-o", str(out), *map(str, objs)]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise AssertionError(f"GNU ld failed: {' '.join(cmd)}\n{p.stderr}")
    return out


@dataclass
class LinkResult:
    status: int
    stderr: str


def xld_link(args) -> LinkResult:
    """Run the ``xld`` command's entry point in this process (no interpreter start-up)."""
    from xld.link.cli import main
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            status = main([str(a) for a in args])
        except SystemExit as e:           # argparse-style exits
            status = e.code if isinstance(e.code, int) else 1
    return LinkResult(int(status or 0), err.getvalue())


def xld_command() -> list[str]:
    """How to start the xld command as a separate process: the console script installed with
    the Python running the tests, else that Python's ``-m xld.link``; never an ``xld`` found
    first on PATH, which may be another installation (a developer's second checkout, a version
    manager's shim) and would test other code than this."""
    exe = os.path.join(os.path.dirname(sys.executable), "xld")
    return [exe] if os.access(exe, os.X_OK) else [sys.executable, "-m", "xld.link"]


def xld_cli(args, cwd=None, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run([*xld_command(), *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout)


def ld_wrapper_dir(root: Path) -> Path:
    """A directory whose ``ld`` runs xld, for ``gcc -B DIR``; ``DIR/called`` appears when the
    compiler driver really used it."""
    d = root / "xld-as-ld"
    d.mkdir(parents=True, exist_ok=True)
    ld = d / "ld"
    cmd = " ".join(f"'{c}'" for c in xld_command())
    ld.write_text(f'#!/bin/sh\ntouch "{d}/called"\nexec {cmd} "$@"\n')
    ld.chmod(0o755)
    return d


# --- runners ----------------------------------------------------------------------------------

@dataclass
class RunResult:
    status: int
    stdout: bytes
    stderr: bytes = b""
    note: str = ""

    def summary(self) -> str:
        out = self.stdout.decode(errors="replace")
        return f"status {self.status}\n--- stdout ---\n{out}" + (
            f"--- note ---\n{self.note}\n" if self.note else "")


def run_group(cmd, *, timeout, input: bytes | None = b"", env=None, cwd=None
              ) -> subprocess.CompletedProcess:
    """``subprocess.run(cmd, capture_output=True)`` in a process group of its own; on timeout
    the whole group is killed (SIGKILL) before ``TimeoutExpired`` is raised.  (``subprocess.run``
    kills only the process it started: a guest that forked left its children — qemu processes
    of their own — running, holding the output pipes open, after the test had given up.)"""
    with subprocess.Popen(cmd, stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd,
                          start_new_session=True) as p:
        try:
            out, err = p.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_group(p.pid)
            out, err = p.communicate()
            raise subprocess.TimeoutExpired(cmd, timeout, out, err) from None
        except BaseException:
            kill_group(p.pid)
            raise
        finally:
            if p.returncode is None or p.returncode < 0:
                kill_group(p.pid)            # children left behind by a killed leader
    return subprocess.CompletedProcess(cmd, p.returncode, out, err)


def kill_group(pgid: int) -> None:
    """SIGKILL every process of the group ``pgid`` (one started by ``run_group``)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def qemu_run(arch: str, exe: Path, args=(), timeout=60, stdin: bytes = b"",
             sysroot: str | None = None) -> RunResult:
    """Run under qemu-user; ``sysroot``: qemu's -L, where a dynamic program's ld.so and
    libraries are found. On timeout every process the program started is killed too."""
    qemu = require(QEMU[arch])
    where = ["-L", sysroot] if sysroot else []
    p = run_group([qemu, *where, str(exe), *args], timeout=timeout, input=stdin)
    status = p.returncode if p.returncode >= 0 else 128 - p.returncode
    return RunResult(status, p.stdout, p.stderr)


def xld_run(exe: Path, args=(), timeout=60, stdin: bytes = b"") -> RunResult:
    """Run with xld's Unicorn runner, in process."""
    from xld.emu import run
    res = run(str(exe), argv=list(args), timeout=timeout, root=str(Path(exe).parent),
              stdin=stdin)
    note = res.crash or ""
    return RunResult(res.returncode, res.stdout, res.stderr, note)
