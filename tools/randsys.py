"""Random C programs doing the system-call work a test suite does, for differential runs of
`xld run` against qemu-user (tests/emu/test_emu_random_syscalls.py).

Each program is one C file: a random selection of blocks, in a random order with random
parameters, each printing a deterministic trace (values that do not depend on the host: sizes,
modes, link counts, errno names, exit statuses, directory listings sorted or in readdir's order;
never pids, times or addresses). The blocks: files (open flags, read/write/pread/pwrite/lseek, readv/writev,
ftruncate, O_APPEND, O_EXCL, O_TRUNC), stat fields, directories (mkdir/rmdir, rename, unlink,
symlink/readlink, hard links, getdents listings), descriptors (dup/dup2/dup3, fcntl flags),
failing calls and their errno, pipes with poll/select, fork/wait statuses, execve of itself,
threads (mutex, condition variable, TLS, join values), signals (raise, kill, handlers, masks,
SIGCHLD), memory maps (anonymous and file, mprotect, mremap), clocks, process ids, environment
and argv, stdio buffering against write(2) and exit flushing, POSIX timers (SIGEV_THREAD and
SIGEV_THREAD_ID, two on one signal, a periodic one's schedule). The program works in its working
directory: run it in a fresh empty one; what it leaves there is part of the comparison.

    python -m xld.tools.randsys SEED OUT.c
"""
from __future__ import annotations

import random
import sys
from pathlib import Path

HEADER = r"""#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *en(int e) {
  switch (e) {
  case 0: return "0"; case EPERM: return "EPERM"; case ENOENT: return "ENOENT";
  case EBADF: return "EBADF"; case ECHILD: return "ECHILD"; case EAGAIN: return "EAGAIN";
  case ENOMEM: return "ENOMEM"; case EACCES: return "EACCES"; case EFAULT: return "EFAULT";
  case EEXIST: return "EEXIST"; case EXDEV: return "EXDEV"; case ENOTDIR: return "ENOTDIR";
  case EISDIR: return "EISDIR"; case EINVAL: return "EINVAL"; case EMFILE: return "EMFILE";
  case ESPIPE: return "ESPIPE"; case EPIPE: return "EPIPE"; case ENAMETOOLONG: return "ENAMETOOLONG";
  case ENOSYS: return "ENOSYS"; case ENOTEMPTY: return "ENOTEMPTY"; case ELOOP: return "ELOOP";
  case ESRCH: return "ESRCH"; case EINTR: return "EINTR"; case ERANGE: return "ERANGE";
  case EOVERFLOW: return "EOVERFLOW"; case EBUSY: return "EBUSY"; case ENXIO: return "ENXIO";
  default: { static char b[24]; snprintf(b, sizeof b, "E#%d", e); return b; }
  }
}
/* a call's result and errno (the value printed as is) */
#define T(e) do { errno = 0; long r_ = (long)(e); int e_ = errno; \
  printf("%d %s = %ld %s\n", __LINE__, #e, r_, r_ < 0 ? en(e_) : "-"); } while (0)
/* a call whose success value is host-dependent (a descriptor, an address): ok or its errno */
#define TOK(v, e) do { errno = 0; v = (e); int e_ = errno; \
  printf("%d %s: %s\n", __LINE__, #e, (long)(v) >= 0 ? "ok" : en(e_)); } while (0)
#define SAY(...) do { printf("%d ", __LINE__); printf(__VA_ARGS__); printf("\n"); } while (0)

static void put(const char *path, const char *s) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) { SAY("put %s: %s", path, en(errno)); return; }
  if (write(fd, s, strlen(s)) < 0) SAY("put write: %s", en(errno));
  close(fd);
}
static void show(const char *path) {
  char b[256]; int fd = open(path, O_RDONLY);
  if (fd < 0) { SAY("show %s: %s", path, en(errno)); return; }
  long n = read(fd, b, sizeof b - 1); close(fd);
  if (n < 0) { SAY("show %s: read %s", path, en(errno)); return; }
  b[n] = 0; SAY("show %s [%ld] '%s'", path, n, b);
}
static void st(const char *path, int link) {
  struct stat s; int r = link ? lstat(path, &s) : stat(path, &s);
  if (r < 0) { SAY("stat %s: %s", path, en(errno)); return; }
  const char *t = S_ISREG(s.st_mode) ? "reg" : S_ISDIR(s.st_mode) ? "dir" : S_ISLNK(s.st_mode) ? "lnk"
                : S_ISFIFO(s.st_mode) ? "fifo" : "other";
  SAY("stat %s %s mode=%o nlink=%ld size=%ld", path, t, (unsigned)(s.st_mode & 07777), (long)s.st_nlink,
      S_ISDIR(s.st_mode) ? -1L : (long)s.st_size);
}
static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
static void lsraw(const char *path) {         /* in readdir's own order: the host file system's */
  DIR *d = opendir(path);
  if (!d) { SAY("lsraw %s: %s", path, en(errno)); return; }
  printf("%d lsraw %s:", __LINE__, path); struct dirent *e;
  while ((e = readdir(d))) printf(" %s:%d", e->d_name, e->d_type);
  printf("\n"); closedir(d);
}
static void ls(const char *path) {
  DIR *d = opendir(path);
  if (!d) { SAY("ls %s: %s", path, en(errno)); return; }
  char *names[64]; int n = 0; struct dirent *e;
  while ((e = readdir(d)) && n < 64) {
    char *s = malloc(300);
    snprintf(s, 300, "%s:%s", e->d_name, e->d_type == DT_DIR ? "d" : e->d_type == DT_REG ? "f"
             : e->d_type == DT_LNK ? "l" : e->d_type == DT_UNKNOWN ? "?" : "o");
    names[n++] = s;
  }
  closedir(d);
  qsort(names, n, sizeof *names, cmp);
  printf("%d ls %s:", __LINE__, path);
  for (int k = 0; k < n; k++) { printf(" %s", names[k]); free(names[k]); }
  printf("\n");
}
static void count_dir(const char *path) {     /* every entry, twice (rewinddir), and a seekdir */
  DIR *d = opendir(path);
  if (!d) { SAY("count %s: %s", path, en(errno)); return; }
  long n = 0, len = 0, files = 0, mid = -1; unsigned long x = 0; struct dirent *e; char at[300] = "";
  for (int pass = 0; pass < 2; pass++) {
    while ((e = readdir(d))) {
      n++; len += strlen(e->d_name); files += e->d_type == DT_REG;
      for (const char *c = e->d_name; *c; c++) x += (unsigned char)*c * (unsigned long)(c - e->d_name + 1);
      if (pass == 0 && n == 3) { mid = telldir(d); }
      if (pass == 0 && n == 4) snprintf(at, sizeof at, "%s", e->d_name);
    }
    rewinddir(d);
  }
  int same = -1;
  if (mid >= 0) { seekdir(d, mid); e = readdir(d); same = e && !strcmp(e->d_name, at); }
  closedir(d);
  SAY("count %s: %ld entries %ld bytes %ld files sum %lx seekdir %d", path, n, len, files, x, same);
}
static void status(const char *what, int s) {
  if (WIFEXITED(s)) SAY("%s exited %d", what, WEXITSTATUS(s));
  else if (WIFSIGNALED(s)) SAY("%s killed by %d", what, WTERMSIG(s));
  else SAY("%s status %#x", what, s);
}
static volatile sig_atomic_t got[65] __attribute__((unused));
static void on_sig(int s) { if (s > 0 && s < 65) got[s]++; }
static __thread long tls_v = 7;
static long double_ms(struct timespec a, struct timespec b) {
  return (b.tv_sec - a.tv_sec) * 1000L + (b.tv_nsec - a.tv_nsec) / 1000000L;
}
"""


def _files(R: random.Random, k: int) -> str:
    n = R.randint(1, 300)
    off = R.randint(0, 400)
    data = "".join(R.choice("abcdefxyz0123\n") for _ in range(R.randint(1, 40))).replace("\n", "\\n")
    mode = R.choice(["0600", "0644", "0640", "0755", "0444"])
    trunc = R.randint(0, 500)
    tail = ('int ft; TOK(ft, open(path, O_RDWR | O_TRUNC)); T(fstat(ft, &s)); SAY("trunc size %ld", (long)s.st_size);'
            ' T(close(ft));' if R.random() < 0.5 else "st(path, 0);") + (" T(unlink(path));" if R.random() < 0.5 else "")
    return f"""
  char path[] = "f{k}.dat", buf[512]; int fd;
  TOK(fd, open(path, O_RDWR | O_CREAT | O_EXCL, {mode}));
  T(open(path, O_RDWR | O_CREAT | O_EXCL, 0600));
  memset(buf, 'q', sizeof buf);
  T(write(fd, buf, {n}));
  T(lseek(fd, 0, SEEK_CUR)); T(lseek(fd, -3, SEEK_END)); T(lseek(fd, {off}, SEEK_SET));
  T(write(fd, "{data}", strlen("{data}")));
  T(lseek(fd, 0, SEEK_END)); T(lseek(fd, -1000, SEEK_SET)); T(lseek(fd, 0, 77));
  T(pwrite(fd, "PW", 2, {R.randint(0, 600)})); T(lseek(fd, 0, SEEK_CUR));
  T(pread(fd, buf, 16, {R.randint(0, 700)}));
  buf[16] = 0; for (int i = 0; i < 16; i++) if (!buf[i]) buf[i] = '.'; else if (buf[i] == '\\n') buf[i] = '/';
  SAY("pread '%.16s'", buf);
  T(ftruncate(fd, {trunc})); T(ftruncate(fd, -1));
  struct stat s; T(fstat(fd, &s)); SAY("fstat size=%ld mode=%o", (long)s.st_size, (unsigned)(s.st_mode & 0777));
  struct iovec iv[3] = {{{{"one ", 4}}, {{"two ", 4}}, {{"three\\n", 6}}}};
  T(lseek(fd, {R.randint(0, 100)}, SEEK_SET)); T(writev(fd, iv, 3));
  char a[5] = {{0}}, b[7] = {{0}}; struct iovec rv[2] = {{{{a, 4}}, {{b, 6}}}};
  T(lseek(fd, 0, SEEK_SET)); T(readv(fd, rv, 2));
  T(close(fd)); T(close(fd));
  T(chmod(path, 0640)); st(path, 0);
  int fa; TOK(fa, open(path, O_WRONLY | O_APPEND));
  T(lseek(fa, 0, SEEK_SET)); T(write(fa, "APP", 3)); T(lseek(fa, 0, SEEK_CUR)); T(read(fa, buf, 4));
  T(close(fa));
  {tail}
"""


