"""Corrupt inputs never crash, hang or exhaust the linker: a seeded mutation fuzzer over real
objects, an archive and a shared object of both architectures (``xld.tools.fuzz``), and one
regression test per bug it (or the adversarial review of issue 16) found, each with its
minimized reproducer written as the edit that makes it.

Every link runs in a forked child under a time limit and an address-space cap, and must exit 0
with its outputs, or 1 with ``xld: error:`` and no traceback, leaving nothing behind.

The suite runs ``XLD_FUZZ_COUNT`` mutants per architecture (default 150); run it longer with
``XLD_FUZZ_COUNT=5000 XLD_FUZZ_SEED=7 python -m pytest tests/test_fuzz_linker.py -k contract``
or ``python -m xld.tools.fuzz --count 5000 --seed 7``.
"""
from __future__ import annotations

import os
import shutil
import stat
import struct
import threading
from pathlib import Path

import pytest

from tests import toolchain as tc
from xld.tools import fuzz

ARCHES = pytest.mark.parametrize("arch", tc.ARCHES)
COUNT = int(os.environ.get("XLD_FUZZ_COUNT", "150"))
SEED = int(os.environ.get("XLD_FUZZ_SEED", "16"))

_CORPUS: dict[str, list[fuzz.Scenario]] = {}


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz-corpus")


def corpus(arch: str, where: Path) -> dict[str, fuzz.Scenario]:
    for tool in ("gcc", "g++", "ar"):
        tc.require(f"{tc.TRIPLE[arch]}-{tool}")
    if arch not in _CORPUS:
        fuzz.preload()
        _CORPUS[arch] = fuzz.build_corpus(arch, where / arch)
    return {s.name: s for s in _CORPUS[arch]}


# -- the fuzzer --------------------------------------------------------------------------------

@ARCHES
def test_fuzz_contract(arch, corpus_dir, tmp_path):
    scns = list(corpus(arch, corpus_dir).values())
    bad = fuzz.fuzz(scns, SEED, COUNT, tmp_path)
    report = "\n".join(f"[{k}] {o.problem}: {what}\n{o.stderr[-600:]}" for k, what, o in bad)
    assert not bad, f"{len(bad)} of {COUNT} mutants broke the contract (seed {SEED}):\n{report}"


def test_fuzz_harness_catches_hangs_and_tracebacks(tmp_path):
    """The harness itself: a link that loops is stopped and reported; a traceback is noticed."""
    fuzz.preload()
    import xld.link.cli as cli
    real = cli.link_main
    scn = fuzz.Scenario("none", [])
    try:
        def forever(argv):
            while True:
                pass
        cli.link_main = forever
        (tmp_path / "a").mkdir()
        status, err, _ = fuzz.run_link([], tmp_path / "a", time_limit=0.5)
        assert fuzz.check(scn, tmp_path / "a", status, err)[0] == "hang (time limit)"
        cli.link_main = lambda argv: 1 // 0
        status, err, _ = fuzz.run_link([], tmp_path / "a", time_limit=5)
        assert fuzz.check(scn, tmp_path / "a", status, err)[0] == "traceback"
    finally:
        cli.link_main = real


# -- helpers for the reproducers ---------------------------------------------------------------

def link_with(scn: fuzz.Scenario, tmp: Path, replace: dict[str, bytes], extra_args=(),
              args=None) -> tuple[int, str]:
    """Link ``scn`` with some of its files replaced; check the contract; (status, stderr)."""
    files = {**scn.files, **replace}
    cwd = tmp / "link"
    if cwd.exists():
        shutil.rmtree(cwd)
    cwd.mkdir()
    for n, b in files.items():
        (cwd / n).write_bytes(b)
    probe = fuzz.Scenario(scn.name, [], files, scn.outputs)
    status, err, _ = fuzz.run_link([*extra_args, *(args or scn.args), "-o", "out"], cwd,
                                   time_limit=30)
    problem, left = fuzz.check(probe, cwd, status, err)
    assert not problem, f"{problem}: {left}\n{err}"
    return status, err


def rejects(scn, tmp, replace, *words, extra_args=(), args=None) -> str:
    status, err = link_with(scn, tmp, replace, extra_args, args)
    assert status == 1, f"linked without a word:\n{err}"
    for w in words:
        assert w in err, f"{w!r} not in:\n{err}"
    return err


