"""Random partial links (-r) against GNU ld's: a random program (``randprog`` C or ``randprogxx``
C++) compiled with random flags is split into random groups of objects, each group partially
linked by GNU ld and by xld (sometimes twice: a -r of -r outputs), and the results are
final-linked in every cross combination — xld's -r objects by GNU ld, GNU ld's by xld, xld's by
xld — which must run like GNU ld's -r objects linked by GNU ld (tests/test_random_relocatable.py).

The -r objects' shapes are compared too (``shape``): section names, types and flags, COMDAT
groups and their members, the non-local symbols (binding, visibility, type, section), and the
number of relocations of each type in each section — on riscv64 the R_RISCV_RELAX and
R_RISCV_ALIGN the final link relaxes by must be there as in GNU ld's.

``python -m xld.tools.randrel SEED ARCH [CC]`` builds one case in a temporary directory and
prints its plan and the differences found."""
from __future__ import annotations

import random
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from xld.tools import randprog, randprogxx

TRIPLE = {"arm64": "aarch64-linux-gnu", "riscv64": "riscv64-linux-gnu"}
QEMU = {"arm64": "qemu-aarch64", "riscv64": "qemu-riscv64"}


@dataclass
class Case:
    seed: int
    lang: str                       # "c" or "c++"
    cflags: list[str]
    final: str                      # "pie" or "static"
    groups: list[list[int]]         # indices of objects (0: main) partially linked together
    nested: list[int] = field(default_factory=list)    # groups whose -r outputs are -r'd again
    odd: list[str] = field(default_factory=list)        # more compiler flags for some files:
    odd_files: list[int] = field(default_factory=list)  # (their indices)
    rflags: list[str] = field(default_factory=list)     # options of every -r link
    final_flags: list[str] = field(default_factory=list)    # options of the final links


def plan(seed: int, arch: str, cc: str) -> Case:
    """The random choices of case ``seed`` (the sources are written by ``build``)."""
    R = random.Random(seed * 7919 + (cc == "clang"))
    lang = "c++" if R.random() < 0.4 else "c"
    cflags = [R.choice(["-O0", "-O1", "-O2", "-Os"])]
    if R.random() < 0.5:
        cflags += ["-ffunction-sections", "-fdata-sections"]
    if R.random() < 0.4:
        cflags.append("-g")
    if lang == "c":
        cflags.append("-fcommon")        # (randprog's files define com0/com1 tentatively, each)
    final = R.choice(["pie", "static"])
    if final == "static" and R.random() < 0.5:
        cflags.append("-fno-pie")
    case = Case(seed, lang, cflags, final, [])
    # some files with: arm64 BTI/PAC notes (.note.gnu.property kept only if every input has
    # it), riscv64 code that may not be relaxed, compressed debug sections
    odd = {"arm64": ["-mbranch-protection=standard"], "riscv64": ["-mno-relax"]}[arch] + \
        (["-gz=zlib"] if "-g" in cflags else [])
    if R.random() < 0.4:
        case.odd = R.sample(odd, R.randint(1, len(odd)))
    case.rflags = R.choice([[], [], [], ["-d"], ["-S"], ["--force-group-allocation"]])
    case.final_flags = (["-static"] if final == "static" else ["-pie"]) + \
        (["-Wl,--gc-sections"] if R.random() < 0.3 else [])
    return case