def _dirs(R: random.Random, k: int) -> str:
    nf = R.randint(0, 5)
    names = [f"n{j}_{R.randint(0, 99)}" for j in range(nf)]
    unhard = f'T(unlink("d{k}/hard")); st("d{k}/renamed", 0);' if R.random() < 0.5 else ""
    nbig = R.choice([0, 3, 40, 150, 400])
    creates = "".join(f'  put("d{k}/{nm}", "{nm}");\n' for nm in names)
    return f"""
  T(mkdir("d{k}", 0755)); T(mkdir("d{k}", 0755)); T(mkdir("d{k}/x/y", 0755));
  T(mkdir("d{k}/sub", 0700));
{creates}  ls("d{k}");
  T(rmdir("d{k}")); T(rmdir("d{k}/sub")); T(rmdir("d{k}/sub"));
  put("d{k}/file", "hello");
  T(rmdir("d{k}/file")); T(unlink("d{k}")); T(open("d{k}", O_WRONLY)); T(open("d{k}/file/x", O_RDONLY));
  T(open("d{k}/file", O_RDONLY | O_DIRECTORY));
  T(rename("d{k}/file", "d{k}/renamed")); show("d{k}/renamed"); show("d{k}/file");
  T(rename("d{k}", "d{k}/inner")); T(rename("d{k}/nothing", "d{k}/x"));
  T(symlink("renamed", "d{k}/ln")); T(symlink("renamed", "d{k}/ln")); T(symlink("missing", "d{k}/dangle"));
  char lb[64]; long n; errno = 0; n = readlink("d{k}/ln", lb, sizeof lb - 1);
  if (n >= 0) {{ lb[n] = 0; SAY("readlink %ld '%s'", n, lb); }} else SAY("readlink %s", en(errno));
  T(readlink("d{k}/renamed", lb, sizeof lb)); T(readlink("d{k}/ln", lb, 3));
  st("d{k}/ln", 1); st("d{k}/ln", 0); st("d{k}/dangle", 0); st("d{k}/dangle", 1);
  T(link("d{k}/renamed", "d{k}/hard")); st("d{k}/renamed", 0); T(link("d{k}", "d{k}/dlink"));
  T(access("d{k}/renamed", R_OK)); T(access("d{k}/none", F_OK));
  int dfd; TOK(dfd, open("d{k}", O_RDONLY | O_DIRECTORY));
  T(mkdirat(dfd, "at", 0750)); T(unlinkat(dfd, "at", 0)); T(unlinkat(dfd, "at", AT_REMOVEDIR));
  int ff; TOK(ff, openat(dfd, "viaat", O_CREAT | O_WRONLY, 0600)); T(write(ff, "at\\n", 3)); T(close(ff));
  T(renameat(dfd, "viaat", dfd, "viaat2")); T(faccessat(dfd, "viaat2", W_OK, 0));
  struct stat s; T(fstatat(dfd, "ln", &s, AT_SYMLINK_NOFOLLOW)); SAY("lnk? %d", S_ISLNK(s.st_mode));
  T(openat(12345, "x", O_RDONLY)); T(close(dfd));
  {"lsraw" if R.random() < 0.5 else "ls"}("d{k}");
  {unhard}
  for (int i = 0; i < {nbig}; i++) {{ char nm[64]; snprintf(nm, sizeof nm, "d{k}/many-%03d-{'x' * R.randint(0, 40)}", i); put(nm, ""); }}
  count_dir("d{k}");
  char cwd[8]; T(mkdir("d{k}/sub2", 0700));
  if (chdir("d{k}/sub2") == 0) {{ st(".", 0); put("here", "x"); T(chdir("../..")); }} else SAY("chdir %s", en(errno));
  errno = 0; SAY("getcwd small %d %s", getcwd(cwd, 2) == NULL, en(errno));
"""


def _fds(R: random.Random, k: int) -> str:
    hi = R.randint(20, 200)
    return f"""
  int fd; TOK(fd, open("fd{k}.txt", O_RDWR | O_CREAT | O_TRUNC, 0644));
  T(write(fd, "0123456789", 10));
  int d1; TOK(d1, dup(fd)); T(lseek(d1, 0, SEEK_CUR)); T(lseek(fd, 2, SEEK_SET)); T(lseek(d1, 0, SEEK_CUR));
  T(dup2(fd, {hi})); T(dup2(fd, fd)); T(dup3(fd, fd, 0)); T(dup3(fd, {hi + 1}, O_CLOEXEC));
  T(fcntl({hi + 1}, F_GETFD)); T(fcntl({hi}, F_GETFD)); T(fcntl(fd, F_SETFD, FD_CLOEXEC)); T(fcntl(fd, F_GETFD));
  T(fcntl(fd, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK));
  T(fcntl(fd, F_SETFL, O_APPEND | O_NONBLOCK)); T(fcntl(fd, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK));
  T(fcntl({hi}, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK));
  T(fcntl(fd, F_DUPFD, {hi - 5})); T(fcntl(fd, F_DUPFD_CLOEXEC, {hi - 5})); T(fcntl({hi - 4}, F_GETFD));
  T(write({hi}, "X", 1)); T(lseek(fd, 0, SEEK_CUR));
  T(close({hi})); T(close({hi + 1})); T(close({hi - 5})); T(close({hi - 4})); T(dup({hi}));
  T(dup2(-1, 5)); T(fcntl(-1, F_GETFD)); T(dup2(fd, -1)); T(fcntl(fd, 9999));
  T(close(d1)); T(close(fd));
  show("fd{k}.txt");
"""


def _errnos(R: random.Random, k: int) -> str:
    calls = ["close(-1)", "close(9999)", 'open("no/such/file", O_RDONLY)', 'open("", O_RDONLY)',
             "read(-5, lb, 1)", "write(9999, \"x\", 1)", 'unlink("nonexistent")', 'rmdir("nonexistent")',
             'mkdir("", 0755)', 'chdir("nonexistent")', 'rename("nonexistent", "x")', "lseek(0, 0, 99)",
             'open("/", O_WRONLY)', 'mkdir("/", 0755)', "kill(getpid(), 999)", "waitpid(-1, 0, WNOHANG)",
             "sigaction(SIGKILL, &sa, 0)", "sigaction(999, &sa, 0)", "pipe2(pv, 0x7fffffff)",
             'readlink("nonexistent", lb, 10)', "getcwd(lb, 0) == NULL",
             "nanosleep(&bad, 0)", "clock_gettime(12345, &ts)", 'truncate("nonexistent", 1)',
             'symlink("", "emptylink")', "dup3(0, 0, O_CLOEXEC)", "munmap((void *)1, 4096)",
             "mprotect((void *)4097, 10, PROT_READ)", "setpgid(-1, 0)",
             "ftruncate(0 + 9999, 0)", 'access("nonexistent", F_OK)', "lseek(9999, 0, SEEK_SET)"]
    name = "x" * 300
    body = "\n".join(f"  T({c});" for c in R.sample(calls, R.randint(4, 14)))
    return f"""
  struct sigaction sa; memset(&sa, 0, sizeof sa); sa.sa_handler = SIG_IGN; int pv[2]; char lb[64];
  struct timespec ts, bad = {{0, 2000000000}};
  (void)sa; (void)pv; (void)lb; (void)ts; (void)bad;
{body}
  T(open("{name}", O_RDONLY));
"""


def _pipes(R: random.Random, k: int) -> str:
    n = R.randint(1, 5000)
    return f"""
  int p[2]; T(pipe(p)); char b[10000]; memset(b, 'p', sizeof b);
  struct pollfd pf[2] = {{{{p[0], POLLIN, 0}}, {{p[1], POLLOUT, 0}}}};
  T(poll(pf, 2, 0)); SAY("revents %x %x", pf[0].revents, pf[1].revents);
  T(write(p[1], b, {n}));
  T(poll(pf, 2, 100)); SAY("revents %x %x", pf[0].revents, pf[1].revents);
  fd_set rs; FD_ZERO(&rs); FD_SET(p[0], &rs); struct timeval tv = {{0, 1000}};
  T(select(p[0] + 1, &rs, 0, 0, &tv)); SAY("isset %d", FD_ISSET(p[0], &rs));
  T(read(p[0], b, {R.randint(1, 9000)})); T(lseek(p[0], 0, SEEK_SET)); T(pread(p[0], b, 1, 0));
  T(fcntl(p[0], F_SETFL, O_NONBLOCK)); T(read(p[0], b, 9000)); T(read(p[0], b, 1));
  T(close(p[1])); T(poll(pf, 1, 0)); SAY("hup %x", pf[0].revents); T(read(p[0], b, 1)); T(close(p[0]));
  int q[2]; T(pipe2(q, O_CLOEXEC)); T(fcntl(q[0], F_GETFD)); T(close(q[0]));
  signal(SIGPIPE, SIG_IGN); T(write(q[1], "x", 1)); signal(SIGPIPE, SIG_DFL); T(close(q[1]));
  FD_ZERO(&rs); tv.tv_usec = 2000; T(select(0, 0, 0, 0, &tv)); T(poll(0, 0, 1));
"""


def _fork(R: random.Random, k: int) -> str:
    code = R.randint(0, 255)
    sig = R.choice(["SIGTERM", "SIGKILL", "SIGUSR1", "SIGABRT", "SIGSEGV"])
    flush = "fflush(stdout);" if R.random() < 0.85 else ""
    return f"""
  SAY("before fork"); {flush}
  int p[2]; T(pipe(p)); pid_t me = getpid();
  pid_t c = fork();
  if (c == 0) {{
    close(p[0]); SAY("child ppid ok %d pid differs %d", getppid() == me, getpid() != me);
    char m[] = "from child"; write(p[1], m, sizeof m);
    exit({code});
  }}
  close(p[1]); char b[32] = {{0}};
  T(read(p[0], b, sizeof b)); SAY("got '%s'", b); close(p[0]);
  int s; T(waitpid(c, &s, 0) == c); status("child", s);
  T(waitpid(c, &s, 0));
  fflush(stdout);
  c = fork();
  if (c == 0) {{ for (;;) pause(); }}
  T(kill(c, {sig})); T(waitpid(c, &s, 0) == c); status("signalled", s);
  c = fork();
  if (c == 0) _exit({(code + 1) % 256});
  siginfo_t si; memset(&si, 0, sizeof si); T(waitid(P_PID, c, &si, WEXITED));
  SAY("waitid code=%d status=%d pid ok %d", si.si_code, si.si_status, si.si_pid == c);
  T(wait(&s));
"""


