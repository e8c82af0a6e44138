"""Build the test programs in tests/emu/progs with real cross toolchains, once per session.

Toolchains (each skipped with its reason when missing):
  gcc  — Debian cross GCC, static glibc 2.36, linked by GNU ld
  pie  — the same, -static-pie (arm64 only)
  zig  — zig cc, static musl, linked by zig's own linker
  zbb  — GCC for riscv64 with -march=rv64gc_zba_zbb (which Unicorn cannot run)
  dyn  — the cross GCC's default link: a dynamically linked PIE (glibc's ld.so and libc.so.6)
  nopie — dynamically linked, -no-pie (ET_EXEC with an interpreter)
None of this uses xld's linker: these tests are about the runner alone.
"""

from __future__ import annotations

import concurrent.futures
import os
import shutil
import subprocess
import sys
import threading

import pytest

from tests import toolchain as tc

PROGS = os.path.join(os.path.dirname(__file__), "progs")
ARCHES = ("arm64", "riscv64")
GNU = {"arm64": "aarch64-linux-gnu", "riscv64": "riscv64-linux-gnu"}
ZIG = {"arm64": "aarch64-linux-musl", "riscv64": "riscv64-linux-musl"}
QEMU = {"arm64": "qemu-aarch64", "riscv64": "qemu-riscv64"}

_zig_ok = None


def _have_zig() -> bool:
    global _zig_ok
    if _zig_ok is None:
        try:
            _zig_ok = subprocess.run([sys.executable, "-m", "ziglang", "version"], capture_output=True,
                                     timeout=60).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            _zig_ok = False
    return _zig_ok


def compile_command(toolchain: str, arch: str, src: str, out: str) -> list[str]:
    cxx = src.endswith(".cpp")
    if toolchain in ("dyn", "nopie"):
        cc = shutil.which(f"{GNU[arch]}-{'g++' if cxx else 'gcc'}")
        if cc is None:
            tc.missing(f"{GNU[arch]}-{'g++' if cxx else 'gcc'} not installed")
        return [cc, "-O2", "-g0", *(["-no-pie"] if toolchain == "nopie" else []), src, "-o", out, "-lm"]
    if toolchain in ("gcc", "pie", "zbb"):
        cc = shutil.which(f"{GNU[arch]}-{'g++' if cxx else 'gcc'}")
        if cc is None:
            tc.missing(f"{GNU[arch]}-{'g++' if cxx else 'gcc'} not installed")
        if (toolchain, arch) in (("pie", "riscv64"), ("zbb", "arm64")):
            raise ValueError(f"no {toolchain} build for {arch}: static-pie is tested on arm64, Zba/Zbb on riscv64")
        link = ["-static-pie"] if toolchain == "pie" else ["-static"]
        march = ["-march=rv64gc_zba_zbb"] if toolchain == "zbb" else []
        return [cc, "-O2", "-g0", *march, *link, src, "-o", out, "-lm"]
    if toolchain == "zig":
        if cxx:
            raise ValueError("C++ is built with GCC only (zig builds libc++ from source: too slow)")
        if not _have_zig():
            tc.missing("zig (python -m ziglang) not available")
        return [sys.executable, "-m", "ziglang", "cc", "-target", ZIG[arch], "-O2",
                "-fno-sanitize=undefined", "-static", src, "-o", out]
    raise ValueError(toolchain)


