#define _GNU_SOURCE
/* System V IPC between the processes of a run: shared memory seen by parent and forked
   child, IPC_RMID destroying a segment at its last detach, keys with IPC_CREAT/IPC_EXCL,
   semaphores (a blocking semop woken by another process, semtimedop's timeout, SEM_UNDO
   applied when a process exits, EINTR on a signal), message queues (a blocking msgrcv
   woken by another process, by type, EINTR, ENOMSG) and IPC_STAT's fields. No ids or pids
   are printed: the output is the same under qemu-user and xld run. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

union semun { int val; struct semid_ds *buf; unsigned short *array; };

static void on_alarm(int sig) { (void)sig; }

static int waitchild(pid_t pid) {
    int st;
    if (waitpid(pid, &st, 0) != pid) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    key_t key = 0x5e000000 | (getpid() & 0xffff);

    /* --- shared memory ---------------------------------------------------------------- */
    int id = shmget(key, 10000, IPC_CREAT | IPC_EXCL | 0600);
    printf("shmget create %d\n", id >= 0);
    printf("shmget excl: %d errno %d\n", shmget(key, 10000, IPC_CREAT | IPC_EXCL | 0600), errno);
    printf("shmget same key same id %d\n", shmget(key, 0, 0) == id);
    printf("shmget too big: %d errno %d\n", shmget(key, 20000, 0), errno);
    printf("shmget no key: %d errno %d\n", shmget(key + 1, 100, 0), errno);
    printf("shmget bad id ops: shmat %d errno %d\n", (int)(long)shmat(-5, NULL, 0), errno);
    char *p = shmat(id, NULL, 0);
    printf("shmat ok %d aligned %d zero %d\n", p != (void *)-1, ((long)p & 4095) == 0, p[9999] == 0);
    struct shmid_ds ds;
    shmctl(id, IPC_STAT, &ds);
    printf("stat: key ok %d segsz %zu nattch %lu mode %o\n", ds.shm_perm.__key == key,
           (size_t)ds.shm_segsz, (unsigned long)ds.shm_nattch, ds.shm_perm.mode & 0777);
    printf("cpid is me %d lpid is me %d\n", ds.shm_cpid == getpid(), ds.shm_lpid == getpid());
    strcpy(p, "parent wrote");
    pid_t c = fork();
    if (c == 0) {
        printf("child sees: %s\n", p);
        strcpy(p + 100, "child wrote");
        /* the child attaches by key too */
        char *q = shmat(shmget(key, 0, 0), NULL, SHM_RDONLY);
        printf("child second attach sees: %s\n", q + 100);
        shmctl(id, IPC_STAT, &ds);
        printf("child nattch %lu\n", (unsigned long)ds.shm_nattch);
        _exit(0);
    }
    waitchild(c);
    printf("parent sees: %s\n", p + 100);
    shmctl(id, IPC_STAT, &ds);
    printf("after child exit nattch %lu\n", (unsigned long)ds.shm_nattch);
    char *p2 = shmat(id, NULL, 0);
    printf("second attach same memory %d\n", strcmp(p2 + 100, "child wrote") == 0);
    printf("shmdt not an attach: %d errno %d\n", shmdt(p + 4096), errno);
    printf("shmdt %d\n", shmdt(p2));
    printf("rmid %d\n", shmctl(id, IPC_RMID, NULL));
    printf("key free after rmid: %d errno %d\n", shmget(key, 0, 0), errno);
    shmctl(id, IPC_STAT, &ds);
    printf("marked: dest %d nattch %lu key %d\n", (ds.shm_perm.mode & SHM_DEST) != 0,
           (unsigned long)ds.shm_nattch, ds.shm_perm.__key);
    printf("still usable: %s\n", p + 100);
    printf("shmdt last %d\n", shmdt(p));
    printf("gone: %d errno %d\n", shmctl(id, IPC_STAT, &ds), errno);
    int priv = shmget(IPC_PRIVATE, 4096, 0600);
    char *fixed = shmat(priv, (void *)0x2000000123, 0);
    printf("unaligned no SHM_RND: %ld errno %d\n", (long)fixed, errno);
    fixed = shmat(priv, (void *)0x2000000123, SHM_RND);
    printf("SHM_RND: at %lx\n", (long)fixed);
    shmctl(priv, IPC_RMID, NULL);
    shmdt(fixed);

    /* --- semaphores ------------------------------------------------------------------- */
    int s = semget(key, 2, IPC_CREAT | 0600);
    printf("semget %d semget more: %d errno %d\n", s >= 0, semget(key, 3, 0), errno);
    union semun arg = {.val = 0};
    semctl(s, 0, SETVAL, arg);
    c = fork();
    if (c == 0) {
        usleep(100000);
        struct sembuf undo = {1, 5, SEM_UNDO};
        semop(s, &undo, 1);
        printf("child: sem1 %d\n", semctl(s, 1, GETVAL));
        struct sembuf up = {0, 1, 0};
        semop(s, &up, 1);
        _exit(0);
    }
    struct sembuf down = {0, -1, 0};
    printf("parent: semop waited %d\n", semop(s, &down, 1));
    waitchild(c);
    printf("after child exit sem1 %d (SEM_UNDO)\n", semctl(s, 1, GETVAL));
    printf("getpid is child %d\n", semctl(s, 1, GETPID) == c);
    struct timespec ts = {0, 50000000};
    printf("semtimedop timeout: %d errno %d\n", semtimedop(s, &down, 1, &ts), errno);
    struct sembuf nowait = {0, -1, IPC_NOWAIT};
    printf("IPC_NOWAIT: %d errno %d\n", semop(s, &nowait, 1), errno);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;          /* semop is never restarted */
    sigaction(SIGALRM, &sa, NULL);
    alarm(1);
    printf("semop signal: %d errno %d\n", semop(s, &down, 1), errno);
    unsigned short vals[2] = {3, 4}, back[2];
    arg.array = vals;
    semctl(s, 0, SETALL, arg);
    arg.array = back;
    semctl(s, 0, GETALL, arg);
    printf("getall %u %u\n", back[0], back[1]);
    struct semid_ds sds;
    arg.buf = &sds;
    semctl(s, 0, IPC_STAT, arg);
    printf("sem stat: nsems %lu key ok %d mode %o\n", (unsigned long)sds.sem_nsems,
           sds.sem_perm.__key == key, sds.sem_perm.mode & 0777);
    printf("sem rmid %d then %d errno %d\n", semctl(s, 0, IPC_RMID), semctl(s, 0, GETVAL), errno);

    /* --- message queues --------------------------------------------------------------- */
    int q = msgget(IPC_PRIVATE, 0600);
    struct { long type; char text[64]; } m;
    c = fork();
    if (c == 0) {
        usleep(100000);
        m.type = 2; strcpy(m.text, "two");
        msgsnd(q, &m, 4, 0);
        m.type = 1; strcpy(m.text, "one");
        msgsnd(q, &m, 4, 0);
        _exit(0);
    }
    long n = msgrcv(q, &m, sizeof m.text, 1, 0);
    printf("msgrcv type 1 waited: %ld %s\n", n, m.text);
    waitchild(c);
    n = msgrcv(q, &m, sizeof m.text, 0, 0);
    printf("msgrcv any: %ld type %ld %s\n", n, m.type, m.text);
    printf("msgrcv nowait: %ld errno %d\n", (long)msgrcv(q, &m, 64, 0, IPC_NOWAIT), errno);
    m.type = 3; strcpy(m.text, "too long for two");
    msgsnd(q, &m, 17, 0);
    printf("msgrcv E2BIG: %ld errno %d\n", (long)msgrcv(q, &m, 2, 0, 0), errno);
    printf("msgrcv MSG_NOERROR: %ld %.2s\n", (long)msgrcv(q, &m, 2, 0, MSG_NOERROR), m.text);
    m.type = 0;
    printf("msgsnd type 0: %d errno %d\n", msgsnd(q, &m, 1, 0), errno);
    alarm(1);
    printf("msgrcv signal: %ld errno %d\n", (long)msgrcv(q, &m, 64, 0, 0), errno);
    struct msqid_ds mds;
    m.type = 9;
    msgsnd(q, &m, 5, 0);
    msgctl(q, IPC_STAT, &mds);
    printf("msg stat: qnum %lu lspid me %d mode %o\n", (unsigned long)mds.msg_qnum,
           mds.msg_lspid == getpid(), mds.msg_perm.mode & 0777);
    printf("msg rmid %d then %d errno %d\n", msgctl(q, IPC_RMID, NULL), msgsnd(q, &m, 1, 0), errno);
    printf("done\n");
    return 0;
}
