/* execve of the program named in argv[1] (with "null": crash.c then writes through a null
   pointer), after a write of this image's own: the crash report of the new image lists both
   calls as they were made. */
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
    if (argc < 2)
        return 2;
    static const char msg[] = "about to exec\n";
    write(1, msg, sizeof msg - 1);
    execl(argv[1], argv[1], "null", (char *)0);
    return 127;
}
