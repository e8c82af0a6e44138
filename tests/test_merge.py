"""Outputs sized as GNU ld's, per ISA: merged sections (link/merge.py), merged .eh_frame
CIEs (link/ehframe.py), and the symbol table GNU ld writes (link/write.py: section symbols,
STT_FILE symbols, mapping symbols, -X/-x/--discard-none, .strtab with each name once).

Real objects compiled at test time (tests/merge_progs): two C files that share strings, a
tail of a string, wide and UTF-16 strings and double constants (-O2 -g, so .debug_str is
merged too), a C++ program that throws and catches, and two assembler files whose pieces
GNU ld tail-merges.  GNU ld is the oracle: the programs print the same under qemu-user, the
merged sections are as large as GNU ld's (equal, or within the padding between input
sections), the DWARF strings read back the same, and every pointer into a merged section
still points at the same characters.
"""
from __future__ import annotations

import shlex
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from tests.toolchain import ARCHES, QEMU, TRIPLE, gnu_ld, require, xld_link

SRC = Path(__file__).parent / "merge_progs"


def _sh(cmd, **kw) -> subprocess.CompletedProcess:
    p = subprocess.run([str(c) for c in cmd], capture_output=True, **kw)
    if p.returncode != 0:
        raise AssertionError(f"failed: {shlex.join(map(str, cmd))}\n{p.stderr.decode(errors='replace')[-3000:]}")
    return p


@pytest.fixture(scope="module")
def ld_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("xld-ld")
    ld = d / "ld"
    ld.write_text(f"#!/bin/sh\nexec {shlex.quote(sys.executable)} -m xld.link \"$@\"\n")
    ld.chmod(0o755)
    return d


class Built:
    """One architecture's objects and executables (GNU ld's and xld's)."""

    def __init__(self, arch: str, d: Path, ld_dir: Path):
        self.arch, self.d = arch, d
        t = TRIPLE[arch]
        self.gcc, self.gxx = require(f"{t}-gcc"), require(f"{t}-g++")
        self.c_objs = [d / "s1.o", d / "s2.o"]
        for src, obj in zip(("strings1.c", "strings2.c"), self.c_objs):
            _sh([self.gcc, "-O2", "-g", "-c", SRC / src, "-o", obj])
        self.cxx_obj = d / "except.o"
        _sh([self.gxx, "-O2", "-c", SRC / "except.cc", "-o", self.cxx_obj])
        self.asm = [d / "tails.o", d / "tails2.o"]
        for src, obj in zip(("tails.s", "tails2.s"), self.asm):
            _sh([require(f"{t}-as"), SRC / src, "-o", obj])
        self.ld_dir = ld_dir
        self.c_gnu = self.link_c("gnu")
        self.c_xld = self.link_c("xld")
        self.cxx_gnu = self.link_cxx("gnu")
        self.cxx_xld = self.link_cxx("xld")

    def link_c(self, who: str, *flags) -> Path:
        out = self.d / f"c-{who}{len(list(self.d.glob(f'c-{who}*')))}.exe"
        via = ["-B", self.ld_dir] if who == "xld" else []
        _sh([self.gcc, "-static", *via, *flags, *self.c_objs, "-o", out])
        return out

    def link_cxx(self, who: str) -> Path:
        out = self.d / f"cxx-{who}.exe"
        via = ["-B", self.ld_dir] if who == "xld" else []
        _sh([self.gxx, "-static", *via, self.cxx_obj, "-o", out])
        return out


@pytest.fixture(scope="module", params=ARCHES)
def built(request, tmp_path_factory, ld_dir) -> Built:
    return Built(request.param, tmp_path_factory.mktemp(f"merge-{request.param}"), ld_dir)


