/* SEM_UNDO of the first process: applied when it exits, seen by its child that outlives it
   (xld's first process may be the caller's Python process, which lives on: its undo list
   must be the guest's own). Then a child's SEM_UNDO, and a second semop's undo adding up. */
#include <stdio.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int s = semget(IPC_PRIVATE, 1, 0600);
    struct sembuf up = {0, 2, SEM_UNDO}, up2 = {0, 1, SEM_UNDO}, plain = {0, 1, 0};
    semop(s, &up, 1);
    semop(s, &up2, 1);
    semop(s, &plain, 1);
    printf("parent: value %d\n", semctl(s, 0, GETVAL));
    int p[2];
    pipe(p);
    if (fork() == 0) {
        close(p[1]);
        char c;
        read(p[0], &c, 1);               /* the parent has exited: its end of the pipe closed */
        printf("child after parent exit: value %d\n", semctl(s, 0, GETVAL));
        semctl(s, 0, IPC_RMID);
        return 0;
    }
    close(p[0]);
    printf("parent exits\n");
    return 0;
}
