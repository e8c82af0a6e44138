/* A 1 ms periodic timer for about a second, twice: setitimer(ITIMER_REAL), then a POSIX timer
   on CLOCK_MONOTONIC; each handler counts, the program spins (no system call) until it has
   seen 1000 signals. Under xld the host threads the run makes while this runs stay few
   (test_emu_timers: one scheduler thread, not one per expiry). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static volatile long ticks;
static void on_tick(int s) { (void)s; ticks++; }

static void spin_until(long n) { while (ticks < n) { } }

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_tick;
    sigaction(SIGALRM, &sa, 0);
    sigaction(SIGUSR1, &sa, 0);

    struct itimerval it = {{0, 1000}, {0, 1000}}, off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &it, 0);
    spin_until(1000);
    setitimer(ITIMER_REAL, &off, 0);
    printf("setitimer: %s\n", ticks >= 1000 ? "1000 signals" : "too few");

    ticks = 0;
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR1;
    timer_t t;
    if (timer_create(CLOCK_MONOTONIC, &ev, &t) != 0) { perror("timer_create"); return 1; }
    struct itimerspec ts = {{0, 1000000}, {0, 1000000}};
    timer_settime(t, 0, &ts, 0);
    spin_until(1000);
    timer_delete(t);
    printf("timer_create: %s\n", ticks >= 1000 ? "1000 signals" : "too few");
    return 0;
}
