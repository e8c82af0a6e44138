/* A library that refers to the linker-defined _end, etext and _edata: in GNU ld's library they
   are exported and interposable, so ld.so binds them to the program's (unless -Bsymbolic). */
#include <stdio.h>

extern char _end[], etext[], _edata[];
int ends_bss;

void ends_report(char *prog_end, char *prog_etext, char *prog_edata)
{
    printf("library _end is the program's: %d\n", _end == prog_end);
    printf("library etext is the program's: %d\n", etext == prog_etext);
    printf("library _edata is the program's: %d\n", _edata == prog_edata);
    printf("library bss below its _end: %d\n", (char *)&ends_bss < _end || _end == prog_end);
}
