char trace[32];
int ntrace;
long bss_tail[16];

void note(char c);    /* in main.c: keeps clang from running the constructors at compile time */

__attribute__((constructor(120))) static void other_120(void) { note('A'); }
__attribute__((constructor)) static void other_default(void) { note('o'); }
