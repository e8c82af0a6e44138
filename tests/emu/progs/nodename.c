/* uname(2)'s names and gethostname/getdomainname: the host's, as under qemu-user
   (BusyBox's hostname tests compare `busybox hostname` with the host's `hostname`). */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

int main(void) {
    struct utsname u;
    char host[256], domain[256];
    if (uname(&u) != 0 || gethostname(host, sizeof host) != 0 || getdomainname(domain, sizeof domain) != 0)
        return 1;
    printf("sysname=%s nodename=%s domainname=%s machine=%s\n", u.sysname, u.nodename, u.domainname, u.machine);
    printf("gethostname=%s getdomainname=%s\n", host, domain);
    return strcmp(host, u.nodename) != 0;
}
