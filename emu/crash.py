"""Crash reports: what a developer needs to see when a program dies under ``xld run``.

The report names the signal and why, the faulting address and access, the PC and the caller
(LR / RA) symbolized from the executable's own symbol table, the instruction at the PC
(capstone), the general registers, and the last system calls. On riscv64 an illegal
instruction from the Zba/Zbb bit-manipulation extensions gets a note: Unicorn's riscv64 CPU
models do not implement them, so such a program must be built for plain rv64gc.
"""

from __future__ import annotations

import struct

from . import uc as U
from .elf import read_elf
from .loader import span
from .memory import ACCESS_NAME
from .syscalls import SIGNAL_NAMES
from .sysnames import name_of

SIGILL, SIGTRAP, SIGBUS, SIGSEGV = 4, 5, 7, 11

# CPU exception numbers as Unicorn reports them to the interrupt hook.
_A64_EXC = {1: (SIGILL, "illegal instruction"), 3: (SIGSEGV, "instruction fetch abort"),
            4: (SIGSEGV, "data abort"), 7: (SIGTRAP, "breakpoint (brk)"),
            0x10: (SIGBUS, "misaligned access"), 6: (SIGSEGV, "fast interrupt"),
            5: (SIGSEGV, "interrupt")}
_RV_EXC = {0: (SIGBUS, "misaligned instruction fetch"), 1: (SIGSEGV, "instruction access fault"),
           2: (SIGILL, "illegal instruction"), 3: (SIGTRAP, "breakpoint (ebreak)"),
           4: (SIGBUS, "misaligned load"), 5: (SIGSEGV, "load access fault"),
           6: (SIGBUS, "misaligned store"), 7: (SIGSEGV, "store access fault"),
           12: (SIGSEGV, "instruction page fault"), 13: (SIGSEGV, "load page fault"),
           15: (SIGSEGV, "store page fault")}


def classify_exception(arch, intno: int) -> tuple[int, str]:
    table = _A64_EXC if arch.name == "arm64" else _RV_EXC
    sig, what = table.get(intno, (SIGILL, f"CPU exception {intno}"))
    return sig, what


def classify_insn(proc) -> tuple[int, str]:
    """Signal for a CPU exception Unicorn reported without a number: look at the instruction."""
    try:
        pc = proc.eng.reg_read(proc.arch.pc)
        code = proc.mem.read(pc, 4) if proc.mem.is_mapped(pc, 4) else proc.mem.read(pc, 2)
    except Exception:
        return SIGILL, "CPU exception"
    if proc.arch.name == "riscv64":
        if code[:2] == b"\x02\x90" or code[:4] == struct.pack("<I", 0x00100073):
            return SIGTRAP, "breakpoint (ebreak)"
    elif len(code) == 4 and struct.unpack("<I", code)[0] & 0xFFE0001F == 0xD4200000:
        return SIGTRAP, "breakpoint (brk)"
    return SIGILL, "illegal instruction"


def exact_fault_address(proc, addr: int) -> int:
    """Unicorn's TLB reports the page of a faulting access; the faulting instruction's operands
    give the byte."""
    if addr % 4096 == 0:
        exact = operand_address(proc, proc.eng.reg_read(proc.arch.pc))
        if exact is not None and exact & ~0xFFF == addr:
            return exact
    return addr


def fault_code(proc, stop) -> tuple[int, int]:
    """(si_code, si_addr) for a fault about to be delivered to the program's handler."""
    sig = stop.signal
    if sig == SIGSEGV and stop.fault:
        addr, _access = stop.fault
        addr = exact_fault_address(proc, addr or 0)
        mapped = proc.mem.find(addr) >= 0
        return (2 if mapped else 1), addr                    # SEGV_ACCERR / SEGV_MAPERR
    if sig == SIGBUS and stop.fault:                        # past the end of a mapped file
        return 2, exact_fault_address(proc, stop.fault[0])  # BUS_ADRERR
    pc = proc.eng.reg_read(proc.arch.pc)
    return {SIGILL: 1, SIGTRAP: 1, SIGBUS: 1}.get(sig, 0), pc   # ILL_ILLOPC, TRAP_BRKPT, BUS_ADRALN


