"""Helpers of the dynamic-linking tests: run a command, read an output's dynamic sections."""
from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from pathlib import Path

from elftools.elf.dynamic import DynamicSection
from elftools.elf.elffile import ELFFile
from elftools.elf.relocation import RelocationSection

from tests import toolchain as tc

CALC = Path(__file__).parent / "progs" / "calc"
CALC_OUTPUT = b"sum 9 scaled 18 api 1.2 core 2\n"          # (of `calc 2 3 4`)


def run(cmd, cwd=None):
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, cwd=cwd)
    if p.returncode != 0:
        raise AssertionError(f"failed: {' '.join(map(str, cmd))}\n{p.stdout}{p.stderr}")
    return p


def dynamic(path: Path) -> dict:
    """What the dynamic sections say: needed libraries, imported functions with versions,
    dynamic relocation counts by type, and the flags."""
    with open(path, "rb") as f:
        e = ELFFile(f)
        out = {"type": e.header["e_type"], "needed": [], "flags_1": 0, "textrel": False,
               "imports": set(), "exports": set(), "relocs": Counter(), "interp": None,
               "soname": None, "undefined": set(), "runpath": None, "verdefs": []}
        for seg in e.iter_segments():
            if seg["p_type"] == "PT_INTERP":
                out["interp"] = seg.get_interp_name()
        for sec in e.iter_sections():
            if isinstance(sec, DynamicSection):
                for t in sec.iter_tags():
                    if t.entry.d_tag == "DT_NEEDED":
                        out["needed"].append(t.needed)
                    elif t.entry.d_tag == "DT_FLAGS_1":
                        out["flags_1"] = t.entry.d_val
                    elif t.entry.d_tag == "DT_TEXTREL":
                        out["textrel"] = True
                    elif t.entry.d_tag == "DT_SONAME":
                        out["soname"] = t.soname
                    elif t.entry.d_tag == "DT_RUNPATH":
                        out["runpath"] = t.runpath
            if isinstance(sec, RelocationSection) and sec.name.startswith(".rela") and sec["sh_flags"] & 2:
                for r in sec.iter_relocations():
                    if r["r_info_type"]:            # (GNU ld leaves unused R_*_NONE slots)
                        out["relocs"][r["r_info_type"]] += 1
        vd = e.get_section_by_name(".gnu.version_d")
        if vd is not None:                  # version definitions: the file's own name, then the nodes
            out["verdefs"] = [next(iter(aux)).name for _, aux in vd.iter_versions()]
        dynsym = e.get_section_by_name(".dynsym")
        versym = e.get_section_by_name(".gnu.version")
        names = _version_names(e)
        if dynsym is not None:
            for i, s in enumerate(dynsym.iter_symbols()):
                if not i:
                    continue
                ver = ""
                if versym is not None:
                    ndx = versym.get_symbol(i)["ndx"]
                    if ndx not in ("VER_NDX_LOCAL", "VER_NDX_GLOBAL") and ndx & 0x7FFF in names:
                        hidden = ndx & 0x8000
                        ver = ("@" if hidden else "@@") + names[ndx & 0x7FFF]
                if s["st_shndx"] == "SHN_UNDEF":
                    out["undefined"].add(s.name)
                    if s["st_info"]["type"] == "STT_FUNC":
                        out["imports"].add(s.name + ver.replace("@@", "@"))
                elif s["st_info"]["type"] != "STT_SECTION":
                    out["exports"].add((s.name + ver, s["st_info"]["type"], s["st_info"]["bind"]))
        return out



def _version_names(e: ELFFile) -> dict[int, str]:
    """.gnu.version's indexes -> version names (those the object defines, those it needs)."""
    out = {}
    vd = e.get_section_by_name(".gnu.version_d")
    if vd is not None:
        for ver, aux in vd.iter_versions():
            first = next(iter(aux), None)
            if first is not None and ver["vd_ndx"] > 1:
                out[ver["vd_ndx"]] = first.name
    vr = e.get_section_by_name(".gnu.version_r")
    if vr is not None:
        for _, aux in vr.iter_versions():
            for a in aux:
                out[a["vna_other"]] = a.name
    return out


def calc_sources(src: Path) -> Path:
    """progs/calc (a static library's, a shared library's with its version script, a C++
    program's sources) copied to ``src``, where a build system's project file goes."""
    shutil.copytree(CALC, src)
    return src


def installed_alike(arch: str, gnu: Path, xld: Path, tmp: Path) -> None:
    """progs/calc as a build system installed it into ``gnu`` (linked by GNU ld) and ``xld``
    (bin/calc, lib/libapi.so.1.2.0 and its links): the same .dynamic (needed, soname, the
    install RUNPATH, version definitions) and .dynsym (exports with versions, imports), and
    each installed program runs under qemu-user with either installed library."""
    for rel in ("lib/libapi.so.1.2.0", "bin/calc"):
        ref, got = dynamic(gnu / rel), dynamic(xld / rel)
        for key in ("type", "needed", "soname", "runpath", "imports", "undefined"):
            assert got[key] == ref[key], (rel, key, got[key], ref[key])
        # (GNU ld also lists the version node itself, an absolute API_1; on riscv64 it puts
        # main in a PIE's .dynsym too, as every symbol its GOT holds: docs/dynamic.md)
        assert got["exports"] == {e for e in ref["exports"] if e[0] not in ("API_1@@API_1", "main")}, rel
    assert dynamic(xld / "lib/libapi.so.1.2.0")["verdefs"] == ["libapi.so.1", "API_1"]
    assert (xld / "lib/libapi.so.1").resolve().name == "libapi.so.1.2.0"
    for exe_by, lib_by in ((gnu, gnu), (xld, xld), (xld, gnu), (gnu, xld)):
        mixed = tmp / f"mixed-{exe_by.name}-{lib_by.name}"
        shutil.copytree(exe_by / "bin", mixed / "bin")
        shutil.copytree(lib_by / "lib", mixed / "lib", symlinks=True)      # ($ORIGIN/../lib)
        q = tc.qemu_run(arch, mixed / "bin" / "calc", ["2", "3", "4"], sysroot=f"/usr/{tc.TRIPLE[arch]}")
        assert (q.status, q.stdout) == (0, CALC_OUTPUT), (exe_by, lib_by, q.stderr)