# -- archives ----------------------------------------------------------------------------------

@ARCHES
@pytest.mark.parametrize("size,words", [
    (b"-1", "invalid size field"),            # looped forever: the walk went backwards
    (b"-60", "invalid size field"),
    (b"abc", "invalid size field"),
    (b"0x10", "invalid size field"),
    (b"9999999999", "goes past the end of the file"),
])
def test_archive_member_size_is_checked(arch, corpus_dir, tmp_path, size, words):
    scn = corpus(arch, corpus_dir)["archive"]
    for member in (0, 1):                     # the symbol index, the member the link needs
        rejects(scn, tmp_path, {"lib.a": fuzz.ar_edit(scn.files["lib.a"], member, size=size)},
                "lib.a", words)


@ARCHES
@pytest.mark.parametrize("name", [b"#1/abc", b"#1/-5", b"#1/99999999"])
def test_archive_bsd_name_length_is_checked(arch, corpus_dir, tmp_path, name):
    scn = corpus(arch, corpus_dir)["archive"]
    for member in (0, 1):
        rejects(scn, tmp_path, {"lib.a": fuzz.ar_edit(scn.files["lib.a"], member, name=name)},
                "lib.a", "invalid BSD name")


@ARCHES
def test_archive_long_name_offset_is_checked(arch, corpus_dir, tmp_path):
    scn = corpus(arch, corpus_dir)["archive"]
    data = scn.files["lib.a"]
    # a GNU long-name reference needs a name table: add one ("//") after the index
    heads = fuzz._ar_headers(data)
    table = b"long_member_name.o/\n"
    hdr = b"//".ljust(48) + str(len(table)).encode().ljust(10) + b"`\n"
    # the index's member offsets move by the inserted bytes: rebuild it without an index
    body = data[heads[1]:]
    ar = b"!<arch>\n" + hdr + table + body
    ar = fuzz.ar_edit(ar, 1, name=b"/9999")
    rejects(scn, tmp_path, {"lib.a": ar}, "lib.a", "long name offset 9999")


@ARCHES
def test_thin_archive_with_a_missing_member(arch, corpus_dir, tmp_path):
    scn = corpus(arch, corpus_dir)["archive"]
    objs = corpus(arch, corpus_dir)["objects"]
    work = tmp_path / "thin"
    work.mkdir()
    (work / "lib.o").write_bytes(objs.files["lib.o"])
    tc.archive(arch, [work / "lib.o"], work / "thin.a", thin=True)
    (work / "lib.o").unlink()
    rejects(scn, tmp_path, {"thin.a": (work / "thin.a").read_bytes()}, "lib.o",
            args=["start.o", "main.o", "thin.a"])


# -- sections, groups, relocations -------------------------------------------------------------

@ARCHES
def test_group_member_index_out_of_range(arch, corpus_dir, tmp_path):
    scn = corpus(arch, corpus_dir)["objects"]
    e = fuzz.ElfEdit(scn.files["libcxx.o"])
    g = e.index_of_type(17)
    e.write_at(g, 4, struct.pack("<I", 0xFFFF))
    rejects(scn, tmp_path, {"libcxx.o": e.bytes()}, "libcxx.o", "invalid section index in group: 65535")


@ARCHES
def test_group_member_that_is_the_symbol_table(arch, corpus_dir, tmp_path):
    scn = corpus(arch, corpus_dir)["objects"]
    e = fuzz.ElfEdit(scn.files["libcxx.o"])
    g = e.index_of_type(17)
    e.write_at(g, 4, struct.pack("<I", e.index(".symtab")))
    rejects(scn, tmp_path, {"libcxx.o": e.bytes()}, "libcxx.o", "bad group member")


