"""CPU-bound ``xld run`` against qemu-user, in the same run: medians of interleaved repeats.

    python -m xld.tools.bench_emu_cpu [--arch arm64,riscv64] [--repeat 5] [--json out.json]

Workloads (tests/emu/progs, built here with the Debian cross GCC, static glibc):

- fib(32) by naive recursion (``cpumodes plain 32``), and the same with an interval timer
  whose signal has a handler armed (``timer``), computed in a second thread (``thread``), and
  computed while a second thread waits (``bg``): the settings in which the emulator must be
  able to stop the guest at any instruction (docs/run.md, Scheduling);
- a sieve of Eratosthenes up to 20,000,000 (``sieve``): loads and stores over 20 MB;
- a static hello: start-up, what a test suite of many short runs pays per run.

For each: the CPU time (user + system; wall time in parentheses) of qemu-user as a process
and of ``xld run`` as a process (``python -m xld.emu``, bytecode cache on), and of one
in-process run (``xld.emu.run``: the emulating thread's ``time.thread_time``). Ratios are of
CPU times, which a busy shared machine disturbs less than wall times. Every repeat runs qemu, the process and the in-process run back to back, so the three
see the same machine. Output: a table, then the JSON (or into --json).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PROGS = os.path.join(os.path.dirname(HERE), "tests", "emu", "progs")
GNU = {"arm64": "aarch64-linux-gnu-gcc", "riscv64": "riscv64-linux-gnu-gcc"}
QEMU = {"arm64": "qemu-aarch64", "riscv64": "qemu-riscv64"}
CASES = [("fib(32)", "cpumodes", ["plain", "32"]), ("fib(32), timer armed", "cpumodes", ["timer", "32"]),
         ("fib(32) in a 2nd thread", "cpumodes", ["thread", "32"]),
         ("fib(32), a 2nd thread waits", "cpumodes", ["bg", "32"]),
         ("sieve 20M", "sieve", ["20000000"]), ("hello", "hello", [])]


def _build(arch: str, prog: str, outdir: str) -> str:
    out = os.path.join(outdir, f"{prog}-{arch}")
    if not os.path.exists(out):
        p = subprocess.run([GNU[arch], "-O2", "-static", os.path.join(PROGS, prog + ".c"), "-o", out,
                            "-lpthread"], capture_output=True)
        if p.returncode:
            raise SystemExit(f"bench_emu_cpu: compiling {prog}.c failed:\n{p.stderr.decode(errors='replace')}")
    return out


def _timed(cmd, env=None) -> tuple[float, float, bytes]:
    """(wall seconds, CPU seconds (user + system), stdout) of one run of ``cmd``."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, env=env)
    el = time.perf_counter() - t
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode:
        raise SystemExit(f"bench_emu_cpu: {' '.join(cmd)} failed ({p.returncode}):\n"
                         f"{p.stderr.decode(errors='replace')}")
    return el, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime), p.stdout


def bench(arch: str, repeat: int, outdir: str) -> list[dict]:
    from xld.emu import run
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    rows = []
    for label, prog, args in CASES:
        exe = _build(arch, prog, outdir)
        q, x, qc, xc, inproc = [], [], [], [], []
        _timed([sys.executable, "-m", "xld.emu", exe, *args], env)          # warm-up
        for _ in range(repeat):
            t, c, qout = _timed([QEMU[arch], exe, *args])
            q.append(t)
            qc.append(c)
            t, c, xout = _timed([sys.executable, "-m", "xld.emu", exe, *args], env)
            x.append(t)
            xc.append(c)
            if xout != qout:
                raise SystemExit(f"bench_emu_cpu: {label}: xld run printed {xout!r}, qemu {qout!r}")
            c = time.thread_time()
            r = run(exe, args)
            inproc.append(time.thread_time() - c)
            if not r.ok or r.stdout != qout:
                raise SystemExit(f"bench_emu_cpu: {label}: in-process run: {r!r} {r.crash or ''}")
        med = statistics.median
        rows.append({"arch": arch, "case": label, "qemu_wall_s": med(q), "xld_process_wall_s": med(x),
                     "qemu_cpu_s": med(qc), "xld_process_cpu_s": med(xc),
                     "xld_inprocess_cpu_s": med(inproc), "ratio_process_cpu": med(xc) / med(qc),
                     "ratio_inprocess_cpu": med(inproc) / med(qc)})
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m xld.tools.bench_emu_cpu", description=__doc__.split("\n\n")[0])
    ap.add_argument("--arch", default="arm64,riscv64")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", metavar="PATH")
    args = ap.parse_args(argv)
    for arch in args.arch.split(","):
        for tool in (GNU[arch], QEMU[arch]):
            if shutil.which(tool) is None:
                raise SystemExit(f"bench_emu_cpu: {tool} not found")
    import unicorn
    out = {"unicorn": unicorn.__version__, "python": platform.python_version(), "repeat": args.repeat,
           "loadavg": os.getloadavg(), "results": []}
    with tempfile.TemporaryDirectory(prefix="xld-bench-cpu-") as d:
        for arch in args.arch.split(","):
            out["results"] += bench(arch.strip(), args.repeat, d)
    table = [("CPU s (wall s)", "qemu", "xld run (process)", "xld in-process", "ratio process",
              "ratio in-proc")]
    for r in out["results"]:
        table.append((f"{r['arch']} {r['case']}", f"{r['qemu_cpu_s']:.3f} ({r['qemu_wall_s']:.3f})",
                      f"{r['xld_process_cpu_s']:.3f} ({r['xld_process_wall_s']:.3f})",
                      f"{r['xld_inprocess_cpu_s']:.3f}", f"{r['ratio_process_cpu']:.2f}x",
                      f"{r['ratio_inprocess_cpu']:.2f}x"))
    from xld.tools.bench_emu import report
    report(table, out, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
