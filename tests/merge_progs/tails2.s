# The other half of tails.s.
	.section .rodata.str1.1,"aMS",@progbits,1
.LC0:	.string "orld"
.LC1:	.string "zabc"
.LC2:	.string "hello world"
	.section .rodata.cst4,"aM",@progbits,4
	.p2align 2
.LK0:	.word 3
.LK1:	.word 4
.LK2:	.word 2
	.data
	.globl ptrs2
ptrs2:	.quad .LC0, .LC1, .LC2, .LK0, .LK2