@ARCHES
def test_the_first_wrong_group_is_the_one_named(arch, corpus_dir, tmp_path):
    """Groups are checked all at once; when one is wrong, the message names the first wrong
    one in section order, with its own fault (as a walk group by group finds it)."""
    scn = corpus(arch, corpus_dir)["objects"]
    e = fuzz.ElfEdit(scn.files["libcxx.o"])
    groups = [i for i, _, _, t, _, _ in e.secs if t == 17]
    assert len(groups) >= 2
    e.shdr(groups[-1], sh_info=0xFFFFFF)               # the last: no such signature symbol
    e.write_at(groups[0], 0, struct.pack("<I", 0x11))   # the first: a flag besides GRP_COMDAT
    rejects(scn, tmp_path, {"libcxx.o": e.bytes()}, "libcxx.o", "unsupported SHT_GROUP format")
    e = fuzz.ElfEdit(scn.files["libcxx.o"])
    e.shdr(groups[-1], sh_info=0xFFFFFF)
    rejects(scn, tmp_path, {"libcxx.o": e.bytes()}, "libcxx.o",
            f"group section {groups[-1]} has an invalid signature symbol")


@ARCHES
def test_relocation_section_that_targets_the_symbol_table(arch, corpus_dir, tmp_path):
    scn = corpus(arch, corpus_dir)["objects"]
    e = fuzz.ElfEdit(scn.files["lib.o"])
    rela = next(n for n in e.names if n.startswith(".rela.text"))
    e.shdr(rela, sh_info=e.index(".symtab"))
    rejects(scn, tmp_path, {"lib.o": e.bytes()}, "lib.o", "has invalid sh_info")


@ARCHES
def test_link_order_section_with_a_bad_link(arch, corpus_dir, tmp_path):
    scn = corpus(arch, corpus_dir)["objects"]
    e = fuzz.ElfEdit(scn.files["lib.o"])
    sec = next(n for n in e.names if n.startswith(".text.lib_add"))
    flags = e.get_shdr(sec, "sh_flags")
    for link in (0, 0xFFFF, e.index(".symtab")):
        e.shdr(sec, sh_flags=flags | 0x80, sh_link=link)
        rejects(scn, tmp_path, {"lib.o": e.bytes()}, "lib.o", "invalid sh_link index")


@ARCHES
def test_corrupt_compressed_section(arch, corpus_dir, tmp_path):
    scn = corpus(arch, corpus_dir)["objects"]
    e = fuzz.ElfEdit(scn.files["lib.o"])
    sec = ".comment"
    flags = e.get_shdr(sec, "sh_flags")
    e.shdr(sec, sh_flags=flags | 0x800)          # SHF_COMPRESSED over bytes that are no header
    rejects(scn, tmp_path, {"lib.o": e.bytes()}, "lib.o", ".comment")
    alloc = next(n for n in e.names if n.startswith(".rodata") or n.startswith(".data"))
    e2 = fuzz.ElfEdit(scn.files["lib.o"])
    e2.shdr(alloc, sh_flags=e2.get_shdr(alloc, "sh_flags") | 0x800)
    rejects(scn, tmp_path, {"lib.o": e2.bytes()}, "lib.o", "SHF_COMPRESSED on an allocated section")


TLS_LO12 = {
    "arm64": ".globl tv\n.section .tbss,\"awT\",@nobits\ntv: .zero 4\n.text\n.globl use\n"
             "use:\n  adrp x0, tv\n  add x0, x0, :lo12:tv\n  ret\n",
    "riscv64": ".globl tv\n.section .tbss,\"awT\",@nobits\ntv: .zero 4\n.text\n.globl use\n"
               "use:\n  lui a0, %hi(tv)\n  addi a0, a0, %lo(tv)\n  ret\n",
}


@ARCHES
def test_absolute_lo12_against_a_tls_symbol(arch, corpus_dir, tmp_path):
    scn = corpus(arch, corpus_dir)["objects"]
    obj = tc.assemble(arch, TLS_LO12[arch], tmp_path / "tls.o")
    err = rejects(scn, tmp_path, {"tls.o": obj.read_bytes()}, "tls.o", "thread-local symbol tv",
                  args=[*scn.args, "tls.o"])
    assert ("LO12" in err) or ("HI20" in err) or ("PG_HI21" in err), err