def build(case: Case, arch: str, cc: str, d: Path) -> list[str]:
    """Write and compile case's sources into ``d``; return the object names (main first) and
    fill in the case's random groups."""
    files = (randprogxx if case.lang == "c++" else randprog).gen(case.seed, d)
    files += _extras(case.seed, d)
    comp = [f"{TRIPLE[arch]}-{'g++' if case.lang == 'c++' else 'gcc'}"] if cc == "gcc" else \
        ["clang++-14" if case.lang == "c++" else "clang-14", f"--target={TRIPLE[arch]}"]
    R = random.Random(case.seed * 31 + len(files))
    if case.odd:
        case.odd_files = sorted(R.sample(range(len(files)), R.randint(1, len(files) - 1)))
    plain = [f for k, f in enumerate(files) if k not in case.odd_files]
    _run([*comp, *case.cflags, "-c", *plain], d)
    if case.odd_files:
        _run([*comp, *case.cflags, *case.odd, "-c", *(files[k] for k in case.odd_files)], d)
    objs = [f.rsplit(".", 1)[0] + ".o" for f in files]
    idx = list(range(len(objs)))
    R.shuffle(idx)
    groups: list[list[int]] = []
    while idx:
        k = R.randint(1, len(idx))
        groups.append(sorted(idx[:k]))
        idx = idx[k:]
    if set(case.rflags) & {"-d", "--force-group-allocation"}:
        # (-d gives commons, --force-group-allocation COMDAT members, a definition in each
        # output: only one output may have them, made by one link)
        groups = [list(range(len(objs)))]
    case.groups = groups
    # one group in two halves, -r'd, then the two outputs -r'd together
    multi = [g for g in range(len(groups)) if len(groups[g]) > 1]
    if multi and R.random() < 0.5 and not set(case.rflags) & {"-d", "--force-group-allocation"}:
        case.nested = [R.choice(multi)]
    return objs


def _extras(seed: int, d: Path) -> list[str]:
    """Two files more (C, compiled as the program's language): hidden and protected symbols one
    defines and the other uses (across groups: visibility applies in the final link), a weak
    reference nothing defines, hidden thread-locals, and a constructor with a priority that
    prints what it sees before main runs."""
    R = random.Random(seed * 131)
    k = R.randint(1, 99)
    (d / "x0.c").write_text(f"""#include <stdio.h>
__attribute__((visibility("hidden"))) int xh_val = {k};
__attribute__((visibility("protected"))) int xp_val = {k + 1};
__attribute__((visibility("hidden"))) __thread int xh_tls = {k + 2};
__attribute__((visibility("hidden"))) int xh_fn(int a) {{ return a * {R.randint(2, 9)} + xh_tls++; }}
static const char xs_msg[] __attribute__((aligned(32))) = "x0 {k}";
const char *xh_msg(void) {{ return xs_msg; }}
""")
    (d / "x1.c").write_text(f"""#include <stdio.h>
extern __attribute__((visibility("hidden"))) int xh_val;
extern int xp_val;
extern __attribute__((visibility("hidden"))) __thread int xh_tls;
__attribute__((visibility("hidden"))) int xh_fn(int a);
const char *xh_msg(void);
extern int xw_missing __attribute__((weak));
int xw_fn(int) __attribute__((weak));
__attribute__((constructor({R.randint(101, 200)}))) static void x1_ctor(void) {{
  printf("x1 %d %d %d %d %d %s\\n", xh_val, xp_val, xh_fn(3), &xw_missing == 0, xw_fn ? xw_fn(1) : -1, xh_msg());
}}
""")
    return ["x0.c", "x1.c"]


def ld_command(who: str, arch: str, xld: list[str]) -> list[str]:
    return [f"{TRIPLE[arch]}-ld"] if who == "gnu" else list(xld)


def partial(case: Case, who: str, arch: str, objs: list[str], d: Path, xld: list[str],
            inner: str | None = None) -> list[str]:
    """The -r objects of the case's groups made by ``who`` ("gnu" or "xld"), in ``d``; a nested
    group's halves are partially linked first by ``inner`` (default: ``who`` too)."""
    ld = ld_command(who, arch, xld)
    ld_in = ld_command(inner or who, arch, xld)
    tag = who if inner in (None, who) else f"{inner}{who}"
    outs = []
    for g, members in enumerate(case.groups):
        ins = [objs[i] for i in members]
        out = f"r{g}_{tag}.o"
        if g in case.nested:
            half = len(ins) // 2
            _run([*ld_in, "-r", *case.rflags, "-o", f"r{g}a_{tag}.o", *ins[:half]], d)
            _run([*ld_in, "-r", *case.rflags, "-o", f"r{g}b_{tag}.o", *ins[half:]], d)
            ins = [f"r{g}a_{tag}.o", f"r{g}b_{tag}.o"]
        _run([*ld, "-r", *case.rflags, "-o", out, *ins], d)
        outs.append(out)
    return outs


