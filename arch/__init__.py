"""ISA backends: one module per architecture (relocation table, field encoders, hooks)."""
from __future__ import annotations

EM_AARCH64 = 183
EM_RISCV = 243


def by_name(name: str):
    """The backend for an --arch name or alias, or None."""
    n = name.lower()
    if n in ("arm64", "aarch64"):
        from xld.arch.arm64 import ARCH
        return ARCH
    if n in ("riscv64", "rv64", "riscv"):
        from xld.arch.riscv64 import ARCH
        return ARCH
    return None


def by_machine(machine: int):
    """The backend for an ELF e_machine, or None."""
    if machine == EM_AARCH64:
        from xld.arch.arm64 import ARCH
        return ARCH
    if machine == EM_RISCV:
        from xld.arch.riscv64 import ARCH
        return ARCH
    return None


def backends() -> tuple:
    """Every backend, in a fixed order."""
    from xld.arch.arm64 import ARCH as A64
    from xld.arch.riscv64 import ARCH as RV64
    return (A64, RV64)


def by_emulation(name: str):
    """The backend whose ``emulations`` (GNU ld's -m names) include ``name``, or None."""
    for a in backends():
        if name.lower() in a.emulations:
            return a
    return None


ARCH_NAMES = ("arm64", "aarch64", "riscv64", "rv64", "riscv")
