"""Benchmark ``xld run`` against qemu-user on the same programs, in the same run.

    python -m xld.tools.bench_emu [--arch arm64,riscv64] [--fib 32] [--calls 50000] [--repeat 3]
                                  [--suite 150] [--quick] [--json out.json]

Two workloads, built here with the Debian cross GCC (static glibc) from tests/emu/progs:

- cpu: fib(N) by naive recursion. Reported as whole-process wall time (``python -m xld.emu``
  vs ``qemu-<arch>``, both from a cold process) and as in-process time (``xld.emu.run``, what a
  test suite pays per run), each as a ratio to qemu.
  The xld process runs with Python's bytecode cache enabled, as users have it.
- syscalls: a loop of getppid() and 1-byte writes to /dev/null. The cost per system call is
  the slope between a short and a long run, so start-up cost cancels out.
- runs: the median time of one in-process run (``xld.emu.run``) of a static hello, what each
  test of a suite using the pytest plugin pays, checked against its budget (RUN_BUDGET_S; this
  was a timed assertion in tests/emu, moved here: speed is the benchmark's business).
- served: the same as whole processes handed to the warm server (link/server.py), as users run
  them: the lean client (``python -I -S``, link/client.py's ``run``, what the binfmt_misc and
  ld wrappers and ``DIR/xld-run`` run) and the ``xld run`` command (the console script: the interpreter with
  ``site``, then the client): fib(N), a static hello (median of 10), and a suite of --suite
  (150) short runs one after another (the hello), per run, against qemu-user's.

The table goes to stdout, followed by the same numbers as one JSON object (or into --json).
Aims (issue 6): cpu within 3x of qemu-user (whole process), system calls under 10 µs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PROGS = os.path.join(os.path.dirname(HERE), "tests", "emu", "progs")
GNU = {"arm64": "aarch64-linux-gnu-gcc", "riscv64": "riscv64-linux-gnu-gcc"}
QEMU = {"arm64": "qemu-aarch64", "riscv64": "qemu-riscv64"}
RUN_BUDGET_S = 0.25     # one in-process run of a static hello (about 20 ms on a laptop)


def _best(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def _check(p, what):
    if p.returncode != 0:
        raise SystemExit(f"bench_emu: {what} failed ({p.returncode}):\n{p.stderr.decode(errors='replace')}")


def build(arch, prog, outdir):
    cc = shutil.which(GNU[arch])
    if cc is None:
        return None
    src = os.path.join(PROGS, prog + ".c")
    out = os.path.join(outdir, f"{prog}-{arch}")
    p = subprocess.run([cc, "-O2", "-static", src, "-o", out, "-lm"], capture_output=True)
    _check(p, f"compiling {src}")
    return out


def served_commands() -> dict[str, list[str]]:
    """``xld run`` as users start it, both going through the warm server when it runs."""
    from xld.link import client
    script = os.path.join(os.path.dirname(sys.executable), "xld")
    command = [script] if os.access(script, os.X_OK) else [sys.executable, "-m", "xld.link"]
    return {"lean": [*client.lean_argv(sys.executable), "run"], "command": [*command, "run"]}


def wait_for_server(env, timeout=60.0) -> bool:
    """Whether this installation's server listens (the first served command started it)."""
    from xld.link import client
    if not client.enabled(env):
        return False
    d = client.socket_dir(env)
    if d is None:
        return False
    key = client.key_text(sys.executable, sys.version, client.PACKAGE_DIR, env)
    path = os.path.join(d, client.key_name(key) + ".sock")
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        s = client.connect(path)
        if s is not None:
            s.close()
            return True
        time.sleep(0.1)
    return False


