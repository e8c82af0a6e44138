/* tables.c: data tables written in assembler with the relocations compilers rarely emit in
 * data: 32- and 64-bit PC-relative offsets to symbols in another file (R_AARCH64_PREL32 /
 * PREL64; on RISC-V pairs of R_RISCV_ADD32/SUB32 and ADD64/SUB64, or 32_PCREL),
 * offsets from a table base, absolute 32-bit addresses (ABS32 / R_RISCV_32), and code
 * aligned with .p2align between instructions (R_RISCV_ALIGN under relaxation). */
#if defined(__aarch64__)
#define RET "ret"
#define LOAD_ONE "mov w0, #1"
#else
#define RET "ret"
#define LOAD_ONE "li a0, 1"
#endif

__asm__(".section .rodata.rel_tables,\"a\"\n"
        ".p2align 3\n"
        ".globl rel32\nrel32:\n"
        "  .4byte target_a - .\n"
        "  .4byte target_b - .\n"
        "  .4byte target_c - .\n"
        "  .4byte aligned_data + 16 - .\n"
        ".globl rel64\n.p2align 3\nrel64:\n"
        "  .8byte target_a - .\n"
        "  .8byte target_c - .\n"
        "  .8byte plain_data - .\n"
        ".globl from_base\n.p2align 2\nfrom_base:\n"
        "  .4byte target_b - from_base\n"
        "  .4byte aligned_data - from_base\n"
        ".globl abs32\n.p2align 2\nabs32:\n"
        "  .4byte target_c\n"
        "  .4byte plain_data\n"
        ".text\n"
        ".globl aligned_code\n.type aligned_code, %function\n"
        ".p2align 2\n"
        "aligned_code:\n"
        "  " LOAD_ONE "\n"
        ".p2align 6\n"
        ".globl aligned_label\naligned_label:\n"
        "  " RET "\n"
        ".size aligned_code, .-aligned_code\n");
