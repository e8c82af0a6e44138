"""Rebuild the bundled example objects (package data of ``xld.examples``).

    python -m xld.tools.build_examples [--check]

Compiles ``examples/hello/*.c`` with the Debian cross compilers into
``examples/arm64/*.o`` and ``examples/riscv64/*.o``. The objects are committed, so
``xld demo`` works after ``pip install`` on a machine without any cross compiler; run this
only after changing the sources. ``--check`` rebuilds into a temporary directory and reports
whether the committed objects are stale (by comparing section names and global/local symbols,
since the bytes may differ between compiler versions).

The flags are ordinary ones for freestanding code: no C library, no stack protector; GCC's
defaults otherwise (PIE code model, RISC-V linker relaxation left on).
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SOURCES = EXAMPLES / "hello"

COMPILERS = {
    "arm64": "aarch64-linux-gnu-gcc",
    "riscv64": "riscv64-linux-gnu-gcc",
}
CFLAGS = ["-O2", "-ffreestanding", "-fno-stack-protector", "-fno-builtin"]
ARCH_FLAGS = {"arm64": [], "riscv64": ["-march=rv64gc", "-mabi=lp64d"]}


def build(outdir: Path, verbose: bool = True) -> list[Path]:
    made = []
    for arch, cc in COMPILERS.items():
        if shutil.which(cc) is None:
            raise SystemExit(f"build_examples: {cc} not found (apt install gcc-{cc[:-4]})")
        dest = outdir / arch
        dest.mkdir(parents=True, exist_ok=True)
        for src in sorted(SOURCES.glob("*.c")):
            obj = dest / (src.stem + ".o")
            cmd = [cc, *CFLAGS, *ARCH_FLAGS[arch], "-c", str(src), "-o", str(obj)]
            if verbose:
                print(" ".join([cc, *CFLAGS, *ARCH_FLAGS[arch], "-c", f"hello/{src.name}",
                                "-o", f"{arch}/{obj.name}"]))
            subprocess.run(cmd, check=True, cwd=SOURCES)
            made.append(obj)
    return made


def _summary(path: Path) -> list:
    from elftools.elf.elffile import ELFFile
    with open(path, "rb") as f:
        elf = ELFFile(f)
        secs = sorted(s.name for s in elf.iter_sections())
        tab = elf.get_section_by_name(".symtab")
        syms = sorted((s.name, s["st_info"]["bind"], s["st_info"]["type"])
                      for s in tab.iter_symbols() if not s.name.startswith((".L", "$")))
    return [secs, syms]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="build_examples", description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true",
                   help="only report whether the committed objects match the sources")
    opts = p.parse_args(argv)
    if not opts.check:
        for arch in COMPILERS:
            for old in (EXAMPLES / arch).glob("*.o"):
                os.unlink(old)
        build(EXAMPLES)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        fresh = build(Path(tmp), verbose=False)
        stale = []
        for obj in fresh:
            committed = EXAMPLES / obj.parent.name / obj.name
            if not committed.exists() or _summary(committed) != _summary(obj):
                stale.append(f"{obj.parent.name}/{obj.name}")
        for arch in COMPILERS:
            for extra in (EXAMPLES / arch).glob("*.o"):
                if not (Path(tmp) / arch / extra.name).exists():
                    stale.append(f"{arch}/{extra.name} (no source)")
    if stale:
        print("stale example objects: " + ", ".join(stale))
        return 1
    print("example objects are up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
