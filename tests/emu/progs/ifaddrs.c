/* getifaddrs (an rtnetlink socket: RTM_GETLINK and RTM_GETADDR dumps), if_nametoindex and
 * if_indextoname (SIOCGIFINDEX, SIOCGIFNAME ioctls), SIOCGIFFLAGS: libuv's
 * uv_interface_addresses and uv_if_indextoname. Prints a sorted-stable summary. */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <errno.h>

/* "change": a request that would change the host (RTM_DELADDR, no attributes: the kernel
 * would refuse it too), which xld run does not pass on. */
static int change(void) {
    int s = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
    struct { struct nlmsghdr h; struct ifaddrmsg m; } req;
    memset(&req, 0, sizeof req);
    req.h.nlmsg_len = sizeof req;
    req.h.nlmsg_type = RTM_DELADDR;
    req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    struct sockaddr_nl k = {.nl_family = AF_NETLINK};
    long n = sendto(s, &req, sizeof req, 0, (struct sockaddr *)&k, sizeof k);
    printf("sent %ld\n", n);
    return 0;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "change") == 0)
        return change();
    struct ifaddrs *all, *a;
    if (getifaddrs(&all) != 0) {
        perror("getifaddrs");
        return 1;
    }
    int lo4 = 0, links = 0;
    for (a = all; a; a = a->ifa_next) {
        if (!a->ifa_addr)
            continue;
        if (a->ifa_addr->sa_family == AF_PACKET)
            links++;
        if (a->ifa_addr->sa_family == AF_INET && strcmp(a->ifa_name, "lo") == 0) {
            char buf[64];
            inet_ntop(AF_INET, &((struct sockaddr_in *)a->ifa_addr)->sin_addr, buf, sizeof buf);
            printf("lo inet %s up %d loopback %d\n", buf, !!(a->ifa_flags & IFF_UP),
                   !!(a->ifa_flags & IFF_LOOPBACK));
            lo4 = 1;
        }
    }
    freeifaddrs(all);
    printf("loopback address found: %d, links: %s\n", lo4, links > 0 ? "some" : "none");
    unsigned idx = if_nametoindex("lo");
    char name[IF_NAMESIZE] = "";
    printf("lo index nonzero: %d, back to name: %s\n", idx != 0,
           if_indextoname(idx, name) ? name : "(failed)");
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifreq r;
    memset(&r, 0, sizeof r);
    strcpy(r.ifr_name, "lo");
    int ok = ioctl(s, SIOCGIFFLAGS, &r);
    printf("SIOCGIFFLAGS lo: %d loopback %d\n", ok, !!(r.ifr_flags & IFF_LOOPBACK));
    strcpy(r.ifr_name, "no-such-if0");
    ok = ioctl(s, SIOCGIFINDEX, &r);
    printf("SIOCGIFINDEX no-such-if0: %d %s\n", ok, ok ? strerror(errno) : "");
    close(s);
    return 0;
}
