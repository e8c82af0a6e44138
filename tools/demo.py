"""``xld demo``: link the bundled example for both architectures and run it.

The example (``examples/hello``: a freestanding program with its own ``_start``, raw system
calls, a table of function pointers and a ``.bss`` counter) ships as precompiled objects in
the ``xld.examples`` package, so the demo needs no cross compiler: it links each set with
xld into a temporary directory, runs the result with xld's Unicorn runner, and shows the
program's output. Exit status 0 means both programs linked, ran, and exited with 0.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

ARCHES = ("arm64", "riscv64")


def bundled_objects(arch: str):
    """The example's object files for ``arch`` in the installed package (Traversables)."""
    root = resources.files("xld.examples") / arch
    if not root.is_dir():
        return []
    return sorted((e for e in root.iterdir() if e.name.endswith(".o")), key=lambda e: e.name)


def link(arch: str, objs: list[Path], out: Path) -> tuple[int, str]:
    """Link with the xld command's own entry point, in process; return (status, stderr)."""
    from xld.link.cli import main as xld_main
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        status = xld_main(["--arch", arch, "-static", "-o", str(out), *map(str, objs)])
    return status, err.getvalue()


def demo_one(arch: str, tmp: Path, out) -> bool:
    from xld.emu import RunError, run
    with contextlib.ExitStack() as stack:
        objs = bundled_objects(arch)
        if not objs:
            print(f"[{arch}] no bundled objects found in xld.examples/{arch}", file=out)
            return False
        # resources may live in a zip: as_file gives real files for the linker
        files = [stack.enter_context(resources.as_file(o)) for o in objs]
        exe = tmp / f"hello-{arch}"
        names = " ".join(o.name for o in files)
        print(f"[{arch}] xld --arch {arch} -static -o {exe.name} {names}", file=out)
        t0 = time.perf_counter()
        status, err = link(arch, files, exe)
        dt = time.perf_counter() - t0
        if status != 0 or not exe.exists():
            print(f"[{arch}] link failed (status {status}):\n{err}", file=out)
            return False
        print(f"[{arch}] linked {exe.stat().st_size} bytes in {dt * 1000:.0f} ms", file=out)
        print(f"[{arch}] xld run {exe.name} demo", file=out)
        try:
            res = run(str(exe), argv=["demo"], root=str(tmp), timeout=60)
        except RunError as e:
            print(f"[{arch}] could not run: {e}", file=out)
            return False
        for line in res.stdout.decode(errors="replace").splitlines():
            print(f"    {line}", file=out)
        if res.stderr:
            for line in res.stderr.decode(errors="replace").splitlines():
                print(f"    (stderr) {line}", file=out)
        crash = getattr(res, "crash", None)
        if crash:
            print(crash, file=out)
        ok = res.returncode == 0
        print(f"[{arch}] exit status {res.returncode}" + ("" if ok else "  <- FAILED"), file=out)
        return ok


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="xld demo", description=__doc__.splitlines()[0])
    p.add_argument("--arch", choices=ARCHES, action="append",
                   help="only this architecture (repeatable; default: both)")
    p.add_argument("--keep", metavar="DIR", help="write the executables to DIR and keep them")
    opts = p.parse_args(argv)
    arches = opts.arch or list(ARCHES)
    out = sys.stdout
    with contextlib.ExitStack() as stack:
        if opts.keep:
            tmp = Path(opts.keep)
            tmp.mkdir(parents=True, exist_ok=True)
        else:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="xld-demo-")))
        results = {}
        for arch in arches:
            results[arch] = demo_one(arch, tmp, out)
            print(file=out)
    good = [a for a, ok in results.items() if ok]
    bad = [a for a, ok in results.items() if not ok]
    if bad:
        print(f"demo failed for: {', '.join(bad)}", file=out)
        return 1
    print(f"demo ok: {', '.join(good)} linked by xld and run by xld's emulator", file=out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
