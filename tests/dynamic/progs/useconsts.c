/* Reads (and writes) a library's data through COPY relocations.  With an argument it writes
   to a copied const object ("c": the const table, "p": the const pointer table): the
   linker placed the copy in RELRO, read-only after relocation, so the write faults. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern const int ctab[4];
extern const char *const ptab[3];
extern int wvar;
extern int wtab[2];

static void on_segv(int sig) {
    (void)sig;
    printf("write to the const copy: SIGSEGV\n");
    fflush(stdout);
    _exit(0);
}

int main(int argc, char **argv) {
    wvar += ctab[1];
    wtab[1] += ctab[3];
    printf("%d %d %d %d %s %s %s %d %d\n", ctab[0], ctab[1], ctab[2], ctab[3],
           ptab[0], ptab[1], ptab[2], wvar, wtab[1]);
    if (argc > 1) {
        signal(SIGSEGV, on_segv);
        *(volatile int *)(strcmp(argv[1], "p") ? (const void *)&ctab[2] : (const void *)&ptab[1]) = 1;
        printf("write went through\n");
        return 1;
    }
    return 0;
}