@ARCHES
def test_bogus_relocation_type_under_icf_is_bounded(arch, corpus_dir, tmp_path):
    """A relocation type of 0xffffffff once sized an array under --icf (4 GB)."""
    scn = corpus(arch, corpus_dir)["gc-icf-map"]
    e = fuzz.ElfEdit(scn.files["main.o"])
    rela = next(n for n in e.names if n.startswith(".rela.text"))
    e.rela(rela, 0, r_type=0xFFFFFFFF)
    rejects(scn, tmp_path, {"main.o": e.bytes()}, "unknown relocation (4294967295)")


@ARCHES
@pytest.mark.parametrize("field,value", [("sh_size", (1 << 64) - 8), ("sh_offset", (1 << 63)),
                                         ("sh_addralign", 1 << 63), ("sh_entsize", 7)])
def test_section_fields_near_2_64(arch, corpus_dir, tmp_path, field, value):
    scn = corpus(arch, corpus_dir)["objects"]
    for sec in (".symtab", ".text.lib_add", ".data.lib_table"):
        e = fuzz.ElfEdit(scn.files["lib.o"])
        name = next(n for n in e.names if n.startswith(sec))
        e.shdr(name, **{field: value})
        link_with(scn, tmp_path, {"lib.o": e.bytes()})    # the contract, whatever the outcome


# -- the command line and the outputs ----------------------------------------------------------

@ARCHES
@pytest.mark.parametrize("text,words", [("start.o 'main.o", "malformed response file"),
                                        ("start.o main.o\\", "malformed response file"),
                                        ("@args.rsp", "includes itself")])
def test_response_file_errors(arch, corpus_dir, tmp_path, text, words):
    scn = corpus(arch, corpus_dir)["objects"]
    rejects(scn, tmp_path, {"args.rsp": text.encode()}, words, args=["@args.rsp"])


@ARCHES
def test_map_file_is_not_left_by_a_failed_link(arch, corpus_dir, tmp_path):
    scn = corpus(arch, corpus_dir)["gc-icf-map"]
    status, _ = link_with(scn, tmp_path, {})
    assert status == 0
    e = fuzz.ElfEdit(scn.files["main.o"])
    call = {"arm64": 283, "riscv64": 19}[arch]   # R_AARCH64_CALL26, R_RISCV_CALL_PLT
    rela = next(n for n in e.names if n.startswith(".rela.text") and call in e.rela_types(n))
    e.rela(rela, e.rela_types(rela).index(call), r_addend=1 << 40)   # fails after the map pass
    rejects(scn, tmp_path, {"main.o": e.bytes()}, "out of range")     # (link_with: no out.map)


@ARCHES
def test_output_to_a_fifo_is_written_in_place(arch, corpus_dir, tmp_path):
    scn = corpus(arch, corpus_dir)["objects"]
    work = tmp_path / "fifo"
    work.mkdir()
    for n, b in scn.files.items():
        (work / n).write_bytes(b)
    fifo = work / "out"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()), daemon=True)
    reader.start()
    status, err, _ = fuzz.run_link([*scn.args, "-o", "out"], work, time_limit=30)
    reader.join(30)
    assert status == 0, err
    assert stat.S_ISFIFO(os.stat(fifo).st_mode), "the FIFO was replaced by a regular file"
    assert got and got[0][:4] == b"\x7fELF"
    assert not [p for p in os.listdir(work) if p.startswith(".xld-")]


@ARCHES
def test_output_to_dev_null_keeps_the_device(arch, corpus_dir, tmp_path):
    scn = corpus(arch, corpus_dir)["objects"]
    before = os.stat("/dev/null")
    work = tmp_path / "null"
    work.mkdir()
    for n, b in scn.files.items():
        (work / n).write_bytes(b)
    status, err, _ = fuzz.run_link([*scn.args, "-o", "/dev/null", "-Map", "/dev/null"], work,
                                   time_limit=30)
    assert status == 0, err
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev
    assert after.st_ino == before.st_ino


