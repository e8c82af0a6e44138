"""-Map FILE and -M: the link map is checked against the executable it describes.

The freestanding program of test_gc.py is linked with its second file in an archive, with
--gc-sections, so the map has all four parts: the archive member and the reference that
pulled it, the sections --gc-sections left out, the memory map, and linker-defined symbols.
Every address and size the map gives is compared with what pyelftools reads from the output.
A static glibc program (``gcc -static -B DIR``) shows the reasons for real libc members.
"""
from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from tests.test_gc import FLAGS, FREE_FLAGS, MAIN_C, OTHER_C, SYS_H, _sh, symbols, xld_ok
from tests.toolchain import ARCHES, TRIPLE, missing, require

_ROW = re.compile(r"^\s*([0-9a-f]+) +([0-9a-f]+) +(\d+) (.*)$")


def parse_map(text: str) -> dict:
    """The parts of a map: archive (member -> reason), discarded [(section, file)],
    outputs {name: (addr, size)}, inputs {file:(section): addr}, symbols {name: addr},
    linker {name: value}."""
    parts = {"archive": {}, "discarded": [], "outputs": {}, "inputs": {}, "symbols": {}, "linker": {}}
    lines = text.splitlines()
    part = None
    member = None
    pending = None
    for line in lines:
        if line.startswith("Archive member included"):
            part = "archive"
            continue
        if line == "Discarded input sections":
            part = "discarded"
            continue
        if line == "Memory map":
            part = "memory"
            continue
        if line == "Linker-defined symbols":
            part = "linker"
            continue
        if not line.strip():
            continue
        if part == "archive":
            if line.startswith(" "):
                parts["archive"][member] = line.strip()
            else:
                bits = re.split(r"\s{2,}", line.strip(), maxsplit=1)
                member = bits[0]
                if len(bits) == 2:
                    parts["archive"][member] = bits[1]
        elif part == "discarded":
            if pending is not None:
                line = pending + line
                pending = None
            m = re.match(r"^ (\S+)\s+0x[0-9a-f]+\s+0x[0-9a-f]+ (.*)$", line)
            if m is None:
                pending = line          # a long section name: the numbers follow on the next line
                continue
            parts["discarded"].append((m.group(1), m.group(2)))
        elif part == "memory":
            m = _ROW.match(line)
            if m is None:
                continue
            addr, size = int(m.group(1), 16), int(m.group(2), 16)
            rest = m.group(4)
            indent = len(rest) - len(rest.lstrip(" "))
            name = rest.strip()
            if indent == 0:
                parts["outputs"][name] = (addr, size)
            elif indent == 8:
                parts["inputs"][name] = (addr, size)
            else:
                parts["symbols"].setdefault(name, addr)
        elif part == "linker":
            value, name = line.split()
            parts["linker"][name] = int(value, 16)
    return parts


class Linked:
    def __init__(self, arch: str, d: Path):
        self.arch, self.d = arch, d
        cc = require(f"{TRIPLE[arch]}-gcc")
        ar = require(f"{TRIPLE[arch]}-ar")
        (d / "sys.h").write_text(SYS_H)
        (d / "main.c").write_text(MAIN_C)
        (d / "other.c").write_text(OTHER_C)
        self.main, other = d / "main.o", d / "other.o"
        _sh([cc, *FLAGS, *FREE_FLAGS, "-c", d / "main.c", "-o", self.main])
        _sh([cc, *FLAGS, *FREE_FLAGS, "-c", d / "other.c", "-o", other])
        self.lib = d / "libother.a"
        _sh([ar, "rcs", self.lib, other])
        self.exe = d / "prog"
        self.map = d / "prog.map"
        self.args = ["-static", "--gc-sections", "-o", self.exe, self.main, self.lib]
        xld_ok([*self.args, "-Map", self.map])
        self.text = self.map.read_text()
        self.parts = parse_map(self.text)


@pytest.fixture(scope="module", params=ARCHES)
def linked(request, tmp_path_factory) -> Linked:
    return Linked(request.param, tmp_path_factory.mktemp(f"map-{request.param}"))


def test_output_sections_match_the_section_headers(linked):
    outs = linked.parts["outputs"]
    with open(linked.exe, "rb") as f:
        secs = {s.name: s for s in ELFFile(f).iter_sections() if s.name}
    assert {".text", ".data"} <= outs.keys()
    for name, (addr, size) in outs.items():
        assert name in secs, name
        assert (secs[name]["sh_addr"], secs[name]["sh_size"]) == (addr, size), name