def disassemble(arch, code: bytes, addr: int, count: int = 1) -> list[str]:
    try:
        import capstone as C
        if arch.name == "arm64":
            md = C.Cs(C.CS_ARCH_ARM64, C.CS_MODE_ARM)
        else:
            md = C.Cs(C.CS_ARCH_RISCV, C.CS_MODE_RISCV64 | C.CS_MODE_RISCVC)
        out = []
        for insn in md.disasm(code, addr):
            out.append(f"{insn.address:#x}: {insn.bytes.hex():<8}  {insn.mnemonic} {insn.op_str}".rstrip())
            if len(out) >= count:
                break
        return out
    except Exception:  # capstone missing or cannot decode
        return []


def riscv_bitmanip(word: int) -> str | None:
    """Name the Zba/Zbb extension if this 32-bit riscv instruction belongs to it."""
    if word & 3 != 3:
        return None
    op = word & 0x7F
    f3 = (word >> 12) & 7
    f7 = word >> 25
    imm = word >> 20
    if op == 0x33:  # OP
        if f7 == 0x10 and f3 in (2, 4, 6):
            return "Zba (sh1add/sh2add/sh3add)"
        if f7 == 0x20 and f3 in (4, 6, 7):
            return "Zbb (xnor/orn/andn)"
        if f7 == 0x05 and f3 in (4, 5, 6, 7):
            return "Zbb (min/max)"
        if f7 == 0x30 and f3 in (1, 5):
            return "Zbb (rol/ror)"
        if f7 == 0x04 and f3 == 4:
            return "Zbb (zext.h)"
    if op == 0x3B:  # OP-32
        if f7 == 0x04 and f3 == 0:
            return "Zba (add.uw)"
        if f7 == 0x10 and f3 in (2, 4, 6):
            return "Zba (shNadd.uw)"
        if f7 == 0x04 and f3 == 4:
            return "Zbb (zext.h)"
        if f7 == 0x30 and f3 in (1, 5):
            return "Zbb (rolw/rorw)"
    if op == 0x13:  # OP-IMM
        if f3 == 1 and imm >> 6 == 0x18:
            return "Zbb (clz/ctz/cpop/sext)"
        if f3 == 5 and (imm >> 6 == 0x18 or imm in (0x287, 0x6B8)):
            return "Zbb (rori/orc.b/rev8)"
    if op == 0x1B:  # OP-IMM-32
        if f3 == 1 and imm >> 6 == 0x02:
            return "Zba (slli.uw)"
        if f3 == 1 and imm >> 5 == 0x30:
            return "Zbb (clzw/ctzw/cpopw)"
        if f3 == 5 and imm >> 5 == 0x30:
            return "Zbb (roriw)"
    return None


def _module_at(proc, addr: int):
    """(symbols, bias, module name or None) for the image that holds ``addr``: the program
    itself, or a shared object (ld.so, or a file ld.so mapped: its .symtab or .dynsym)."""
    mem = proc.mem
    i = mem.find(addr)
    host = proc.module_files.get(mem.names[i]) if i >= 0 else None
    if host is None:
        return proc.elf.symbols(), proc.bias, None
    name = mem.names[i]
    cache = proc.__dict__.setdefault("_module_syms", {})
    if name not in cache:
        elf = read_elf(host, max_size=proc.mem.limit)
        cache[name] = (elf.symbols(), span(elf)[0])
    syms, lo = cache[name]
    base = i
    while base > 0 and mem.names[base - 1] == name and mem.ends[base - 1] == mem.starts[base]:
        base -= 1
    return syms, mem.starts[base] - lo, name.rsplit("/", 1)[-1]


def symbolize(proc, addr: int, return_address: bool = False) -> str:
    """'0x... <func+0xoff>'. A return address is looked up one byte earlier, so the call of a
    noreturn function at the very end of its caller is still named after the caller. An
    address in a shared object reads '<func+0xoff in libc.so.6>' (or '<libc.so.6+0xoff>')."""
    module = None
    try:
        syms, bias, module = _module_at(proc, addr)
        name = syms.lookup(addr, bias)
        if return_address and addr:
            caller = syms.lookup(addr - 1, bias)
            if caller and (name is None or caller.split("+")[0] != name.split("+")[0]):
                base = caller.split("+")[0]
                off = addr - (syms.address_of(base) or addr) - bias
                name = f"{base}+{off:#x}"
        if module:
            name = f"{name} in {module}" if name else f"{module}+{addr - bias:#x}"
    except Exception:
        name = None
    return f"{addr:#x} <{name}>" if name else f"{addr:#x}"


