/* What the kernel's ELF loader hands over (auxv) agrees with what ld.so and the program see:
   prints facts that hold on Linux, not addresses (the runner and qemu place images apart). */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <link.h>
#include <unistd.h>
#include <sys/auxv.h>

extern char _start[];
static int nmods;
static unsigned long main_phdr, main_phnum, interp_base;

static int each(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size; (void)data;
    if (nmods == 0) {
        main_phdr = (unsigned long)info->dlpi_phdr;
        main_phnum = info->dlpi_phnum;
    }
    if (strstr(info->dlpi_name, "ld-linux"))
        interp_base = info->dlpi_addr;
    const char *slash = strrchr(info->dlpi_name, '/');
    printf("module %d: %s\n", nmods++, slash ? slash + 1 : info->dlpi_name[0] ? info->dlpi_name : "(main)");
    return 0;
}

int main(int argc, char **argv)
{
    char exe[4096];
    dl_iterate_phdr(each, NULL);
    printf("AT_ENTRY is _start: %d\n", getauxval(AT_ENTRY) == (unsigned long)_start);
    printf("AT_PHDR is the main program's: %d\n", getauxval(AT_PHDR) == main_phdr);
    printf("AT_PHNUM: %d\n", getauxval(AT_PHNUM) == main_phnum);
    printf("AT_PHENT: %lu\n", getauxval(AT_PHENT));
    printf("AT_PAGESZ: %lu\n", getauxval(AT_PAGESZ));
    printf("AT_BASE is ld.so's: %d (dynamic %d)\n", getauxval(AT_BASE) == interp_base, interp_base != 0);
    printf("AT_RANDOM set: %d\n", getauxval(AT_RANDOM) != 0);
    printf("AT_HWCAP set: %d\n", getauxval(AT_HWCAP) != 0);
    const char *fn = (const char *)getauxval(AT_EXECFN);
    const char *base = fn ? strrchr(fn, '/') : NULL;
    printf("AT_EXECFN: %s\n", base ? base + 1 : fn ? fn : "(none)");
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    base = strrchr(exe, '/');
    printf("/proc/self/exe: %s\n", base ? base + 1 : exe);
    printf("argv[0] ok: %d\n", argc > 0 && strstr(argv[0], "auxv") != NULL);
    return 0;
}
