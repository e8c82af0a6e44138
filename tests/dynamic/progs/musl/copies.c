/* libc's variables read directly (-fno-PIC: copy relocations): environ, optarg, optind,
   stdout, stderr, errno; a thread with thread-local data. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <getopt.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
extern char **environ;
static __thread int tl = 3;
static void *thr(void *p) { tl += (int)(long)p; fprintf(stdout, "thread tl=%d errno=%d\n", tl, errno); return (void *)(long)tl; }
int main(int argc, char **argv) {
  int c; while ((c = getopt(argc, argv, "ab:")) != -1) printf("opt %c %s ind %d\n", c, optarg ? optarg : "-", optind);
  fprintf(stderr, "to stderr\n");
  fputs("to stdout\n", stdout);
  int n = 0; for (char **e = environ; *e; e++) if (!strncmp(*e, "MUSLVAR=", 8)) printf("env %s\n", *e), n++;
  errno = 0; strtol("99999999999999999999999", 0, 10); printf("errno %d\n", errno == ERANGE);
  pthread_t t; void *r; pthread_create(&t, 0, thr, (void *)4L); pthread_join(t, &r);
  printf("joined %ld tl=%d env %d\n", (long)r, tl, n);
  return 0;
}
