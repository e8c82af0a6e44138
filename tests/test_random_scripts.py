"""Random bare-metal programs with random linker scripts (``xld.tools.randscript``), compiled
by gcc and clang for both arches, linked by GNU ld and by xld with the same ``-T`` script and
flags: the outputs must have the same entry point, allocated sections (name, type, flags,
address, size, alignment, bytes), program headers (type, flags, virtual and load address,
sizes, alignment), values of the global symbols and of the script's, and the same flat image
(``objcopy -O binary`` of both, and xld's own ``--oformat=binary``).  A longer run:
``XLD_RANDSCRIPT_SEEDS=40`` (or a range past the seeds already run, ``=41-80``)."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from tests import toolchain as tc
from xld.tools.randscript import gen

SEEDS = tc.seeds("XLD_RANDSCRIPT_SEEDS", 2)
FLAGS = ["-fno-pic", "-fno-pie", "-nostdlib"]
ARCH_FLAGS = {"arm64": [], "riscv64": ["-mcmodel=medany"]}


def image(path: Path):
    """What must match: the entry, the allocated sections, the program headers, the symbols."""
    with open(path, "rb") as f:
        e = ELFFile(f)
        secs = {s.name: (s["sh_type"], s["sh_flags"], hex(s["sh_addr"]), s["sh_size"], s["sh_addralign"],
                         s.data() if s["sh_type"] != "SHT_NOBITS" else b"")
                for s in e.iter_sections() if s["sh_flags"] & 2}
        # (PT_LOADs in their order; the others' order means nothing: GNU ld lists
        # PT_RISCV_ATTRIBUTES before the PT_LOADs, xld after them)
        phdrs = [(p["p_type"], p["p_flags"], hex(p["p_vaddr"]), hex(p["p_paddr"]), p["p_filesz"], p["p_memsz"],
                  p["p_align"]) for p in e.iter_segments()]
        phdrs = [p for p in phdrs if p[0] == "PT_LOAD"] + sorted(p for p in phdrs if p[0] != "PT_LOAD")
        syms = {s.name: (hex(s["st_value"]), s["st_info"]["bind"])
                for s in e.get_section_by_name(".symtab").iter_symbols()
                if s.name and s["st_info"]["type"] not in ("STT_FILE", "STT_SECTION")
                and (s["st_info"]["bind"] != "STB_LOCAL" or s["st_shndx"] == "SHN_ABS" or not s.name.startswith(".L"))
                and not s.name.startswith("$")}      # (mapping symbols: $x, $d.3, $xrv64i2p1_m2p0...)
        return e["e_entry"], secs, phdrs, syms


def objcopy(arch, exe: Path) -> bytes:
    out = exe.with_suffix(".bin")
    subprocess.run([tc.require(f"{tc.TRIPLE[arch]}-objcopy"), "-O", "binary", str(exe), str(out)], check=True)
    return out.read_bytes()


def diff(want: dict, got: dict) -> str:
    keys = sorted(set(want) | set(got))
    return "\n".join(f"  {k}: GNU ld {want.get(k)!s:.200} xld {got.get(k)!s:.200}" for k in keys
                     if want.get(k) != got.get(k))


@pytest.mark.parametrize("cc", ["gcc", "clang"])
@pytest.mark.parametrize("arch", tc.ARCHES)
@pytest.mark.parametrize("seed", SEEDS)
def test_random_script_links_as_gnu_ld(seed, arch, cc, tmp_path):
    files, cflags, lflags = gen(seed, tmp_path, arch)
    comp = tc.compiler(cc, arch)
    objs = [comp.compile(tmp_path / f, tmp_path / f.replace(".c", ".o"), [*FLAGS, *ARCH_FLAGS[arch], *cflags])
            for f in files]
    script = tmp_path / "link.ld"
    gnu = tmp_path / "gnu.elf"
    ld = subprocess.run([tc.require(f"{tc.TRIPLE[arch]}-ld"), "-T", str(script), *lflags, "-o", str(gnu),
                         *map(str, objs)], capture_output=True, text=True)
    res = tc.xld_link(["-T", script, *lflags, "-o", tmp_path / "xld.elf", *objs])
    case = f"seed {seed} {arch} {cc}: {' '.join(cflags)} | {' '.join(lflags)}"
    assert ld.returncode == 0, f"{case}\nGNU ld: {ld.stderr}"
    assert res.status == 0, f"{case}\nxld: {res.stderr}"
    entry_g, secs_g, phdrs_g, syms_g = image(gnu)
    entry_x, secs_x, phdrs_x, syms_x = image(tmp_path / "xld.elf")
    assert list(secs_x) == list(secs_g), case
    assert secs_x == secs_g, f"{case}\n{diff(secs_g, secs_x)}"
    assert phdrs_x == phdrs_g, case
    assert syms_x == syms_g, f"{case}\n{diff(syms_g, syms_x)}"
    assert entry_x == entry_g, case
    flat = objcopy(arch, gnu)
    assert objcopy(arch, tmp_path / "xld.elf") == flat, case
    res = tc.xld_link(["-T", script, *lflags, "--oformat=binary", "-o", tmp_path / "xld.flat", *objs])
    assert res.status == 0, f"{case}\nxld: {res.stderr}"
    assert (tmp_path / "xld.flat").read_bytes() == flat, case
