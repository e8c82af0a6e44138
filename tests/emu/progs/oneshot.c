/* One-shot timers while spinning without a system call: each round arms a 2 ms timer
   (setitimer, then a POSIX timer), spins until its handler has run, and goes on. Between two
   rounds no timer is armed, so runs are not stoppable; each round makes them stoppable again,
   and the expiry must reach the handler whenever it comes. Last, SIGALRM's action goes
   back to the default while a timer is armed (runs stop being stoppable: a new run), and its
   expiry kills the spinning program. */
#include <signal.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

#define ROUNDS 10
static volatile sig_atomic_t got;
static void on_alarm(int sig) { (void)sig; got++; }

int main(void) {
    signal(SIGALRM, on_alarm);
    for (int i = 0; i < ROUNDS; i++) {
        got = 0;
        struct itimerval it = {{0, 0}, {0, 2000}};
        setitimer(ITIMER_REAL, &it, 0);
        while (!got) ;
    }
    printf("setitimer: %d rounds\n", ROUNDS);
    timer_t t;
    if (timer_create(CLOCK_MONOTONIC, 0, &t)) { perror("timer_create"); return 1; }
    for (int i = 0; i < ROUNDS; i++) {
        got = 0;
        struct itimerspec ts = {{0, 0}, {0, 2000000}};
        timer_settime(t, 0, &ts, 0);
        while (!got) ;
    }
    printf("timer_create: %d rounds\n", ROUNDS);
    fflush(stdout);
    /* (periodic: should one expiry come before the handler goes, the next one kills) */
    struct itimerval it = {{0, 50000}, {0, 50000}};
    setitimer(ITIMER_REAL, &it, 0);
    signal(SIGALRM, SIG_DFL);
    for (;;) ;
}
