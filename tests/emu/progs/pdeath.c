/* prctl(PR_SET_PDEATHSIG): the signal a process gets when its parent (the thread that forked
   it) ends; PR_GET_PDEATHSIG; cleared in a fork's child (kept across exec: execstate.c). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int got_sig, got_code, got_pid;

static void on_sig(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    got_sig = sig;
    got_code = si->si_code;
    got_pid = si->si_pid;
}

static int get(void)
{
    int v = -1;
    if (prctl(PR_GET_PDEATHSIG, &v, 0, 0, 0) != 0)
        return -2;
    return v;
}

static void say(int fd, const char *s)
{
    write(fd, s, strlen(s));
}

/* middle forks the orphan-to-be, which asks for sig (after the middle's own ask, which is
   not inherited), tells the reader it is armed, and reports to fd what it got */
static void orphan(int fd, int sig, int unset)
{
    int armed[2];
    pipe(armed);
    pid_t middle = fork();
    if (middle == 0) {
        prctl(PR_SET_PDEATHSIG, SIGUSR2);
        pid_t me = getpid();
        if (fork() == 0) {
            char line[200];
            struct sigaction sa;
            memset(&sa, 0, sizeof sa);
            sa.sa_sigaction = on_sig;
            sa.sa_flags = SA_SIGINFO;
            sigaction(SIGUSR1, &sa, NULL);
            int inherited = get();
            prctl(PR_SET_PDEATHSIG, sig);
            if (unset)
                prctl(PR_SET_PDEATHSIG, 0);
            write(armed[1], "x", 1);
            for (int i = 0; i < 300 && !got_sig; i++)
                usleep(10000);
            /* (qemu-user: the signal comes as the parent's thread ends, its process a moment later) */
            for (int i = 0; i < 300 && getppid() == me; i++)
                usleep(10000);
            if (got_sig)
                snprintf(line, sizeof line, "  inherited %d; got %d, SI_USER %d, from its parent %d; "
                         "parent gone %d\n", inherited, got_sig, got_code == SI_USER, got_pid == me,
                         getppid() != me);
            else
                snprintf(line, sizeof line, "  inherited %d; got none; parent gone %d\n", inherited,
                         getppid() != me);
            say(fd, line);
            _exit(0);
        }
        char c;
        read(armed[0], &c, 1);
        _exit(0);            /* the parent ends: its child gets sig */
    }
    close(armed[1]);
    waitpid(middle, NULL, 0);
}

/* a thread of the middle process forks the child and ends; the middle process lives on
   until the child has reported: the signal comes all the same (the parent *thread* ended) */
static int thread_fd, thread_armed[2], thread_done[2];
static pid_t thread_middle;

static void *forker(void *arg)
{
    (void)arg;
    if (fork() == 0) {
        char line[200];
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_sig;
        sa.sa_flags = SA_SIGINFO;
        sigaction(SIGUSR1, &sa, NULL);
        prctl(PR_SET_PDEATHSIG, SIGUSR1);
        write(thread_armed[1], "x", 1);
        for (int i = 0; i < 300 && !got_sig; i++)
            usleep(10000);
        snprintf(line, sizeof line, "  got %d, SI_USER %d, from its parent %d; parent process still "
                 "there %d\n", got_sig, got_code == SI_USER, got_pid == thread_middle,
                 getppid() == thread_middle);
        say(thread_fd, line);
        write(thread_done[1], "x", 1);
        _exit(0);
    }
    char c;
    read(thread_armed[0], &c, 1);
    return NULL;        /* this thread ends: its child gets SIGUSR1 */
}

static void thread_orphan(int fd)
{
    pid_t middle = fork();
    if (middle == 0) {
        pthread_t t;
        thread_fd = fd;
        thread_middle = getpid();
        pipe(thread_armed);
        pipe(thread_done);
        pthread_create(&t, NULL, forker, NULL);
        pthread_join(t, NULL);
        char c;
        read(thread_done[0], &c, 1);
        _exit(0);
    }
    waitpid(middle, NULL, 0);
}

/* one orphan's line (none for one killed): the pipe ends when it is gone */
static void report(void (*how)(int, int, int), int sig, int unset)
{
    int p[2];
    pipe(p);
    if (how)
        how(p[1], sig, unset);
    else
        thread_orphan(p[1]);
    close(p[1]);
    char buf[300];
    int n, total = 0;
    while ((n = read(p[0], buf + total, sizeof buf - 1 - total)) > 0)
        total += n;
    close(p[0]);
    buf[total] = 0;
    printf("%s", buf);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("at start: %d\n", get());
    int r = prctl(PR_SET_PDEATHSIG, 65);
    printf("signal 65: %d %s\n", r, strerror(errno));
    r = prctl(PR_SET_PDEATHSIG, SIGTERM);
    printf("set SIGTERM: %d, then get %d\n", r, get());
    pid_t c = fork();
    if (c == 0) {
        printf("a fork's child: %d\n", get());
        _exit(0);
    }
    waitpid(c, NULL, 0);
    prctl(PR_SET_PDEATHSIG, 0);

    printf("SIGUSR1:\n");
    report(orphan, SIGUSR1, 0);
    printf("set, then 0:\n");
    report(orphan, SIGUSR1, 1);
    printf("SIGKILL:\n");
    report(orphan, SIGKILL, 0);
    printf("the thread that forked it ends:\n");
    report(NULL, 0, 0);

    /* last, this process (the run's first) is the parent that ends */
    int armed[2];
    pipe(armed);
    pid_t me = getpid();
    if (fork() == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_sig;
        sa.sa_flags = SA_SIGINFO;
        sigaction(SIGUSR1, &sa, NULL);
        prctl(PR_SET_PDEATHSIG, SIGUSR1);
        write(armed[1], "x", 1);
        for (int i = 0; i < 300 && !got_sig; i++)
            usleep(10000);
        printf("the first process's child: got %d, from its parent %d\n", got_sig, got_pid == me);
        _exit(0);
    }
    char x;
    read(armed[0], &x, 1);
    return 0;
}
