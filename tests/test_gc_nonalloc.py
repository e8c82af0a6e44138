"""--gc-sections and the non-allocated sections of a file that keeps nothing (docs/gc.md,
"Files that keep no section"): GNU ld removes a file's .comment, .riscv.attributes and debug
sections when none of its allocated sections (notes aside) stays, and --print-gc-sections
names them; an .eh_frame counts as staying.  Objects without .eh_frame show it: clang-14's
riscv64 C objects, gcc's with -fno-asynchronous-unwind-tables.  The oracle is GNU ld on the
same objects: the lines printed, the non-allocated sections written, and the program's run."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from tests import toolchain as tc

pytestmark = tc.cross_and_qemu()

SOURCES = {
    "main.c": "#include <stdio.h>\nint used(int x) { return x * 2; }\n"
              "int main(void) { printf(\"%d\\n\", used(21)); return 0; }\n",
    # nothing of it is reached
    "unused.c": "int unused_fn(int x) { return x * 3; }\nint unused_data = 5;\n",
}


def _nonalloc(path: Path) -> dict[str, int]:
    """name -> size of the non-allocated sections (but the symbol and string tables; of
    .riscv.attributes only that it is there: GNU ld's Tag_RISCV_arch also names the
    extensions V implies, zvl128b ..., which xld's does not)."""
    with open(path, "rb") as f:
        return {s.name: s["sh_size"] if s.name != ".riscv.attributes" else 1 for s in ELFFile(f).iter_sections()
                if s["sh_type"] not in ("SHT_NULL", "SHT_SYMTAB", "SHT_STRTAB") and not s["sh_flags"] & 2}


def _removed_lines(stderr: str) -> list[str]:
    """The 'removing unused section' lines, without GNU ld's 'path/ld: ' prefix."""
    return [line[line.index("removing"):] for line in stderr.splitlines() if "removing unused section" in line]


@pytest.mark.parametrize("arch,compile_cmd", [
    ("riscv64", ["clang-14", "--target=riscv64-linux-gnu", "-g", "-O1"]),
    ("arm64", ["aarch64-linux-gnu-gcc", "-g", "-O1", "-fno-asynchronous-unwind-tables", "-fno-unwind-tables"])])
def test_a_file_that_keeps_nothing_loses_its_nonalloc_sections(arch, compile_cmd, tmp_path):
    """unused.o's code and data are all removed: GNU ld removes its .comment, debug sections
    (and riscv64's .riscv.attributes) too and names them; xld kept them, unnamed (the output's
    .debug_info held unused.o's unit, describing code that is not there).  The attributes of
    riscv64's unused.o (rv64gcv) are merged all the same, as GNU ld merges them before it
    removes sections: its V extension is in the output's Tag_RISCV_arch."""
    tc.require(compile_cmd[0])
    for name, text in SOURCES.items():
        (tmp_path / name).write_text(text)
        vector = ["-march=rv64gcv"] if arch == "riscv64" and name == "unused.c" else []
        subprocess.run([*compile_cmd, *vector, "-c", name], cwd=tmp_path, check=True)
    gcc = tc.require(f"{tc.TRIPLE[arch]}-gcc")
    flags = ["-Wl,--gc-sections", "-Wl,--print-gc-sections", "main.o", "unused.o"]
    got = {}
    for who, use in (("gnu", []), ("xld", ["-B", str(tc.ld_wrapper_dir(tmp_path))])):
        p = subprocess.run([gcc, *use, *flags, "-o", who], cwd=tmp_path, capture_output=True, text=True)
        assert p.returncode == 0, (who, p.stderr)
        lines = [line for line in _removed_lines(p.stderr) if "unused.o" in line]
        got[who] = (lines, _nonalloc(tmp_path / who))
        r = tc.qemu_run(arch, tmp_path / who, sysroot=f"/usr/{tc.TRIPLE[arch]}")
        assert (r.status, r.stdout) == (0, b"42\n"), r.summary()
    assert "removing unused section '.debug_info' in file 'unused.o'" in got["gnu"][0]
    assert "removing unused section '.comment' in file 'unused.o'" in got["gnu"][0]
    assert got["xld"] == got["gnu"]
    if arch == "riscv64":
        tags = [next(line for line in subprocess.run([f"{tc.TRIPLE[arch]}-readelf", "-A", who], cwd=tmp_path,
                                                     capture_output=True, text=True, check=True).stdout.splitlines()
                     if "Tag_RISCV_arch" in line) for who in ("gnu", "xld")]
        assert all("_v1p0" in t for t in tags), tags
    r = subprocess.run([*tc.xld_command(), "run", "--sysroot", f"/usr/{tc.TRIPLE[arch]}", str(tmp_path / "xld")],
                       capture_output=True)
    assert (r.returncode, r.stdout) == (0, b"42\n"), r.stderr



ROOTS = {
    "main.c": "int used(int x) { return x * 2; }\nint main(void) { return used(21) - 42; }\n",
    # nothing allocated of it is reached, but two non-allocated sections are roots of their own
    "roots.c": "int unused_fn(int x) { return x * 3; }\n"
               "__asm__(\".section .meta_retained,\\\"R\\\"\\n.byte 1,2,3\\n\"\n"
               "        \".section .meta_kept,\\\"\\\"\\n.byte 4,5\\n.previous\");\n",
}
KEEP_SCRIPT = """SECTIONS {
  . = 0x10000;
  .text : { *(.text .text.*) }
  .data : { *(.data .data.* .sdata .sdata.* .bss .bss.* .sbss .sbss.*) }
  .meta_kept 0 : { KEEP(*(.meta_kept)) }
}
"""


@pytest.mark.parametrize("arch", tc.ARCHES)
def test_nonalloc_roots_of_a_file_that_keeps_nothing_stay(arch, tmp_path):
    """A non-allocated section that is a root itself stays, as in GNU ld's output, though its
    file keeps nothing allocated: one with SHF_GNU_RETAIN ("R") and one a script KEEPs.  With
    the rule for the others alone, xld removed both (and named them removed)."""
    cc = tc.require(f"{tc.TRIPLE[arch]}-gcc")
    for name, text in ROOTS.items():
        (tmp_path / name).write_text(text)
        subprocess.run([cc, "-O1", "-fno-asynchronous-unwind-tables", "-fno-unwind-tables", "-ffunction-sections", "-c", name],
                       cwd=tmp_path, check=True)
    (tmp_path / "keep.ld").write_text(KEEP_SCRIPT)
    flags = ["-nostdlib", "-static", "-Wl,-e,main", "-Wl,--gc-sections", "-Wl,--print-gc-sections",
             "-Wl,-T,keep.ld", "main.o", "roots.o"]
    got = {}
    for who, use in (("gnu", []), ("xld", ["-B", str(tc.ld_wrapper_dir(tmp_path))])):
        p = subprocess.run([cc, *use, *flags, "-o", who], cwd=tmp_path, capture_output=True, text=True)
        assert p.returncode == 0, (who, p.stderr)
        lines = sorted(line for line in _removed_lines(p.stderr) if "roots.o" in line)
        got[who] = (lines, {k: v for k, v in _nonalloc(tmp_path / who).items() if k.startswith(".meta")})
    assert got["gnu"][1] == {".meta_retained": 3, ".meta_kept": 2}, got["gnu"]
    assert got["xld"] == got["gnu"]
