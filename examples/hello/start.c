/* start.c: the program entry. The kernel (or `xld run`) leaves argc at [sp] and argv after it;
 * _start passes them to main and exits with its return value. No C library is involved. */
#include "sys.h"

int main(int argc, char **argv);

#if defined(__aarch64__)
__asm__(
    ".text\n"
    ".globl _start\n"
    ".type _start, %function\n"
    "_start:\n"
    "    mov x29, #0\n"
    "    mov x30, #0\n"
    "    ldr x0, [sp]\n"          /* argc */
    "    add x1, sp, #8\n"        /* argv */
    "    bl main\n"
    "    bl sys_exit\n"
    ".size _start, .-_start\n");
#elif defined(__riscv)
__asm__(
    ".text\n"
    ".globl _start\n"
    ".type _start, @function\n"
    "_start:\n"
    ".option push\n"
    ".option norelax\n"
    "    lla gp, __global_pointer$\n"   /* gp-relative accesses may be relaxed into the code */
    ".option pop\n"
    "    li ra, 0\n"
    "    ld a0, 0(sp)\n"
    "    addi a1, sp, 8\n"
    "    call main\n"
    "    call sys_exit\n"
    ".size _start, .-_start\n");
#endif

void sys_exit(int status)
{
    for (;;)
        syscall3(SYS_exit, status, 0, 0);
}