class Builder:
    """Compiles on a small thread pool; the first request starts every build tests will need,
    so the slow first zig compile of each target (it builds musl) overlaps with the others."""

    def __init__(self, outdir):
        self.outdir = str(outdir)
        self.futures: dict = {}
        self.lock = threading.Lock()
        # zig's first build per target compiles musl (~1 min): its own pool keeps GCC builds flowing
        self.pools = {"zig": concurrent.futures.ThreadPoolExecutor(max_workers=2),
                      "gcc": concurrent.futures.ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2))}

    def _compile(self, prog, arch, toolchain):
        src = next(os.path.join(PROGS, f) for f in sorted(os.listdir(PROGS))
                   if os.path.splitext(f)[0] == prog)
        out = os.path.join(self.outdir, f"{prog}-{arch}-{toolchain}")
        try:
            cmd = compile_command(toolchain, arch, src, out)
        except pytest.skip.Exception as e:
            return e
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        if p.returncode != 0:
            return RuntimeError(f"compiling {prog} failed:\n{' '.join(cmd)}\n{p.stderr}")
        return out

    def submit(self, prog, arch, toolchain="gcc"):
        key = (prog, arch, toolchain)
        with self.lock:
            if key not in self.futures:
                pool = self.pools["zig" if toolchain == "zig" else "gcc"]
                self.futures[key] = pool.submit(self._compile, prog, arch, toolchain)
            return self.futures[key]

    def settle(self) -> None:
        """Wait for every build begun so far (a test that counts the process's descriptors or
        threads must not see a compiler's pipes come and go)."""
        with self.lock:
            pending = list(self.futures.values())
        concurrent.futures.wait(pending)

    def __call__(self, prog: str, arch: str, toolchain: str = "gcc") -> str:
        res = self.submit(prog, arch, toolchain).result()
        if isinstance(res, pytest.skip.Exception):
            pytest.skip(str(res))
        if isinstance(res, Exception):
            raise res
        return res


# Built ahead of time, in this order (zig first: its first build per target is the slowest).
PREBUILD = [(p, a, "zig") for p in ("hello", "env", "stdin", "files", "mem", "crash", "escape", "signals",
                                      "libcmix", "atomics", "alarm")
            for a in ("arm64", "riscv64")] + \
    [(p, a, "gcc") for a in ("arm64", "riscv64")
     for p in ("hello", "env", "stdin", "files", "mem", "cxx", "cxxfs", "atomics", "libcmix", "signals", "fib",
               "crash", "spin", "alarm",
               "unknown", "escape", "sandbox", "fdio")] + \
    [(p, "arm64", "pie") for p in ("hello", "env", "stdin", "files", "mem")]


@pytest.fixture(scope="session")
def build(tmp_path_factory):
    """build(prog, arch, toolchain="gcc") -> path of the static executable (cached)."""
    b = Builder(tmp_path_factory.mktemp("emu-progs"))
    for key in PREBUILD:
        b.submit(*key)
    yield b
    for pool in b.pools.values():
        pool.shutdown(wait=True, cancel_futures=True)


def pytest_collection_modifyitems(session, config, items):
    """Run this directory's musl (zig) tests after its others, so they find zig's cache warm;
    other directories' tests keep their places."""
    here = os.path.dirname(__file__)
    slots = [i for i, it in enumerate(items) if str(getattr(it, "path", it.fspath)).startswith(here)]
    mine = [items[i] for i in slots]
    mine.sort(key=lambda it: ("zig" in it.nodeid or "musl" in it.nodeid))
    for i, it in zip(slots, mine):
        items[i] = it


def sysroot(arch: str) -> str:
    """The cross C library's directory (/usr/<triple>): qemu's -L for dynamic programs."""
    d = f"/usr/{GNU[arch]}"
    if not os.path.isdir(os.path.join(d, "lib")):
        tc.missing(f"{d} (the {arch} cross C library) not installed")
    return d


def run_qemu(arch: str, exe: str, args=(), *, stdin=b"", env=None, cwd=None, timeout=60, sysroot=None):
    """Run under qemu-user (with ``-L sysroot`` when given); (returncode as a shell sees it,
    stdout, stderr)."""
    qemu = shutil.which(QEMU[arch])
    if qemu is None:
        tc.missing(f"{QEMU[arch]} not installed")
    prefix = ["-L", sysroot] if sysroot else []
    # its own process group, killed whole on timeout (a forked guest's qemu children too)
    p = tc.run_group([qemu, *prefix, exe, *args], input=stdin, env=env or {}, cwd=cwd, timeout=timeout)
    rc = p.returncode if p.returncode >= 0 else 128 - p.returncode
    return rc, p.stdout, p.stderr


TOOLCHAINS = [(a, t) for a in ARCHES for t in ("gcc", "zig")] + [("arm64", "pie")]
TOOLCHAIN_IDS = [f"{a}-{t}" for a, t in TOOLCHAINS]