def _exec(R: random.Random, k: int) -> str:
    code = R.randint(0, 100)
    return f"""
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {{
    char *av[] = {{prog, "exec-child", "{code}", "arg with space", 0}};
    char *ev[] = {{"RANDSYS_X=exec{k}", "OTHER=", 0, 0}};
    char *runner = getenv("RANDSYS_RUNNER"), *pre = getenv("QEMU_LD_PREFIX"), lp[512];
    if (runner) {{  /* the qemu oracle without binfmt_misc: run the program as the kernel would through it */
      snprintf(lp, sizeof lp, "QEMU_LD_PREFIX=%s", pre ? pre : ""); ev[2] = lp;
      char *qv[] = {{runner, prog, "exec-child", "{code}", "arg with space", 0}}; execve(runner, qv, ev);
    }} else execve(prog, av, ev);
    SAY("execve failed %s", en(errno)); fflush(stdout); _exit(127);
  }}
  int s; T(waitpid(c, &s, 0) == c); status("exec child", s);
  char *bad[] = {{"nothing", 0}}; T(execve("./no-such-program", bad, bad));
  T(execve(".", bad, bad));
"""


def _threads(R: random.Random, k: int) -> str:
    n = R.randint(1, 6)
    iters = R.randint(1, 2000)
    return f"""
  pthread_t th[{n}]; struct tharg a[{n}];
  pthread_mutex_lock(&mx); counter = 0; turn = 0; pthread_mutex_unlock(&mx);
  tls_v = 1000;
  for (int i = 0; i < {n}; i++) {{ a[i].id = i; a[i].n = {iters}; T(pthread_create(&th[i], 0, worker, &a[i])); }}
  for (int i = 0; i < {n}; i++) {{ void *rv; T(pthread_join(th[i], &rv)); SAY("joined %d -> %ld", i, (long)rv); }}
  SAY("counter %ld tls %ld order %s", counter, tls_v, order);
  order[0] = 0;
  a[0].id = {n}; pthread_t d; T(pthread_create(&d, 0, worker, &a[0])); T(pthread_detach(d));
  pthread_mutex_lock(&mx); while (counter < {n * iters} + {iters}) pthread_cond_wait(&cv_done, &mx); pthread_mutex_unlock(&mx);
  SAY("after detached counter %ld", counter);
  T(pthread_mutex_trylock(&mx)); T(pthread_mutex_trylock(&mx)); T(pthread_mutex_unlock(&mx));
"""


THREAD_SUPPORT = r"""
struct tharg { int id; long n; };
static pthread_mutex_t mx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER, cv_done = PTHREAD_COND_INITIALIZER;
static long counter; static int turn; static char order[64];
static void *worker(void *p) {
  struct tharg *a = p;
  tls_v = a->id * 10;
  for (long i = 0; i < a->n; i++) { pthread_mutex_lock(&mx); counter++; pthread_mutex_unlock(&mx); tls_v++; }
  pthread_mutex_lock(&mx);                     /* take turns in id order */
  while (turn != a->id && turn < 64) pthread_cond_wait(&cv, &mx);
  size_t l = strlen(order); if (l < 62) { order[l] = 'a' + a->id; order[l + 1] = 0; }
  turn++; pthread_cond_broadcast(&cv); pthread_cond_broadcast(&cv_done);
  pthread_mutex_unlock(&mx);
  return (void *)(long)(tls_v - a->n);
}
"""


def _signals(R: random.Random, k: int) -> str:
    s1 = R.choice(["SIGUSR1", "SIGUSR2", "SIGHUP", "SIGALRM", "SIGTERM"])
    s2 = R.choice(["SIGUSR1", "SIGUSR2", "SIGINT", "SIGQUIT", "SIGWINCH"])
    reset = R.choice(["0", "SA_RESETHAND", "SA_RESTART", "SA_NODEFER"])
    return f"""
  struct sigaction sa, old; memset(&sa, 0, sizeof sa); sa.sa_handler = on_sig; sa.sa_flags = {reset};
  memset((void *)got, 0, sizeof got);
  T(sigaction({s1}, &sa, &old)); SAY("old default %d", old.sa_handler == SIG_DFL);
  T(raise({s1})); SAY("got %d", got[{s1}]);
  T(sigaction({s1}, 0, &old)); SAY("handler still %d", old.sa_handler == on_sig);
  if (old.sa_handler != on_sig) T(sigaction({s1}, &sa, 0));
  T(kill(getpid(), {s1})); SAY("got %d", got[{s1}]);
  sigset_t m, o, pend; sigemptyset(&m); sigaddset(&m, {s2}); sigaddset(&m, {s1});
  sa.sa_flags = 0; T(sigaction({s1}, &sa, 0)); T(sigaction({s2}, &sa, 0));
  T(sigprocmask(SIG_BLOCK, &m, &o)); T(raise({s2})); T(kill(getpid(), {s1}));
  T(sigpending(&pend)); SAY("pending %d %d got %d %d", sigismember(&pend, {s2}), sigismember(&pend, {s1}), got[{s2}], got[{s1}]);
  T(sigprocmask(SIG_SETMASK, &o, 0)); SAY("after unblock got %d %d", got[{s2}], got[{s1}]);
  sa.sa_handler = SIG_IGN; T(sigaction({s2}, &sa, 0)); T(raise({s2})); SAY("ignored got %d", got[{s2}]);
  sa.sa_handler = on_sig; T(sigaction(SIGCHLD, &sa, 0)); fflush(stdout);
  pid_t c = fork(); if (c == 0) _exit(3);
  int s; T(waitpid(c, &s, 0) == c); SAY("sigchld %d", got[SIGCHLD]);
  signal(SIGCHLD, SIG_DFL); signal({s1}, SIG_DFL); signal({s2}, SIG_DFL);
  sigemptyset(&m); sigaddset(&m, SIGUSR1); T(sigprocmask(SIG_BLOCK, &m, &o)); T(raise(SIGUSR1));
  struct timespec z = {{0, 0}}; siginfo_t si; T(sigtimedwait(&m, &si, &z)); SAY("si_signo %d", si.si_signo);
  T(sigtimedwait(&m, &si, &z)); T(sigprocmask(SIG_SETMASK, &o, 0));
"""


def _mmap(R: random.Random, k: int) -> str:
    pages = R.randint(1, 8)
    grow = R.randint(pages + 1, pages + 20)
    fsize = R.randint(1, 3 * 4096)
    return f"""
  long pg = sysconf(_SC_PAGESIZE); SAY("page %ld", pg);
  char *m; TOK(m, mmap(0, {pages} * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  SAY("zero %d", m[{pages} * 4096 - 1]); for (int i = 0; i < {pages}; i++) m[i * pg] = 'A' + i;
  T(mprotect(m, pg, PROT_READ)); SAY("read %c", m[0]); T(mprotect(m, pg, PROT_READ | PROT_WRITE));
  char *g; TOK(g, mremap(m, {pages} * pg, {grow} * pg, MREMAP_MAYMOVE));
  SAY("kept %c %c new %d", g[0], g[({pages} - 1) * pg], g[{grow} * pg - 1]);
  T(munmap(g, {grow} * pg)); T(munmap(g, 0)); T(mmap(0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED);
  T(mmap(0, pg, PROT_READ, MAP_PRIVATE, 9999, 0) == MAP_FAILED);
  int fd; TOK(fd, open("map{k}.bin", O_RDWR | O_CREAT | O_TRUNC, 0600)); T(ftruncate(fd, {fsize}));
  char *f; TOK(f, mmap(0, {fsize}, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
  memcpy(f, "shared-write", 12); f[{fsize} - 1] = 'Z'; T(msync(f, {fsize}, MS_SYNC));
  char b[16] = {{0}}; T(pread(fd, b, 12, 0)); SAY("file '%s'", b); T(pread(fd, b, 1, {fsize} - 1)); SAY("last %c", b[0]);
  char *p; TOK(p, mmap(0, {fsize}, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0));
  SAY("private sees %.6s", p); memcpy(p, "PRIVATE", 7); T(pread(fd, b, 7, 0)); SAY("file keeps %.7s", b);
  T(pwrite(fd, "later", 5, 0)); SAY("shared sees %.5s", f);
  T(munmap(p, {fsize})); T(munmap(f, {fsize})); T(close(fd));
  struct stat s; T(stat("map{k}.bin", &s)); SAY("size %ld", (long)s.st_size);
  TOK(fd, open("map{k}.bin", O_RDONLY)); T(mmap(0, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED);
  TOK(f, mmap(0, pg, PROT_READ, MAP_PRIVATE, fd, 0)); SAY("ro map %.5s", f); T(munmap(f, pg)); T(close(fd));
"""


def _clocks(R: random.Random, k: int) -> str:
    ms = R.randint(1, 30)
    return f"""
  struct timespec a, b, r; T(clock_gettime(CLOCK_MONOTONIC, &a));
  struct timespec d = {{0, {ms} * 1000000L}}; T(nanosleep(&d, 0));
  T(clock_gettime(CLOCK_MONOTONIC, &b)); SAY("slept enough %d", double_ms(a, b) >= {ms});
  T(clock_gettime(CLOCK_REALTIME, &r)); SAY("realtime sane %d", r.tv_sec > 1600000000);
  struct timeval tv; T(gettimeofday(&tv, 0)); SAY("tod sane %d", tv.tv_sec > 1600000000 && tv.tv_usec < 1000000);
  SAY("time sane %d", time(0) >= r.tv_sec); T(clock_getres(CLOCK_MONOTONIC, &r)); SAY("res <= 1ms %d", r.tv_sec == 0 && r.tv_nsec <= 1000000);
  T(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &r)); T(clock_gettime(CLOCK_BOOTTIME, &r));
"""


def _ids(R: random.Random, k: int) -> str:
    return """
  SAY("pid==pid %d tid==pid %d ppid!=pid %d", getpid() == getpid(), gettid() == getpid(), getppid() != getpid());
  SAY("uid==euid %d gid==egid %d", getuid() == geteuid(), getgid() == getegid());
  SAY("pgid %d sid ok %d", getpgrp() == getpgid(0), getsid(0) > 0);
  T(getpgid(999999)); T(kill(999999, 0)); T(kill(getpid(), 0));
"""


