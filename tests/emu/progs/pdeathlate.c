/* PR_SET_PDEATHSIG asked for only after the thread that forked the process has ended (its
   process lives on): that thread's end is past, nothing comes (Linux sends the signal as the
   parent thread ends, and only to a child that had asked by then); it comes when the parent
   process ends. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int got;
static int ended[2], gone[2];

static void on_sig(int sig)
{
    (void)sig;
    got++;
}

static void *forker(void *arg)
{
    pid_t c = fork();
    if (c == 0) {
        char b;
        signal(SIGUSR1, on_sig);
        read(ended[0], &b, 1);          /* the thread that forked it has ended */
        prctl(PR_SET_PDEATHSIG, SIGUSR1);
        usleep(300000);
        printf("asked after the forking thread ended: got %d\n", got);
        fflush(stdout);
        write(gone[1], "x", 1);
        for (int i = 0; i < 1000 && !got; i++)
            usleep(10000);
        printf("after its parent process ended: got %d\n", got);
        fflush(stdout);
        _exit(0);
    }
    *(pid_t *)arg = c;
    return NULL;
}

int main(void)
{
    pid_t c;
    pthread_t t;
    pipe(ended);
    pipe(gone);
    pthread_create(&t, NULL, forker, &c);
    pthread_join(t, NULL);
    usleep(100000);                     /* (xld: the thread's host end, after the join) */
    write(ended[1], "x", 1);
    char b;
    read(gone[0], &b, 1);
    return 0;                           /* the child's parent process ends */
}
