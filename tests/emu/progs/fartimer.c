/* A POSIX timer armed 10^10 s (317 years) ahead, alone for 50 ms, then a 20 ms setitimer
   whose SIGALRM the program waits for with pause(). Linux takes any tv_sec (clamped to
   KTIME_MAX: timer_gettime then says about 9.22e9 s). Under xld the scheduler's thread
   (sched.py) waited for the far timer with a lock timeout above threading.TIMEOUT_MAX:
   OverflowError ended the thread, and no later wall-clock expiry came (the program paused
   for ever). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile int got;
static void on_alarm(int s) { (void)s; got++; }

int main(void) {
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR1;
    timer_t t;
    if (timer_create(CLOCK_MONOTONIC, &ev, &t)) { perror("timer_create"); return 1; }
    struct itimerspec far = {{0, 0}, {10000000000L, 0}};
    if (timer_settime(t, 0, &far, 0)) { perror("timer_settime"); return 1; }
    struct timespec d = {0, 50000000};
    nanosleep(&d, 0);
    struct itimerspec left;
    timer_gettime(t, &left);
    printf("far timer: %s\n", left.it_value.tv_sec > 9000000000L ? "armed" : "wrong");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, 0);
    struct itimerval it = {{0, 0}, {0, 20000}};
    setitimer(ITIMER_REAL, &it, 0);
    while (!got) pause();
    printf("SIGALRM after it: %d\n", got);
    return 0;
}