def _environ(R: random.Random, k: int) -> str:
    v = f"val{R.randint(0, 999)}"
    return f"""
  SAY("argc %d argv1 %s", argc, argc > 1 ? argv[1] : "-");
  SAY("RANDSYS_A=%s", getenv("RANDSYS_A") ? getenv("RANDSYS_A") : "(unset)");
  SAY("EMPTY=[%s]", getenv("RANDSYS_EMPTY") ? getenv("RANDSYS_EMPTY") : "(unset)");
  T(setenv("RANDSYS_NEW", "{v}", 0)); T(setenv("RANDSYS_NEW", "other", 0)); SAY("new %s", getenv("RANDSYS_NEW"));
  T(unsetenv("RANDSYS_A")); SAY("unset %d", getenv("RANDSYS_A") == 0); T(setenv("", "x", 1)); T(setenv("A=B", "x", 1));
"""


def _stdio(R: random.Random, k: int) -> str:
    mode = R.choice(["_IOFBF", "_IOLBF", "_IONBF"])
    return f"""
  printf("buffered-{k} "); T(write(1, "direct-{k}\\n", {len(f"direct-{k}") + 1}));
  fflush(stdout);
  fprintf(stderr, "err-{k}\\n");
  FILE *f = fopen("stdio{k}.txt", "w"); setvbuf(f, 0, {mode}, 64);
  for (int i = 0; i < {R.randint(1, 30)}; i++) fprintf(f, "line %d\\n", i);
  show("stdio{k}.txt"); T(fclose(f)); show("stdio{k}.txt");
  f = fopen("stdio{k}.txt", "a+"); T(fputs("tail\\n", f)); T(fseek(f, 0, SEEK_SET)); char b[32];
  SAY("first '%s'", fgets(b, sizeof b, f) ? b : "?"); T(fclose(f)); SAY("fopen missing %d", fopen("nope/x", "r") == 0);
  f = fopen("dup{k}.txt", "w"); fprintf(f, "written before fork\\n"); fflush(stdout);
  pid_t c = fork(); if (c == 0) {{ fprintf(f, "child\\n"); exit(0); }}
  int s; waitpid(c, &s, 0); fprintf(f, "parent\\n"); fclose(f); show("dup{k}.txt");
"""


def _files2(R: random.Random, k: int) -> str:
    far = R.choice([1 << 20, 1 << 33, 5000, 4096])
    return f"""
  int fd; TOK(fd, open("g{k}.dat", O_RDWR | O_CREAT | O_TRUNC, 0644)); char b[64];
  T(read(fd, b, 0)); T(write(fd, b, 0)); T(pwrite(fd, "end", 3, {far})); struct stat s; T(fstat(fd, &s));
  SAY("sparse size %ld", (long)s.st_size); T(pread(fd, b, 4, 10)); SAY("hole %d%d%d%d", b[0], b[1], b[2], b[3]);
  T(pread(fd, b, 8, {far} + 1)); T(pread(fd, b, 8, {far} + 100)); T(pread(fd, b, 8, -1));
  T(lseek(fd, 0, SEEK_DATA) >= 0); T(lseek(fd, {far} + 3, SEEK_DATA)); T(lseek(fd, {far} + 50, SEEK_HOLE));
  T(ftruncate(fd, 10)); T(fallocate(fd, 0, 0, 100)); T(fstat(fd, &s)); SAY("size %ld", (long)s.st_size);
  T(posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)); T(fsync(fd)); T(fdatasync(fd));
  struct timespec tt[2] = {{{{1000000000, 5}}, {{1200000000, 700}}}};
  T(futimens(fd, tt)); T(fstat(fd, &s)); SAY("times %ld %ld %ld", (long)s.st_mtim.tv_sec, (long)s.st_mtim.tv_nsec, (long)s.st_atim.tv_sec);
  T(utimensat(AT_FDCWD, "g{k}.dat", tt, AT_SYMLINK_NOFOLLOW)); T(utimensat(AT_FDCWD, "nope", tt, 0));
  T(fchmod(fd, 0600)); T(fchown(fd, -1, -1)); T(fstat(fd, &s)); SAY("mode %o", (unsigned)(s.st_mode & 0777));
  int ro; TOK(ro, open("g{k}.dat", O_RDONLY)); T(write(ro, "x", 1)); T(ftruncate(ro, 0)); T(close(ro));
  T(symlink("g{k}.dat", "g{k}.lnk")); T(open("g{k}.lnk", O_RDONLY | O_NOFOLLOW)); T(symlink("g{k}.loop", "g{k}.loop"));
  T(open("g{k}.loop", O_RDONLY)); T(stat("g{k}.loop/x", &s));
  int pf; TOK(pf, open("g{k}.lnk", O_PATH | O_NOFOLLOW)); T(read(pf, b, 1)); T(fstatat(pf, "", &s, AT_EMPTY_PATH)); SAY("path lnk %d", S_ISLNK(s.st_mode)); T(close(pf));
  T(syscall(SYS_renameat2, AT_FDCWD, "g{k}.lnk", AT_FDCWD, "g{k}.dat", 1 /* RENAME_NOREPLACE */));
  T(mkdir("g{k}.d", 0755)); put("g{k}.d/in", "in"); T(mkdir("g{k}.e", 0755)); T(rename("g{k}.e", "g{k}.d")); T(rename("g{k}.d", "g{k}.e"));
  T(rename("g{k}.dat", "g{k}.e")); T(rename("g{k}.e", "g{k}.dat")); ls(".");
  int dd; TOK(dd, open("g{k}.e", O_RDONLY | O_DIRECTORY)); T(fchdir(dd)); st("in", 0); T(chdir("..")); T(close(dd));
  int t; TOK(t, open(".", O_TMPFILE | O_RDWR, 0600)); if (t >= 0) {{ T(write(t, "tmp", 3)); T(fstat(t, &s)); SAY("tmp nlink %ld", (long)s.st_nlink); T(close(t)); }}
  int nul; TOK(nul, open("/dev/null", O_RDWR)); T(read(nul, b, 8)); T(write(nul, b, 8)); T(close(nul));
  int z; TOK(z, open("/dev/zero", O_RDONLY)); memset(b, 1, 8); T(read(z, b, 8)); SAY("zero %d", b[7]); T(close(z));
  int full; TOK(full, open("/dev/full", O_WRONLY)); T(write(full, b, 1)); T(close(full));
  T(truncate("g{k}.dat", 3)); show("g{k}.dat"); T(close(fd));
  int sf; TOK(sf, open("g{k}.copy", O_WRONLY | O_CREAT | O_TRUNC, 0644)); TOK(fd, open("g{k}.e/in", O_RDONLY));
  T(sendfile(sf, fd, 0, 100)); T(lseek(fd, 0, SEEK_SET)); T(copy_file_range(fd, 0, sf, 0, 100, 0)); T(close(sf)); T(close(fd)); show("g{k}.copy");
"""


def _procs2(R: random.Random, k: int) -> str:
    n = R.randint(1, 4)
    return f"""
  int *sh = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  int *pr = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  sh[0] = 1; pr[0] = 1; fflush(stdout);
  for (int i = 0; i < {n}; i++) {{
    pid_t c = fork();
    if (c == 0) {{ __atomic_fetch_add(&sh[0], 10, __ATOMIC_SEQ_CST); pr[0] = 99; _exit(i); }}
    int s; waitpid(c, &s, 0); status("shared child", s);
  }}
  SAY("shared %d private %d", sh[0], pr[0]); munmap(sh, 4096); munmap(pr, 4096);
  int fl; TOK(fl, open("lock{k}", O_RDWR | O_CREAT, 0600)); struct flock lk = {{0}}; lk.l_type = F_WRLCK; lk.l_len = 10;
  T(fcntl(fl, F_SETLK, &lk)); T(flock(fl, LOCK_EX | LOCK_NB)); fflush(stdout);
  pid_t c = fork();
  if (c == 0) {{ struct flock q = {{0}}; q.l_type = F_WRLCK; q.l_len = 5; fcntl(fl, F_GETLK, &q);
    SAY("child sees lock %d by parent %d", q.l_type == F_WRLCK, q.l_pid == getppid());
    int g = open("lock{k}", O_RDWR); SAY("child flock %d %s", flock(g, LOCK_EX | LOCK_NB), en(errno)); fflush(stdout); _exit(0); }}
  int s; T(waitpid(c, &s, 0) == c); T(close(fl));
  int go[2]; T(pipe(go)); fflush(stdout); c = fork();
  if (c == 0) {{ char g; raise(SIGSTOP); read(go[0], &g, 1); _exit(7); }}
  T(waitpid(c, &s, WUNTRACED) == c); SAY("stopped %d sig %d", WIFSTOPPED(s), WSTOPSIG(s));
  T(kill(c, SIGCONT)); T(waitpid(c, &s, WCONTINUED) == c); SAY("continued %d", WIFCONTINUED(s));
  T(write(go[1], "g", 1)); T(waitpid(c, &s, 0) == c); status("after stop", s); close(go[0]); close(go[1]);
  fflush(stdout); c = fork();
  if (c == 0) {{ SAY("setsid ok %d", setsid() == getpid()); SAY("pgrp %d", getpgrp() == getpid()); fflush(stdout); _exit(0); }}
  T(waitpid(c, &s, 0) == c);
  fflush(stdout); c = fork();
  if (c == 0) {{ T(setpgid(0, 0)); fflush(stdout); usleep(200000); _exit(4); }}
  usleep(50000); T(setpgid(c, c)); T(waitpid(-c, &s, 0) == c); status("group wait", s);
  fflush(stdout); c = vfork(); if (c == 0) _exit(12);
  T(waitpid(c, &s, 0) == c); status("vfork", s);
  int rc = system("echo from-system; exit 3"); SAY("system %d", WEXITSTATUS(rc));
  FILE *pp = popen("echo popen-line", "r"); char b[64] = {{0}}; if (pp) {{ fgets(b, sizeof b, pp); SAY("popen %s", b); SAY("pclose %d", pclose(pp)); }}
  struct rusage ru; T(wait4(-1, &s, WNOHANG, &ru));
"""


