/* sched_setaffinity to one CPU, then exec a host program: it runs on that CPU only, as on
   Linux (BusyBox's `taskset 0x1 /bin/bash -c 'taskset -p $$'`). */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <unistd.h>

int main(void) {
    cpu_set_t s;
    if (sched_getaffinity(0, sizeof s, &s) != 0)
        return 1;
    int first = 0;
    while (first < CPU_SETSIZE && !CPU_ISSET(first, &s))
        first++;
    CPU_ZERO(&s);
    CPU_SET(first, &s);
    if (sched_setaffinity(0, sizeof s, &s) != 0)
        return 2;
    printf("pinned to %d\n", first);
    fflush(stdout);
    execl("/bin/grep", "grep", "^Cpus_allowed_list:", "/proc/self/status", (char *)0);
    return 3;
}