def final(case: Case, who: str, arch: str, ins: list[str], out: str, d: Path, wrapper: Path) -> None:
    drv = f"{TRIPLE[arch]}-{'g++' if case.lang == 'c++' else 'gcc'}"
    use = ["-B", str(wrapper)] if who == "xld" else []
    _run([drv, *use, *case.final_flags, "-o", out, *ins], d)


def shape(path: Path) -> dict:
    """What a -r object's consumer depends on, comparable between linkers."""
    from elftools.elf.elffile import ELFFile
    from elftools.elf.sections import SymbolTableSection
    from elftools.elf.relocation import RelocationSection
    res: dict = {"sections": {}, "groups": {}, "symbols": {}, "relocs": {}}
    with open(path, "rb") as f:
        e = ELFFile(f)
        secs = list(e.iter_sections())
        names = [s.name for s in secs]
        symtab = e.get_section_by_name(".symtab")
        syms = list(symtab.iter_symbols()) if isinstance(symtab, SymbolTableSection) else []
        for s in secs:
            t = s["sh_type"]
            if t in ("SHT_NULL", "SHT_SYMTAB", "SHT_STRTAB", "SHT_GROUP") or isinstance(s, RelocationSection):
                continue
            key = s.name
            res["sections"].setdefault(key, set()).add((t, s["sh_flags"], s["sh_size"], s["sh_addralign"]))
        for s in secs:
            if s["sh_type"] == "SHT_GROUP":
                sig = syms[s["sh_info"]].name
                words = s.data()
                n = len(words) // 4
                vals = [int.from_bytes(words[4 * k:4 * k + 4], "little") for k in range(n)]
                res["groups"].setdefault(sig, []).append((vals[0], tuple(sorted(names[m] for m in vals[1:]))))
        for s in syms:
            if s["st_info"]["bind"] == "STB_LOCAL":
                continue
            shn = s["st_shndx"]
            where = names[shn] if isinstance(shn, int) else shn
            res["symbols"][s.name] = (s["st_info"]["bind"], s["st_info"]["type"], s["st_other"]["visibility"], where,
                                      s["st_value"], s["st_size"])
        for s in secs:
            if isinstance(s, RelocationSection):
                c = Counter(r["r_info_type"] for r in s.iter_relocations() if r["r_info_type"])
                tgt = names[s["sh_info"]]
                res["relocs"].setdefault(tgt, Counter()).update(c)
    res["sections"] = {k: sorted(v) for k, v in res["sections"].items()}
    res["groups"] = {k: sorted(v) for k, v in res["groups"].items()}
    return res


