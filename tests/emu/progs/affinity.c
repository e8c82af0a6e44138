/* CPU affinity as the program sees it: qemu-user reports the host's CPUs (the emulator once
   said 1 CPU whatever the host had), keeps a mask a thread sets for itself, refuses a mask
   without an online CPU (EINVAL), a buffer too small for the kernel's mask (EINVAL) and
   an unknown pid (ESRCH); sched_getcpu lies in the mask. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#define P(...) do { printf(__VA_ARGS__); fflush(stdout); } while (0)

static void *other(void *arg) {
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(0, &s);
    pthread_setaffinity_np(pthread_self(), sizeof s, &s);
    P("thread: pinned, cpu %d\n", sched_getcpu());
    (void)arg;
    return NULL;
}

int main(void) {
    cpu_set_t s;
    CPU_ZERO(&s);
    long r = syscall(SYS_sched_getaffinity, 0, sizeof s, &s);
    int all = CPU_COUNT(&s);
    P("getaffinity %ld count==online %d count>=1 %d\n", r, all == sysconf(_SC_NPROCESSORS_ONLN), all >= 1);
    P("nprocs==online %d\n", get_nprocs() == sysconf(_SC_NPROCESSORS_ONLN));
    errno = 0;
    r = syscall(SYS_sched_getaffinity, 0, 4, &s);
    P("size 4: %ld errno %d\n", r, errno);
    errno = 0;
    r = syscall(SYS_sched_getaffinity, 0, 12, &s);
    P("size 12: %ld errno %d\n", r, errno);
    errno = 0;
    r = syscall(SYS_sched_getaffinity, 999999, sizeof s, &s);
    P("pid 999999: %ld errno %d\n", r, errno);

    pthread_t t;
    pthread_create(&t, NULL, other, NULL);
    pthread_join(t, NULL);
    CPU_ZERO(&s);
    sched_getaffinity(0, sizeof s, &s);
    P("main after the thread pinned itself: count==all %d\n", CPU_COUNT(&s) == all);

    int last = -1;
    for (int i = 0; i < CPU_SETSIZE; i++)
        if (CPU_ISSET(i, &s)) last = i;
    CPU_ZERO(&s);
    CPU_SET(last, &s);
    r = sched_setaffinity(0, sizeof s, &s);
    CPU_ZERO(&s);
    sched_getaffinity(0, sizeof s, &s);
    P("pinned to the last: %ld count %d is-last %d cpu-is-last %d\n", r, CPU_COUNT(&s), !!CPU_ISSET(last, &s),
      sched_getcpu() == last);
    CPU_ZERO(&s);
    CPU_SET(1000, &s);
    errno = 0;
    r = sched_setaffinity(0, sizeof s, &s);
    P("no online cpu: %ld errno %d\n", r, errno);
    CPU_ZERO(&s);
    sched_getaffinity(0, sizeof s, &s);
    P("unchanged: count %d\n", CPU_COUNT(&s));
    CPU_ZERO(&s);
    CPU_SET(0, &s);
    errno = 0;
    r = sched_setaffinity(999999, sizeof s, &s);
    P("set pid 999999: %ld errno %d\n", r, errno);
    return 0;
}