def _median_time(fn, n):
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return sorted(ts)[len(ts) // 2]


def bench_arch(arch, args, outdir):
    from xld.emu import run

    qemu = shutil.which(QEMU[arch])
    fib = build(arch, "fib", outdir)
    sysloop = build(arch, "sysloop", outdir)
    if fib is None or qemu is None:
        return {"arch": arch, "skipped": f"{GNU[arch]} or {QEMU[arch]} missing"}
    n = str(args.fib)
    xld_cmd = [sys.executable, "-m", "xld.emu"]

    def q(exe, *a):
        p = subprocess.run([qemu, exe, *a], capture_output=True)
        _check(p, "qemu")

    # Users' Python caches bytecode; this environment may say not to (PYTHONDONTWRITEBYTECODE),
    # which would add compiling xld's modules to every start-up. Measure what users get.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

    def x(exe, *a):
        p = subprocess.run([*xld_cmd, exe, *a], capture_output=True, env=env)
        _check(p, "xld run")

    x(fib, "1")  # warm-up: writes the bytecode cache

    def inproc(exe, *a):
        r = run(exe, list(a))
        if not r.ok:
            raise SystemExit(f"bench_emu: xld.emu.run failed: {r.crash or r.stderr}")
        return r

    r = repeat = args.repeat
    res = {"arch": arch}
    res["cpu_qemu_s"] = _best(lambda: q(fib, n), r)
    res["cpu_xld_process_s"] = _best(lambda: x(fib, n), r)
    res["cpu_xld_inprocess_s"] = _best(lambda: inproc(fib, n), r)
    res["startup_qemu_s"] = _best(lambda: q(fib, "1"), r)
    res["startup_xld_process_s"] = _best(lambda: x(fib, "1"), r)
    res["startup_xld_inprocess_s"] = _best(lambda: inproc(fib, "1"), r)
    res["cpu_ratio_process"] = res["cpu_xld_process_s"] / res["cpu_qemu_s"]
    res["cpu_ratio_inprocess"] = res["cpu_xld_inprocess_s"] / res["cpu_qemu_s"]
    res["cpu_ratio_net"] = ((res["cpu_xld_inprocess_s"] - res["startup_xld_inprocess_s"]) /
                            max(1e-9, res["cpu_qemu_s"] - res["startup_qemu_s"]))

    hello = build(arch, "hello", outdir)
    inproc(hello)                                   # warm: imports, the monitor probe
    per_run = []
    for _ in range(max(5, r)):
        t = time.perf_counter()
        inproc(hello)
        per_run.append(time.perf_counter() - t)
    res["run_inprocess_s"] = sorted(per_run)[len(per_run) // 2]
    res["run_inprocess_budget_s"] = RUN_BUDGET_S
    res["run_inprocess_ok"] = res["run_inprocess_s"] <= RUN_BUDGET_S

    # served: what the warm server makes of a whole process (its first run starts it)
    served = served_commands()

    def sv(kind, exe, *a):
        p = subprocess.run([*served[kind], exe, *a], capture_output=True, env=env)
        _check(p, f"served xld run ({kind})")
    sv("lean", hello)
    res["served"] = wait_for_server(env)
    if res["served"]:
        sv("lean", hello)
        res["cpu_xld_served_s"] = _best(lambda: sv("lean", fib, n), r)
        res["cpu_ratio_served"] = res["cpu_xld_served_s"] / res["cpu_qemu_s"]
        res["hello_qemu_s"] = _median_time(lambda: q(hello), 10)
        for kind in served:
            res[f"hello_served_{kind}_s"] = _median_time(lambda kind=kind: sv(kind, hello), 10)
        # a suite of short runs, one after another, as a test runner starts them; the runners
        # take turns run by run, so a busy spell of the machine falls on all of them alike
        suite = {"qemu": lambda: q(hello), **{f"served_{k}": (lambda k=k: sv(k, hello)) for k in served}}
        total = dict.fromkeys(suite, 0.0)
        for _ in range(args.suite):
            for name, fn in suite.items():
                t = time.perf_counter()
                fn()
                total[name] += time.perf_counter() - t
        for name, t in total.items():
            res[f"suite_{name}_per_run_s"] = t / args.suite
        res["suite_runs"] = args.suite
        res["loadavg"] = os.getloadavg()
        res["suite_ratio_lean"] = res["suite_served_lean_per_run_s"] / res["suite_qemu_per_run_s"]

    lo, hi = 200, args.calls
    tq = [_best(lambda k=k: q(sysloop, str(k)), repeat) for k in (lo, hi)]
    tx = [_best(lambda k=k: inproc(sysloop, str(k)), repeat) for k in (lo, hi)]
    calls = 2 * (hi - lo)
    res["syscall_qemu_us"] = (tq[1] - tq[0]) / calls * 1e6
    res["syscall_xld_us"] = (tx[1] - tx[0]) / calls * 1e6
    res["syscall_ratio"] = res["syscall_xld_us"] / max(1e-9, res["syscall_qemu_us"])
    return res


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m xld.tools.bench_emu", description=__doc__.split("\n\n")[0])
    ap.add_argument("--arch", default="arm64,riscv64")
    ap.add_argument("--fib", type=int, default=32)
    ap.add_argument("--calls", type=int, default=50000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--suite", type=int, default=150, help="short runs in the suite (default 150)")
    ap.add_argument("--quick", action="store_true", help="small sizes: a smoke test")
    ap.add_argument("--json", metavar="PATH", help="write the JSON here instead of stdout")
    args = ap.parse_args(argv)
    if args.quick:
        args.fib, args.calls, args.repeat, args.suite = min(args.fib, 24), min(args.calls, 20000), 1, 10
    import unicorn

    out = {"unicorn": unicorn.__version__, "python": platform.python_version(),
           "machine": platform.machine(), "fib": args.fib, "calls": args.calls, "results": []}
    with tempfile.TemporaryDirectory(prefix="xld-bench-") as d:
        for arch in args.arch.split(","):
            out["results"].append(bench_arch(arch.strip(), args, d))

    rows = [("", "qemu", "xld (process)", "xld (in-process)", "ratio process", "ratio in-proc", "ratio net",
             "xld (served, lean)", "xld run (served)", "ratio served")]
    for r in out["results"]:
        if "skipped" in r:
            rows.append((r["arch"], "skipped: " + r["skipped"], *[""] * 8))
            continue
        sv = r.get("served")
        rows.append((f"{r['arch']} fib({args.fib})", f"{r['cpu_qemu_s']:.3f} s", f"{r['cpu_xld_process_s']:.3f} s",
                     f"{r['cpu_xld_inprocess_s']:.3f} s", f"{r['cpu_ratio_process']:.2f}x",
                     f"{r['cpu_ratio_inprocess']:.2f}x", f"{r['cpu_ratio_net']:.2f}x",
                     f"{r['cpu_xld_served_s']:.3f} s" if sv else "not served", "",
                     f"{r['cpu_ratio_served']:.2f}x" if sv else ""))
        rows.append((f"{r['arch']} start-up", f"{r['startup_qemu_s'] * 1e3:.0f} ms",
                     f"{r['startup_xld_process_s'] * 1e3:.0f} ms", f"{r['startup_xld_inprocess_s'] * 1e3:.0f} ms",
                     "", "", "", "", "", ""))
        rows.append((f"{r['arch']} hello run", f"{r['hello_qemu_s'] * 1e3:.0f} ms" if sv else "", "",
                     f"{r['run_inprocess_s'] * 1e3:.0f} ms",
                     "", f"budget {RUN_BUDGET_S * 1e3:.0f} ms: {'ok' if r['run_inprocess_ok'] else 'OVER'}", "",
                     f"{r['hello_served_lean_s'] * 1e3:.0f} ms" if sv else "",
                     f"{r['hello_served_command_s'] * 1e3:.0f} ms" if sv else "",
                     f"{r['hello_served_lean_s'] / r['hello_qemu_s']:.2f}x" if sv else ""))
        if sv:
            rows.append((f"{r['arch']} suite of {r['suite_runs']}, per run",
                         f"{r['suite_qemu_per_run_s'] * 1e3:.1f} ms", "", "", "", "", "",
                         f"{r['suite_served_lean_per_run_s'] * 1e3:.1f} ms",
                         f"{r['suite_served_command_per_run_s'] * 1e3:.1f} ms", f"{r['suite_ratio_lean']:.2f}x"))
        rows.append((f"{r['arch']} per syscall", f"{r['syscall_qemu_us']:.2f} µs", "",
                     f"{r['syscall_xld_us']:.2f} µs", "", f"{r['syscall_ratio']:.1f}x", "", "", "", ""))
    report(rows, out, args.json)
    return 0


def report(rows: list[tuple], out: dict, json_path: str | None) -> None:
    """The rows as aligned columns on stdout; the record to ``json_path`` (else stdout)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
    text = json.dumps(out, indent=2)
    if json_path:
        with open(json_path, "w") as f:
            f.write(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    sys.exit(main())
