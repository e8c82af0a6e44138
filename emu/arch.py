"""What the runner needs to know about each guest ISA, as data.

Like Qiling's calling-convention tables, the system-call ABI is a row of data: which register
holds the number, which hold the arguments, where the result goes. Everything else in emu/
asks this object rather than testing for a machine.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import ucconst as K
from . import ucconst as A
from . import ucconst as R

EM_AARCH64 = 183
EM_RISCV = 243

# AArch64 HWCAP bits (arch/arm64/include/uapi/asm/hwcap.h). They must describe the CPU Unicorn
# emulates (its "max" model, QEMU 5.0): advertising SVE makes glibc pick SVE memcpy (SIGILL).
_A64_HWCAP = {
    "fp": 0, "asimd": 1, "aes": 3, "pmull": 4, "sha1": 5, "sha2": 6, "crc32": 7,
    "atomics": 8, "fphp": 9, "asimdhp": 10, "asimdrdm": 12, "jscvt": 13, "fcma": 14,
    "lrcpc": 15, "dcpop": 16, "sha3": 17, "sm3": 18, "sm4": 19, "asimddp": 20, "sha512": 21,
    "asimdfhm": 23,
}


def _rv_isa_bits(letters: str) -> int:
    return sum(1 << (ord(c) - ord("a")) for c in letters)


@dataclass(frozen=True)
class Arch:
    name: str              # "arm64" / "riscv64"
    machine: int           # e_machine
    uc_arch: int
    uc_mode: int
    cpu_model: int
    pc: int
    sp: int
    lr: int                # link register (x30 / ra)
    tp: int                # thread pointer (TPIDR_EL0 / tp)
    sysno: int             # register holding the system-call number
    args: tuple            # argument registers, in order
    ret: int               # result register
    syscall_intnos: frozenset  # interrupt numbers the syscall instruction raises in Unicorn
    hwcap: int
    hwcap2: int
    platform: str
    uname_machine: str
    gregs: tuple = field(default=())        # (name, reg id) for crash reports
    lr_name: str = "lr"
    insn_align: int = 4
    triple: str = ""       # GNU triple: the default sysroot of dynamic programs is /usr/<triple>


def _a64_gregs():
    regs = [(f"x{i}", A.UC_ARM64_REG_X0 + i) for i in range(29)]
    regs += [("fp", A.UC_ARM64_REG_X29), ("lr", A.UC_ARM64_REG_X30),
             ("sp", A.UC_ARM64_REG_SP), ("pc", A.UC_ARM64_REG_PC),
             ("nzcv", A.UC_ARM64_REG_NZCV)]
    return tuple(regs)


_RV_ABI = ["zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1"] + \
          [f"a{i}" for i in range(8)] + [f"s{i}" for i in range(2, 12)] + [f"t{i}" for i in range(3, 7)]


def _rv_gregs():
    regs = [(_RV_ABI[i], R.UC_RISCV_REG_X0 + i) for i in range(1, 32)]
    regs.append(("pc", R.UC_RISCV_REG_PC))
    return tuple(regs)


ARM64 = Arch(
    name="arm64", machine=EM_AARCH64,
    uc_arch=K.UC_ARCH_ARM64, uc_mode=K.UC_MODE_ARM, cpu_model=A.UC_CPU_ARM64_MAX,
    pc=A.UC_ARM64_REG_PC, sp=A.UC_ARM64_REG_SP, lr=A.UC_ARM64_REG_X30, tp=A.UC_ARM64_REG_TPIDR_EL0,
    sysno=A.UC_ARM64_REG_X0 + 8, args=tuple(A.UC_ARM64_REG_X0 + i for i in range(6)), ret=A.UC_ARM64_REG_X0,
    syscall_intnos=frozenset({2}),  # EXCP_SWI
    hwcap=sum(1 << b for b in _A64_HWCAP.values()), hwcap2=0,
    platform="aarch64", uname_machine="aarch64", gregs=_a64_gregs(), lr_name="lr", insn_align=4,
    triple="aarch64-linux-gnu",
)

RISCV64 = Arch(
    name="riscv64", machine=EM_RISCV,
    uc_arch=K.UC_ARCH_RISCV, uc_mode=K.UC_MODE_RISCV64, cpu_model=R.UC_CPU_RISCV64_ANY,
    pc=R.UC_RISCV_REG_PC, sp=R.UC_RISCV_REG_SP, lr=R.UC_RISCV_REG_RA, tp=R.UC_RISCV_REG_TP,
    sysno=R.UC_RISCV_REG_A7, args=tuple(R.UC_RISCV_REG_A0 + i for i in range(6)), ret=R.UC_RISCV_REG_A0,
    syscall_intnos=frozenset({8, 9, 11}),  # ecall from U/S/M mode
    hwcap=_rv_isa_bits("imafdc"), hwcap2=0,
    platform="riscv64", uname_machine="riscv64", gregs=_rv_gregs(), lr_name="ra", insn_align=2,
    triple="riscv64-linux-gnu",
)

BY_MACHINE = {EM_AARCH64: ARM64, EM_RISCV: RISCV64}
