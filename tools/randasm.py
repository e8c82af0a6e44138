"""Random assembly files that use each ISA's relocation operators at random distances, for
differential link tests against GNU ld (tests/test_random_relocs.py).

Every relocated place ("site") sits alone at the start of a section of its own, and its target
alone at the start of another, and a linker script puts both at absolute addresses chosen for
the site's relocation: well in range, right at either end of the range (and one step or one
byte beyond), far beyond it, or near.  So the value each relocation must encode is known exactly
and neither linker's layout choices move it.  Addends are random too (negative, odd, large):
half the cases carry the distance in the addresses, the others in the addend.

arm64: adr, adrp with :lo12: on add and on loads of every size (and :pg_hi21_nc:), b/bl,
b.cond/cbz/tbz, ldr literal, movz/movk :abs_g0..g3 (_nc, _s) and :prel_g0..g3, .hword/.word/
.xword and their PC-relative forms, :got:/:got_lo12:, TLS local-exec (:tprel_*:),
initial-exec (:gottprel:) and TLS descriptors.
riscv64: lui/%hi/%lo and auipc/%pcrel_hi/%pcrel_lo in I and S forms, call/tail (relaxable or
under .option norelax), jal/j, branches, c.j/c.beqz, %got_pcrel_hi, TLS local-exec,
initial-exec and general-dynamic, .2byte/.4byte/.8byte of symbols and of differences (ADD/SUB
pairs), .balign in code (R_RISCV_ALIGN), and (with a __global_pointer$ from the script and
targets near address 0) the gp- and x0-relative relaxations.  (``.uleb128`` of a difference
needs binutils 2.41; the 2.40 assembler refuses it.)

``python -m xld.tools.randasm SEED DIR [ARCH]`` writes one case into DIR and prints its sites."""
from __future__ import annotations

import random
import sys
from dataclasses import dataclass, replace
from pathlib import Path

PAGE = 4096


@dataclass(frozen=True)
class Site:
    """One relocation operator: ``asm`` is its code with ``{E}`` for the target expression
    (``{S}`` the bare symbol, ``{L}`` a local label); the value ``kind`` ("pc": S+A-P, "page":
    Page(S+A)-Page(P) in pages, "abs": S+A, "tls": the thread-pointer offset, "got": a GOT
    slot, "none": unchecked) must lie in [lo, hi] and be a multiple of ``align``."""
    name: str
    asm: str
    kind: str
    lo: int = 0
    hi: int = 0
    align: int = 1
    addend: int = 64            # the bits an addend may take (0: none; the assembler checks data)
    branch: bool = False        # arm64 b/bl: GNU ld adds a veneer where xld adds a thunk