def _run(arch: str, exe: Path) -> bytes:
    p = subprocess.run([require(QEMU[arch]), str(exe)], capture_output=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return p.stdout


def _sections(path: Path) -> dict:
    with open(path, "rb") as f:
        e = ELFFile(f)
        return {s.name: (s["sh_size"], s["sh_flags"], s.data() if s["sh_type"] != "SHT_NOBITS" else b"")
                for s in e.iter_sections()}


def test_programs_behave_as_with_gnu_ld(built):
    out = _run(built.arch, built.c_gnu)
    assert b"hello, merged world|hello, merged world|merged world|world" in out
    assert b"wide string|wide string\nsixteen\nsixteen" in out
    assert b"same pointer: 1" in out                 # one copy: the two functions agree
    assert _run(built.arch, built.c_xld) == out
    cxx = _run(built.arch, built.cxx_gnu)
    assert b"caught too big: 3\ncaught too big: 4\nint 42\nsum 6" in cxx
    assert _run(built.arch, built.cxx_xld) == cxx


def test_merged_sizes_match_gnu_ld(built):
    for gnu, ours in ((built.c_gnu, built.c_xld), (built.cxx_gnu, built.cxx_xld)):
        g, x = _sections(gnu), _sections(ours)
        # .comment: one copy of each compiler's identification, as GNU ld writes it
        assert x[".comment"][2] == g[".comment"][2]
        assert x[".comment"][2].count(b"GCC: (") == len(set(x[".comment"][2].split(b"\0")) - {b""})
        # .rodata: the same pieces; only the padding between input sections may differ
        assert abs(x[".rodata"][0] - g[".rodata"][0]) <= 0.005 * g[".rodata"][0], (x[".rodata"][0], g[".rodata"][0])
        # .eh_frame: one copy of each CIE (GNU ld keeps a few more)
        assert x[".eh_frame"][0] <= 1.005 * g[".eh_frame"][0], (x[".eh_frame"][0], g[".eh_frame"][0])
    g, x = _sections(built.c_gnu), _sections(built.c_xld)
    for name in (".debug_str", ".debug_line_str"):
        if name in g:
            assert x[name][0] == g[name][0], name


def _dwarf_strings(exe: Path) -> list[str]:
    out = _sh(["readelf", "--debug-dump=info", exe]).stdout.decode()
    keep = []
    for line in out.splitlines():
        if "DW_AT_name" in line or "DW_AT_producer" in line or "DW_AT_comp_dir" in line:
            value = line.split(":", 1)[1].strip()
            if value.startswith("(indirect"):          # (indirect string, offset: 0x..): TEXT
                value = value.split("): ", 1)[1]
            keep.append(value)
    return keep


def test_debug_strings_read_back_as_with_gnu_ld(built):
    names = _dwarf_strings(built.c_gnu)
    assert "hello, merged world" not in names and "other_greeting" in names
    assert _dwarf_strings(built.c_xld) == names


def _pointed(path: Path, syms=("ptrs1", "ptrs2")) -> list[bytes]:
    """What each pointer in ptrs1/ptrs2 points at: a string, or a 4-byte constant."""
    with open(path, "rb") as f:
        e = ELFFile(f)
        segs = [(s["p_vaddr"], s.data()) for s in e.iter_segments() if s["p_type"] == "PT_LOAD"]
        tab = e.get_section_by_name(".symtab")
        out = []
        for name in syms:
            base = tab.get_symbol_by_name(name)[0]["st_value"]
            for k in range(6 if name == "ptrs1" else 5):
                p = struct.unpack("<Q", _read(segs, base + 8 * k, 8))[0]
                if k < 3:
                    s = b""
                    while (c := _read(segs, p + len(s), 1)) != b"\0":
                        s += c
                    out.append(s)
                else:
                    out.append(_read(segs, p, 4))
        return out


def _read(segs, addr: int, n: int) -> bytes:
    for va, data in segs:
        if va <= addr and addr + n <= va + len(data):
            return data[addr - va:addr - va + n]
    raise AssertionError(f"0x{addr:x} is in no segment")


def test_tail_merging_as_gnu_ld(built, tmp_path):
    gnu = gnu_ld(built.arch, built.asm, tmp_path / "gnu", extra=["-e", "0"])
    ours = tmp_path / "xld"
    r = xld_link(["-static", "-e", "0", "-o", ours, *built.asm])
    assert r.status == 0, r.stderr
    want = [b"hello world", b"world", b"abc", struct.pack("<I", 2), struct.pack("<I", 3),
            struct.pack("<I", 1), b"orld", b"zabc", b"hello world", struct.pack("<I", 3),
            struct.pack("<I", 2)]
    assert _pointed(gnu) == want
    assert _pointed(ours) == want
    g, x = _sections(gnu), _sections(ours)
    # "hello world", "zabc" (the rest are their tails) and the constants 1, 2, 3, 4, with
    # the padding that aligns the constants: 36 bytes for both
    assert x[".rodata"][0] == g[".rodata"][0] == 36
    assert b"world\0" not in x[".rodata"][2].replace(b"hello world\0", b"")
    # the same bytes, twice: the output does not depend on hash order
    again = tmp_path / "xld2"
    assert xld_link(["-static", "-e", "0", "-o", again, *built.asm]).status == 0
    assert again.read_bytes() == ours.read_bytes()


def test_merging_under_a_linker_script(built, tmp_path):
    script = tmp_path / "s.ld"
    script.write_text("SECTIONS { . = 0x10000; .text : { *(.text*) }\n"
                      " .rodata : { *(.rodata.cst*) *(.rodata .rodata.*) }\n"
                      " . = ALIGN(0x1000); .data : { *(.data*) } }\n")
    out = tmp_path / "scripted"
    r = xld_link(["-static", "-e", "0", "-T", script, "-o", out, *built.asm])
    assert r.status == 0, r.stderr
    assert _pointed(out) == _pointed(gnu_ld(built.arch, built.asm, tmp_path / "gnu", extra=["-e", "0"]))
    assert _sections(out)[".rodata"][0] == 16 + 12 + 5      # constants first: no padding


def test_relocatable_output_keeps_sections_mergeable(built, tmp_path):
    """-r: GNU ld 2.40 concatenates SHF_MERGE sections and keeps them mergeable; so does xld,
    and the final link of the -r output merges."""
    ours = tmp_path / "r.o"
    r = xld_link(["-r", "-o", ours, *built.asm])
    assert r.status == 0, r.stderr
    gnu = tmp_path / "gnu-r.o"
    _sh([require(f"{TRIPLE[built.arch]}-ld"), "-r", "-o", gnu, *built.asm])
    x, g = _sections(ours), _sections(gnu)
    assert x[".rodata.str1.1"][0] == g[".rodata.str1.1"][0] == 2 * 22
    assert x[".rodata.str1.1"][1] & 0x30 == 0x30                  # SHF_MERGE | SHF_STRINGS
    exe = tmp_path / "from-r"
    assert xld_link(["-static", "-e", "0", "-o", exe, ours]).status == 0
    assert _sections(exe)[".rodata"][0] == 36


def test_merging_with_gc_and_icf(built):
    exe = built.link_c("xld", "-Wl,--icf=all", "-Wl,--gc-sections")
    assert _run(built.arch, exe) == _run(built.arch, built.c_gnu)


def _eh_records(data: bytes) -> tuple[int, int, bool]:
    """(CIEs, FDEs, every FDE points at a CIE) of an output .eh_frame."""
    pos, cies, fdes, ok = 0, set(), 0, True
    while pos + 4 <= len(data):
        length = struct.unpack_from("<I", data, pos)[0]
        if length == 0:
            pos += 4
            continue
        ident = struct.unpack_from("<I", data, pos + 4)[0]
        if ident == 0:
            cies.add(pos)
        else:
            fdes += 1
            ok &= (pos + 4 - ident) in cies
        pos += 4 + length
    return len(cies), fdes, ok


def test_identical_cies_kept_once(built):
    for gnu, ours in ((built.c_gnu, built.c_xld), (built.cxx_gnu, built.cxx_xld)):
        gc, gf, gok = _eh_records(_sections(gnu)[".eh_frame"][2])
        xc, xf, xok = _eh_records(_sections(ours)[".eh_frame"][2])
        assert gok and xok
        assert xf == gf                       # the same FDEs
        assert xc <= gc and xc < xf / 10      # a few CIEs, not one per object


# -- the symbol table ---------------------------------------------------------------------------

def _symbols(path: Path) -> list[tuple[str, str, str, str]]:
    """(name, type, bind, visibility) of every .symtab entry but the null one (readelf: a
    riscv64 glibc program with --discard-none has 140 000 of them)."""
    out = []
    for line in _sh(["readelf", "-sW", path]).stdout.decode().splitlines():
        f = line.split()
        if len(f) >= 7 and f[0].endswith(":") and f[0][:-1].isdigit() and f[0] != "0:":
            out.append((f[7] if len(f) > 7 else "", f[3], f[4], f[5]))
    return out


def _census(syms) -> dict:
    from collections import Counter
    return {
        "section": sum(t == "SECTION" for _, t, _, _ in syms),
        "file": Counter(n for n, t, _, _ in syms if t == "FILE" and n),
        "mapping": sum(n[:2] in ("$x", "$d") for n, _, _, _ in syms),
        "temporary": sum(n.startswith(".L") for n, _, _, _ in syms),
        # (not yet as GNU ld: the GOT symbol, which GNU ld makes an object, and crtstuff's
        # __TMC_LIST__ in the empty .tm_clone_table that GNU ld drops and xld keeps)
        "functions and objects": Counter(n for n, t, _, _ in syms if t in ("FUNC", "OBJECT")
                                         and n not in ("_GLOBAL_OFFSET_TABLE_", "__TMC_LIST__")),
        "local": sum(b == "LOCAL" for _, _, b, _ in syms),
    }


def _output_sections(path: Path) -> int:
    with open(path, "rb") as f:
        return sum(1 for s in ELFFile(f).iter_sections()
                   if s.name and s.name not in (".symtab", ".strtab", ".shstrtab"))


@pytest.mark.parametrize("discard", ["", "--discard-none"])       # (-x: test_discard_options_on_labels)
def test_symbol_table_as_gnu_ld(built, discard):
    flags = (f"-Wl,{discard}",) if discard else ()
    gnu, ours = (built.c_gnu, built.c_xld) if not discard else \
        (built.link_c("gnu", *flags), built.link_c("xld", *flags))
    g, x = _census(_symbols(gnu)), _census(_symbols(ours))
    # one section symbol per output section (xld may keep an empty one GNU ld drops)
    assert x["section"] == _output_sections(ours) and g["section"] == _output_sections(gnu)
    assert x["file"] == g["file"]                     # synthetic ones named after the member
    assert x["mapping"] == g["mapping"]
    assert x["temporary"] == g["temporary"]
    assert x["functions and objects"] == g["functions and objects"]
    if discard == "--discard-none":
        assert x["temporary"] > 0                     # the .L labels are there
    else:
        assert x["temporary"] == 0 and x["mapping"] > 0 and len(x["file"]) > 100
        # .strtab holds each name once (riscv64's thousands of "$xrv64i2p1_..." too: twice
        # GNU ld's size before); GNU ld also shares tails, some 10 % less
        assert _sections(ours)[".strtab"][0] <= 1.15 * _sections(gnu)[".strtab"][0]


def test_discard_options_on_labels(built, tmp_path):
    """-X is the default; the last of -x, -X, --discard-none wins; riscv64's assembler keeps
    its .LC labels in the object, arm64's does not."""
    outs = {}
    for flags in ((), ("-X",), ("--discard-none",), ("-x",), ("-x", "--discard-none")):
        out = tmp_path / ("o" + "".join(flags))
        r = xld_link(["-static", "-e", "0", *flags, "-o", out, *built.asm])
        assert r.status == 0, r.stderr
        outs[flags] = out
    assert outs[()].read_bytes() == outs[("-X",)].read_bytes()
    assert outs[("-x", "--discard-none")].read_bytes() == outs[("--discard-none",)].read_bytes()
    labels = {flags: {n for n, t, b, _ in _symbols(o) if n.startswith(".L")} for flags, o in outs.items()}
    assert not labels[()] and not labels[("-x",)]
    if built.arch == "riscv64":
        assert {".LC0", ".LC1", ".LK3"} <= labels[("--discard-none",)]
    locals_x = [(n, t) for n, t, b, _ in _symbols(outs[("-x",)]) if b == "LOCAL"]
    assert locals_x and all(t == "SECTION" for _, t in locals_x)
    # -r keeps every local, -X or not (aarch64 gcc passes -X to `gcc -r`): the same object
    for flags in ((), ("-X",)):
        r = xld_link(["-r", *flags, "-o", tmp_path / f"r{len(flags)}.o", *built.asm])
        assert r.status == 0, r.stderr
    assert (tmp_path / "r0.o").read_bytes() == (tmp_path / "r1.o").read_bytes()


@pytest.mark.parametrize("batch", [1 << 21, 5])
def test_string_table_unit(monkeypatch, batch):
    # (with tails=True: the machinery that tail-merges SHF_MERGE strings)
    """merge.string_table on hand-made strings (many equal, many tails of others), hashed in
    batches of any size: every string reads back, and no stored string is a tail of another."""
    import random
    import numpy as np
    from xld.link import merge
    monkeypatch.setattr(merge, "_BATCH", batch)
    rnd = random.Random(5)
    words = [bytes(rnd.choice(b"abc") for _ in range(rnd.randint(0, 6))) for _ in range(500)]
    buf = b"".join(w + b"\0" for w in words)
    starts = np.cumsum([0] + [len(w) + 1 for w in words[:-1]])
    table, at = merge.string_table(np.frombuffer(buf, dtype=np.uint8), starts, tails=True)
    t = table.tobytes()
    assert t[0] == 0
    assert [t[o:t.index(b"\0", o)] for o in at.tolist()] == words
    stored = t[1:].split(b"\0")[:-1]
    assert len(stored) == len(set(stored))
    assert not any(a != b and b.endswith(a) for a in stored for b in stored)


def test_first_index_and_copy_runs_unit():
    """merge's array helpers on hand-made data: each key's first index (what a stable sort
    gives, whichever sort finds the runs of equal keys), and runs of bytes copied to their
    places (an empty run writes nothing)."""
    import numpy as np
    from xld.link import merge
    rng = np.random.default_rng(3)
    for n in (0, 1, 2, 1000):
        keys = rng.integers(0, 7, n).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        first: dict = {}
        assert merge._first_index(keys).tolist() == [first.setdefault(k, i) for i, k in enumerate(keys.tolist())]
    src = np.arange(1, 51, dtype=np.uint8)
    dst = np.zeros(40, dtype=np.uint8)
    merge.copy_runs(dst, np.array([0, 10, 30]), src, np.array([5, 20, 0]), np.array([3, 0, 4]))
    want = np.zeros(40, dtype=np.uint8)
    want[0:3], want[30:34] = [6, 7, 8], [1, 2, 3, 4]
    assert dst.tolist() == want.tolist()
    # runs in order on both sides (picked and placed by masks), empty ones among them, and
    # the same runs given out of order (an index per byte): the same bytes
    for order in ([0, 1, 2, 3, 4], [4, 2, 0, 3, 1]):
        o = np.array(order)
        dst = np.zeros(40, dtype=np.uint8)
        merge.copy_runs(dst, np.array([0, 3, 3, 9, 39])[o], src, np.array([2, 7, 7, 30, 49])[o],
                        np.array([3, 0, 4, 2, 1])[o])
        want = np.zeros(40, dtype=np.uint8)
        want[0:3], want[3:7], want[9:11], want[39] = [3, 4, 5], [8, 9, 10, 11], [31, 32], 50
        assert dst.tolist() == want.tolist()


@pytest.mark.parametrize("arch", ARCHES)
def test_a_symbol_past_its_merged_section_is_an_error(arch, tmp_path):
    """A symbol in a merged section must point into it: one past the end (a corrupt object)
    is named, with its section and offset, and no output is written."""
    src = tmp_path / "past.s"
    src.write_text('\t.section .rodata.str1.1,"aMS",@progbits,1\n\t.globl lbl\nlbl:\t.string "hi"\n'
                   '\t.section .rodata.str1.1.b,"aMS",@progbits,1\n\t.string "hi"\n'
                   '\t.text\n\t.globl _start\n_start:\t.word 0\n')
    obj = tmp_path / "past.o"
    _sh([require(f"{TRIPLE[arch]}-as"), src, "-o", obj])
    data = bytearray(obj.read_bytes())
    with open(obj, "rb") as f:
        symtab = ELFFile(f).get_section_by_name(".symtab")
        k = next(i for i, s in enumerate(symtab.iter_symbols()) if s.name == "lbl")
        at = symtab["sh_offset"] + 24 * k + 8
    data[at:at + 8] = struct.pack("<Q", 0x100)
    obj.write_bytes(data)
    out = tmp_path / "out"
    r = xld_link([obj, "-o", out])
    assert r.status == 1
    assert "past.o:(.rodata.str1.1): symbol lbl is outside the section (offset 0x100)" in r.stderr
    assert not out.exists()


@pytest.mark.parametrize("unit", ["u1", "<u2", "<u4"])
def test_pieces_match_alike_by_hashes_and_by_dictionary(unit, monkeypatch):
    """A link's few thousand strings are matched through a dictionary of their bytes, many
    through hashes: both give each piece the first piece equal to it, also when the hashes
    collide (then the pieces are grouped exactly)."""
    import numpy as np
    from xld.link import merge
    rng = np.random.default_rng(17)
    lens = rng.integers(1, 6, size=3000)
    units = rng.integers(1, 4, size=int(lens.sum()) + 3000).astype(np.dtype(unit))
    ends = np.cumsum(lens + 1)
    starts = ends - lens - 1
    units[ends - 1] = 0                               # (each piece ends with its NUL)
    by_dict = merge._first_equal(units, starts, ends)
    monkeypatch.setattr(merge, "_DICT_PIECES", 0)
    by_hash = merge._first_equal(units, starts, ends)
    assert by_dict.tolist() == by_hash.tolist()
    assert len(set(by_dict.tolist())) < len(starts) // 2          # (short pieces: many alike)
    monkeypatch.setattr(merge, "_piece_hashes", lambda u, s, e: np.zeros(len(s), dtype=np.uint64))
    assert merge._first_equal(units, starts, ends).tolist() == by_dict.tolist()


@pytest.mark.parametrize("unit", ["u1", "<u2", "<u4"])
def test_tails_alike_exactly_and_by_hashes(unit):
    """The strings a group keeps are tail-merged exactly (a small program's few: each proper
    suffix looked up among their bytes) or through hashes (many): both find, for each string,
    the first string in order that it ends and where (many tails among short strings)."""
    import numpy as np
    from xld.link import merge
    rng = np.random.default_rng(11)
    seen, pieces = set(), []
    while len(pieces) < 150:
        p = tuple(rng.integers(1, 4, size=int(rng.integers(1, 7))).tolist()) + (0,)
        if p not in seen:                         # (kept strings are distinct)
            seen.add(p)
            pieces.append(p)
    units = np.array([c for p in pieces for c in p], dtype=np.dtype(unit))
    ends = np.cumsum([len(p) for p in pieces])
    starts = ends - [len(p) for p in pieces]
    lens = ends - starts
    t1, p1 = merge._tails_exact(units, starts, ends)
    t2, p2 = merge._tails_hashed(units, starts, ends, lens)
    assert t1.tolist() == t2.tolist()
    assert p1[t1 >= 0].tolist() == p2[t2 >= 0].tolist()
    assert (t1 >= 0).sum() > 20                   # (many were tails)
    for k in np.flatnonzero(t1 >= 0).tolist():    # each one ends the string it points into
        t, q = int(t1[k]), int(p1[k])
        assert units[q:ends[t]].tolist() == units[starts[k]:ends[k]].tolist() and q > starts[t]
