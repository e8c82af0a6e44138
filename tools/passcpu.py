"""The main thread's CPU per pass of one link, with an environment switch off and on, in
alternated runs: what a change that moves work to another process (a forked worker) takes
off the link's own path, readable on a machine too busy for wall times.

    python -m xld.tools.passcpu ARGS_FILE [--var XLD_IMAGE_WORKER] [--runs 9]

ARGS_FILE: the linker's arguments, one a line (e.g. what a ``-B`` directory's ``ld`` that runs
``printf "%s\\n" "$@" > FILE`` saved of gcc's collect2 line).  Each link is a forked child of
this process, which imported xld and linked once (``XLD_SERVER=0``); its passes are timed by
``time.thread_time`` (and, in runs of their own, by the wall clock), and the medians of the
pass groups are printed for VAR=0 and VAR=1."""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

GROUPS = (("image", "image halves", "relocate"), ("write", "build id", "commit"))


def _one(args: list[str], var: str, value: str, clock: str) -> dict[str, float]:
    from xld.link import cli, driver
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        got: dict[str, float] = {}
        try:
            os.environ[var] = value
            os.environ["XLD_SERVER"] = "0"
            if clock == "cpu":
                time.perf_counter = time.thread_time     # (the driver's pass timer)
            real = driver._run_passes

            def timed(ctx):
                try:
                    return real(ctx)
                finally:
                    for k, t in ctx.timings:
                        got[k] = got.get(k, 0.0) + t * 1e3
            driver._run_passes = timed
            sys.stderr = open(os.devnull, "w")
            cli.main(args)
        finally:
            os.write(w, json.dumps(got).encode())
            os._exit(0)
    os.close(w)
    data = b""
    while chunk := os.read(r, 1 << 16):
        data += chunk
    os.close(r)
    os.waitpid(pid, 0)
    return json.loads(data or b"{}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m xld.tools.passcpu")
    ap.add_argument("args_file")
    ap.add_argument("--var", default="XLD_IMAGE_WORKER")
    ap.add_argument("--runs", type=int, default=9)
    o = ap.parse_args(argv)
    with open(o.args_file) as f:
        args = f.read().splitlines()
    _one(args, o.var, "0", "cpu")                       # (the page cache, warm)
    res: dict[tuple[str, str], list] = {(v, c): [] for v in "01" for c in ("cpu", "wall")}
    for _ in range(o.runs):
        for c in ("cpu", "wall"):
            for v in "01":
                res[v, c].append(_one(args, o.var, v, c))
    print(f"{o.args_file}: {o.runs} runs each, load average {os.getloadavg()}")
    for c in ("cpu", "wall"):
        for keys in GROUPS + ((),):
            def total(d):
                return sum(d.get(k, 0.0) for k in keys) if keys else sum(d.values())
            a = statistics.median(total(d) for d in res["0", c])
            b = statistics.median(total(d) for d in res["1", c])
            name = " + ".join(keys) if keys else "all passes"
            print(f"  {c:4s} {name:30s} {o.var}=0 {a:8.1f} ms   =1 {b:8.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