def shape_diff(gnu: dict, xld: dict, values: bool = True) -> list[str]:
    """The differences between GNU ld's and xld's shapes of one -r object, one line each.

    Some differences are xld's on purpose: its ``.llvm_addrsig`` (a list of symbol indices) is
    renumbered and lists every symbol of an input without one, where GNU ld's is the inputs'
    tables laid end to end, stale (sh_link 0: lld ignores it): its size is not compared,
    and in debug sections it keeps the relocations that describe a discarded COMDAT copy,
    pointed at the kept copy (as both linkers do in a final link), where GNU ld's -r removes
    them: there xld has at least GNU ld's relocations of each type.  (R_*_NONE are not
    counted: GNU ld leaves them in .eh_frame for the FDEs of discarded copies, xld drops
    those FDEs, with their relocations: xld has at most GNU ld's there; for the same reason, and because GNU ld's -r trims the padding of FDEs, the
    size of .eh_frame is not compared.)  GNU ld raises the first TLS section's alignment to the
    largest of the TLS sections (for the segment a final link makes): xld's may be lower, and
    after a nested link (two -r outputs joined) the padding that alignment added makes GNU ld's
    TLS section larger than xld's.
    ``values``: whether symbols' values and the size of .bss are compared (not after -d: GNU
    ld gives the commons their places in its hash table's order, padded between them)."""
    out = []
    for part in ("sections", "groups", "symbols", "relocs"):
        a, b = gnu[part], xld[part]
        for k in sorted(set(a) | set(b)):
            x, y = a.get(k), b.get(k)
            if part == "sections" and k == ".llvm_addrsig" and x and y:
                x, y = [(v[0], v[1], v[3]) for v in x], [(v[0], v[1], v[3]) for v in y]
            if part == "symbols" and not values and x and y:
                x, y = x[:4], y[:4]
            if part == "sections" and x and y:
                x, y = _sections_alike(k, x, y)
                if not values and k == ".bss":
                    x, y = [v[:2] for v in x], [v[:2] for v in y]
            if part == "relocs" and k.startswith(".debug") and x is not None and y is not None \
                    and all(y[t] >= n for t, n in x.items()):
                continue
            if part == "relocs" and k == ".eh_frame" and x is not None and y is not None \
                    and all(x[t] >= n for t, n in y.items()):
                continue
            if x != y:
                out.append(f"{part} {k}: GNU ld {x}  xld {y}")
    return out


def _sections_alike(name: str, gnu: list, xld: list) -> tuple[list, list]:
    """The two linkers' (type, flags, size, alignment) of same-named sections, with what
    ``shape_diff`` does not compare taken out."""
    if name == ".eh_frame":
        return [v[:2] for v in gnu], [v[:2] for v in xld]
    # (SHF_TLS: GNU ld's alignment may be higher; and so its size, when a nested link joins
    # two inner outputs whose first TLS section GNU ld aligned higher: seed 62's two 1-byte
    # .tbss.__tls_guard, each aligned to 8 by the inner -r, are 9 bytes after the outer one)
    if len(gnu) == len(xld) and all(a[:2] == b[:2] and a[1] & 0x400 and b[3] <= a[3] and b[2] <= a[2]
                                    for a, b in zip(gnu, xld)):
        return gnu, gnu
    return gnu, xld


def _run(cmd, cwd):
    p = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True)
    if p.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, cmd))}\n{p.stderr[-3000:]}")


def _main(argv) -> None:
    import tempfile
    seed, arch = int(argv[1]), argv[2]
    cc = argv[3] if len(argv) > 3 else "gcc"
    xld = [sys.executable, "-m", "xld.link"]
    with tempfile.TemporaryDirectory() as t:
        d = Path(t)
        w = d / "w"
        w.mkdir()
        (w / "ld").write_text("#!/bin/sh\nexec " + " ".join(f"'{c}'" for c in xld) + ' "$@"\n')
        (w / "ld").chmod(0o755)
        case = plan(seed, arch, cc)
        objs = build(case, arch, cc, d)
        print(case)
        parts = {who: partial(case, who, arch, objs, d, xld) for who in ("gnu", "xld")}
        for g in range(len(case.groups)):
            for line in shape_diff(shape(d / parts["gnu"][g]), shape(d / parts["xld"][g])):
                print(f"r{g}: {line}")
        runs = {}
        for r in ("gnu", "xld"):
            for f in ("gnu", "xld"):
                final(case, f, arch, parts[r], f"p_{r}_{f}", d, w)
                p = subprocess.run([QEMU[arch], "-L", f"/usr/{TRIPLE[arch]}", f"./p_{r}_{f}"], cwd=d,
                                   capture_output=True, timeout=60)
                runs[r, f] = (p.returncode, p.stdout)
        for k, v in runs.items():
            print(k, "same" if v == runs["gnu", "gnu"] else f"DIFFERENT {v[0]}")


if __name__ == "__main__":
    _main(sys.argv)