def _signals2(R: random.Random, k: int) -> str:
    nq = R.randint(1, 5)
    return f"""
  struct sigaction sa; memset(&sa, 0, sizeof sa); sa.sa_sigaction = on_info; sa.sa_flags = SA_SIGINFO;
  T(sigaction(SIGUSR2, &sa, 0)); T(sigaction(SIGRTMIN + 1, &sa, 0)); T(sigaction(SIGRTMIN + 2, &sa, 0));
  info_n = 0; T(raise(SIGUSR2)); SAY("info code user %d pid ok %d", info_code[0] == SI_TKILL || info_code[0] == SI_USER, info_pid[0] == getpid());
  union sigval v; v.sival_int = {R.randint(1, 9999)}; info_n = 0; T(sigqueue(getpid(), SIGUSR2, v)); SAY("queued code %d val %d", info_code[0] == SI_QUEUE, info_val[0]);
  sigset_t m, o; sigemptyset(&m); sigaddset(&m, SIGUSR2); sigaddset(&m, SIGRTMIN + 1); sigaddset(&m, SIGRTMIN + 2);
  T(sigprocmask(SIG_BLOCK, &m, &o)); info_n = 0;
  for (int i = 0; i < {nq}; i++) {{ v.sival_int = i; sigqueue(getpid(), SIGRTMIN + 2 - (i & 1), v); sigqueue(getpid(), SIGUSR2, v); }}
  T(sigprocmask(SIG_SETMASK, &o, 0));
  printf("%d order", __LINE__); for (int i = 0; i < info_n; i++) printf(" %d/%d", info_sig[i] - (info_sig[i] >= SIGRTMIN ? SIGRTMIN : 0), info_val[i]); printf("\\n");
  memset(&sa, 0, sizeof sa); sa.sa_handler = on_sig; T(sigaction(SIGALRM, &sa, 0)); memset((void *)got, 0, sizeof got);
  T(alarm(5)); T(alarm(0) > 0); T(alarm(0));
  struct itimerval it = {{{{0, 0}}, {{0, 20000}}}}; T(setitimer(ITIMER_REAL, &it, 0)); T(pause()); SAY("itimer %d", got[SIGALRM]);
  sa.sa_flags = 0; T(sigaction(SIGALRM, &sa, 0)); int p[2]; T(pipe(p)); it.it_value.tv_usec = 30000; T(setitimer(ITIMER_REAL, &it, 0));
  char c; T(read(p[0], &c, 1)); sa.sa_flags = SA_RESTART; T(sigaction(SIGALRM, &sa, 0)); T(setitimer(ITIMER_REAL, &it, 0));
  struct pollfd pf = {{p[0], POLLIN, 0}}; T(poll(&pf, 1, 200)); close(p[0]); close(p[1]);
  struct timespec d = {{5, 0}}, rem = {{0, 0}}; T(setitimer(ITIMER_REAL, &it, 0)); T(nanosleep(&d, &rem)); SAY("rem plausible %d", rem.tv_sec >= 4);
  stack_t ss = {{0}}; ss.ss_sp = malloc(65536); ss.ss_size = 65536; T(sigaltstack(&ss, 0));
  sa.sa_sigaction = on_segv; sa.sa_flags = SA_SIGINFO | SA_ONSTACK; T(sigaction(SIGSEGV, &sa, 0));
  char *g = mmap(0, 8192, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); segv_base = g;
  if (sigsetjmp(jb, 1) == 0) {{ g[4097] = 1; SAY("no fault"); }} else SAY("segv offset %ld code %d onstack %d", segv_off, segv_code, segv_stack);
  T(mprotect(g + 4096, 4096, PROT_READ | PROT_WRITE)); g[4097] = 1;
  if (sigsetjmp(jb, 1) == 0) {{ volatile char x = g[0]; (void)x; SAY("no fault"); }} else SAY("segv offset %ld code %d", segv_off, segv_code);
  munmap(g, 8192); signal(SIGSEGV, SIG_DFL); signal(SIGALRM, SIG_DFL); signal(SIGUSR2, SIG_DFL);
  sigemptyset(&m); sigaddset(&m, SIGUSR1); T(sigprocmask(SIG_BLOCK, &m, &o)); fflush(stdout);
  pid_t ch = fork(); if (ch == 0) {{ kill(getppid(), SIGUSR1); _exit(0); }}
  int sig = 0; T(sigwait(&m, &sig)); SAY("sigwait %d", sig); T(waitpid(ch, 0, 0) == ch); T(sigprocmask(SIG_SETMASK, &o, 0));
"""


SIGNAL_SUPPORT = r"""
#include <setjmp.h>
#include <sys/resource.h>
#include <sys/file.h>
#include <sys/utsname.h>
#include <sys/prctl.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/eventfd.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <stdint.h>
static volatile int info_n, info_sig[64], info_code[64], info_pid[64], info_val[64];
static void on_info(int s, siginfo_t *si, void *u) {
  (void)u; int i = info_n; if (i < 64) { info_sig[i] = s; info_code[i] = si->si_code; info_pid[i] = si->si_pid;
  info_val[i] = si->si_value.sival_int; info_n = i + 1; }
}
static sigjmp_buf jb; static char *segv_base; static volatile long segv_off; static volatile int segv_code, segv_stack;
static void on_segv(int s, siginfo_t *si, void *u) {
  (void)s; (void)u; int here; stack_t cur; sigaltstack(0, &cur);
  segv_off = (char *)si->si_addr - segv_base; segv_code = si->si_code; segv_stack = (cur.ss_flags & SS_ONSTACK) != 0;
  (void)here; siglongjmp(jb, 1);
}
static void bye1(void) { printf("atexit 1\n"); }
static void bye2(void) { printf("atexit 2\n"); }
static pthread_key_t key; static pthread_barrier_t bar;
static volatile long dtor_sum, dtor_n;
static void key_dtor(void *p) { __atomic_fetch_add(&dtor_sum, (long)p, __ATOMIC_SEQ_CST); __atomic_fetch_add(&dtor_n, 1, __ATOMIC_SEQ_CST); }
static void *t2(void *p) {
  long id = (long)p; pthread_setspecific(key, (void *)(id + 100));
  int r = pthread_barrier_wait(&bar); (void)r;
  if (id == 1) pthread_exit((void *)77);
  if (id == 2) { for (;;) { pthread_testcancel(); usleep(1000); } }
  return (void *)id;
}
"""


def _threads2(R: random.Random, k: int) -> str:
    return f"""
  T(pthread_key_create(&key, key_dtor)); T(pthread_barrier_init(&bar, 0, 4)); pthread_t th[3];
  for (long i = 0; i < 3; i++) T(pthread_create(&th[i], 0, t2, (void *)i));
  int r = pthread_barrier_wait(&bar); SAY("barrier %d", r == 0 || r == PTHREAD_BARRIER_SERIAL_THREAD);
  void *rv; T(pthread_join(th[0], &rv)); fflush(stdout); SAY("t0 %ld", (long)rv); T(pthread_join(th[1], &rv)); SAY("t1 %ld", (long)rv);
  T(pthread_cancel(th[2])); T(pthread_join(th[2], &rv)); SAY("canceled %d", rv == PTHREAD_CANCELED);
  SAY("key dtors %ld sum %ld", dtor_n, dtor_sum); T(pthread_barrier_destroy(&bar)); T(pthread_key_delete(key));
  pthread_attr_t at; T(pthread_attr_init(&at)); T(pthread_attr_setstacksize(&at, {R.choice([65536, 1 << 20, 16384])}));
  pthread_t t; T(pthread_create(&t, &at, worker, &(struct tharg){{turn, 3}})); T(pthread_join(t, &rv));
  fflush(stdout); pid_t c = fork();
  /* (a child forked while another thread lives, glibc's timer helper, creating a thread aborts
     qemu-user 7.2, the oracle: "qemu_plugin_vcpu_init_hook: assertion failed"; Linux and xld run
     create it. Not asked of qemu then.) */
  if (c == 0 && t2_helper) {{ SAY("fork in thread child, another thread alive"); exit(5); }}
  if (c == 0) {{ pthread_t u; struct tharg a = {{turn, 2}}; SAY("fork in thread child create %d", pthread_create(&u, 0, worker, &a)); pthread_join(u, 0); SAY("child counter %ld", counter); exit(5); }}
  int s; T(waitpid(c, &s, 0) == c); status("threaded fork", s);
"""


def _misc(R: random.Random, k: int) -> str:
    return f"""
  struct utsname u; T(uname(&u)); SAY("uname %s %s", u.sysname, u.machine);
  char nm[17] = {{0}}; T(prctl(PR_SET_NAME, "rs-{k}")); T(prctl(PR_GET_NAME, nm)); SAY("name %s", nm);
  char b[256]; int fd; TOK(fd, open("/proc/self/cmdline", O_RDONLY)); long n = read(fd, b, sizeof b); close(fd);
  SAY("cmdline bytes %ld args %d", n - (long)strlen(b) - 1, n > 0 && !strcmp(b, prog));
  n = readlink("/proc/self/exe", b, sizeof b - 1); if (n > 0) b[n] = 0; SAY("exe is prog %d", n > 0 && !strcmp(b, prog));
  TOK(fd, open("/proc/self/status", O_RDONLY)); T(close(fd));
  int p[2]; T(pipe(p)); T(write(p[1], "12345", 5)); int avail = -1; T(ioctl(p[0], FIONREAD, &avail)); SAY("fionread %d", avail);
  T(fcntl(p[0], F_GETPIPE_SZ)); T(fcntl(p[0], F_SETPIPE_SZ, 8192)); T(fcntl(p[0], F_GETPIPE_SZ)); struct stat s; T(fstat(p[0], &s)); SAY("fifo %d", S_ISFIFO(s.st_mode)); close(p[0]); close(p[1]);
  T(isatty(0)); T(ioctl(0, TIOCGWINSZ, b)); T(getrandom(b, 16, 0)); T(umask(077)); T(umask(022));
  struct rlimit rl; T(getrlimit(RLIMIT_NOFILE, &rl)); struct rlimit lo = {{{R.randint(8, 30)}, rl.rlim_max}}; T(setrlimit(RLIMIT_NOFILE, &lo));
  int last = 0, cnt = 0; for (int i = 0; i < 40; i++) {{ int f = open("/dev/null", O_RDONLY); if (f < 0) {{ SAY("open stops %s", en(errno)); break; }} last = f; cnt++; }}
  SAY("last fd %d", last); for (int f = 3; f <= last; f++) close(f); T(setrlimit(RLIMIT_NOFILE, &rl));
  T(dup2(0, {R.randint(31, 60)}));
  T(getpriority(PRIO_PROCESS, 0)); T(sched_yield()); T(getrlimit(RLIMIT_STACK, &rl));
  {"T(atexit(bye1)); T(atexit(bye2));" if R.random() < 0.5 else ""}
  char *dir = get_current_dir_name(); char rp[4096]; SAY("realpath same %d", realpath(".", rp) && !strcmp(rp, dir)); free(dir);
"""


