/* Leaves a daemon behind: the child moves its stdio to /dev/null and lives on (until the file
   argv[1] exists, or 120 s); the parent prints and exits at once. A reader of the program's
   output sees its end when the parent exits, as the daemon holds none of it. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2)
        return 2;
    if (fork() == 0) {
        int n = open("/dev/null", O_RDWR);
        dup2(n, 0);
        dup2(n, 1);
        dup2(n, 2);
        close(n);
        setsid();
        for (int i = 0; i < 120 && access(argv[1], F_OK) != 0; i++)
            sleep(1);
        _exit(0);
    }
    printf("started\n");
    return 0;
}
