/* System V calls that wait in a process with two guest threads (R2's t12, t13): a semop
   that waits until the other thread posts (it looks at GETNCNT: the wait has begun), with
   SEM_UNDO; a msgrcv that waits for the other thread's message, copied out when it comes.
   xld stopped with SIGSYS (the thread scheduler's BLOCKED taken for an error), and msgrcv
   never wrote the message. */
#include <pthread.h>
#include <stdio.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <unistd.h>

static int s, q;

static void *other(void *a) {
    (void)a;
    while (semctl(s, 0, GETNCNT) < 1)
        usleep(1000);
    struct sembuf up = {0, 1, SEM_UNDO};
    semop(s, &up, 1);
    usleep(100000);                 /* (the receiver most likely waits by now; right either way) */
    struct { long t; char x[8]; } m = {1, "hello"};
    msgsnd(q, &m, 6, 0);
    return 0;
}

int main(void) {
    s = semget(IPC_PRIVATE, 1, 0600);
    q = msgget(IPC_PRIVATE, 0600);
    pthread_t t;
    pthread_create(&t, 0, other, 0);
    struct sembuf down = {0, -1, 0};
    int r = semop(s, &down, 1);
    printf("semop waited: %d value %d\n", r, semctl(s, 0, GETVAL));
    struct { long t; char x[8]; } m = {0, ""};
    long n = msgrcv(q, &m, 8, 0, 0);
    printf("msgrcv waited: %ld type %ld %s\n", n, m.t, m.x);
    pthread_join(t, 0);
    semctl(s, 0, IPC_RMID);
    msgctl(q, IPC_RMID, 0);
    return 0;
}
