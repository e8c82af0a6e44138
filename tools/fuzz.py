"""A seeded mutation fuzzer for the linker.

Real inputs (objects, an archive, a shared object) are made by the cross compilers; each
mutant changes one of them (byte flips, a field of the ELF header, of a section header, of a
symbol or relocation entry overwritten with an interesting value, a truncation, an archive
member header edited) and is linked in a forked child of this process, under a time limit
(``setitimer``: a hang dies of SIGALRM) and an address-space cap (``RLIMIT_AS``).  The
contract every mutant must keep:

- exit 0 with an output file, or exit 1 with ``xld: error:`` in lld's words;
- no traceback, no "internal error", no "out of memory" (an allocation sized by the input);
- nothing left behind by a failed link (no output, no map file, no temporary).

Mutant ``k`` of seed ``s`` is always the same, so one finding is reproduced by its number::

    python -m xld.tools.fuzz --arch arm64 --count 5000 --seed 1       # a long run
    python -m xld.tools.fuzz --arch riscv64 --seed 1 --only 1234 -v   # one mutant again

The test suite (tests/test_fuzz_linker.py) runs a few hundred; ``XLD_FUZZ_COUNT`` runs more.
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

TRIPLE = {"arm64": "aarch64-linux-gnu", "riscv64": "riscv64-linux-gnu"}
TIME_LIMIT = 20.0               # seconds per link (a small link takes well under one)
MEMORY_CAP = 1 << 30            # bytes of address space a link may add to the parent's
FILE_CAP = 256 << 20            # bytes a link may write to one file (output, map, messages)

# -- the corpus ----------------------------------------------------------------------------

START = {
    "arm64": ".globl _start\n_start:\n  bl main\n1: b 1b\n",
    "riscv64": ".globl _start\n_start:\n  call main\n1: j 1b\n",
}

MAIN_C = r"""
extern int lib_add(int, int);
extern int lib_table[];
extern const char *lib_name(void);
__thread int tls_counter = 3;
static __thread int tls_local;
int (*fp)(int, int) = lib_add;
const char *greeting = "hello, fuzz";
static int helper(int x) { return x * 7 + tls_local; }
__attribute__((constructor)) static void init(void) { tls_local = 1; }
int main(void) {
    int s = fp(lib_table[1], helper(tls_counter));
    return s + lib_name()[0];
}
"""

LIB_C = r"""
int lib_table[4] = {1, 2, 3, 4};
int lib_common;
static const char name[] = "libfuzz";
const char *lib_name(void) { return name; }
int lib_add(int a, int b) { return a + b + lib_common; }
"""

LIB_CXX = r"""
template <class T> T twice(T x) { return x + x; }
inline int weak_inline(int x) { return x ^ 5; }
extern "C" int lib_cxx(int x) { return twice(x) + weak_inline(x) + twice<long>(x); }
int (*lib_cxx_ptr)(int) = weak_inline;           // taken addresses: emitted, in COMDAT groups
long (*lib_cxx_tptr)(long) = twice<long>;
"""

SHLIB_C = r"""
int shared_var = 42;
__thread int shared_tls;
int shared_fn(int x) { return x + shared_var + shared_tls; }
"""

DYNMAIN_C = r"""
extern int shared_fn(int);
extern int shared_var;
int main(void) { return shared_fn(shared_var); }
"""


def _run(cmd, **kw):
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed:\n{p.stderr}")


@dataclass
class Scenario:
    """One link: the inputs (file names in ``files``, by name) and the command line."""
    name: str
    args: list[str]                     # input names and options, before "-o out"
    files: dict[str, bytes] = field(default_factory=dict)
    outputs: tuple[str, ...] = ("out",)  # what a successful link writes


def build_corpus(arch: str, work: Path) -> list[Scenario]:
    """Compile the inputs for ``arch`` with the cross toolchain and return the links."""
    t = TRIPLE[arch]
    cc, cxx, ar = f"{t}-gcc", f"{t}-g++", f"{t}-ar"
    work.mkdir(parents=True, exist_ok=True)
    flags = ["-O2", "-ffreestanding", "-fno-stack-protector", "-fno-builtin",
             "-fasynchronous-unwind-tables"]
    if arch == "riscv64":
        flags += ["-march=rv64gc", "-mabi=lp64d"]
    (work / "start.s").write_text(START[arch])
    _run([cc, "-c", work / "start.s", "-o", work / "start.o"])
    for name, src in (("main", MAIN_C), ("lib", LIB_C), ("dynmain", DYNMAIN_C)):
        (work / f"{name}.c").write_text(src)
        _run([cc, *flags, "-ffunction-sections", "-fdata-sections", "-c", work / f"{name}.c",
              "-o", work / f"{name}.o"])
    (work / "libcxx.cc").write_text(LIB_CXX)
    _run([cxx, *flags, "-fno-exceptions", "-fno-rtti", "-c", work / "libcxx.cc", "-o", work / "libcxx.o"])
    (work / "lib.a").unlink(missing_ok=True)
    _run([ar, "rcs", work / "lib.a", work / "lib.o", work / "libcxx.o"])
    (work / "shlib.c").write_text(SHLIB_C)
    (work / "shlib.map").write_text("FUZZ_1 { global: shared_fn; local: *; };\n"
                                    "FUZZ_2 { global: shared_var; shared_tls; } FUZZ_1;\n")
    _run([cc, *flags, "-fPIC", "-shared", "-nostdlib", "-Wl,-soname,libfuzz.so.1",
          f"-Wl,--version-script={work / 'shlib.map'}", work / "shlib.c", "-o", work / "libfuzz.so"])
    _run([cc, *flags, "-fPIC", "-c", work / "shlib.c", "-o", work / "shlib.o"])
    read = lambda n: (work / n).read_bytes()
    common = {"start.o": read("start.o"), "main.o": read("main.o")}
    return [
        Scenario("objects", ["--verify", "start.o", "main.o", "lib.o", "libcxx.o"],
                 {**common, "lib.o": read("lib.o"), "libcxx.o": read("libcxx.o")}),
        Scenario("archive", ["start.o", "main.o", "lib.a"], {**common, "lib.a": read("lib.a")}),
        Scenario("gc-icf-map", ["--gc-sections", "--icf=all", "-Map", "out.map", "start.o",
                                "main.o", "lib.a"],
                 {**common, "lib.a": read("lib.a")}, ("out", "out.map")),
        # the .so is made with -nostdlib: on riscv64 its __tls_get_addr is left to a libc
        # that this link does not have
        Scenario("shared", ["--verify", "--allow-shlib-undefined", "-dynamic-linker", "/lib/ld.so",
                            "start.o", "dynmain.o", "libfuzz.so"],
                 {"start.o": read("start.o"), "dynmain.o": read("dynmain.o"),
                  "libfuzz.so": read("libfuzz.so")}),
        Scenario("make-shared", ["--verify", "-shared", "-soname", "libz.so.1", "shlib.o",
                                 "libfuzz.so"],
                 {"shlib.o": read("shlib.o"), "libfuzz.so": read("libfuzz.so")}),
    ]


# -- mutations -----------------------------------------------------------------------------

INTERESTING = [0, 1, 2, 3, 4, 7, 8, 16, 0x3F, 0x40, 0x7F, 0x80, 0xFF, 0x100, 0xFFF, 0x1000,
               0x7FFF, 0x8000, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 1 << 32,
               (1 << 63) - 1, 1 << 63, (1 << 64) - 1, (1 << 64) - 8, (1 << 64) - 0x1000]

# (name, offset, size) of the fields of each record
EHDR_FIELDS = [("e_type", 16, 2), ("e_machine", 18, 2), ("e_entry", 24, 8), ("e_phoff", 32, 8),
               ("e_shoff", 40, 8), ("e_flags", 48, 4), ("e_phentsize", 54, 2), ("e_phnum", 56, 2),
               ("e_shentsize", 58, 2), ("e_shnum", 60, 2), ("e_shstrndx", 62, 2)]
SHDR_FIELDS = [("sh_name", 0, 4), ("sh_type", 4, 4), ("sh_flags", 8, 8), ("sh_addr", 16, 8),
               ("sh_offset", 24, 8), ("sh_size", 32, 8), ("sh_link", 40, 4), ("sh_info", 44, 4),
               ("sh_addralign", 48, 8), ("sh_entsize", 56, 8)]
SYM_FIELDS = [("st_name", 0, 4), ("st_info", 4, 1), ("st_other", 5, 1), ("st_shndx", 6, 2),
              ("st_value", 8, 8), ("st_size", 16, 8)]
RELA_FIELDS = [("r_offset", 0, 8), ("r_sym", 12, 4), ("r_type", 8, 4), ("r_addend", 16, 8)]
DYN_FIELDS = [("d_tag", 0, 8), ("d_val", 8, 8)]
SECTION_TYPES = [0, 1, 2, 3, 4, 6, 7, 8, 9, 11, 14, 15, 16, 17, 18, 0x6FFFFFFD, 0x6FFFFFFE,
                 0x6FFFFFFF, 0x70000003, 0x6FFF4C03]
SECTION_FLAGS = [0x1, 0x2, 0x4, 0x10, 0x20, 0x40, 0x80, 0x200, 0x400, 0x800, 0x80000000]


def _sections(d: bytes):
    """(index, offset, size, type, entsize, header offset) of each section, if readable."""
    if len(d) < 64 or d[:4] != b"\x7fELF":
        return []
    shoff, = struct.unpack_from("<Q", d, 40)
    shnum, = struct.unpack_from("<H", d, 60)
    out = []
    for i in range(min(shnum, 4096)):
        h = shoff + 64 * i
        if h + 64 > len(d):
            break
        typ, = struct.unpack_from("<I", d, h + 4)
        off, size = struct.unpack_from("<QQ", d, h + 24)
        ent, = struct.unpack_from("<Q", d, h + 56)
        out.append((i, off, size, typ, ent, h))
    return out


def _value(rng: random.Random, size: int, old: int) -> int:
    r = rng.random()
    if r < 0.55:
        v = rng.choice(INTERESTING)
    elif r < 0.75:
        v = old + rng.choice([-16, -8, -4, -2, -1, 1, 2, 4, 8, 16, 24, 64])
    elif r < 0.9:
        v = rng.getrandbits(8 * size)
    else:
        v = old ^ (1 << rng.randrange(8 * size))
    return v % (1 << (8 * size))


def _put(d: bytearray, off: int, size: int, v: int) -> None:
    d[off:off + size] = v.to_bytes(size, "little")


def _field(rng, d: bytearray, base: int, fields, what: str) -> str:
    name, off, size = rng.choice(fields)
    old = int.from_bytes(d[base + off:base + off + size], "little")
    if name == "sh_type" and rng.random() < 0.5:
        v = rng.choice(SECTION_TYPES)
    elif name == "sh_flags" and rng.random() < 0.5:
        v = old ^ rng.choice(SECTION_FLAGS)
    elif name in ("sh_link", "sh_info", "st_shndx", "r_sym", "e_shstrndx") and rng.random() < 0.5:
        v = rng.choice([0, 1, 2, 3, 5, 8, old + 1, old - 1, 0xFFF1, 0xFFF2, 0xFF00, 0xFFFF]) % (1 << (8 * size))
    elif name == "r_type" and rng.random() < 0.5:
        v = rng.randrange(0, 300)
    else:
        v = _value(rng, size, old)
    _put(d, base + off, size, v)
    return f"{what}.{name}: 0x{old:x} -> 0x{v:x}"


def mutate_elf(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    d = bytearray(data)
    secs = _sections(data)
    choice = rng.random()
    if choice < 0.08 or not secs:
        return _flips(rng, d)
    if choice < 0.14:
        return _truncate(rng, d)
    if choice < 0.22:
        return bytes(d), _field(rng, d, 0, EHDR_FIELDS, "ehdr")
    if choice < 0.50:
        i, *_rest, h = rng.choice(secs)
        return bytes(d), _field(rng, d, h, SHDR_FIELDS, f"shdr[{i}]")
    # a record of a table: symbols (static or dynamic), relocations, dynamic entries, groups,
    # version tables, .eh_frame, or any section's bytes
    ok = lambda s: s[1] + s[2] <= len(d) and s[2] > 0 and s[3] != 8
    tables = {
        "sym": [s for s in secs if s[3] in (2, 11) and ok(s)],
        "rela": [s for s in secs if s[3] == 4 and ok(s)],
        "dyn": [s for s in secs if s[3] == 6 and ok(s)],
        "words": [s for s in secs if s[3] in (17, 0x6FFFFFFD, 0x6FFFFFFE, 0x6FFFFFFF, 0x70000003) and ok(s)],
        "bytes": [s for s in secs if ok(s)],
    }
    kinds = [k for k, v in tables.items() if v]
    if not kinds:
        return _flips(rng, d)
    kind = rng.choice(kinds)
    i, off, size, typ, ent, _ = rng.choice(tables[kind])
    if kind == "sym":
        k = rng.randrange(size // 24) if size >= 24 else 0
        return bytes(d), _field(rng, d, off + 24 * k, SYM_FIELDS, f"section[{i}].sym[{k}]")
    if kind == "rela":
        k = rng.randrange(size // 24) if size >= 24 else 0
        return bytes(d), _field(rng, d, off + 24 * k, RELA_FIELDS, f"section[{i}].rela[{k}]")
    if kind == "dyn":
        k = rng.randrange(size // 16) if size >= 16 else 0
        return bytes(d), _field(rng, d, off + 16 * k, DYN_FIELDS, f"section[{i}].dyn[{k}]")
    width = 4 if kind == "words" else rng.choice([1, 2, 4, 8])
    if size < width:
        return _flips(rng, d)
    k = rng.randrange(size - width + 1)
    if kind == "words":
        k -= k % 4
    old = int.from_bytes(d[off + k:off + k + width], "little")
    v = _value(rng, width, old)
    _put(d, off + k, width, v)
    return bytes(d), f"section[{i}]+0x{k:x} ({width} bytes): 0x{old:x} -> 0x{v:x}"


def _flips(rng, d: bytearray) -> tuple[bytes, str]:
    n = rng.choice([1, 1, 2, 4, 8, 32])
    where = []
    for _ in range(n):
        p = rng.randrange(len(d))
        d[p] ^= 1 << rng.randrange(8) if rng.random() < 0.7 else rng.randrange(1, 256)
        where.append(p)
    return bytes(d), f"{n} byte flips at {', '.join(hex(p) for p in where[:8])}"


def _truncate(rng, d: bytearray) -> tuple[bytes, str]:
    n = rng.randrange(len(d))
    return bytes(d[:n]), f"truncated to {n} bytes"


def _ar_headers(data: bytes) -> list[int]:
    out, pos = [], 8
    while pos + 60 <= len(data) and len(out) < 1000:
        out.append(pos)
        try:
            size = int(data[pos + 48:pos + 58].strip() or b"0")
        except ValueError:
            break
        pos += 60 + size + (size & 1)
    return out


AR_SIZES = [b"-1", b"-60", b"0", b"1", b"abc", b"0x10", b"9999999999", b"  ", b"1e3", b"+4",
            b"\xff\xfe", b"4294967296"]
AR_NAMES = [b"/", b"//", b"/SYM64/", b"#1/20", b"#1/-5", b"#1/99999999", b"#1/abc", b"/9999",
            b"/-1", b"/ 1", b"__.SYMDEF", b"../../etc/passwd/", b"/0", b""]


def mutate_archive(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    d = bytearray(data)
    heads = _ar_headers(data)
    r = rng.random()
    if r < 0.4 and heads:
        h = rng.choice(heads)
        if rng.random() < 0.5:
            v = rng.choice(AR_SIZES)
            d[h + 48:h + 58] = v.ljust(10)[:10]
            return bytes(d), f"archive member at 0x{h:x}: size {v!r}"
        v = rng.choice(AR_NAMES)
        d[h:h + 16] = v.ljust(16)[:16]
        return bytes(d), f"archive member at 0x{h:x}: name {v!r}"
    if r < 0.55 and heads:
        h = heads[0]
        body = h + 60
        k = rng.randrange(0, 4) * 4           # count and the first offsets of the index
        if body + k + 4 <= len(d):
            old = int.from_bytes(d[body + k:body + k + 4], "big")
            v = _value(rng, 4, old)
            d[body + k:body + k + 4] = v.to_bytes(4, "big")
            return bytes(d), f"archive index word {k // 4}: 0x{old:x} -> 0x{v:x}"
    if r < 0.65:
        return _truncate(rng, d)
    # an ELF member: mutate it in place (same length)
    members = []
    for h in heads:
        try:
            size = int(data[h + 48:h + 58].strip() or b"0")
        except ValueError:
            continue
        if 0 < size <= len(data) - h - 60 and data[h + 60:h + 64] == b"\x7fELF":
            members.append((h + 60, size))
    if not members:
        return _flips(rng, d)
    body, size = rng.choice(members)
    m, what = mutate_elf(rng, data[body:body + size])
    if len(m) != size:
        m = m + bytes(size - len(m))
    d[body:body + size] = m
    return bytes(d), f"member at 0x{body:x}: {what}"


def mutant(scn: Scenario, seed: int, k: int) -> tuple[str, bytes, str]:
    """Mutant ``k`` of ``seed``: (file name, new bytes, what changed)."""
    rng = random.Random(f"{seed}:{scn.name}:{k}")
    name = rng.choice(sorted(scn.files))
    m = scn.files[name]
    whats = []
    for _ in range(rng.choice([1, 1, 1, 2, 3])):      # sometimes a few mutations at once
        if not m:
            break
        if rng.random() < 0.1:
            m, what = _anywhere(rng, bytearray(m))
        elif m[:8] == b"!<arch>\n":
            m, what = mutate_archive(rng, m)
        else:
            m, what = mutate_elf(rng, m)
        whats.append(what)
    return name, m, "; ".join(whats)


def _anywhere(rng, d: bytearray) -> tuple[bytes, str]:
    """An interesting value at any offset."""
    width = rng.choice([1, 2, 4, 8])
    if len(d) < width:
        return bytes(d), "nothing"
    k = rng.randrange(len(d) - width + 1)
    old = int.from_bytes(d[k:k + width], "little")
    v = _value(rng, width, old)
    _put(d, k, width, v)
    return bytes(d), f"+0x{k:x} ({width} bytes): 0x{old:x} -> 0x{v:x}"


# -- targeted edits (the minimized reproducers of the regression tests) ----------------------

class ElfEdit:
    """Field edits of an ELF file by section name, for reproducers that do not depend on where
    a compiler happened to put things."""

    def __init__(self, data: bytes):
        self.d = bytearray(data)
        self.secs = _sections(data)
        shstrndx, = struct.unpack_from("<H", data, 62)
        _, so, ss, *_ = self.secs[shstrndx]
        names = bytes(data[so:so + ss])
        self.names = []
        for i, *_rest, h in self.secs:
            off, = struct.unpack_from("<I", data, h)
            self.names.append(names[off:names.index(b"\0", off)].decode())

    def index(self, name: str) -> int:
        return self.names.index(name)

    def index_of_type(self, typ: int) -> int:
        return next(i for i, _, _, t, _, _ in self.secs if t == typ)

    def shdr(self, sec, **fields) -> "ElfEdit":
        i = self.index(sec) if isinstance(sec, str) else sec
        h = self.secs[i][5]
        for name, v in fields.items():
            _, off, size = next(f for f in SHDR_FIELDS if f[0] == name)
            _put(self.d, h + off, size, v % (1 << (8 * size)))
        return self

    def get_shdr(self, sec, name: str) -> int:
        i = self.index(sec) if isinstance(sec, str) else sec
        h = self.secs[i][5]
        _, off, size = next(f for f in SHDR_FIELDS if f[0] == name)
        return int.from_bytes(self.d[h + off:h + off + size], "little")

    def rela(self, sec: str, k: int, **fields) -> "ElfEdit":
        off = self.secs[self.index(sec)][1] + 24 * k
        for name, v in fields.items():
            _, fo, size = next(f for f in RELA_FIELDS if f[0] == name)
            _put(self.d, off + fo, size, v % (1 << (8 * size)))
        return self

    def rela_types(self, sec: str) -> list[int]:
        raw = self.section_bytes(sec)
        return [struct.unpack_from("<I", raw, 24 * k + 8)[0] for k in range(len(raw) // 24)]

    def section_bytes(self, sec) -> bytes:
        i = self.index(sec) if isinstance(sec, str) else sec
        _, off, size, *_ = self.secs[i]
        return bytes(self.d[off:off + size])

    def write_at(self, sec, k: int, raw: bytes) -> "ElfEdit":
        i = self.index(sec) if isinstance(sec, str) else sec
        off = self.secs[i][1] + k
        self.d[off:off + len(raw)] = raw
        return self

    def bytes(self) -> bytes:
        return bytes(self.d)


def ar_edit(data: bytes, member: int, name: bytes | None = None, size: bytes | None = None) -> bytes:
    """The archive with header number ``member`` (0: the symbol index) given a new name or
    size field."""
    d = bytearray(data)
    h = _ar_headers(data)[member]
    if name is not None:
        d[h:h + 16] = name.ljust(16)[:16]
    if size is not None:
        d[h + 48:h + 58] = size.ljust(10)[:10]
    return bytes(d)


# -- running one link ----------------------------------------------------------------------

@dataclass
class Outcome:
    status: int            # exit status, or -signal
    stderr: str
    left: list[str]        # files a failed link left behind
    elapsed: float
    problem: str = ""      # why the contract is broken; "" when it holds


def _vm_size() -> int:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def run_link(args: list[str], cwd: Path, time_limit: float = TIME_LIMIT,
             memory_cap: int = MEMORY_CAP, file_cap: int = FILE_CAP) -> tuple[int, str, float]:
    """xld with ``args`` in a forked child in ``cwd``: (status or -signal, stderr, seconds)."""
    err_path = cwd.parent / f"{cwd.name}.stderr"
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:                                      # the child: never returns
        status = 70
        try:
            os.chdir(cwd)
            fd = os.open(err_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(fd, 2)
            os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
            sys.stderr = open(2, "w", closefd=False)
            sys.stdout = open(1, "w", closefd=False)
            cap = _vm_size() + memory_cap
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
            # files too: an output (or a stream of messages) past the cap dies of SIGXFSZ
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_cap, file_cap))
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            signal.setitimer(signal.ITIMER_REAL, time_limit)
            from xld.link.cli import link_main
            status = link_main(list(args))
        except BaseException as e:                   # noqa: BLE001 - reported, then _exit
            try:
                import traceback
                sys.stderr.write("Traceback (escaped link_main):\n")
                traceback.print_exception(e, file=sys.stderr)
            except BaseException:
                pass
            status = 71
        finally:
            try:
                sys.stderr.flush()
            except BaseException:
                pass
            os._exit(status if isinstance(status, int) else 72)
    _, st = os.waitpid(pid, 0)
    elapsed = time.monotonic() - t0
    status = os.waitstatus_to_exitcode(st)
    try:
        with open(err_path, "rb") as f:                # the first and last 32 KiB at most
            head = f.read(1 << 15)
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(size - (1 << 15), len(head)))
            tail = f.read(1 << 15)
        err = (head + (b"\n[...]\n" if size > len(head) + len(tail) else b"") + tail).decode(errors="replace")
        err_path.unlink()
    except OSError:
        err = ""
    return status, err, elapsed


def check(scn: Scenario, cwd: Path, status: int, err: str) -> tuple[str, list[str]]:
    """The contract: "" if kept, else what broke; and the files left behind."""
    present = set(os.listdir(cwd)) - set(scn.files)
    if "Traceback" in err:
        return "traceback", sorted(present)
    if status == 0:
        missing = [o for o in scn.outputs if o not in present]
        left = sorted(present - set(scn.outputs))
        if missing:
            return f"exit 0 without {missing}", left
        if left:
            return "exit 0 left extra files", left
        return "", []
    left = sorted(present)
    if status == -signal.SIGALRM:
        return "hang (time limit)", left
    if status == -signal.SIGXFSZ:
        return "wrote a file past the size cap", left
    if status < 0:
        return f"killed by signal {-status}", left
    if status != 1:
        return f"exit status {status}", left
    if "internal error" in err:
        return "internal error", left
    if "out of memory" in err:
        return "out of memory", left
    if not err.startswith("xld: error:") and "\nxld: error:" not in err:
        return "exit 1 without 'xld: error:'", left
    if left:
        return "a failed link left files behind", left
    return "", []


def run_mutant(scn: Scenario, seed: int, k: int, root: Path, **limits) -> tuple[str, Outcome]:
    name, data, what = mutant(scn, seed, k)
    cwd = root / f"m{k}"
    if cwd.exists():
        shutil.rmtree(cwd)
    cwd.mkdir()
    for n, b in scn.files.items():
        (cwd / n).write_bytes(data if n == name else b)
    status, err, elapsed = run_link([*scn.args, "-o", "out"], cwd, **limits)
    problem, left = check(scn, cwd, status, err)
    shutil.rmtree(cwd, ignore_errors=True)
    return f"{scn.name}/{name}: {what}", Outcome(status, err, left, elapsed, problem)


def preload() -> None:
    """Import every module a link may use, once, in this process: each forked child then
    starts with them (a fresh import per child would cost more than the link)."""
    import importlib
    for m in ("cli", "options", "driver", "dynamic", "gc", "icf", "mapfile", "shrink", "thunks",
              "ehframe", "versionscript", "verify"):
        try:
            importlib.import_module(f"xld.link.{m}")
        except ImportError:
            pass
    import xld.arch  # noqa: F401


def check_baseline(scenarios: list[Scenario], root: Path) -> None:
    """Every unmutated link must succeed, else the mutants test nothing."""
    for scn in scenarios:
        cwd = root / f"base-{scn.name}"
        cwd.mkdir()
        for n, b in scn.files.items():
            (cwd / n).write_bytes(b)
        status, err, _ = run_link([*scn.args, "-o", "out"], cwd)
        if status != 0:
            raise RuntimeError(f"the unmutated link {scn.name} fails (status {status}):\n{err}")
        shutil.rmtree(cwd)


def fuzz(scenarios: list[Scenario], seed: int, count: int, root: Path, only=None, verbose=False,
         **limits) -> list[tuple[int, str, Outcome]]:
    """``count`` mutants spread over the scenarios; the ones that broke the contract."""
    preload()
    check_baseline(scenarios, root)
    bad = []
    ks = [only] if only is not None else range(count)
    for k in ks:
        scn = scenarios[k % len(scenarios)]
        what, out = run_mutant(scn, seed, k, root, **limits)
        if verbose:
            print(f"[{k}] {what}: status {out.status} {out.elapsed:.2f}s {out.problem}\n{out.stderr}",
                  file=sys.stderr)
        if out.problem:
            bad.append((k, what, out))
    return bad


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="xld-fuzz", description=__doc__.split("\n\n")[0])
    ap.add_argument("--arch", choices=sorted(TRIPLE), action="append")
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--only", type=int, help="run just this mutant number")
    ap.add_argument("--time-limit", type=float, default=TIME_LIMIT)
    ap.add_argument("-v", "--verbose", action="store_true")
    ns = ap.parse_args(argv)
    total_bad = 0
    with tempfile.TemporaryDirectory(prefix="xld-fuzz-") as tmp:
        for arch in ns.arch or sorted(TRIPLE):
            scns = build_corpus(arch, Path(tmp) / f"corpus-{arch}")
            root = Path(tmp) / f"run-{arch}"
            root.mkdir()
            t0 = time.monotonic()
            bad = fuzz(scns, ns.seed, ns.count, root, ns.only, ns.verbose, time_limit=ns.time_limit)
            dt = time.monotonic() - t0
            n = 1 if ns.only is not None else ns.count
            print(f"{arch}: {n} mutants, seed {ns.seed}, {dt:.1f} s, {len(bad)} broke the contract")
            for k, what, out in bad:
                first = out.stderr.strip().splitlines()[-1:] or [""]
                print(f"  [{k}] {out.problem}: {what}\n      {first[0][:200]}")
            total_bad += len(bad)
    return 1 if total_bad else 0


if __name__ == "__main__":
    sys.exit(main())