def _ipc(R: random.Random, k: int) -> str:
    n = R.randint(1, 3000)
    return f"""
  int sv[2]; T(socketpair(AF_UNIX, SOCK_STREAM, 0, sv)); char b[4096]; memset(b, 's', sizeof b);
  T(write(sv[0], b, {n})); T(read(sv[1], b, sizeof b)); T(shutdown(sv[0], SHUT_WR)); T(read(sv[1], b, 1));
  T(write(sv[1], "back", 4)); T(read(sv[0], b, 10)); int ty = 0; socklen_t tl = sizeof ty;
  T(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &ty, &tl)); SAY("type %d", ty); T(close(sv[0])); T(close(sv[1]));
  int dg[2]; T(socketpair(AF_UNIX, SOCK_DGRAM, 0, dg));
  T(send(dg[0], "first", 5, 0)); T(send(dg[0], "second!", 7, 0)); T(send(dg[0], "", 0, 0));
  T(recv(dg[1], b, 3, 0)); T(recv(dg[1], b, 3, MSG_TRUNC)); T(recv(dg[1], b, 10, 0)); T(recv(dg[1], b, 10, MSG_DONTWAIT));
  put("ipc{k}.txt", "through a passed descriptor");
  int pass; TOK(pass, open("ipc{k}.txt", O_RDONLY)); fflush(stdout);
  pid_t c = fork();
  if (c == 0) {{
    struct msghdr mh = {{0}}; char cb[CMSG_SPACE(sizeof(int))]; char one; struct iovec io = {{&one, 1}};
    mh.msg_iov = &io; mh.msg_iovlen = 1; mh.msg_control = cb; mh.msg_controllen = sizeof cb;
    long r = recvmsg(dg[1], &mh, 0); struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    if (r == 1 && cm && cm->cmsg_type == SCM_RIGHTS) {{ int got_fd; memcpy(&got_fd, CMSG_DATA(cm), sizeof got_fd);
      long m = read(got_fd, b, 100); SAY("child got fd: %.*s", (int)(m > 0 ? m : 0), b); }}
    else SAY("child recvmsg %ld %s", r, en(errno));
    fflush(stdout); _exit(0);
  }}
  {{ struct msghdr mh = {{0}}; char cb[CMSG_SPACE(sizeof(int))]; memset(cb, 0, sizeof cb); struct iovec io = {{"x", 1}};
    mh.msg_iov = &io; mh.msg_iovlen = 1; mh.msg_control = cb; mh.msg_controllen = sizeof cb;
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm->cmsg_level = SOL_SOCKET; cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int)); memcpy(CMSG_DATA(cm), &pass, sizeof pass); T(sendmsg(dg[0], &mh, 0)); }}
  int s; T(waitpid(c, &s, 0) == c); T(close(pass)); T(close(dg[0])); T(close(dg[1]));
  int ev; TOK(ev, eventfd(0, EFD_NONBLOCK)); uint64_t v = 3; T(write(ev, &v, 8)); v = 4; T(write(ev, &v, 8));
  T(read(ev, &v, 8)); SAY("eventfd %lu", (unsigned long)v); T(read(ev, &v, 8)); T(read(ev, &v, 4)); T(close(ev));
  TOK(ev, eventfd(2, EFD_SEMAPHORE)); T(read(ev, &v, 8)); SAY("sem %lu", (unsigned long)v); T(close(ev));
  int p[2]; T(pipe(p)); int ep; TOK(ep, epoll_create1(EPOLL_CLOEXEC)); struct epoll_event ee = {{EPOLLIN, {{.u64 = 77}}}}, out[4];
  T(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ee)); T(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ee)); T(epoll_wait(ep, out, 4, 0));
  T(write(p[1], "e", 1)); T(epoll_wait(ep, out, 4, 100)); SAY("epoll data %lu ev %x", (unsigned long)out[0].data.u64, out[0].events);
  T(close(p[1])); T(epoll_wait(ep, out, 4, 0)); SAY("hup ev %x", out[0].events); T(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], 0));
  T(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], 0)); T(close(p[0])); T(close(ep));
  int tf; TOK(tf, timerfd_create(CLOCK_MONOTONIC, 0)); struct itimerspec its = {{{{0, 0}}, {{0, {R.randint(1, 20)} * 1000000}}}};
  T(timerfd_settime(tf, 0, &its, 0)); T(read(tf, &v, 8)); SAY("expirations %lu", (unsigned long)v); T(close(tf));
  T(mkfifo("fifo{k}", 0640)); int fr; TOK(fr, open("fifo{k}", O_RDONLY | O_NONBLOCK)); int fw; TOK(fw, open("fifo{k}", O_WRONLY));
  T(write(fw, "ff", 2)); T(read(fr, b, 10)); T(close(fw)); T(read(fr, b, 10)); T(close(fr)); st("fifo{k}", 0);
  T(open("fifo{k}", O_WRONLY | O_NONBLOCK));
"""


TIMER_SUPPORT = r"""
#include <sched.h>
#include <spawn.h>
#include <sys/times.h>
static volatile int tm_n, tm_code[16], tm_val[16], tm_tid_ok[16];
static void on_timer(int s, siginfo_t *si, void *u) {
  (void)s; (void)u; int i = tm_n; if (i < 16) { tm_code[i] = si->si_code; tm_val[i] = si->si_value.sival_int;
  tm_tid_ok[i] = gettid() == getpid(); tm_n = i + 1; }
}
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_barrier_t sbar;
static long shared_v, reads_ok;
struct sarg { int id, rounds; };
static void *sync_worker(void *p) {
  struct sarg *a = p; long bad = 0;
  for (int r = 0; r < a->rounds; r++) {
    if ((r + a->id) % 3 == 0) { pthread_rwlock_wrlock(&rw); shared_v += 2; long v = shared_v; shared_v = v + 1; shared_v -= 1; pthread_rwlock_unlock(&rw); }
    else { pthread_rwlock_rdlock(&rw); bad += shared_v % 2; pthread_rwlock_unlock(&rw); }
    if (r % 8 == 7) pthread_barrier_wait(&sbar);
  }
  __atomic_fetch_add(&reads_ok, bad == 0, __ATOMIC_SEQ_CST);
  return (void *)(long)a->id;
}
"""


def _timers(R: random.Random, k: int) -> str:
    ms = R.randint(1, 20)
    val = R.randint(1, 9999)
    return f"""
  struct timespec now, until; T(clock_gettime(CLOCK_MONOTONIC, &now)); until = now;
  until.tv_nsec += {ms} * 1000000L; if (until.tv_nsec >= 1000000000L) {{ until.tv_sec++; until.tv_nsec -= 1000000000L; }}
  T(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, 0)); struct timespec after; T(clock_gettime(CLOCK_MONOTONIC, &after));
  SAY("abs sleep reached %d", after.tv_sec > until.tv_sec || (after.tv_sec == until.tv_sec && after.tv_nsec >= until.tv_nsec));
  T(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &now, 0)); T(clock_nanosleep(CLOCK_REALTIME, 0, &(struct timespec){{0, 1000}}, 0));
  T(clock_nanosleep(CLOCK_MONOTONIC, 0, &(struct timespec){{0, -1}}, 0)); T(clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &now, 0));
  struct sigaction sa; memset(&sa, 0, sizeof sa); sa.sa_sigaction = on_timer; sa.sa_flags = SA_SIGINFO; T(sigaction(SIGRTMIN + 3, &sa, 0));
  timer_t tid; struct sigevent ev; memset(&ev, 0, sizeof ev); ev.sigev_notify = SIGEV_SIGNAL; ev.sigev_signo = SIGRTMIN + 3;
  ev.sigev_value.sival_int = {val}; tm_n = 0; T(timer_create(CLOCK_MONOTONIC, &ev, &tid));
  struct itimerspec its = {{{{0, 0}}, {{0, {ms} * 1000000L}}}}, cur; T(timer_settime(tid, 0, &its, 0));
  while (tm_n == 0) pause();
  SAY("timer code %d val %d main %d", tm_code[0] == SI_TIMER, tm_val[0], tm_tid_ok[0]);
  T(timer_gettime(tid, &cur)); SAY("disarmed %d", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0); T(timer_getoverrun(tid));
  sigset_t m, o; sigemptyset(&m); sigaddset(&m, SIGRTMIN + 3); T(sigprocmask(SIG_BLOCK, &m, &o));
  its.it_value.tv_nsec = 2000000; its.it_interval.tv_nsec = 1000000; T(timer_settime(tid, 0, &its, 0));
  struct timespec w = {{0, 30000000}}; T(nanosleep(&w, 0)); siginfo_t si; T(sigwaitinfo(&m, &si) == SIGRTMIN + 3);
  SAY("overrun positive %d code %d", si.si_overrun > 0, si.si_code == SI_TIMER); T(timer_delete(tid)); T(timer_delete(tid));
  T(sigprocmask(SIG_SETMASK, &o, 0));
  ev.sigev_value.sival_int = {val + 1}; tm_n = 0;
  T(timer_create(CLOCK_REALTIME, &ev, &tid)); its.it_interval.tv_nsec = 0; its.it_value.tv_nsec = 1000000; T(timer_settime(tid, 0, &its, 0));
  while (tm_n == 0) pause(); SAY("realtime timer val %d", tm_val[0]); T(timer_delete(tid));
  ev.sigev_notify = 12345; T(timer_create(CLOCK_MONOTONIC, &ev, &tid)); T(timer_create(999, 0, &tid));
  int p[2]; T(pipe(p)); struct pollfd pf = {{p[0], POLLIN, 0}}; struct timespec z = {{0, 5000000}};
  signal(SIGUSR1, on_sig); memset((void *)got, 0, sizeof got); sigemptyset(&m); sigaddset(&m, SIGUSR1); T(sigprocmask(SIG_BLOCK, &m, &o));
  T(raise(SIGUSR1)); sigset_t keep = m; T(ppoll(&pf, 1, &z, &keep)); SAY("ppoll masked got %d", got[SIGUSR1]);
  sigset_t open_mask; sigemptyset(&open_mask); T(ppoll(&pf, 1, &z, &open_mask)); SAY("ppoll unmasked got %d", got[SIGUSR1]);
  T(raise(SIGUSR1)); fd_set rs; FD_ZERO(&rs); FD_SET(p[0], &rs); T(pselect(p[0] + 1, &rs, 0, 0, &z, &open_mask)); SAY("pselect got %d", got[SIGUSR1]);
  T(write(p[1], "x", 1)); FD_SET(p[0], &rs); T(pselect(p[0] + 1, &rs, 0, 0, &z, &keep)); SAY("ready %d", FD_ISSET(p[0], &rs));
  T(sigprocmask(SIG_SETMASK, &o, 0)); signal(SIGUSR1, SIG_DFL); close(p[0]); close(p[1]);
  cpu_set_t cs; CPU_ZERO(&cs); T(sched_getaffinity(0, sizeof cs, &cs)); SAY("cpus > 0 %d", CPU_COUNT(&cs) > 0);
  T(sched_getaffinity(0, 1, &cs)); T(sched_yield()); T(sched_getscheduler(0)); T(sched_get_priority_max(SCHED_OTHER));
  T(sched_get_priority_max(SCHED_FIFO)); T(sched_get_priority_min(SCHED_RR)); T(sched_get_priority_min(77));
  struct rusage ru; T(getrusage(RUSAGE_SELF, &ru)); SAY("utime sane %d maxrss %d", ru.ru_utime.tv_usec < 1000000, ru.ru_maxrss >= 0);
  T(getrusage(RUSAGE_CHILDREN, &ru)); T(getrusage(RUSAGE_THREAD, &ru)); T(getrusage(77, &ru));
  struct tms tb; errno = 0; SAY("times ok %d", times(&tb) != (clock_t)-1 && tb.tms_utime >= 0);
  char rb[300]; T(getrandom(rb, sizeof rb, 0)); T(getrandom(rb, 5, GRND_NONBLOCK)); T(getrandom(rb, 5, 0x40));
  struct utsname u; T(uname(&u)); SAY("uname %s %s rel %d", u.sysname, u.machine, u.release[0] >= '0' && u.release[0] <= '9');
"""


