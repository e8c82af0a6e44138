/* The sigwait pattern: every thread blocks the signals, one thread takes them with sigwaitinfo
   and sigtimedwait (it was refused in a process with threads): a kill of the process, an
   interval timer's SIGALRM, a pthread_kill of the waiter, a sigqueue with its value, a timeout
   (EAGAIN), and a signal another thread handles meanwhile. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define P(...) do { printf(__VA_ARGS__); fflush(stdout); } while (0)

static sigset_t set;
static int go[2];

static void *waiter(void *a) {
    siginfo_t si;
    for (int i = 0; i < 4; i++) {
        char c = 'n';
        if (write(go[1], &c, 1) != 1) return NULL;      /* ready for the next one */
        int sig = sigwaitinfo(&set, &si);
        P("took %d code %d%s", sig, si.si_code, si.si_code == SI_QUEUE ? "" : "\n");
        if (si.si_code == SI_QUEUE) P(" value %d\n", si.si_value.sival_int);
    }
    struct timespec ts = {0, 50000000};
    errno = 0;
    int r = sigtimedwait(&set, &si, &ts);
    P("timed out: %d errno %d\n", r, errno);
    (void)a;
    return NULL;
}

int main(void) {
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGALRM);
    sigaddset(&set, SIGRTMIN);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    if (pipe(go)) return 2;
    pthread_t t;
    pthread_create(&t, NULL, waiter, NULL);
    char c;
    struct timespec d = {0, 20000000};
    if (read(go[0], &c, 1) != 1) return 2;
    nanosleep(&d, NULL);
    kill(getpid(), SIGUSR1);
    if (read(go[0], &c, 1) != 1) return 2;
    nanosleep(&d, NULL);
    struct itimerval it = {{0, 0}, {0, 10000}};
    setitimer(ITIMER_REAL, &it, NULL);
    if (read(go[0], &c, 1) != 1) return 2;
    nanosleep(&d, NULL);
    pthread_kill(t, SIGUSR2);
    if (read(go[0], &c, 1) != 1) return 2;
    nanosleep(&d, NULL);
    union sigval v = {.sival_int = 77};
    sigqueue(getpid(), SIGRTMIN, v);
    pthread_join(t, NULL);
    P("done\n");
    return 0;
}
