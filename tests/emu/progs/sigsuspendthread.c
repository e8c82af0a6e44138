/* sigsuspend in a program with threads: the main thread waits for SIGUSR1 in sigsuspend while
   a second thread sends it after a pause (pthread_kill, then kill to the process: the sender
   blocks it, so only the waiting thread can take it). Each time the handler runs in the
   waiting thread, and its signal mask is the old one again afterwards. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got;
static pthread_t main_thread;
static pthread_t handled_in;

static void on_usr1(int sig) { (void)sig; got++; handled_in = pthread_self(); }

static void *sender(void *how) {
    struct timespec ts = {0, 20000000};
    nanosleep(&ts, 0);                    /* the main thread is in sigsuspend by now */
    if (how) kill(getpid(), SIGUSR1);
    else pthread_kill(main_thread, SIGUSR1);
    return 0;
}

int main(void) {
    signal(SIGUSR1, on_usr1);
    sigset_t block, old, now;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    main_thread = pthread_self();
    for (long how = 0; how < 2; how++) {
        got = 0;
        pthread_t t;
        pthread_create(&t, 0, sender, (void *)how);
        while (!got) sigsuspend(&old);
        pthread_join(t, 0);
        pthread_sigmask(SIG_BLOCK, 0, &now);
        printf("%s: handled %d, in the waiting thread %d, blocked again %d\n",
               how ? "kill" : "pthread_kill", (int)got, pthread_equal(handled_in, main_thread),
               sigismember(&now, SIGUSR1));
    }
    return 0;
}