def _arm64_sites() -> list[Site]:
    S = []
    add = S.append
    add(Site("ADR_PREL_LO21", "adr x0, {E}", "pc", -2**20, 2**20 - 1))
    add(Site("ADR_PREL_PG_HI21", "adrp x0, {E}\n add x0, x0, :lo12:{E}", "page", -2**20, 2**20 - 1))
    add(Site("ADR_PREL_PG_HI21_NC", "adrp x0, :pg_hi21_nc:{E}\n add x0, x0, :lo12:{E}", "none"))
    for size, ins in ((1, "ldrb w1"), (2, "ldrh w1"), (4, "ldr w1"), (8, "ldr x1"), (16, "ldr q1")):
        add(Site(f"LDST{size * 8}_ABS_LO12_NC", f"adrp x0, {{E}}\n {ins}, [x0, :lo12:{{E}}]", "page",
                 -2**20, 2**20 - 1, size))
    add(Site("LDST64_ABS_LO12_NC", "adrp x0, {E}\n str x1, [x0, :lo12:{E}]", "page", -2**20, 2**20 - 1, 8))
    add(Site("CALL26", "bl {E}", "pc", -2**27, 2**27 - 4, 4, branch=True))
    add(Site("JUMP26", "b {E}", "pc", -2**27, 2**27 - 4, 4, branch=True))
    add(Site("CONDBR19", "b.ne {E}", "pc", -2**20, 2**20 - 4, 4))
    add(Site("CONDBR19", "cbz x0, {E}", "pc", -2**20, 2**20 - 4, 4))
    add(Site("TSTBR14", "tbz x0, #3, {E}", "pc", -2**15, 2**15 - 4, 4))
    add(Site("LD_PREL_LO19", "ldr x0, {E}", "pc", -2**20, 2**20 - 4, 4))
    add(Site("MOVW_UABS_G0", "movz x0, #:abs_g0:{E}", "abs", 0, 2**16 - 1))
    add(Site("MOVW_UABS_G1", "movz x0, #:abs_g1:{E}\n movk x0, #:abs_g0_nc:{E}", "abs", 0, 2**32 - 1))
    add(Site("MOVW_UABS_G2", "movz x0, #:abs_g2:{E}\n movk x0, #:abs_g1_nc:{E}\n movk x0, #:abs_g0_nc:{E}",
             "abs", 0, 2**48 - 1))
    add(Site("MOVW_UABS_G3", "movz x0, #:abs_g3:{E}\n movk x0, #:abs_g2_nc:{E}\n movk x0, #:abs_g1_nc:{E}\n"
             " movk x0, #:abs_g0_nc:{E}", "none"))
    add(Site("MOVW_SABS_G0", "movz x0, #:abs_g0_s:{E}", "abs", -2**16, 2**16 - 1))
    add(Site("MOVW_SABS_G1", "movz x0, #:abs_g1_s:{E}\n movk x0, #:abs_g0_nc:{E}", "abs", -2**32, 2**32 - 1))
    add(Site("MOVW_SABS_G2", "movz x0, #:abs_g2_s:{E}\n movk x0, #:abs_g1_nc:{E}\n movk x0, #:abs_g0_nc:{E}",
             "abs", -2**48, 2**48 - 1))
    add(Site("MOVW_PREL_G0", "movz x0, #:prel_g0:{E}", "pc", -2**16, 2**16 - 1))
    add(Site("MOVW_PREL_G1", "movz x0, #:prel_g1:{E}\n movk x0, #:prel_g0_nc:{E}", "pc", -2**32, 2**32 - 1))
    add(Site("MOVW_PREL_G2", "movz x0, #:prel_g2:{E}\n movk x0, #:prel_g1_nc:{E}\n movk x0, #:prel_g0_nc:{E}",
             "pc", -2**48, 2**48 - 1))
    add(Site("MOVW_PREL_G3", "movz x0, #:prel_g3:{E}\n movk x0, #:prel_g2_nc:{E}\n movk x0, #:prel_g1_nc:{E}\n"
             " movk x0, #:prel_g0_nc:{E}", "none"))
    add(Site("ABS64", ".xword {E}", "none"))
    add(Site("ABS32", ".word {E}", "abs", -2**31, 2**32 - 1, addend=32))
    add(Site("ABS16", ".hword {E}", "abs", -2**15, 2**16 - 1, addend=16))
    add(Site("PREL64", ".xword {E} - .", "none"))
    add(Site("PREL32", ".word {E} - .", "pc", -2**31, 2**32 - 1, addend=32))
    add(Site("PREL16", ".hword {E} - .", "pc", -2**15, 2**16 - 1, addend=16))
    add(Site("ADR_GOT_PAGE", "adrp x0, :got:{S}\n ldr x0, [x0, :got_lo12:{S}]", "got", addend=0))
    add(Site("GOT_LD_PREL19", "ldr x0, :got:{S}", "got", addend=0))
    add(Site("TLSLE_ADD_TPREL_HI12", "add x0, x0, #:tprel_hi12:{E}, lsl #12\n add x0, x0, #:tprel_lo12_nc:{E}",
             "tls", 0, 2**24 - 1))
    add(Site("TLSLE_ADD_TPREL_LO12", "add x0, x0, #:tprel_lo12:{E}", "tls", 0, 2**12 - 1))
    add(Site("TLSLE_MOVW_TPREL_G0", "movz x0, #:tprel_g0:{E}", "tls", -2**16, 2**16 - 1))
    add(Site("TLSLE_MOVW_TPREL_G1", "movz x0, #:tprel_g1:{E}\n movk x0, #:tprel_g0_nc:{E}", "tls",
             -2**32, 2**32 - 1))
    add(Site("TLSIE_ADR_GOTTPREL_PAGE21", "adrp x0, :gottprel:{S}\n ldr x0, [x0, #:gottprel_lo12:{S}]",
             "tls", 0, 2**32, addend=0))
    add(Site("TLSDESC_ADR_PAGE21", "adrp x0, :tlsdesc:{S}\n ldr x1, [x0, #:tlsdesc_lo12:{S}]\n"
             " add x0, x0, #:tlsdesc_lo12:{S}\n .tlsdesccall {S}\n blr x1", "tls", 0, 2**32, addend=0))
    return S