@ARCHES
@pytest.mark.parametrize("where,value", [
    (0, 0xFFFFFFFF),            # the CIE's length: "64-bit length follows"
    (0, 0x7FFFFFF0),            # a CIE longer than the section
    (0, 2),                     # shorter than its own header
    ("fde", 0x7FFFFFF0),        # an FDE longer than the section
    ("fde+4", 0x7FFFFFF0),      # an FDE's CIE pointer far before the section
    ("fde+4", 0),               # a CIE pointer of 0: the FDE turns into a CIE
    ("fde+4", 3),               # a CIE pointer into the middle of the CIE
])
def test_eh_frame_lengths_and_cie_pointers(arch, corpus_dir, tmp_path, where, value):
    scn = corpus(arch, corpus_dir)["objects"]
    for opts in ([], ["--gc-sections", "--eh-frame-hdr"]):
        e = fuzz.ElfEdit(scn.files["lib.o"])
        raw = e.section_bytes(".eh_frame")
        fde = 4 + struct.unpack_from("<I", raw, 0)[0]       # the first FDE follows the CIE
        off = {0: 0, "fde": fde, "fde+4": fde + 4}[where]
        e.write_at(".eh_frame", off, struct.pack("<I", value))
        link_with(scn, tmp_path, {"lib.o": e.bytes()}, extra_args=opts)


@ARCHES
@pytest.mark.parametrize("sec,field,value", [
    (".dynsym", "sh_size", 1 << 40), (".dynsym", "sh_link", 0xFFFF), (".dynsym", "sh_entsize", 7),
    (".gnu.version", "sh_size", 2), (".gnu.version_d", "sh_size", 1 << 62),
    (".gnu.version_d", "sh_link", 0), (".dynamic", "sh_offset", (1 << 64) - 8),
    (".dynstr", "sh_size", 0), (".dynsym", "sh_addralign", 1 << 63),
])
def test_shared_object_tables(arch, corpus_dir, tmp_path, sec, field, value):
    scn = corpus(arch, corpus_dir)["shared"]
    e = fuzz.ElfEdit(scn.files["libfuzz.so"])
    if sec not in e.names:
        pytest.fail(f"the corpus's shared object has no {sec}")
    e.shdr(sec, **{field: value})
    link_with(scn, tmp_path, {"libfuzz.so": e.bytes()})


@ARCHES
def test_entry_size_near_2_64_is_not_carried_to_the_output(arch, corpus_dir, tmp_path):
    """Fuzz seed 7, arm64 mutant 1279: an .eh_frame sh_entsize of 2^63 overflowed the output's
    section header (internal error)."""
    scn = corpus(arch, corpus_dir)["shared"]
    e = fuzz.ElfEdit(scn.files["dynmain.o"]).shdr(".eh_frame", sh_entsize=1 << 63)
    status, err = link_with(scn, tmp_path, {"dynmain.o": e.bytes()})
    assert status == 0, err


