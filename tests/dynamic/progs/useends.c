/* The program's own _end, etext and _edata, passed to the library that refers to them too. */
#include <stdio.h>

extern char _end[], etext[], _edata[];
void ends_report(char *prog_end, char *prog_etext, char *prog_edata);
int prog_bss;

int main(void)
{
    printf("program bss below its _end: %d\n", (char *)&prog_bss < _end);
    printf("program text below its etext: %d\n", (char *)main < etext);
    ends_report(_end, etext, _edata);
    return 0;
}