TIMER2_SUPPORT = r"""
#include <semaphore.h>
#include <sys/syscall.h>
#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif
static sem_t t2_sem, t2_psem;
static int t2_helper;      /* glibc's SIGEV_THREAD helper thread lives from the first such timer on */
static volatile int t2_calls, t2_sum, t2_pcalls, t2_stop_at;
static void t2_callback(union sigval v) {       /* a SIGEV_THREAD timer's, on a C library thread */
  if (v.sival_int < 0) {                        /* the periodic one's (a late call may come after its
                                                   timer_delete: it counts here alone) */
    if (__atomic_add_fetch(&t2_pcalls, 1, __ATOMIC_SEQ_CST) == t2_stop_at) sem_post(&t2_psem);
    return;
  }
  __atomic_fetch_add(&t2_sum, v.sival_int, __ATOMIC_SEQ_CST);
  if (__atomic_add_fetch(&t2_calls, 1, __ATOMIC_SEQ_CST) == 2) sem_post(&t2_sem);
}
static volatile long t2_ticks, t2_handled_by;
static void t2_on_tick(int s, siginfo_t *si, void *u) {
  (void)s; (void)u; t2_handled_by = syscall(SYS_gettid);      /* (before the count the main thread waits for) */
  __atomic_add_fetch(&t2_ticks, 1 + si->si_overrun, __ATOMIC_SEQ_CST);
}
static volatile long t2_worker_tid; static sem_t t2_go;
static void *t2_worker(void *p) {
  (void)p; t2_worker_tid = syscall(SYS_gettid); sem_post(&t2_sem);
  while (sem_wait(&t2_go) && errno == EINTR) {}
  return 0;
}
static long t2_due(struct timespec first, struct timespec now, long period_ns) {
  long long ns = (now.tv_sec - first.tv_sec) * 1000000000LL + (now.tv_nsec - first.tv_nsec);
  return ns < 0 ? 0 : ns / period_ns + 1;
}
static struct timespec t2_add(struct timespec t, long ns) {
  t.tv_nsec += ns; while (t.tv_nsec >= 1000000000L) { t.tv_nsec -= 1000000000L; t.tv_sec++; } return t;
}
static void t2_wait(void) { while (sem_wait(&t2_sem) && errno == EINTR) {} }
static timer_t t2_thread_timer(int value) {
  struct sigevent ev; memset(&ev, 0, sizeof ev); ev.sigev_notify = SIGEV_THREAD;
  ev.sigev_notify_function = t2_callback; ev.sigev_value.sival_int = value;
  timer_t t; T(timer_create(CLOCK_MONOTONIC, &ev, &t)); t2_helper = 1; return t;
}
"""


def _timers2(R: random.Random, k: int) -> str:
    """SIGEV_THREAD timers, SIGEV_THREAD_ID, two timers on one signal, a periodic timer's
    schedule, and a directory growing between telldir and seekdir."""
    v1, v2 = R.randint(1, 999), R.randint(1, 999)
    ms = R.randint(1, 9)
    period_us = R.choice([1000, 2000, 3000, 5000])
    periods = R.randint(20, 80)
    ticks = R.randint(2, 6)
    std = R.choice(["SIGUSR1", "SIGUSR2", "SIGALRM"])
    sig = R.choice(["SIGUSR1", "SIGUSR2", "SIGRTMIN + 4"])
    old, new, at = R.randint(5, 40), R.randint(1, 40), R.randint(2, 4)
    return f"""
  sem_init(&t2_sem, 0, 0); sem_init(&t2_psem, 0, 0); t2_calls = t2_sum = 0;
  timer_t a = t2_thread_timer({v1}), b = t2_thread_timer({v2}), c = t2_thread_timer(100000);
  struct itimerspec its = {{{{0, 0}}, {{0, {ms} * 1000000L}}}}, off = {{{{0, 0}}, {{0, 0}}}};
  struct itimerspec late = {{{{0, 0}}, {{5, 0}}}}; T(timer_settime(c, 0, &late, 0));
  T(timer_settime(a, 0, &its, 0)); its.it_value.tv_nsec += 1000000; T(timer_settime(b, 0, &its, 0));
  T(timer_delete(c)); t2_wait(); SAY("thread timers calls %d sum %d", t2_calls, t2_sum);
  T(timer_delete(a)); T(timer_delete(b));
  t2_pcalls = 0; t2_stop_at = {ticks}; a = t2_thread_timer(-1);
  struct itimerspec per = {{{{0, {period_us} * 1000L}}, {{0, {period_us} * 1000L}}}}; T(timer_settime(a, 0, &per, 0));
  while (sem_wait(&t2_psem) && errno == EINTR) {{}} T(timer_delete(a)); SAY("periodic thread timer reached %d", t2_pcalls >= {ticks});

  struct sigaction sa; memset(&sa, 0, sizeof sa); sa.sa_sigaction = t2_on_tick; sa.sa_flags = SA_SIGINFO;
  T(sigaction({sig}, &sa, 0)); sem_init(&t2_go, 0, 0); pthread_t w; T(pthread_create(&w, 0, t2_worker, 0)); t2_wait();
  struct sigevent ev; memset(&ev, 0, sizeof ev); ev.sigev_notify = SIGEV_THREAD_ID; ev.sigev_signo = {sig};
  ev.sigev_notify_thread_id = 0x7ffffff0; timer_t tt; T(timer_create(CLOCK_MONOTONIC, &ev, &tt));
  ev.sigev_notify_thread_id = t2_worker_tid; t2_ticks = 0; T(timer_create(CLOCK_MONOTONIC, &ev, &tt));
  its.it_value.tv_nsec = {ms} * 1000000L; T(timer_settime(tt, 0, &its, 0));
  while (!t2_ticks) {{ struct timespec z = {{0, 1000000}}; nanosleep(&z, 0); }}
  SAY("thread id timer ticks %ld in the worker %d", t2_ticks, t2_handled_by == t2_worker_tid);
  sem_post(&t2_go); T(pthread_join(w, 0)); T(timer_delete(tt)); signal({sig}, SIG_DFL);

  sigset_t m, o; sigemptyset(&m); sigaddset(&m, {std}); T(sigprocmask(SIG_BLOCK, &m, &o));
  memset(&ev, 0, sizeof ev); ev.sigev_notify = SIGEV_SIGNAL; ev.sigev_signo = {std};
  ev.sigev_value.sival_int = {v1}; T(timer_create(CLOCK_MONOTONIC, &ev, &a));
  ev.sigev_value.sival_int = {v2}; T(timer_create(CLOCK_MONOTONIC, &ev, &b));
  its.it_value.tv_nsec = 1000000; T(timer_settime(a, 0, &its, 0)); its.it_value.tv_nsec = 2000000; T(timer_settime(b, 0, &its, 0));
  struct timespec nap = {{0, 20000000}}; while (nanosleep(&nap, &nap) && errno == EINTR) {{}}
  siginfo_t si; struct timespec zero = {{0, 0}}; int n = 0, vs = 0;
  while (sigtimedwait(&m, &si, &zero) == {std}) {{ n++; vs += si.si_value.sival_int; }}
  SAY("two timers on one signal: %d signals values %d", n, vs); T(timer_delete(a)); T(timer_delete(b));
  T(sigprocmask(SIG_SETMASK, &o, 0));

  T(sigaction({std}, &sa, 0)); ev.sigev_value.sival_int = 0; T(timer_create(CLOCK_MONOTONIC, &ev, &a)); t2_ticks = 0;
  struct timespec first, end, before, after; T(clock_gettime(CLOCK_MONOTONIC, &first)); first = t2_add(first, 3 * {period_us} * 1000L);
  per.it_value = first; T(timer_settime(a, TIMER_ABSTIME, &per, 0)); end = t2_add(first, {periods}L * {period_us} * 1000L + {period_us} * 500L);
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &end, 0) == EINTR) {{}}
  T(sigprocmask(SIG_BLOCK, &m, 0)); T(clock_gettime(CLOCK_MONOTONIC, &before)); T(timer_settime(a, 0, &off, 0)); T(clock_gettime(CLOCK_MONOTONIC, &after));
  long total = t2_ticks; if (sigtimedwait(&m, &si, &zero) == {std}) total += 1 + si.si_overrun;
  long lo = t2_due(first, before, {period_us} * 1000L), hi = t2_due(first, after, {period_us} * 1000L);
  SAY("periodic timer on schedule %d", total >= lo - 1 && total <= hi + 1);
  if (total < lo - 1 || total > hi + 1) fprintf(stderr, "%ld expiries, schedule %ld to %ld\\n", total, lo, hi);
  T(timer_delete(a)); T(sigprocmask(SIG_SETMASK, &o, 0)); signal({std}, SIG_DFL);

  char path[64]; T(mkdir("grow{k}", 0755));
  for (int i = 0; i < {old}; i++) {{ snprintf(path, sizeof path, "grow{k}/o%02d", i); put(path, "o"); }}
  DIR *d = opendir("grow{k}"); struct dirent *e; int seen[{old}] = {{0}}, fresh = 0; long pos = -1; char next[300] = "";
  for (int i = 0; (e = readdir(d)); i++) {{
    if (e->d_name[0] == 'o') seen[atoi(e->d_name + 1)]++;
    if (i == {at}) {{ pos = telldir(d); if ((e = readdir(d))) snprintf(next, sizeof next, "%s", e->d_name); break; }}
  }}
  for (int i = 0; i < {new}; i++) {{ snprintf(path, sizeof path, "grow{k}/n%02d", i); put(path, "n"); }}
  if (pos >= 0) seekdir(d, pos);
  e = readdir(d); SAY("seekdir after creating: same entry %d", pos < 0 || (e && !strcmp(e->d_name, next)));
  for (; e; e = readdir(d)) {{ if (e->d_name[0] == 'o') seen[atoi(e->d_name + 1)]++; fresh += e->d_name[0] == 'n'; }}
  int once = 0; for (int i = 0; i < {old}; i++) once += seen[i] == 1;
  SAY("old listed once %d of {old}, new listed %d", once, fresh); closedir(d); count_dir("grow{k}");
"""


