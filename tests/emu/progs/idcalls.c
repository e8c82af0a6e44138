/* What an unprivileged process gets from the calls that set its ids, capabilities and
   scheduling policy: success where nothing would change (or Linux lets a user change it),
   EPERM or EINVAL otherwise. Raw system calls, then a few through the C library. Prints no
   id, only relations and error codes, so any unprivileged user prints the same lines. */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* "ok" for 0 (or any result >= 0); else errno's message */
static const char *err(long r) { return r >= 0 ? "ok" : strerror(errno); }

static long capget_raw(unsigned version, int pid, struct __user_cap_data_struct *data, unsigned *back) {
    struct __user_cap_header_struct h = {version, pid};
    long r = syscall(SYS_capget, &h, data);
    if (back) *back = h.version;
    return r;
}

static long capset_raw(unsigned version, int pid, unsigned eff, unsigned perm, unsigned inh) {
    struct __user_cap_header_struct h = {version, pid};
    struct __user_cap_data_struct d[2] = {{eff, perm, inh}, {0, 0, 0}};
    return syscall(SYS_capset, &h, d);
}

int main(void) {
    setvbuf(stdout, 0, _IONBF, 0);
    unsigned u = getuid(), g = getgid(), ou = u ^ 1, og = g ^ 1, minus = (unsigned)-1;
    unsigned r, e, s;
    getresuid(&r, &e, &s);
    printf("uids all the same %d, ", u == geteuid() && r == u && e == u && s == u);
    getresgid(&r, &e, &s);
    printf("gids %d, unprivileged %d\n", g == getegid() && r == g && e == g && s == g, u != 0);

    printf("setuid: own %s, another %s, -1 %s\n", err(syscall(SYS_setuid, u)),
           err(syscall(SYS_setuid, ou)), err(syscall(SYS_setuid, minus)));
    printf("setgid: own %s, another %s, -1 %s\n", err(syscall(SYS_setgid, g)),
           err(syscall(SYS_setgid, og)), err(syscall(SYS_setgid, minus)));
    printf("setreuid: -1 -1 %s, own own %s, another as real %s, as effective %s\n",
           err(syscall(SYS_setreuid, minus, minus)), err(syscall(SYS_setreuid, u, u)),
           err(syscall(SYS_setreuid, ou, minus)), err(syscall(SYS_setreuid, minus, ou)));
    printf("setregid: -1 -1 %s, own own %s, another as real %s, as effective %s\n",
           err(syscall(SYS_setregid, minus, minus)), err(syscall(SYS_setregid, g, g)),
           err(syscall(SYS_setregid, og, minus)), err(syscall(SYS_setregid, minus, og)));
    printf("setresuid: -1 -1 -1 %s, own own own %s, another as saved %s\n",
           err(syscall(SYS_setresuid, minus, minus, minus)), err(syscall(SYS_setresuid, u, u, u)),
           err(syscall(SYS_setresuid, minus, minus, ou)));
    printf("setresgid: -1 -1 -1 %s, own own own %s, another as saved %s\n",
           err(syscall(SYS_setresgid, minus, minus, minus)), err(syscall(SYS_setresgid, g, g, g)),
           err(syscall(SYS_setresgid, minus, minus, og)));
    long f1 = syscall(SYS_setfsuid, ou), f2 = syscall(SYS_setfsuid, minus);
    long f3 = syscall(SYS_setfsgid, og), f4 = syscall(SYS_setfsgid, minus);
    printf("setfsuid: another gives the old %d, still the old %d; setfsgid: %d %d\n",
           f1 == u, f2 == u, f3 == g, f4 == g);
    gid_t one = g;
    /* (not a size of -1, EPERM too: qemu-user checks the size first, EINVAL) */
    printf("setgroups: none %s, its own group %s\n", err(syscall(SYS_setgroups, 0, 0)),
           err(syscall(SYS_setgroups, 1, &one)));
    printf("C library: setuid %s, seteuid %s, setegid %s, setreuid %s, setuid(another) %s, setgroups %s\n",
           err(setuid(u)), err(seteuid(u)), err(setegid(g)), err(setreuid(-1, u)), err(setuid(ou)),
           err(setgroups(0, 0)));

    /* --- capabilities --- */
    struct __user_cap_data_struct d[2];
    memset(d, 0xff, sizeof d);
    unsigned back;
    long c = capget_raw(_LINUX_CAPABILITY_VERSION_3, 0, d, 0);
    printf("capget: %s, none %d\n", err(c), !d[0].effective && !d[0].permitted && !d[0].inheritable
           && !d[1].effective && !d[1].permitted && !d[1].inheritable);
    memset(d, 0xff, sizeof d);
    c = capget_raw(_LINUX_CAPABILITY_VERSION_1, getpid(), d, 0);
    printf("capget version 1 of its pid: %s, none %d, second set untouched %d\n", err(c),
           !d[0].effective && !d[0].permitted, d[1].effective == 0xffffffffu);
    c = capget_raw(0x12345, 0, d, &back);
    printf("capget of an unknown version: %s, version given back %d\n", err(c), back == _LINUX_CAPABILITY_VERSION_3);
    c = capget_raw(0x12345, 0, 0, &back);
    printf("without data: %s, version given back %d\n", err(c), back == _LINUX_CAPABILITY_VERSION_3);
    printf("capget of pid -1: %s\n", err(capget_raw(_LINUX_CAPABILITY_VERSION_3, -1, d, 0)));
    printf("capset: none %s, CAP_NET_RAW %s, effective only %s, another pid %s, unknown version %s\n",
           err(capset_raw(_LINUX_CAPABILITY_VERSION_3, 0, 0, 0, 0)),
           err(capset_raw(_LINUX_CAPABILITY_VERSION_3, 0, 1u << 13, 1u << 13, 0)),
           err(capset_raw(_LINUX_CAPABILITY_VERSION_3, 0, 1u << 13, 0, 0)),
           err(capset_raw(_LINUX_CAPABILITY_VERSION_3, 1, 0, 0, 0)),
           err(capset_raw(1, 0, 0, 0, 0)));

    /* --- scheduling policies --- */
    struct sched_param p0 = {0}, p5 = {5}, p100 = {100};
    printf("policy %d, priority %d\n", sched_getscheduler(0), (sched_getparam(0, &p5), p5.sched_priority));
    p5.sched_priority = 5;
    const char *o[9] = {
        err(sched_setscheduler(0, SCHED_OTHER, &p0)), err(sched_setscheduler(0, SCHED_FIFO, &p5)),
        err(sched_setscheduler(0, SCHED_RR, &p5)), err(sched_setscheduler(0, SCHED_OTHER, &p5)),
        err(sched_setscheduler(0, SCHED_FIFO, &p100)), err(syscall(SYS_sched_setscheduler, 0, 4, &p0)),
        err(syscall(SYS_sched_setscheduler, 0, 6, &p0)), err(syscall(SYS_sched_setscheduler, 0, 0, 0)),
        err(syscall(SYS_sched_setscheduler, -1, 0, &p0))};
    printf("setscheduler: SCHED_OTHER %s, SCHED_FIFO 5 %s, SCHED_RR 5 %s, SCHED_OTHER 5 %s, FIFO 100 %s, "
           "policy 4 %s, SCHED_DEADLINE %s, no param %s, pid -1 %s\n", o[0], o[1], o[2], o[3], o[4], o[5], o[6],
           o[7], o[8]);
    printf("setparam: 0 %s, 5 %s\n", err(sched_setparam(0, &p0)), err(sched_setparam(0, &p5)));
    struct timespec ts = {-1, -1};
    long rr = syscall(SYS_sched_rr_get_interval, 0, &ts);
    printf("rr_get_interval under SCHED_OTHER: %s, read %d\n", err(rr), ts.tv_sec >= 0 && ts.tv_nsec >= 0);
    const char *batch = err(sched_setscheduler(0, SCHED_BATCH, &p0));
    int now = sched_getscheduler(0);
    const char *reset = err(sched_setscheduler(0, SCHED_BATCH | SCHED_RESET_ON_FORK, &p0));
    printf("SCHED_BATCH: %s, now %d, with SCHED_RESET_ON_FORK: %s, now %#x\n", batch, now, reset,
           sched_getscheduler(0));
    pid_t child = fork();
    if (child == 0) {
        printf("in a child: %#x\n", sched_getscheduler(0));
        _exit(0);
    }
    waitpid(child, 0, 0);
    const char *drop = err(sched_setscheduler(0, SCHED_BATCH, &p0));
    const char *idle = err(sched_setscheduler(0, SCHED_IDLE | SCHED_RESET_ON_FORK, &p0));
    now = sched_getscheduler(0) & 0xff;
    const char *other = err(sched_setscheduler(0, SCHED_OTHER | SCHED_RESET_ON_FORK, &p0));
    printf("dropping the flag: %s; SCHED_IDLE: %s, now %d; back to SCHED_OTHER: %s; setparam 0 %s\n",
           drop, idle, now, other, err(sched_setparam(0, &p0)));

    /* --- a pid no process has (a child's, reaped): ESRCH; the kernel's other rules --- */
    pid_t gone = fork();
    if (gone == 0)
        _exit(0);
    waitpid(gone, 0, 0);
    struct timespec slice;
    printf("a pid gone: capget %s, sched_getscheduler %s, sched_getparam %s, sched_setscheduler %s, "
           "sched_setparam %s, sched_rr_get_interval %s\n", err(capget_raw(_LINUX_CAPABILITY_VERSION_3, gone, d, 0)),
           err(sched_getscheduler(gone)), err(sched_getparam(gone, &p0)), err(sched_setscheduler(gone, SCHED_OTHER, &p0)),
           err(sched_setparam(gone, &p0)), err(syscall(SYS_sched_rr_get_interval, gone, &slice)));
    /* a process the run did not start, another user's (pid 1, when it is): Linux shows its
       policy and capabilities, and refuses a change (EPERM) */
    struct stat init;
    int others = stat("/proc/1", &init) == 0 && init.st_uid != getuid();
    struct sched_param ip = {0};
    printf("pid 1, another user's: %s\n", !others ? "(not)" : sched_getscheduler(1) >= 0 && sched_getparam(1, &ip) == 0
           && syscall(SYS_sched_rr_get_interval, 1, &slice) == 0 && capget_raw(_LINUX_CAPABILITY_VERSION_3, 1, d, 0) == 0
           && sched_setscheduler(1, SCHED_OTHER, &ip) < 0 && errno == EPERM ? "read, change Operation not permitted" : "?");
    struct __user_cap_header_struct h3 = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct high[2] = {{0, 0, 0}, {0x80000000u, 0x80000000u, 0}};
    printf("getgroups(-1) %s; capset of bit 63, beyond the last capability: %s\n",
           err(syscall(SYS_getgroups, -1, 0)), err(syscall(SYS_capset, &h3, high)));

    /* --- mlock without CAP_IPC_LOCK: RLIMIT_MEMLOCK bounds it (ENOMEM), a limit of 0 forbids
       it (EPERM); a huge length is ENOMEM before the wrap's EINVAL --- */
    struct rlimit ml;
    getrlimit(RLIMIT_MEMLOCK, &ml);
    size_t big = 64 << 20;
    char *area = mmap(0, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    long r64 = syscall(SYS_mlock, area, big);
    int e64 = errno;
    printf("mlock of 64 MiB as RLIMIT_MEMLOCK says %d; of -0x10000 bytes at 0x10000: %s; ",
           ml.rlim_cur == RLIM_INFINITY || ml.rlim_cur >= big ? r64 == 0 : r64 < 0 && e64 == ENOMEM,
           err(syscall(SYS_mlock, 0x10000L, -0x10000L)));
    struct rlimit none = {0, ml.rlim_max};
    setrlimit(RLIMIT_MEMLOCK, &none);
    printf("a limit of 0: mlock %s, mlockall %s, munlock %s\n", err(syscall(SYS_mlock, area, 4096)),
           err(syscall(SYS_mlockall, MCL_CURRENT)), err(syscall(SYS_munlock, area, 4096)));
    setrlimit(RLIMIT_MEMLOCK, &ml);
    return 0;
}
