/* Blocking lock waits: an F_OFD_SETLKW and a flock waiting on another thread of the same
   process (they once waited until the time limit: the wait held every guest thread), an
   F_SETLKW on another process's lock interrupted by a handler with and without SA_RESTART
   (Linux restarts it; it once failed with EINTR either way), with and without a second
   thread alive, and a deadlock between two processes' F_SETLKW (EDEADLK for one of them). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define P(...) do { printf(__VA_ARGS__); fflush(stdout); } while (0)

static char path[64];
static int go[2], done[2];

static void msleep(int ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

static int lk(int fd, int cmd, int type, off_t start, off_t len) {
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    fl.l_start = start;
    fl.l_len = len;
    return fcntl(fd, cmd, &fl);
}

/* --- one thread waits on another's open-file-description lock ----------------------------- */
static void *ofd_waiter(void *arg) {
    int fd = open(path, O_RDWR);
    char c;
    if (read(go[0], &c, 1) != 1) return NULL;
    int r = lk(fd, F_OFD_SETLKW, F_WRLCK, 0, 10);
    P("waiter: F_OFD_SETLKW %d\n", r);
    lk(fd, F_OFD_SETLK, F_UNLCK, 0, 10);
    close(fd);
    (void)arg;
    return NULL;
}

static void *flock_waiter(void *arg) {
    int fd = open(path, O_RDWR);
    char c;
    if (read(go[0], &c, 1) != 1) return NULL;
    int r = flock(fd, LOCK_EX);
    P("waiter: flock %d\n", r);
    flock(fd, LOCK_UN);
    close(fd);
    (void)arg;
    return NULL;
}

static void between_threads(void) {
    int fd = open(path, O_RDWR);
    pthread_t t;
    P("holder: F_OFD_SETLK %d\n", lk(fd, F_OFD_SETLK, F_WRLCK, 0, 10));
    pthread_create(&t, NULL, ofd_waiter, NULL);
    if (write(go[1], "g", 1) != 1) exit(3);
    msleep(150);
    int other = open(path, O_RDWR);
    P("holder: another description F_OFD_SETLK %d errno %d\n", lk(other, F_OFD_SETLK, F_RDLCK, 0, 1),
      errno);
    close(other);
    P("holder: unlocking\n");
    lk(fd, F_OFD_SETLK, F_UNLCK, 0, 10);
    pthread_join(t, NULL);

    P("holder: flock %d\n", flock(fd, LOCK_EX));
    pthread_create(&t, NULL, flock_waiter, NULL);
    if (write(go[1], "g", 1) != 1) exit(3);
    msleep(150);
    P("holder: flock unlocking\n");
    flock(fd, LOCK_UN);
    pthread_join(t, NULL);
    close(fd);
}

/* --- a signal while F_SETLKW waits on another process ------------------------------------- */
static volatile sig_atomic_t handled;

static void on_alarm(int sig) {
    handled++;
    if (write(done[1], "u", 1) != 1) _exit(9);   /* the holder may let go now */
    (void)sig;
}

static void *idle_thread(void *arg) {
    char c;
    sigset_t set;
    (void)arg;
    sigemptyset(&set);
    sigaddset(&set, SIGALRM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);   /* the signal is the main thread's */
    if (read(go[0], &c, 1) < 0) return NULL;
    return NULL;
}

static void interrupted(int flags, int threaded) {
    int ready[2];
    if (pipe(ready) || pipe(done)) exit(3);
    pid_t child = fork();
    if (child == 0) {
        int fd = open(path, O_RDWR);
        char c;
        lk(fd, F_SETLK, F_WRLCK, 0, 1);
        if (write(ready[1], "r", 1) != 1) _exit(3);
        if (read(done[0], &c, 1) != 1) _exit(4);
        lk(fd, F_SETLK, F_UNLCK, 0, 1);
        _exit(0);
    }
    pthread_t t;
    if (threaded) pthread_create(&t, NULL, idle_thread, NULL);
    char c;
    if (read(ready[0], &c, 1) != 1) exit(3);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = flags;
    sigaction(SIGALRM, &sa, NULL);
    handled = 0;
    struct itimerval it = {{0, 0}, {0, 50000}};
    setitimer(ITIMER_REAL, &it, NULL);
    int fd = open(path, O_RDWR);
    errno = 0;
    int r = lk(fd, F_SETLKW, F_WRLCK, 0, 1);
    int e = errno;
    P("%s%s: F_SETLKW %d errno %d handled %d\n", flags & SA_RESTART ? "SA_RESTART" : "no SA_RESTART",
      threaded ? ", threaded" : "", r, e, (int)handled);
    int st;
    waitpid(child, &st, 0);
    P("holder exited %d\n", WEXITSTATUS(st));
    if (threaded) {
        if (write(go[1], "q", 1) != 1) exit(3);
        pthread_join(t, NULL);
    }
    close(fd);
    close(ready[0]); close(ready[1]); close(done[0]); close(done[1]);
}

/* --- two processes each waiting for the other's lock -------------------------------------- */
static void deadlock(void) {
    int ready[2];
    if (pipe(ready)) exit(3);
    int fd = open(path, O_RDWR);
    lk(fd, F_SETLK, F_WRLCK, 0, 1);
    pid_t child = fork();
    if (child == 0) {
        int cfd = open(path, O_RDWR);
        lk(cfd, F_SETLK, F_WRLCK, 1, 1);
        if (write(ready[1], "r", 1) != 1) _exit(3);
        int r = lk(cfd, F_SETLKW, F_WRLCK, 0, 1);
        int dead = r < 0 && errno == EDEADLK;
        lk(cfd, F_SETLK, F_UNLCK, 0, 2);      /* either way: let the parent go on */
        _exit(dead ? 10 : r == 0 ? 0 : 20);
    }
    char c;
    if (read(ready[0], &c, 1) != 1) exit(3);
    msleep(200);                               /* the child is waiting now, usually */
    int r = lk(fd, F_SETLKW, F_WRLCK, 1, 1);
    int dead = r < 0 && errno == EDEADLK;
    if (dead)
        lk(fd, F_SETLK, F_UNLCK, 0, 1);
    int st;
    waitpid(child, &st, 0);
    int cdead = WEXITSTATUS(st) == 10;
    P("deadlock: EDEADLK seen %d time(s), other result ok %d\n", dead + cdead,
      dead ? WEXITSTATUS(st) == 0 : r == 0);
    close(fd);
}

int main(int argc, char **argv) {
    strcpy(path, "/tmp/xld-lockwait-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, "0123456789", 10) != 10) return 2;
    close(fd);
    if (pipe(go)) return 2;
    between_threads();
    interrupted(SA_RESTART, 0);
    interrupted(0, 0);
    interrupted(SA_RESTART, 1);
    interrupted(0, 1);
    if (argc < 2 || strcmp(argv[1], "nodeadlock"))
        deadlock();
    unlink(path);
    P("done\n");
    return 0;
}