def _sync(R: random.Random, k: int) -> str:
    n = R.randint(2, 5)
    rounds = 8 * R.randint(1, 40)
    return f"""
  pthread_t th[{n}]; struct sarg a[{n}]; shared_v = 0; reads_ok = 0;
  T(pthread_barrier_init(&sbar, 0, {n}));
  for (int i = 0; i < {n}; i++) {{ a[i].id = i; a[i].rounds = {rounds}; T(pthread_create(&th[i], 0, sync_worker, &a[i])); }}
  long sum = 0; for (int i = 0; i < {n}; i++) {{ void *rv; T(pthread_join(th[i], &rv)); sum += (long)rv; }}
  SAY("rwlock shared %ld reads ok %ld ids %ld", shared_v, reads_ok, sum); T(pthread_barrier_destroy(&sbar));
  T(pthread_rwlock_tryrdlock(&rw)); T(pthread_rwlock_trywrlock(&rw)); T(pthread_rwlock_unlock(&rw));
  T(pthread_rwlock_trywrlock(&rw)); T(pthread_rwlock_tryrdlock(&rw)); T(pthread_rwlock_unlock(&rw));
  pthread_mutexattr_t ma; T(pthread_mutexattr_init(&ma)); T(pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK));
  pthread_mutex_t em; T(pthread_mutex_init(&em, &ma)); T(pthread_mutex_lock(&em)); T(pthread_mutex_lock(&em)); T(pthread_mutex_unlock(&em)); T(pthread_mutex_unlock(&em));
  T(pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE)); pthread_mutex_t rm; T(pthread_mutex_init(&rm, &ma));
  T(pthread_mutex_lock(&rm)); T(pthread_mutex_lock(&rm)); T(pthread_mutex_unlock(&rm)); T(pthread_mutex_unlock(&rm)); T(pthread_mutex_unlock(&rm));
  pthread_cond_t c; pthread_condattr_t ca; T(pthread_condattr_init(&ca)); T(pthread_condattr_setclock(&ca, CLOCK_MONOTONIC));
  T(pthread_cond_init(&c, &ca)); struct timespec dl; clock_gettime(CLOCK_MONOTONIC, &dl); dl.tv_nsec += 3000000;
  if (dl.tv_nsec >= 1000000000L) {{ dl.tv_sec++; dl.tv_nsec -= 1000000000L; }}
  pthread_mutex_lock(&mx); int r = pthread_cond_timedwait(&c, &mx, &dl); pthread_mutex_unlock(&mx); SAY("timedwait %s", r == ETIMEDOUT ? "ETIMEDOUT" : en(r));
"""


def _spawn(R: random.Random, k: int) -> str:
    code = R.randint(0, 100)
    return f"""
  char *runner = getenv("RANDSYS_RUNNER"); char cs[8]; snprintf(cs, sizeof cs, "%d", {code});
  char *av[] = {{runner ? runner : prog, runner ? prog : "exec-child", runner ? "exec-child" : cs, runner ? cs : "spawned", runner ? "spawned" : 0, 0}};
  char *pre = getenv("QEMU_LD_PREFIX"), lp[512]; snprintf(lp, sizeof lp, "QEMU_LD_PREFIX=%s", pre ? pre : "");
  char *ev[] = {{"RANDSYS_X=spawn{k}", lp, 0}}; const char *exe = runner ? runner : prog;
  fflush(stdout); pid_t c; int s;
  posix_spawn_file_actions_t fa; T(posix_spawn_file_actions_init(&fa));
  T(posix_spawn_file_actions_addopen(&fa, 5, "spawn{k}.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644));
  T(posix_spawn(&c, exe, &fa, 0, av, ev)); T(waitpid(c, &s, 0) == c); status("spawned", s);
  T(posix_spawn_file_actions_destroy(&fa)); st("spawn{k}.txt", 0);
  c = 0; T(posix_spawn(&c, "./no-such-program", 0, 0, av, ev));    /* 0 under qemu-user: its child exits 127 */
  if (c > 0) {{ T(waitpid(c, &s, 0) == c); status("spawned nothing", s); }}
  fflush(stdout); c = vfork();
  if (c == 0) {{ execve(exe, av, ev); _exit(126); }}
  T(waitpid(c, &s, 0) == c); status("vfork exec", s);
  int p[2]; T(pipe2(p, O_NONBLOCK)); char b[4096]; memset(b, 'n', sizeof b); T(read(p[0], b, 1)); long tot = 0, w;
  while ((w = write(p[1], b, sizeof b)) > 0) tot += w; SAY("pipe filled %ld %s", tot, en(errno));
  T(fcntl(p[1], F_GETFL) & O_NONBLOCK); T(read(p[0], b, 10)); T(write(p[1], b, 10)); close(p[0]); close(p[1]);
  int mf; TOK(mf, memfd_create("rs{k}", MFD_CLOEXEC)); T(fcntl(mf, F_GETFD)); T(write(mf, "memfd data", 10)); T(ftruncate(mf, 8192));
  struct stat sb; T(fstat(mf, &sb)); SAY("memfd size %ld", (long)sb.st_size); char *mm; TOK(mm, mmap(0, 8192, PROT_READ, MAP_SHARED, mf, 0));
  SAY("memfd map %.10s", mm); T(madvise(mm, 8192, MADV_DONTNEED)); SAY("after dontneed %.6s", mm); T(munmap(mm, 8192)); T(close(mf));
  char *an; TOK(an, mmap(0, 16384, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)); an[0] = 'x'; an[8192] = 'y';
  T(madvise(an, 16384, MADV_DONTNEED)); SAY("anon after dontneed %d %d", an[0], an[8192]); T(madvise(an, 4096, MADV_WILLNEED));
  T(madvise(an + 1, 4096, MADV_NORMAL)); T(madvise(an, 4096, 9999)); T(munmap(an, 16384));
  struct statx sx; put("sx{k}", "statx!"); T(statx(AT_FDCWD, "sx{k}", 0, STATX_BASIC_STATS, &sx));
  SAY("statx size %lu mode %o nlink %u", (unsigned long)sx.stx_size, sx.stx_mode & 07777, sx.stx_nlink);
  T(statx(AT_FDCWD, "nope{k}", 0, STATX_BASIC_STATS, &sx)); T(statx(AT_FDCWD, "sx{k}", 0x12345678, STATX_BASIC_STATS, &sx));
"""


BLOCKS = {"files": _files, "dirs": _dirs, "fds": _fds, "errnos": _errnos, "pipes": _pipes, "fork": _fork,
          "exec": _exec, "threads": _threads, "signals": _signals, "mmap": _mmap, "clocks": _clocks,
          "ids": _ids, "environ": _environ, "stdio": _stdio,
          "files2": _files2, "procs2": _procs2, "signals2": _signals2, "threads2": _threads2, "misc": _misc,
          "ipc": _ipc, "timers": _timers, "sync": _sync, "spawn": _spawn, "timers2": _timers2}


def gen(seed: int, only: list[str] | None = None) -> str:
    """The C source of program ``seed`` (``only``: blocks chosen from these names only)."""
    R = random.Random(seed)
    names = only or list(BLOCKS)
    picks = [R.choice(names) for _ in range(R.randint(3, 8))]
    L = [HEADER, THREAD_SUPPORT, SIGNAL_SUPPORT, TIMER_SUPPORT, TIMER2_SUPPORT, "static char *prog;"]
    for i, b in enumerate(picks):
        L.append(f"static void b{i}_{b}(int argc, char **argv) {{ (void)argc; (void)argv;")
        L.append(f'  SAY("== {b} {i}");')
        L.append(BLOCKS[b](R, i))
        L.append("}")
    code = R.randint(0, 120)
    ending = R.choice(["exit", "return", "_exit", "unflushed"])
    L.append("int main(int argc, char **argv) {")
    L.append("  prog = argv[0];")
    L.append('  if (argc > 2 && !strcmp(argv[1], "exec-child")) {')
    L.append('    SAY("exec child argc %d [%s] X=%s OTHER=[%s] A=%s", argc, argv[3], getenv("RANDSYS_X"),'
             ' getenv("OTHER"), getenv("RANDSYS_A") ? "set" : "unset");')
    L.append("    return atoi(argv[2]);\n  }")
    if R.random() < 0.7:
        L.append("  umask(022);")
    for i, b in enumerate(picks):
        L.append(f"  b{i}_{b}(argc, argv);")
    if ending == "exit":
        L.append(f'  printf("end unflushed"); exit({code});')
    elif ending == "return":
        L.append(f'  SAY("end"); return {code};')
    elif ending == "_exit":
        L.append(f'  SAY("end"); fflush(stdout); printf("lost"); _exit({code});')
    else:
        L.append(f'  printf("end"); fflush(stdout); printf("lost?"); kill(getpid(), SIGTERM); return {code};')
    L.append("}")
    return "\n".join(L) + "\n"


if __name__ == "__main__":
    Path(sys.argv[2]).write_text(gen(int(sys.argv[1])))
