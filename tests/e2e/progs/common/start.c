/* start.c: _start for both architectures. argc is at [sp], argv follows. */
#include "rt.h"

int main(int argc, char **argv);

#if defined(__aarch64__)
__asm__(".text\n.globl _start\n.type _start, %function\n_start:\n"
        "  mov x29, #0\n  mov x30, #0\n"
        "  ldr x0, [sp]\n  add x1, sp, #8\n"
        "  bl main\n  bl rt_exit\n.size _start, .-_start\n");
#else
__asm__(".text\n.globl _start\n.type _start, @function\n_start:\n"
        ".option push\n.option norelax\n  lla gp, __global_pointer$\n.option pop\n"
        "  li ra, 0\n  ld a0, 0(sp)\n  addi a1, sp, 8\n"
        "  call main\n  call rt_exit\n.size _start, .-_start\n");
#endif

void rt_exit(int status)
{
    for (;;)
        rt_syscall3(SYS_exit, status, 0, 0);
}