@ARCHES
def test_entry_symbol_past_2_63(arch, corpus_dir, tmp_path):
    """Fuzz seed 7, arm64 mutant 2316: _start's st_value of 2^63 made a negative entry address
    (internal error).  The link succeeds, as GNU ld's does; --verify says the entry is not in
    the code."""
    scn = corpus(arch, corpus_dir)["objects"]
    e = fuzz.ElfEdit(scn.files["start.o"])
    symtab = e.secs[e.index(".symtab")]
    data = bytearray(e.bytes())
    strtab = e.section_bytes(".strtab")
    for k in range(symtab[2] // 24):
        at = symtab[1] + 24 * k
        name = struct.unpack_from("<I", data, at)[0]
        if strtab[name:name + 7] == b"_start\0":
            struct.pack_into("<Q", data, at + 8, 1 << 63)
    args = ["--no-verify", *(a for a in scn.args if a != "--verify")]
    status, err = link_with(scn, tmp_path, {"start.o": bytes(data)}, args=args)
    assert status == 0, err
    if arch == "riscv64":     # the shrink pass moves a symbol past its section's end back to it
        link_with(scn, tmp_path, {"start.o": bytes(data)}, args=["--verify", *args[1:]])
        return
    rejects(scn, tmp_path, {"start.o": bytes(data)}, "entry point 0x800000000",
            "not in an executable segment", args=["--verify", *args[1:]])


@ARCHES
def test_nobits_section_larger_than_the_address_space(arch, corpus_dir, tmp_path):
    scn = corpus(arch, corpus_dir)["objects"]
    e = fuzz.ElfEdit(scn.files["lib.o"])
    bss = next(n for n in e.names if n.startswith(".bss"))
    for size in (1 << 63, 1 << 48, (1 << 64) - 1):
        e.shdr(bss, sh_size=size)
        rejects(scn, tmp_path, {"lib.o": e.bytes()}, "lib.o", "invalid size")
    e.shdr(bss, sh_size=1 << 47, sh_addralign=1 << 32)      # 4 GiB of padding: refused
    rejects(scn, tmp_path, {"lib.o": e.bytes()}, "padding", "alignment")


@ARCHES
def test_bogus_relocation_type_in_a_dynamic_link_is_bounded(arch, corpus_dir, tmp_path):
    """Fuzz seed 11, arm64 mutant 3651: a relocation type of 0x80000105 in .rela.eh_frame sized
    a 2 GiB table in the dynamic plan (out of memory under the fuzzer's cap)."""
    scn = corpus(arch, corpus_dir)["shared"]
    e = fuzz.ElfEdit(scn.files["dynmain.o"]).rela(".rela.eh_frame", 0, r_type=0x80000105)
    rejects(scn, tmp_path, {"dynmain.o": e.bytes()}, "unknown relocation (2147483909)")


def _symbol_entry(e: fuzz.ElfEdit, name: str) -> int:
    """The file offset of the symbol table entry named ``name``."""
    _, off, size, *_ = e.secs[e.index(".symtab")]
    strtab = e.section_bytes(".strtab")
    for k in range(size // 24):
        at = off + 24 * k
        n = struct.unpack_from("<I", e.d, at)[0]
        if strtab[n:n + len(name) + 1] == name.encode() + b"\0":
            return at
    raise AssertionError(f"no symbol {name}")


@ARCHES
def test_tls_symbol_in_a_non_tls_section(arch, corpus_dir, tmp_path):
    """Fuzz seed 13, riscv64 mutant 189: shared_tls moved into .comment gave a negative
    TLS offset in .dynsym (internal error)."""
    scn = corpus(arch, corpus_dir)["make-shared"]
    e = fuzz.ElfEdit(scn.files["shlib.o"])
    struct.pack_into("<H", e.d, _symbol_entry(e, "shared_tls") + 6, e.index(".comment"))
    rejects(scn, tmp_path, {"shlib.o": e.bytes()}, "shlib.o", "shared_tls",
            "STT_TLS but is in the non-TLS section .comment")


@pytest.mark.parametrize("size", [0, 1, 4, 0x7FFFFFFF])
def test_riscv_attribute_subsection_sizes(corpus_dir, tmp_path, size):
    """Fuzz seed 13, riscv64 mutant 4370: an attribute subsection of size 0 made the merge
    loop forever.  Now: a warning, and the first object's attributes are kept."""
    scn = corpus("riscv64", corpus_dir)["objects"]
    e = fuzz.ElfEdit(scn.files["main.o"])
    raw = e.section_bytes(".riscv.attributes")
    tag_at = 1 + 4 + raw.index(b"riscv\0", 1) + 5 - 4      # after 'A', length, "riscv\0"
    assert raw[tag_at] == 1                                   # Tag_File
    e.write_at(".riscv.attributes", tag_at + 1, struct.pack("<I", size))
    status, err = link_with(scn, tmp_path, {"main.o": e.bytes()})
    assert status == 0 and "cannot merge .riscv.attributes" in err, err


@ARCHES
@pytest.mark.parametrize("shndx", [0xFF00, 0xFFF5, 0xFFFE])
def test_symbol_in_a_reserved_section_index(arch, corpus_dir, tmp_path, shndx):
    """Fuzz seed 31, riscv64 mutants 1173 and 1514: a defined global's st_shndx in the reserved
    range (not SHN_ABS or SHN_COMMON) reached the .dynsym writer (internal error).  lld refuses
    it as an invalid section index; so does xld, naming the symbol and the index."""
    scn = corpus(arch, corpus_dir)["shared"]
    e = fuzz.ElfEdit(scn.files["dynmain.o"])
    last = e.get_shdr(".symtab", "sh_size") // 24 - 1          # a global: globals come last
    e.write_at(".symtab", last * 24 + 6, struct.pack("<H", shndx))
    rejects(scn, tmp_path, {"dynmain.o": e.bytes()}, "dynmain.o",
            f"symbol {last} refers to section {shndx:#x}, which does not exist")
