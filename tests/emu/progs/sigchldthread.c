/* SIGCHLD with a second thread that blocks every signal (as glibc's SIGEV_THREAD helper
   thread does): the handler of each child's SIGCHLD has run when waitpid returns, as on
   Linux (xld queued the signal on the waiting thread's saved state, and lost it). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
static volatile int got;
static void on_sig(int s) { (void)s; got++; }
static void *idle(void *a) { (void)a; pause(); return 0; }
int main(void) {
  pthread_t t;
  sigset_t all; sigfillset(&all);
  sigset_t old; pthread_sigmask(SIG_BLOCK, &all, &old);
  pthread_create(&t, 0, idle, 0);        /* a thread blocking every signal (glibc's SIGEV_THREAD helper) */
  pthread_sigmask(SIG_SETMASK, &old, 0);
  struct sigaction sa; memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sig; sigaction(SIGCHLD, &sa, 0);
  int n = 0;
  for (int i = 0; i < 5; i++) {
    got = 0;
    pid_t c = fork(); if (c == 0) _exit(3);
    int s; waitpid(c, &s, 0); n += got;
  }
  printf("sigchld handled before waitpid returned: %d of 5\n", n);
  return 0;
}
