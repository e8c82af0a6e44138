/* Crashes on purpose; argv[1] picks how. Each has its own function so reports name it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

volatile int *null_ptr;

__attribute__((noinline)) void write_null(void) { *null_ptr = 42; }

__attribute__((noinline)) int recurse(int n)
{
    volatile char pad[512];
    pad[0] = (char)n;
    return recurse(n + 1) + pad[0];
}

__attribute__((noinline)) void do_abort(void) { abort(); }

__attribute__((noinline)) void illegal(void)
{
#if defined(__aarch64__)
    __asm__ volatile(".inst 0x00000000");   /* udf #0 */
#else
    __asm__ volatile(".word 0x00000000");   /* the all-zero word is defined illegal */
#endif
}

__attribute__((noinline)) void trap(void) { __builtin_trap(); }

static const char rodata[] = "read-only";

__attribute__((noinline)) void write_rodata(void) { ((volatile char *)rodata)[1] = 'X'; }

__attribute__((noinline)) int use_after_munmap(void)
{
    volatile char *p = mmap(0, 1 << 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    p[100] = 1;                       /* the page is now in the TLB */
    munmap((void *)p, 1 << 16);
    return p[100];
}

__attribute__((noinline)) int read_prot_none(void)
{
    volatile char *p = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    p[7] = 1;
    mprotect((void *)p, 4096, PROT_NONE);
    return p[7];
}

int main(int argc, char **argv)
{
    const char *how = argc > 1 ? argv[1] : "";
    printf("crashing: %s\n", how);
    fflush(stdout);
    if (!strcmp(how, "null")) write_null();
    if (!strcmp(how, "stack")) return recurse(0);
    if (!strcmp(how, "abort")) do_abort();
    if (!strcmp(how, "illegal")) illegal();
    if (!strcmp(how, "trap")) trap();
    if (!strcmp(how, "rodata")) write_rodata();
    if (!strcmp(how, "munmap")) return use_after_munmap();
    if (!strcmp(how, "protnone")) return read_prot_none();
    if (!strcmp(how, "pipe")) {
        int p[2];
        pipe(p);
        close(p[0]);
        write(p[1], "x", 1);        /* SIGPIPE */
        puts("not reached");
    }
    return 0;
}
