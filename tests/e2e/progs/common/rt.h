/* rt.h: the whole "C library" of the end-to-end test programs: raw system calls through
 * inline asm per architecture, and a few output helpers (rt.c). No libc, no headers. */
#ifndef RT_H
#define RT_H

#define SYS_write 64
#define SYS_exit 93

static inline long rt_syscall3(long n, long a, long b, long c)
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
#error "arm64 or riscv64 only"
#endif
}

typedef unsigned long size_t;
typedef unsigned long long u64;

void put(const char *s);
void put_dec(long long v);
void put_hex(u64 v);
void nl(void);
void say(const char *label, long long v);        /* "label = v\n" */
void check(int ok, const char *what);            /* "ok what" / "FAIL what" */
extern int failures;
__attribute__((noreturn)) void rt_exit(int status);
size_t rt_strlen(const char *s);
int rt_strcmp(const char *a, const char *b);

/* Keep the compiler from folding values that come from "outside". */
#define OPAQUE(x) ({ __typeof__(x) _v = (x); __asm__ volatile("" : "+r"(_v)); _v; })

#endif
