/* ctors: constructors with and without priorities in two files; main runs the init array
 * itself through the linker-defined __init_array_start/__init_array_end, and checks the
 * bss/end symbols the linker provides. */
#include "../common/rt.h"

typedef void (*fn)(void);
extern const fn __init_array_start[] __attribute__((visibility("hidden")));
extern const fn __init_array_end[] __attribute__((visibility("hidden")));
extern char __bss_start[], _end[];

extern char trace[32];
extern int ntrace;
extern long bss_tail[16];

void note(char c) { trace[ntrace++] = c; }    /* other.c calls it too */

__attribute__((constructor)) static void main_default(void) { note('m'); }
__attribute__((constructor(150))) static void main_150(void) { note('M'); }

int main(int argc, char **argv)
{
    (void)argv;
    unsigned long start = OPAQUE((unsigned long)__init_array_start);
    unsigned long end = OPAQUE((unsigned long)__init_array_end);
    say("constructors", (long)(end - start) / (long)sizeof(fn));
    for (unsigned long f = start; f < end; f += sizeof(fn))
        (*(const fn *)f)();
    put("order ");
    put(trace);
    nl();
    check(ntrace == 4, "all constructors ran");
    check(trace[0] == 'A' && trace[1] == 'M', "priorities first, lowest first");
    check((char *)bss_tail >= __bss_start && (char *)(bss_tail + 16) <= _end,
          "bss inside __bss_start.._end");
    return failures + argc;
}
