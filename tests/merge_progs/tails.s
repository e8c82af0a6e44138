# Strings one object shares with tails2.s: "world" and "orld" end "hello world", "abc" ends
# "zabc"; the constants 2 and 3 are in both.  .data holds pointers to the pieces (through
# section symbols on arm64, through the .L labels on riscv64, as the assemblers emit them).
	.section .rodata.str1.1,"aMS",@progbits,1
.LC0:	.string "hello world"
.LC1:	.string "world"
.LC2:	.string "abc"
	.section .rodata.cst4,"aM",@progbits,4
	.p2align 2
.LK0:	.word 1
.LK1:	.word 2
.LK2:	.word 1
.LK3:	.word 3
	.data
	.globl ptrs1
ptrs1:	.quad .LC0, .LC1, .LC2, .LK1, .LK3, .LK2
	.text
	.globl _start
_start:	.word 0
