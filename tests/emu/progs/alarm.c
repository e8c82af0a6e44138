/* SIGALRM: alarm() + pause(), a periodic setitimer while spinning, then the default action. */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <string.h>
#include <sys/time.h>
static volatile sig_atomic_t ticks;
static void on_alarm(int sig) { ticks++; }
int main(int argc, char **argv)
{
    signal(SIGALRM, on_alarm);
    alarm(1);
    pause();
    printf("pause returned after alarm: %d\n", ticks);
    struct itimerval it = {{0, 20000}, {0, 20000}};
    setitimer(ITIMER_REAL, &it, 0);
    while (ticks < 5) { volatile int i; for (i = 0; i < 100000; i++); }
    it = (struct itimerval){0};
    setitimer(ITIMER_REAL, &it, 0);
    printf("spinning got ticks: %d\n", ticks >= 5);
    fflush(stdout);
    signal(SIGALRM, SIG_DFL);
    it = (struct itimerval){{0, 0}, {0, 100000}};
    setitimer(ITIMER_REAL, &it, 0);
    for (;;);
}
