"""The Unicorn 2.1 constants the runner uses, without importing Unicorn's Python binding.

Importing the binding costs 10-30 ms of start-up on top of loading libunicorn itself, which
matters for a command whose whole-process time is compared with qemu-user. These numbers are
part of Unicorn's stable C API (unicorn.h, arm64.h, riscv.h); tests/emu/test_emu_units.py
checks each against the binding.
"""

# uc_arch / uc_mode
UC_ARCH_ARM64 = 2
UC_ARCH_RISCV = 8
UC_MODE_ARM = 0
UC_MODE_RISCV64 = 8

# CPU models
UC_CPU_ARM64_MAX = 3
UC_CPU_RISCV64_ANY = 0

# hook types
UC_HOOK_INTR = 1
UC_HOOK_CODE = 4
UC_HOOK_BLOCK = 8
UC_HOOK_MEM_INVALID = 1008
UC_HOOK_TLB_FILL = 1 << 17

# memory access types
UC_MEM_READ = 16
UC_MEM_WRITE = 17
UC_MEM_FETCH = 18

# uc_ctl
UC_CTL_IO_WRITE = 1
UC_CTL_UC_PAGE_SIZE = 1
UC_CTL_CPU_MODEL = 7
UC_CTL_TB_FLUSH = 10
UC_CTL_TLB_FLUSH = 11
UC_CTL_TLB_TYPE = 12
UC_CTL_TCG_BUFFER_SIZE = 13
UC_TLB_VIRTUAL = 1

# arm64 registers
UC_ARM64_REG_X29 = 1
UC_ARM64_REG_X30 = 2
UC_ARM64_REG_NZCV = 3
UC_ARM64_REG_SP = 4
UC_ARM64_REG_X0 = 199       # X0..X28 are consecutive
UC_ARM64_REG_PC = 260
UC_ARM64_REG_TPIDR_EL0 = 262
UC_ARM64_REG_Q0 = 104       # Q0..Q31 are consecutive (128 bits)
UC_ARM64_REG_FPCR = 291
UC_ARM64_REG_FPSR = 292

# riscv registers
UC_RISCV_REG_X0 = 1         # X0..X31 are consecutive
UC_RISCV_REG_RA = 2
UC_RISCV_REG_SP = 3
UC_RISCV_REG_TP = 5
UC_RISCV_REG_A0 = 11
UC_RISCV_REG_A7 = 18
UC_RISCV_REG_MSTATUS = 116
UC_RISCV_REG_PC = 190
UC_RISCV_REG_F0 = 158       # F0..F31 are consecutive
UC_RISCV_REG_FFLAGS = 41
UC_RISCV_REG_FRM = 42
UC_RISCV_REG_FCSR = 43