HI = (-2**31 - 0x800, 2**31 - 0x801)        # what lui/auipc + a 12-bit signed low part reach


def _riscv64_sites() -> list[Site]:
    S = []
    add = S.append
    add(Site("HI20", "lui a0, %hi({E})\n addi a0, a0, %lo({E})", "abs", *HI))
    add(Site("LO12_S", "lui a0, %hi({E})\n sd a1, %lo({E})(a0)", "abs", *HI))
    add(Site("HI20", "lui a0, %hi({E})\n lw a1, %lo({E})(a0)", "abs", *HI))
    add(Site("PCREL_HI20", "{L}: auipc a0, %pcrel_hi({E})\n addi a0, a0, %pcrel_lo({L}b)", "pc", *HI))
    add(Site("PCREL_LO12_S", "{L}: auipc a0, %pcrel_hi({E})\n sw a1, %pcrel_lo({L}b)(a0)", "pc", *HI))
    add(Site("CALL_PLT", "call {E}", "pc", *HI))
    add(Site("CALL_PLT", "tail {E}", "pc", *HI))
    add(Site("CALL_PLT", ".option push\n .option norelax\n call {E}\n .option pop", "pc", *HI))
    add(Site("CALL_PLT", ".option push\n .option norvc\n call {E}\n .option pop", "pc", *HI))
    add(Site("JAL", "jal {E}", "pc", -2**20, 2**20 - 2, 2))
    add(Site("JAL", "j {E}", "pc", -2**20, 2**20 - 2, 2))
    add(Site("BRANCH", "beq a0, a1, {E}", "pc", -2**12, 2**12 - 2, 2))
    add(Site("BRANCH", "bltu a0, a1, {E}", "pc", -2**12, 2**12 - 2, 2))
    add(Site("RVC_JUMP", "c.j {E}", "pc", -2**11, 2**11 - 2, 2))
    add(Site("RVC_BRANCH", "c.beqz a0, {E}", "pc", -2**8, 2**8 - 2, 2))
    add(Site("GOT_HI20", "{L}: auipc a0, %got_pcrel_hi({S})\n ld a0, %pcrel_lo({L}b)(a0)", "got", addend=0))
    add(Site("64", ".8byte {E}", "none"))
    add(Site("32", ".4byte {E}", "abs", -2**31, 2**32 - 1, addend=32))
    add(Site("ADD32", ".4byte {E} - {L}f\n{L}:", "none", addend=32))
    add(Site("ADD16", ".2byte {E} - {L}f\n{L}:", "none", addend=16))
    add(Site("ADD64", ".8byte {E} - {L}f\n{L}:", "none"))
    add(Site("TPREL_HI20", "lui a0, %tprel_hi({E})\n add a0, a0, tp, %tprel_add({E})\n"
             " addi a0, a0, %tprel_lo({E})", "tls", *HI))
    add(Site("TPREL_LO12_S", "lui a0, %tprel_hi({E})\n add a0, a0, tp, %tprel_add({E})\n"
             " sd a1, %tprel_lo({E})(a0)", "tls", *HI))
    add(Site("TLS_GOT_HI20", "la.tls.ie a0, {S}", "tls", 0, 2**32, addend=0))
    add(Site("TLS_GD_HI20", "la.tls.gd a0, {S}\n call __tls_get_addr", "tls", 0, 2**32, addend=0))
    # (the assembler takes addends of up to 32 bits in instructions)
    return [replace(s, addend=32) if s.addend == 64 and s.name != "64" and s.name != "ADD64" else s for s in S]


