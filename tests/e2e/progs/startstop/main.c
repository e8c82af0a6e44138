/* startstop: entries placed by several files in a section named like a C identifier; the
 * linker defines __start_<name> and __stop_<name> around the section. */
#include "../common/rt.h"
#include "entries.h"

static int twice(int x) { return 2 * x; }
REGISTER("twice", twice);

int main(int argc, char **argv)
{
    (void)argv;
    long n = __stop_xld_entries - __start_xld_entries;
    say("entries", n);
    long total = 0;
    /* visit in name order, so the result does not depend on the link order */
    const char *last = "";
    for (long k = 0; k < n; k++) {
        const struct entry *best = 0;
        for (struct entry *e = __start_xld_entries; e < __stop_xld_entries; e++)
            if (rt_strcmp(e->name, last) > 0 && (!best || rt_strcmp(e->name, best->name) < 0))
                best = e;
        put(best->name);
        long v = best->fn(argc + 10);
        say("", v);
        total += v;
        last = best->name;
    }
    return (int)(total & 0x7f);
}
