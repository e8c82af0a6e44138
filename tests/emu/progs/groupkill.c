/* kill(-pgid) of the first process's group from a forked child (tests/emu/test_emu_processes.py):
 * P forks B (which forks D) and C; C sends SIGUSR1 to P's group. All four are in that group, so
 * all four get it (Linux). SIGUSR1 is blocked everywhere and taken with sigtimedwait, which
 * gives up after 10 s (a process that never gets it reports -1). With "own", B makes a group
 * of its own (setpgid(0, 0)) before forking D, and C signals B's group: B and D get it, P and
 * C do not (they look with sigpending at the end). P reaps its children with waitpid of
 * their group. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static sigset_t usr1;

static int wait_usr1(void)
{
	struct timespec ten = {10, 0};
	return sigtimedwait(&usr1, 0, &ten);
}

static void say(const char *who, int got)
{
	char line[64];
	int n = snprintf(line, sizeof line, "%s %d\n", who, got);
	write(1, line, n);
}

static int pending(void)
{
	sigset_t p;
	sigpending(&p);
	return sigismember(&p, SIGUSR1) ? SIGUSR1 : 0;
}

int main(int argc, char **argv)
{
	int own = argc > 1 && strcmp(argv[1], "own") == 0;
	int ready[2], go[2];
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, 0);
	pipe(ready);
	pipe(go);
	pid_t pg = getpgrp();
	pid_t b = fork();
	if (b == 0) {
		if (own)
			setpgid(0, 0);
		pid_t d = fork();
		if (d == 0) {
			write(ready[1], "d", 1);
			say("D", wait_usr1());
			_exit(0);
		}
		write(ready[1], "b", 1);
		say("B", wait_usr1());
		waitpid(d, 0, 0);
		_exit(0);
	}
	char c2[2];
	read(ready[0], c2, 2);          /* B and D are where they will wait */
	pid_t c = fork();
	if (c == 0) {
		int r = kill(own ? -b : -pg, SIGUSR1);
		say("C kill", r);
		say("C", own ? pending() : wait_usr1());
		_exit(0);
	}
	int reaped = 0;
	if (own) {
		reaped += waitpid(-b, 0, 0) == b;     /* B's group */
		reaped += waitpid(c, 0, 0) == c;
	} else {
		while (waitpid(-pg, 0, 0) > 0)         /* P's group: B and C */
			reaped++;
	}
	say("P reaped", reaped);
	say("P", own ? pending() : wait_usr1());
	return 0;
}
