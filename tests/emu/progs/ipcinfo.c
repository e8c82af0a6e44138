/* SHM_INFO, SEM_INFO and MSG_INFO count the run's objects only (R2's finding 10): here, as
   the host holds objects of its own (made by the test), the usage the guest sees is what it
   made itself: 2 segments of 3 pages, 2 sets of 5 semaphores, 1 queue with 2 messages of 7
   bytes. xld passed on the host's whole usage. */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

int main(void) {
    int m1 = shmget(IPC_PRIVATE, 4096, 0600), m2 = shmget(IPC_PRIVATE, 8192, 0600);
    int s1 = semget(IPC_PRIVATE, 2, 0600), s2 = semget(IPC_PRIVATE, 3, 0600);
    int q = msgget(IPC_PRIVATE, 0600);
    struct { long t; char x[8]; } msg = {1, "abc"};
    msgsnd(q, &msg, 3, 0);
    msgsnd(q, &msg, 4, 0);
    struct shm_info si;
    shmctl(0, SHM_INFO, (struct shmid_ds *)&si);
    printf("shm: used_ids %d shm_tot %lu\n", si.used_ids, (unsigned long)si.shm_tot);
    struct seminfo se;
    semctl(0, 0, SEM_INFO, &se);
    printf("sem: semusz %d semaem %d\n", se.semusz, se.semaem);
    struct msginfo mi;
    msgctl(0, MSG_INFO, (struct msqid_ds *)&mi);
    printf("msg: msgpool %d msgmap %d msgtql %d\n", mi.msgpool, mi.msgmap, mi.msgtql);
    shmctl(m1, IPC_RMID, 0), shmctl(m2, IPC_RMID, 0);
    semctl(s1, 0, IPC_RMID), semctl(s2, 0, IPC_RMID);
    msgctl(q, IPC_RMID, 0);
    return 0;
}
