/* A read of standard input that no input comes to, ended by a timer's signal (the classic
   alarm() read timeout): EINTR, the handler has run. (A periodic timer: should an expiry come
   before the read on a loaded machine, the next one ends it.) */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>
static volatile sig_atomic_t got;
static void on_alarm(int sig) { (void)sig; got++; }
int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;             /* no SA_RESTART: the read ends with EINTR */
    sigaction(SIGALRM, &sa, 0);
    struct itimerval it = {{0, 50000}, {0, 50000}};
    setitimer(ITIMER_REAL, &it, 0);
    char buf[16];
    ssize_t n = read(0, buf, sizeof buf);
    int e = errno;
    it = (struct itimerval){0};
    setitimer(ITIMER_REAL, &it, 0);
    printf("read %zd errno %s handled %d\n", n, n < 0 && e == EINTR ? "EINTR" : "other", got > 0);
    return 0;
}
