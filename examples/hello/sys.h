/* sys.h: the two system calls the example needs, as raw inline asm per architecture.
 * arm64 and riscv64 share the asm-generic numbers: write = 64, exit = 93. */
#ifndef HELLO_SYS_H
#define HELLO_SYS_H

#define SYS_write 64
#define SYS_exit 93

static inline long syscall3(long n, long a, long b, long c)
{
#if defined(__aarch64__)
    register long x8 __asm__("x8") = n;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
    return x0;
#elif defined(__riscv)
    register long a7 __asm__("a7") = n;
    register long a0 __asm__("a0") = a;
    register long a1 __asm__("a1") = b;
    register long a2 __asm__("a2") = c;
    __asm__ volatile("ecall" : "+r"(a0) : "r"(a7), "r"(a1), "r"(a2) : "memory");
    return a0;
#else
#error "hello: arm64 or riscv64 only"
#endif
}

#if defined(__aarch64__)
#define ARCH_NAME "arm64"
#else
#define ARCH_NAME "riscv64"
#endif

/* io.c */
void put(const char *s);
void put_num(long v);
void put_line(const char *s);
extern unsigned long lines_written;   /* lives in .bss */

__attribute__((noreturn)) void sys_exit(int status);

#endif