def report(proc, stop) -> str:
    arch = proc.arch
    eng = proc.eng
    lines = []
    sig = stop.signal
    title = SIGNAL_NAMES.get(sig, f"signal {sig}") if sig else "stopped"
    lines.append(f"xld run: program terminated by {title}: {stop.reason}" if sig else
                 f"xld run: {stop.reason}")
    if stop.limit:
        lines[-1] = f"xld run: {stop.reason} (limit: {stop.limit}; reported as {title})"
    note = proc.thread_note() if hasattr(proc, "thread_note") else ""
    if note:
        lines.append(f"  thread: {note}")
    try:
        pc = eng.reg_read(arch.pc)
        lr = eng.reg_read(arch.lr)
    except Exception:
        pc = lr = 0
    if stop.fault:
        addr, access = stop.fault
        what = ACCESS_NAME.get(access, "access")
        if addr is not None:
            i = proc.mem.find(addr)
            state = "unmapped" if i < 0 else "not permitted by the mapping"
            if stop.signal == SIGBUS and i >= 0:
                state = "past the end of the mapped file"
            hint = ""
            if addr < 0x1000:
                hint = " (NULL pointer)"
            elif i < 0 and (proc.mem.starts and _near_stack(proc, addr)):
                hint = " (below the stack: stack overflow?)"
            exact = exact_fault_address(proc, addr) if access != U.MEM_FETCH else addr
            if exact != addr:
                addr = exact
                hint = " (NULL pointer)" if addr < 0x1000 else hint
                lines.append(f"  fault:  {what} of {addr:#x}{hint}: {state}")
            elif i >= 0 and addr % 4096 == 0:
                lines.append(f"  fault:  {what} in the page at {addr:#x}: {state}")
            else:
                lines.append(f"  fault:  {what} of {addr:#x}{hint}: {state}")
            if access == U.MEM_FETCH:
                pc = addr if pc == 0 else pc
    lines.append(f"  pc:     {symbolize(proc, pc)}")
    lines.append(f"  {arch.lr_name + ':':<7} {symbolize(proc, lr, return_address=True)}")
    frames = backtrace(proc, lr)
    if frames:
        lines.append("  then:   " + "\n          ".join(symbolize(proc, a, return_address=True) for a in frames))
    code = b""
    try:
        if proc.mem.is_mapped(pc, 4):
            code = proc.mem.read(pc, 4)
    except Exception:
        pass
    if code:
        dis = disassemble(arch, code, pc)
        lines.append(f"  insn:   {dis[0] if dis else code.hex() + '  (cannot disassemble)'}")
        if arch.name == "riscv64" and sig == SIGILL and len(code) == 4:
            ext = riscv_bitmanip(struct.unpack("<I", code)[0])
            if ext:
                lines.append(f"  note:   this instruction is from the {ext} bit-manipulation extension, "
                             f"which Unicorn's riscv64 CPU models do not implement; build for "
                             f"-march=rv64gc")
    if stop.note:
        lines.append(f"  note:   {stop.note}")
    context = _code_around(proc, pc)
    if context:
        lines.append("  code:")
        lines.extend(context)
    if proc.delivered:
        names = ", ".join(SIGNAL_NAMES.get(s, str(s)) for s in proc.delivered[-5:])
        lines.append(f"  note:   signals delivered to the program's handlers before this: {names}")
    lines.append("  registers:")
    regs = []
    for name, rid in arch.gregs:
        try:
            regs.append(f"{name:>4}={eng.reg_read(rid):016x}")
        except Exception:
            pass
    for i in range(0, len(regs), 4):
        lines.append("    " + "  ".join(regs[i:i + 4]))
    if proc.history:
        lines.append("  last system calls:")
        for entry in list(proc.history)[-5:]:
            lines.append(f"    {call_text(proc, entry)}")
    return "\n".join(lines) + "\n"