SITES = {"arm64": _arm64_sites(), "riscv64": _riscv64_sites()}


def _distance(R: random.Random, s: Site) -> int:
    """A value for ``s``: in range, at an end, a step or a byte beyond, or far beyond."""
    lo, hi, al = s.lo, s.hi, s.align
    c = R.random()
    if c < 0.35:
        v = R.randint(lo, hi)
        return v - v % al if s.kind != "page" else v
    if c < 0.45:
        return R.randint(-64, 64) * (al if R.random() < 0.8 else 1)
    if c < 0.85:
        step = 1 if s.kind == "page" else al
        return R.choice([lo, hi, lo - step, hi + step, lo + step, hi - step, hi + 1, lo - 1])
    return R.choice([-1, 1]) * R.randint(hi - lo, 4 * (hi - lo))


@dataclass
class Placed:
    site: Site
    p: int                  # the site's address
    t: int                  # its target's address
    addend: int
    tls_off: int = 0        # (tls) the variable's offset in .tbss


def _place(R: random.Random, arch: str, s: Site, used: list[tuple[int, int]]) -> Placed | None:
    """Addresses (and addend) giving ``s`` a random value; None when they collide."""
    top = 2**47
    p = R.choice([R.randrange(0x100000, 0x1000000), R.randrange(0x10000000, 0x100000000),
                  R.randrange(0x100000000, top)]) & ~15
    a = 0
    if s.kind in ("got", "tls"):          # (within a load's reach of .got, next to .text)
        p = R.randrange(0x100000, 0x140000) & ~15
        t = p + R.choice([1, -1]) * R.randrange(0x1000, 0x100000) & ~15
        return Placed(s, p, t, 0, _tls_offset(R, arch, s)) if _free(used, p, t) else None
    if s.kind == "none":
        v = R.choice([R.randint(-2**40, 2**40), R.randint(-64, 64), R.randint(0, 2**20)])
    else:
        v = _distance(R, s)
    if s.addend and R.random() < 0.6:
        a = R.choice([R.randint(-64, 64), R.randint(-2**20, 2**20), R.randint(-2**33, 2**33), 1, -1, 3])
        a = max(-2**(s.addend - 1), min(a, 2**(s.addend - 1) - 1))
        if R.random() < 0.7 and s.kind != "abs":
            a = a & ~(s.align - 1) if R.random() < 0.8 else a
    if s.kind in ("pc", "none"):
        t = p + v - a
    elif s.kind == "page":
        t = (p & ~(PAGE - 1)) + v * PAGE + R.randrange(0, PAGE, s.align) - a
    else:                   # abs: the value itself
        t = v - a
        if not 0x1000 <= t < top:
            t = R.randrange(0x1000, 0x100000) & ~15
            a = v - t
            if not -2**(s.addend - 1) <= a < 2**(s.addend - 1):
                return None
    if not 0x1000 <= t < top:
        return None
    return Placed(s, p, t, a) if _free(used, p, t) else None


def _tls_offset(R: random.Random, arch: str, s: Site) -> int:
    """Where the TLS variable sits in .tbss: its thread-pointer offset near the ends of the
    site's range (arm64's TCB of 16 bytes comes first)."""
    if s.kind != "tls" or s.hi >= 2**32:
        return R.randrange(0, 0x10000, 8)
    tcb = 16 if arch == "arm64" else 0
    v = R.choice([R.randint(0, min(s.hi, 2**24)), s.hi, s.hi + 1, 0, R.randint(0, 4096)])
    return max(0, min(v, 2**24 + 64) - tcb)


