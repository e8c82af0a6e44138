/* Small process-wide calls whose answers a program acts on: which clocks exist and their
   resolution, which clocks clock_nanosleep refuses, setrlimit (RLIMIT_NOFILE bounds the
   descriptors; a soft limit over the hard one is EINVAL), prctl's name and dumpable flag,
   nice/getpriority/setpriority, the scheduler's policy, and mmap without MAP_PRIVATE or
   MAP_SHARED (EINVAL). */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

int main(void) {
    struct timespec ts = {0, 1000};
    for (int c = 0; c < 12; c++) {
        errno = 0;
        int r = clock_gettime(c, &ts);
        int e = errno;
        struct timespec res = {0, 0};
        errno = 0;
        int g = clock_getres(c, &res);
        printf("clock %d: gettime %d %d getres %d %d %ld.%09ld\n", c, r, e, g, errno, (long)res.tv_sec,
               res.tv_nsec);
    }
    ts.tv_sec = 0;
    ts.tv_nsec = 1000;
    int sleeps[] = {CLOCK_MONOTONIC, CLOCK_THREAD_CPUTIME_ID, CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE, 99};
    for (unsigned i = 0; i < sizeof sleeps / sizeof *sleeps; i++)
        printf("clock_nanosleep on %d: %d\n", sleeps[i], clock_nanosleep(sleeps[i], 0, &ts, NULL));

    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    struct rlimit small = {10, rl.rlim_max};
    printf("setrlimit NOFILE 10: %d\n", setrlimit(RLIMIT_NOFILE, &small));
    getrlimit(RLIMIT_NOFILE, &rl);
    printf("getrlimit: %lu\n", (unsigned long)rl.rlim_cur);
    int n = 0;
    while (dup(0) >= 0)
        n++;
    printf("dups until %d: %d errno %d\n", (int)rl.rlim_cur, n, errno);
    small.rlim_cur = small.rlim_max + 1;
    errno = 0;
    printf("soft over hard: %d errno %d\n", setrlimit(RLIMIT_NOFILE, &small), errno);
    struct rlimit core = {0, 0};
    printf("setrlimit CORE: %d\n", setrlimit(RLIMIT_CORE, &core));
    getrlimit(RLIMIT_CORE, &core);
    printf("CORE now %lu %lu\n", (unsigned long)core.rlim_cur, (unsigned long)core.rlim_max);

    char name[17] = {0};
    printf("PR_SET_NAME: %d\n", prctl(PR_SET_NAME, "a-rather-long-thread-name"));
    prctl(PR_GET_NAME, name);
    printf("PR_GET_NAME: %s\n", name);
    printf("dumpable: %d\n", prctl(PR_GET_DUMPABLE));
    prctl(PR_SET_DUMPABLE, 0);
    printf("dumpable after: %d\n", prctl(PR_GET_DUMPABLE));

    errno = 0;
    printf("nice: %d errno %d\n", nice(0), errno);
    printf("setpriority 5: %d\n", setpriority(PRIO_PROCESS, 0, 5));
    errno = 0;
    printf("getpriority: %d errno %d\n", getpriority(PRIO_PROCESS, 0), errno);
    printf("nice(2): %d\n", nice(2));
    struct sched_param sp = {.sched_priority = 7};
    printf("scheduler %d, param %d, priority %d\n", sched_getscheduler(0), sched_getparam(0, &sp),
           sp.sched_priority);

    errno = 0;
    void *p = mmap(NULL, 4096, PROT_READ, MAP_ANONYMOUS, -1, 0);
    printf("mmap with no type: %d errno %d\n", p == MAP_FAILED, errno);
    return 0;
}
