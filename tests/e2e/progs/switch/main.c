/* switch: dense switch statements become jump tables (code addresses or offsets in
 * .rodata), sparse ones become compare trees; cases call functions in another file. */
#include "../common/rt.h"

long act(int k, long x);
const char *day(int d);

static int classify(int c)
{
    switch (c) {
    case 0: return 11;
    case 1: return 23;
    case 2: return 5;
    case 3: return 97;
    case 4: return -4;
    case 5: return 61;
    case 6: return 8;
    case 7: return 1234;
    case 8: return 77;
    case 9: return 3;
    case 10: return 19;
    case 11: return -100;
    default: return 0;
    }
}

static long sparse(long v)
{
    switch (v) {
    case 1: return 1;
    case 100: return 2;
    case 10000: return 3;
    case 1000000: return 4;
    case 0x7fffffffffL: return 5;
    default: return -1;
    }
}

int main(int argc, char **argv)
{
    long total = 0;
    (void)argv;
    for (int i = -1; i < 14; i++)
        total = total * 3 + classify(OPAQUE(i + argc - 1));
    say("classify", total);
    for (int d = 0; d < 8; d++) {
        put(day(OPAQUE(d)));
        put(d == 7 ? "" : " ");
    }
    nl();
    long x = 5;
    for (int k = 0; k < 26; k++)
        x = act(OPAQUE(k), x);
    say("act chain", x);
    say("sparse", sparse(OPAQUE(1000000)) * 10 + sparse(OPAQUE(0x7fffffffffL)));
    return (int)(total & 0x3f);
}
