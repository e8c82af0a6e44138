/* The child signals its own parent (argv[1]: the signal), then lives on and writes argv[2]:
   on Linux (and under qemu-user) the parent dies of the signal and the child does not. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int sig = atoi(argv[1]);
    pid_t a = fork();
    if (a == 0) {
        usleep(200000);
        kill(getppid(), sig);
        sleep(1);
        int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
        write(fd, "alive\n", 6);
        close(fd);
        _exit(0);
    }
    for (;;)
        pause();
}
