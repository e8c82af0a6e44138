/* The privilege-drop idiom's first step, setgroups(0, NULL) (R2's finding 7): as root whose
   list is its own group, it succeeds and getgroups then says 0; the list set back. xld
   stopped with SIGSYS. Without privilege: EPERM both times. */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void) {
    gid_t was[64];
    int n = getgroups(64, was);
    int r = setgroups(0, NULL);
    printf("setgroups(0, NULL): %d %s\n", r, r ? strerror(errno) : "");
    printf("getgroups: %d\n", getgroups(0, NULL) == (r ? n : 0));
    r = setgroups(n, was);
    printf("set back: %d %s\n", r, r ? strerror(errno) : "");
    printf("getgroups: %d\n", getgroups(0, NULL) == n);
    return 0;
}
