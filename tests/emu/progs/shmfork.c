/* MAP_SHARED|MAP_ANONYMOUS memory is shared with forked children (it was copied: a child's
   writes never reached its parent), through mprotect and munmap splitting it, and
   MADV_DONTNEED keeps shared memory's contents (it zeroed them). */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void) {
    int *sh = mmap(NULL, 3 << 20, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int *pv = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    sh[0] = 1; pv[0] = 1; sh[(2 << 20) / 4] = 3;
    pid_t c = fork();
    if (c == 0) { sh[0] = 42; pv[0] = 42; sh[(2 << 20) / 4] = 43; _exit(0); }
    waitpid(c, NULL, 0);
    printf("shared %d private %d far %d\n", sh[0], pv[0], sh[(2 << 20) / 4]);
    mprotect((char *)sh + 4096, 4096, PROT_READ);
    c = fork();
    if (c == 0) { sh[1] = 7; sh[2048] = 8; _exit(0); }
    waitpid(c, NULL, 0);
    printf("after mprotect split: %d %d\n", sh[1], sh[2048]);
    munmap((char *)sh + 8192, 4096);
    c = fork();
    if (c == 0) { sh[3 * 1024] = 9; _exit(0); }
    waitpid(c, NULL, 0);
    printf("after munmap hole: %d\n", sh[3 * 1024]);
    madvise(sh, 4096, MADV_DONTNEED);
    printf("dontneed keeps shared: %d\n", sh[0]);
    /* a child's process-shared mutex-like counter */
    volatile int *cnt = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    for (int i = 0; i < 3; i++) if (fork() == 0) { __atomic_fetch_add(cnt, 10, __ATOMIC_SEQ_CST); _exit(0); }
    while (wait(NULL) > 0) ;
    printf("counter %d\n", *cnt);
    return 0;
}