def call_text(proc, entry) -> str:
    """A system call of the history (runner.py) as strace writes it, without the thread id;
    its strings read from the guest's memory now, unless it was rendered already (before an
    execve replaced that memory: runner.exec_image)."""
    nr, args, ret = entry
    if nr is None:
        return args
    from .strace import format_call
    try:
        return format_call(proc, nr, args, ret).split(" ", 1)[1]
    except Exception:
        return f"{name_of(nr, proc.arch.name)}({', '.join(hex(a) for a in args[:4])}) = {ret}"


def operand_address(proc, pc: int) -> int | None:
    """The memory address the load/store at ``pc`` accesses (base + index + displacement)."""
    try:
        import re

        import capstone as C
        arch = proc.arch
        code = proc.mem.read(pc, 4)
        regs = {name: rid for name, rid in arch.gregs}
        if arch.name == "arm64":
            regs.update({f"w{i}": arch.gregs[i][1] for i in range(29)})
            regs.update({"x29": regs["fp"], "x30": regs["lr"]})
            md = C.Cs(C.CS_ARCH_ARM64, C.CS_MODE_ARM)
            md.detail = True
            insn = next(md.disasm(code, pc), None)
            if insn is None:
                return None
            for op in insn.operands:
                if op.type == C.arm64.ARM64_OP_MEM:
                    addr = proc.eng.reg_read(regs[insn.reg_name(op.mem.base)]) + op.mem.disp
                    if op.mem.index:
                        idx = proc.eng.reg_read(regs[insn.reg_name(op.mem.index)])
                        addr += idx << (op.shift.value if op.shift.type else 0)
                    return addr & 0xFFFFFFFFFFFFFFFF
            return None
        md = C.Cs(C.CS_ARCH_RISCV, C.CS_MODE_RISCV64 | C.CS_MODE_RISCVC)
        insn = next(md.disasm(code, pc), None)
        m = re.search(r"(-?(?:0x)?[0-9a-f]+)\((\w+)\)", insn.op_str) if insn else None
        if not m:
            return None
        base = 0 if m.group(2) == "zero" else proc.eng.reg_read(regs[m.group(2)])
        return (base + int(m.group(1), 0)) & 0xFFFFFFFFFFFFFFFF
    except Exception:
        return None


def backtrace(proc, lr: int, limit: int = 12) -> list[int]:
    """Return addresses beyond the link register, from arm64 frame records (x29 -> [prev x29,
    x30]); GCC and Clang keep them in non-leaf functions. riscv64 code usually has no frame
    chain, so there the report stops at ra. Best effort: the walk stops at anything odd."""
    if proc.arch.name != "arm64":
        return []
    eng, mem = proc.eng, proc.mem
    fp = eng.reg_read(proc.arch.gregs[29][1])
    out = []
    try:
        while len(out) < limit and fp and fp % 8 == 0 and mem.is_mapped(fp, 16, 1):
            prev, ret = struct.unpack("<QQ", mem.read(fp, 16))
            if not ret or not mem.is_mapped(ret, 4, 4):
                break
            if out or ret != lr:        # a non-leaf function's own record repeats lr
                out.append(ret)
            if prev <= fp:
                break
            fp = prev
    except Exception:
        pass
    return out


def _code_around(proc, pc: int) -> list[str]:
    """A few instructions before and after the PC (arm64's are fixed-size, so it can look back;
    riscv64 decoding starts at the PC)."""
    arch = proc.arch
    before = 12 if arch.name == "arm64" else 0
    start = pc - before
    size = before + 12
    try:
        if not proc.mem.is_mapped(start, size, 0):
            start, size = pc, 8
            if not proc.mem.is_mapped(start, size, 0):
                return []
        code = proc.mem.read(start, size)
    except Exception:
        return []
    out = []
    for line in disassemble(arch, code, start, count=8):
        addr = int(line.split(":", 1)[0], 16)
        out.append(("   => " if addr == pc else "      ") + line)
    return out


def _near_stack(proc, addr: int) -> bool:
    from .memory import STACK_SIZE, STACK_TOP
    lo = STACK_TOP - STACK_SIZE
    return lo - (1 << 20) <= addr < lo
