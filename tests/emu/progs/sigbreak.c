/* Breakpoints and signal handlers (tests/emu/test_emu_gdb.py): a handler for SIGALRM calls
 * visit(&count), main calls visit(&spins). Under a debugger with a breakpoint in visit, its
 * hits must equal count + spins: every call stops once, the handler's and those of main it
 * interrupted, whenever the signal comes.
 *   sigbreak periodic N US: a timer every US microseconds (default 1000) until the handler
 *     ran N times (the handler stops it); main calls visit until then.
 *   sigbreak oneshot N US: N rounds of: a one-shot timer in US microseconds, then main's
 *     visit, then a wait for the handler's: count N, spins N, 2N hits. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

static volatile int count, spins, n;

static void __attribute__((noinline)) visit(volatile int *c)
{
	*c += 1;
}

static void handler(int sig)
{
	(void)sig;
	visit(&count);
	if (count == n) {
		struct itimerval off = {{0, 0}, {0, 0}};
		setitimer(ITIMER_REAL, &off, 0);
	}
}

int main(int argc, char **argv)
{
	int periodic = argc > 1 && strcmp(argv[1], "periodic") == 0;
	n = argc > 2 ? atoi(argv[2]) : 200;
	long us = argc > 3 ? atol(argv[3]) : 1000;
	struct sigaction sa = {0};
	sa.sa_handler = handler;
	sigaction(SIGALRM, &sa, 0);
	if (periodic) {
		struct itimerval it = {{0, us}, {0, us}};
		setitimer(ITIMER_REAL, &it, 0);
		while (count < n)
			visit(&spins);
	} else {
		for (int i = 0; i < n; i++) {
			struct itimerval it = {{0, 0}, {0, us}};
			setitimer(ITIMER_REAL, &it, 0);
			visit(&spins);
			while (count <= i)
				;
		}
	}
	printf("count %d spins %d\n", count, spins);
	return 0;
}