def _free(used: list[tuple[int, int]], *addrs: int) -> bool:
    """Reserve 256 bytes at each address unless one of them overlaps what is taken (or another)."""
    want = [(x, x + 256) for x in addrs]
    for i, (a, b) in enumerate(want):
        if any(a < d and c < b for c, d in used + want[:i]):
            return False
    used.extend(want)
    return True


CLUSTER_AT = 2**47 + 0x10000     # (above every other section the case places)


def cluster(R: random.Random, n: int) -> list[str]:
    """riscv64: ``n`` items in one section, which relaxation shrinks under each other's feet:
    calls, jumps and branches to each other's labels, address pairs, label differences,
    alignment and gaps sized near the ranges' ends."""
    # (GNU ld 2.40 relaxes nothing in a section aligned to 1 byte, as `.section` alone makes one)
    L = ['.section .cl,"ax",%progbits', f" .p2align {R.choice([1, 2, 3])}", ".globl c0"]
    cfi = R.random() < 0.5          # (call frame information: .eh_frame's DW_CFA_advance_loc
    if cfi:                         # between relaxed sites, R_RISCV_SET6/SUB6 and the like)
        L.append(" .cfi_startproc")
    for i in range(n):
        j = R.randrange(n + 1)
        L.append(f"c{i}:")
        if cfi and R.random() < 0.4:
            L.append(R.choice([f" .cfi_def_cfa_offset {16 * R.randint(0, 8)}", " .cfi_offset ra, -8",
                               " .cfi_restore ra", " .cfi_remember_state\n .cfi_restore_state"]))
        c = R.random()
        if c < 0.25:
            L.append(f" {R.choice(['call', 'tail', 'jal', 'j'])} c{j}")
        elif c < 0.35:
            L += [" .option push", f" .option {R.choice(['norelax', 'norvc'])}", f" call c{j}", " .option pop"]
        elif c < 0.5:
            L.append(R.choice([f" beq a0, a1, c{j}", f" c.beqz a0, c{j}", f" c.j c{j}", f" bnez a2, c{j}"]))
        elif c < 0.6:
            L += [f" lui a0, %hi(c{j})", f" addi a0, a0, %lo(c{j})"]
        elif c < 0.7:
            L += [f"{i + 100}: auipc a0, %pcrel_hi(c{j})", f" addi a0, a0, %pcrel_lo({i + 100}b)"]
        elif c < 0.8:
            L.append(f" .{R.choice([2, 4, 8])}byte c{j} - c{i}")
        elif c < 0.88:
            L.append(f" .balign {R.choice([4, 8, 16, 64, 256])}")
        else:
            L.append(f" .space {R.choice([2, 6, 240, 2030, 2050, 4080, 4100, R.randrange(0, 3000) * 2])}")
    L.append(f"c{n}:")
    L.append(" ret")
    if cfi:
        L.append(" .cfi_endproc")
    return L


