/* The FP/SIMD state in a signal frame, as the kernel writes it: arm64's fpsimd_context record
   (FPSIMD_MAGIC: fpsr, fpcr, v0-v31) first in uc_mcontext.__reserved, riscv64's D-extension
   f0-f31 and fcsr in uc_mcontext.__fpregs. A handler reads the registers and the rounding mode
   and flags the interrupted code had, edits them, and sigreturn puts the edits in place (a
   user-level context switcher or an FP exception handler relies on both). */
#define _GNU_SOURCE
#include <fenv.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

static double as_double(uint64_t bits) {
    double d;
    memcpy(&d, &bits, 8);
    return d;
}

static uint64_t as_bits(double d) {
    uint64_t b;
    memcpy(&b, &d, 8);
    return b;
}

#ifdef __aarch64__
/* the record headers, by the kernel's uapi layout (asm/sigcontext.h) */
struct rec { uint32_t magic, size; };

static unsigned char *fpsimd_of(ucontext_t *uc) {
    unsigned char *p = (unsigned char *)uc->uc_mcontext.__reserved;
    unsigned char *end = p + sizeof uc->uc_mcontext.__reserved;
    while (p + 8 <= end) {
        struct rec r;
        memcpy(&r, p, 8);
        if (r.magic == 0x46508001)
            return r.size == 528 ? p : NULL;
        if (r.magic == 0 || r.size < 8)
            return NULL;
        p += r.size;
    }
    return NULL;
}
#endif

static int edit;

static void handler(int s, siginfo_t *si, void *vuc) {
    ucontext_t *uc = vuc;
    (void)s; (void)si;
#ifdef __aarch64__
    unsigned char *fp = fpsimd_of(uc);
    if (!fp) {
        printf("no fpsimd_context record\n");
        return;
    }
    uint32_t fpsr, fpcr;
    memcpy(&fpsr, fp + 8, 4);
    memcpy(&fpcr, fp + 12, 4);
    uint64_t v17[2], v20[2];
    memcpy(v17, fp + 16 + 16 * 17, 16);
    memcpy(v20, fp + 16 + 16 * 20, 16);
    printf("fpsimd: size ok, rounding %u, inexact %u, v17 %g high %#llx, v20 %#llx\n",
           (fpcr >> 22) & 3, fpsr & 0x10, as_double(v17[0]), (unsigned long long)v17[1],
           (unsigned long long)v20[0]);
    if (edit) {
        fpcr = (fpcr & ~(3u << 22)) | (2u << 22);      /* round toward minus infinity */
        fpsr &= ~0x10u;
        v17[0] = as_bits(-2.5);
        v17[1] = 0x1122334455667788ull;
        memcpy(fp + 8, &fpsr, 4);
        memcpy(fp + 12, &fpcr, 4);
        memcpy(fp + 16 + 16 * 17, v17, 16);
    }
#else
    unsigned int fcsr = uc->uc_mcontext.__fpregs.__d.__fcsr;
    uint64_t f28 = uc->uc_mcontext.__fpregs.__d.__f[28];
    uint64_t f20 = uc->uc_mcontext.__fpregs.__d.__f[20];
    printf("fpregs: rounding %u, inexact %u, f28 %g, f20 %#llx\n", (fcsr >> 5) & 7, fcsr & 1,
           as_double(f28), (unsigned long long)f20);
    if (edit) {
        fcsr = (fcsr & ~0xe0u & ~1u) | (2u << 5);       /* RDN */
        uc->uc_mcontext.__fpregs.__d.__fcsr = fcsr;
        uc->uc_mcontext.__fpregs.__d.__f[28] = as_bits(-2.5);
    }
#endif
}

/* sends itself SIGUSR1 with the value in an FP register (v17 / f28) across the system call;
   returns that register's value after the handler ran */
static double signal_with(double value, uint64_t *high) {
    long pid = getpid(), tid = syscall(SYS_gettid);
    double out;
    uint64_t hi = 0;
#ifdef __aarch64__
    __asm__ volatile(
        "fmov d17, %d2\n ins v17.d[1], xzr\n"
        "mov x0, %3\n mov x1, %4\n mov x2, #10\n mov x8, #131\n svc #0\n"
        "fmov %d0, d17\n mov %1, v17.d[1]\n"
        : "=&w"(out), "=&r"(hi) : "w"(value), "r"(pid), "r"(tid)
        : "x0", "x1", "x2", "x8", "v17", "memory");
#else
    __asm__ volatile(
        "fmv.d ft8, %1\n"
        "mv a0, %2\n mv a1, %3\n li a2, 10\n li a7, 131\n ecall\n"
        "fmv.d %0, ft8\n"
        : "=&f"(out) : "f"(value), "r"(pid), "r"(tid)
        : "a0", "a1", "a2", "a7", "ft8", "memory");
#endif
    if (high)
        *high = hi;
    return out;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    struct sigaction sa = {0};
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);

    /* a value in a register the handler itself does not touch */
#ifdef __aarch64__
    __asm__ volatile("mov x9, #0x4242\n fmov d20, x9\n" ::: "x9", "v20");
#else
    __asm__ volatile("li t0, 0x4242\n fmv.d.x fs4, t0\n" ::: "t0", "fs4");
#endif
    fesetround(FE_UPWARD);
    volatile double third = 1.0, three = 3.0;
    feclearexcept(FE_ALL_EXCEPT);
    volatile double q = third / three;       /* inexact */
    (void)q;
    uint64_t high;
    double got = signal_with(1.5, &high);
    printf("read only: v %g high %#llx, rounding upward %d, inexact %d\n", got,
           (unsigned long long)high, fegetround() == FE_UPWARD, fetestexcept(FE_INEXACT) != 0);

    edit = 1;
    feraiseexcept(FE_INEXACT);
    got = signal_with(1.5, &high);
    printf("edited: v %g high %#llx, rounding downward %d, inexact %d\n", got,
           (unsigned long long)high, fegetround() == FE_DOWNWARD, fetestexcept(FE_INEXACT) != 0);
    return 0;
}
