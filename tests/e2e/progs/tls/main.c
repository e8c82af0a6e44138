/* tls: thread-local variables in a static executable, local-exec and initial-exec accesses,
 * initialised (.tdata) and zeroed (.tbss). Without a C library the program sets up its own
 * thread pointer: it finds PT_TLS through the auxiliary vector (AT_PHDR, AT_PHNUM) and copies
 * the TLS image, laid out as each psABI says (arm64: TCB of 16 bytes, then the block;
 * riscv64: the block starts at tp). */
#include "../common/rt.h"

#define AT_PHDR 3
#define AT_PHNUM 5
#define PT_TLS 7

struct phdr {
    unsigned type, flags;
    u64 offset, vaddr, paddr, filesz, memsz, align;
};

int tls_sum(void);
void tls_bump(int by);
long tls_ie_read(int i);
char *tls_zeroed_addr(void);

static char area[4096] __attribute__((aligned(64)));

static int setup_tls(char **envp)
{
    while (*envp)
        envp++;
    u64 *auxv = (u64 *)(envp + 1);
    const struct phdr *ph = 0;
    u64 phnum = 0;
    for (; auxv[0]; auxv += 2) {
        if (auxv[0] == AT_PHDR)
            ph = (const struct phdr *)auxv[1];
        if (auxv[0] == AT_PHNUM)
            phnum = auxv[1];
    }
    if (!ph)
        return -1;
    for (u64 i = 0; i < phnum; i++) {
        if (ph[i].type != PT_TLS)
            continue;
        u64 align = ph[i].align ? ph[i].align : 1;
        if (align > 64 || ph[i].memsz + 64 > sizeof area)
            return -2;
#if defined(__aarch64__)
        u64 off = (16 + align - 1) & ~(align - 1);
        char *tp = area;
#else
        u64 off = 0;
        char *tp = area;
#endif
        const char *image = (const char *)ph[i].vaddr;
        for (u64 k = 0; k < ph[i].filesz; k++)
            tp[off + k] = image[k];
        for (u64 k = ph[i].filesz; k < ph[i].memsz; k++)
            tp[off + k] = 0;
#if defined(__aarch64__)
        __asm__ volatile("msr tpidr_el0, %0" : : "r"(tp) : "memory");
#else
        __asm__ volatile("mv tp, %0" : : "r"(tp) : "memory");
#endif
        return (int)ph[i].memsz;
    }
    return -3;
}

int main(int argc, char **argv)
{
    int size = setup_tls(argv + argc + 1);
    check(size > 0, "found PT_TLS through the auxiliary vector");
    if (size <= 0)
        return 99;
    say("initial sum", tls_sum());
    tls_bump(argc);
    say("after bump", tls_sum());
    say("ie read 3", tls_ie_read(3));
    char *z = tls_zeroed_addr();
    int zero = 1;
    for (int i = 0; i < 100; i++)
        zero &= z[i] == 0;
    check(zero, "tbss is zero");
    check(z >= area && z < area + sizeof area, "tbss lies in the thread's block");
    return failures;
}