def gen(seed: int, out: Path, arch: str = "arm64") -> tuple[list[str], list[str], list[Placed]]:
    """Write case ``seed`` into ``out``: ``sites.s`` (the relocated places and ``_start``),
    ``targets.s`` (the symbols) and ``link.ld``; return the assembly files, the link flags
    (besides ``-T link.ld``: -static, -pie or -shared, and riscv64's --relax or --no-relax)
    and the placed sites."""
    R = random.Random(seed * 2 + (arch == "riscv64"))
    used: list[tuple[int, int]] = [(0, 0x100000)]       # (.text, .got and the TLS sections)
    placed: list[Placed] = []
    for _ in range(R.randint(1, 4)):
        s = R.choice(SITES[arch])
        for _try in range(20):
            pl = _place(R, arch, s, used)
            if pl:
                placed.append(pl)
                break
    flags: list[str] = []
    relax = arch == "riscv64" and R.random() < 0.7
    if arch == "riscv64":
        flags.append("--relax" if relax else "--no-relax")
    src = [".text", ".globl _start", "_start:", " ret" if arch == "arm64" else " ret"]
    tgt = []
    tls = any(pl.site.kind == "tls" for pl in placed)
    for k, pl in enumerate(placed):
        a = f"{pl.addend:+d}" if pl.addend else ""
        sym = f"tv{k}" if pl.site.kind == "tls" else f"t{k}"
        code = pl.site.asm.format(E=sym + a, S=sym, L=str(k + 1))
        data = code.split()[0] in (".hword", ".word", ".xword", ".2byte", ".4byte", ".8byte")
        # (data in a writable section: no text relocations)
        src += [f'.section .s{k},"{"aw" if data else "ax"}",%progbits', f".globl s{k}", f"s{k}:", " " + code]
        if R.random() < 0.3 and arch == "riscv64":
            src += [f" .balign {R.choice([8, 16, 32])}", " nop"]      # (R_RISCV_ALIGN under relaxation)
        tgt += [f'.section .t{k},"aw",%progbits', ".p2align 0", f".globl t{k}", f"t{k}:", " .byte 1, 2, 3, 4"]
        if R.random() < 0.5:        # (in a shared object: bound locally; else preemptible)
            tgt.insert(-2, f".hidden t{k}")
        if pl.site.kind == "tls":
            tgt += [f'.section .tbss.{k},"awT",%nobits', ".p2align 3", f"pad{k}: .space {pl.tls_off}",
                    f".globl tv{k}", f"tv{k}: .space 8"]
    if any("__tls_get_addr" in pl.site.asm for pl in placed):
        src += [".text", ".globl __tls_get_addr", "__tls_get_addr:", " ret"]
    if tls:
        tgt += ['.section .tdata,"awT",%progbits', ".p2align 3", "tdata0: .8byte 0x1122334455667788"]
    (out / "sites.s").write_text("\n".join(src) + "\n")
    (out / "targets.s").write_text("\n".join(tgt) + "\n")
    base = R.choice([0x10000, 0x80000, 0x40000])
    secs = [(pl.p, f".s{k}") for k, pl in enumerate(placed)] + [(pl.t, f".t{k}") for k, pl in enumerate(placed)]
    L = ["ENTRY(_start)", "SECTIONS", "{", f"  .text {base:#x} : {{ *(.text) }}",
         "  .got : { *(.got) *(.got.plt) }"]
    if tls:
        L += ["  .tdata : { *(.tdata .tdata.*) }", "  .tbss : { *(.tbss .tbss.*) }"]
    if arch == "riscv64" and placed and R.random() < 0.5:
        # (gp near one of the targets: the gp-relative relaxation where it is in reach)
        t = R.choice(placed).t
        L.append(f"  __global_pointer$ = {t + R.choice([0x800, 0, -0x7ff, 0x7ff, 0x801, -0x800, 0x1000]):#x};")
    if arch == "riscv64":
        C = random.Random(f"cluster {seed}")      # (the other draws as without it)
        if C.random() < 0.6:
            with (out / "sites.s").open("a") as f:
                f.write("\n".join(cluster(C, C.randint(3, 14))) + "\n")
            secs += [(CLUSTER_AT, ".cl"), (CLUSTER_AT + 0x400000, ".eh_frame")]
    for addr, name in sorted(secs):
        L.append(f"  {name} {addr:#x} : {{ KEEP(*({name})) }}")
    L += ["}"]
    (out / "link.ld").write_text("\n".join(L) + "\n")
    flags.append(R.choices(["-static", "-pie", "-shared"], [6, 2, 2])[0])
    return ["sites.s", "targets.s"], flags, placed


def describe(placed: list[Placed]) -> str:
    return "; ".join(f"{pl.site.name} [{pl.site.asm.splitlines()[0].strip()}] P={pl.p:#x} S={pl.t:#x} "
                     f"A={pl.addend:#x}" + (f" tls={pl.tls_off:#x}" if pl.site.kind == "tls" else "")
                     for pl in placed)


if __name__ == "__main__":
    d = Path(sys.argv[2])
    d.mkdir(parents=True, exist_ok=True)
    files, flags, placed = gen(int(sys.argv[1]), d, sys.argv[3] if len(sys.argv) > 3 else "arm64")
    print(" ".join(files), "|", " ".join(flags), "|", describe(placed))