def test_symbols_and_input_sections_have_their_addresses(linked):
    syms = symbols(linked.exe)
    mapped = linked.parts["symbols"]
    for name in ("_start", "used_fn", "helper", "used_data", "other_used", "table", "item_alpha"):
        assert mapped[name] == syms[name][0], name
    inputs = linked.parts["inputs"]
    assert inputs[f"{linked.main}:(.text.used_fn)"][0] == syms["used_fn"][0]
    assert inputs[f"{linked.main}:(.text.used_fn)"][1] == syms["used_fn"][1]
    member = f"{linked.lib}(other.o)"
    assert inputs[f"{member}:(.text.other_used)"][0] == syms["other_used"][0]
    # input sections lie inside their output section, in address order
    text_addr, text_size = linked.parts["outputs"][".text"]
    addrs = [a for k, (a, _) in inputs.items() if ":(.text" in k]
    assert addrs == sorted(addrs) and all(text_addr <= a < text_addr + text_size for a in addrs)


def test_archive_members_say_who_pulled_them(linked):
    assert linked.parts["archive"] == {f"{linked.lib}(other.o)": f"{linked.main} (other_used)"}


def test_discarded_sections_are_listed(linked):
    disc = linked.parts["discarded"]
    assert (".text.unused_fn", str(linked.main)) in disc
    assert (".text.other_unused", f"{linked.lib}(other.o)") in disc
    assert not any(name == ".text.used_fn" for name, _ in disc)


def test_linker_defined_symbols_have_their_values(linked):
    syms = symbols(linked.exe)
    lk = linked.parts["linker"]
    for name in ("__start_xld_items", "__stop_xld_items", "__init_array_start"):
        assert lk[name] == syms[name][0], name


def test_print_map_writes_the_same_map_to_stdout(linked):
    out, _ = xld_ok([*linked.args, "-M"])
    assert out == linked.text


@pytest.fixture(scope="module")
def ld_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("map-xld-bin")
    ld = d / "ld"
    ld.write_text(f"#!/bin/sh\nexec {shlex.quote(sys.executable)} -m xld.link \"$@\"\n")
    ld.chmod(0o755)
    return d


@pytest.mark.parametrize("arch", ARCHES)
def test_static_glibc_map_names_the_references(arch, ld_dir, tmp_path):
    cc = require(f"{TRIPLE[arch]}-gcc")
    (tmp_path / "hello.c").write_text('#include <stdio.h>\nint main(void) { printf("hi %d\\n", 42); return 0; }\n')
    exe, mp = tmp_path / "hello", tmp_path / "hello.map"
    try:
        _sh([cc, "-static", "-O2", "-B", ld_dir, tmp_path / "hello.c", "-o", exe, f"-Wl,-Map,{mp}"])
    except AssertionError as e:
        if "cannot find -lc" in str(e):
            missing(f"static glibc for {arch} is not installed")
        raise
    parts = parse_map(mp.read_text())
    start = [(m, r) for m, r in parts["archive"].items() if m.endswith("libc.a(libc-start.o)")]
    assert len(start) == 1 and start[0][1].endswith("crt1.o (__libc_start_main)"), start
    printf = [(m, r) for m, r in parts["archive"].items() if m.endswith("libc.a(printf.o)")]
    assert len(printf) == 1 and printf[0][1].endswith("(printf)"), printf
    syms = symbols(exe)
    for name in ("main", "printf", "__libc_start_main"):
        assert parts["symbols"][name] == syms[name][0], name


@pytest.mark.parametrize("arch", ARCHES)
def test_map_lists_icf_folds(arch, tmp_path):
    from tests.test_gc import ICF_C
    cc = require(f"{TRIPLE[arch]}-gcc")
    (tmp_path / "sys.h").write_text(SYS_H)
    (tmp_path / "icf.c").write_text(ICF_C)
    obj = tmp_path / "icf.o"
    _sh([cc, *FLAGS, *FREE_FLAGS, "-c", tmp_path / "icf.c", "-o", obj])
    out, _ = xld_ok(["--gc-sections", "--icf=safe", "-M", "-o", tmp_path / "icf", obj])
    folded = out.split("Folded input sections (--icf)\n\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert sorted(l.strip() for l in folded) == [f"{obj}:(.text.calls_b) -> {obj}:(.text.calls_a)",
                                                 f"{obj}:(.text.leaf2) -> {obj}:(.text.leaf1)"]
    parts = parse_map(out)
    syms = symbols(tmp_path / "icf")
    assert parts["symbols"]["leaf1"] == syms["leaf1"][0] == syms["leaf2"][0]
