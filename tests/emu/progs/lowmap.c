/* Attaching and mapping at a low fixed address (shmat, mmap MAP_FIXED): Linux's floor is the
   host's vm.mmap_min_addr (none with CAP_SYS_RAWIO), below it EPERM (cap_mmap_addr); a hint
   below 64 KiB is not taken (the LSM's floor: the mapping goes elsewhere). xld refused every
   fixed address below 64 KiB (shmat: EINVAL) where qemu-user, through the host, attached. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <unistd.h>

static const char *what(void *p, unsigned long want) {
    return p == (void *)-1 ? strerror(errno) : p == (void *)want ? "there" : "elsewhere";
}

int main(void) {
    int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    static const unsigned long addrs[] = {0x1000, 0x8000, 0xf000, 0x20000000};
    for (unsigned i = 0; i < sizeof addrs / sizeof *addrs; i++) {
        unsigned long a = addrs[i];
        char *p = shmat(id, (void *)a, 0);
        printf("shmat %#lx: %s", a, what(p, a));
        if (p != (void *)-1) {
            p[1] = 7;
            printf(", holds %d", p[1]);
            shmdt(p);
        }
        p = mmap((void *)a, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        printf("; mmap fixed: %s", what(p, a));
        if (p != MAP_FAILED)
            munmap(p, 4096);
        p = mmap((void *)a, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        printf("; hint: %s\n", what(p, a));
        if (p != MAP_FAILED)
            munmap(p, 4096);
    }
    void *p = shmat(id, (void *)0x1234, SHM_RND);
    printf("shmat 0x1234 SHM_RND: %s\n", what(p, 0x1000));
    if (p != (void *)-1)
        shmdt(p);
    printf("rmid %d\n", shmctl(id, IPC_RMID, NULL));
    return 0;
}
