/* Sockets under xld run, on the loopback interface only: a TCP echo server on a thread with
   a client in main; a client/server over fork on a named AF_UNIX socket; UDP with source
   addresses; socketpair with sendmsg/recvmsg; socket options; select; epoll over an eventfd,
   a timerfd and a socket. Deterministic output. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static int listener;

static void *echo_server(void *arg) {
    (void)arg;
    int c = accept(listener, NULL, NULL);
    char buf[256];
    ssize_t n;
    while ((n = recv(c, buf, sizeof buf, 0)) > 0) send(c, buf, n, 0);
    close(c);
    return NULL;
}

static void *forker(void *arg) {
    pid_t p = fork();
    if (p == 0) {
        printf("child of a thread: own pid %d\n", getpid() != *(pid_t *)arg);
        _exit(4);
    }
    int st;
    waitpid(p, &st, 0);
    return (void *)(long)WEXITSTATUS(st);
}

static void check(int ok, const char *what) { if (!ok) { perror(what); exit(1); } }

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    /* 1. TCP echo: server thread, client here */
    listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    check(setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0, "setsockopt");
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    check(bind(listener, (struct sockaddr *)&sa, sizeof sa) == 0, "bind");
    check(listen(listener, 4) == 0, "listen");
    socklen_t sl = sizeof sa;
    getsockname(listener, (struct sockaddr *)&sa, &sl);
    printf("bound to 127.0.0.1, port chosen: %d\n", ntohs(sa.sin_port) != 0);
    pthread_t th;
    pthread_create(&th, NULL, echo_server, NULL);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    check(connect(c, (struct sockaddr *)&sa, sizeof sa) == 0, "connect");
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in peer;
    sl = sizeof peer;
    getpeername(c, (struct sockaddr *)&peer, &sl);
    printf("peer is the server: %d\n", peer.sin_port == sa.sin_port && peer.sin_addr.s_addr == sa.sin_addr.s_addr);
    const char *msgs[] = {"first line\n", "second, longer line\n", "third\n"};
    for (int i = 0; i < 3; i++) {
        send(c, msgs[i], strlen(msgs[i]), 0);
        char got[64] = {0};
        size_t have = 0;
        while (have < strlen(msgs[i])) {
            ssize_t n = recv(c, got + have, sizeof got - 1 - have, 0);
            if (n <= 0) break;
            have += n;
        }
        printf("echo: %s", got);
    }
    shutdown(c, SHUT_WR);
    char tail[8];
    printf("after shutdown: recv %zd\n", recv(c, tail, sizeof tail, 0));
    close(c);
    pthread_join(th, NULL);
    close(listener);
    int type = 0;
    sl = sizeof type;
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    getsockopt(u, SOL_SOCKET, SO_TYPE, &type, &sl);
    printf("SO_TYPE of a UDP socket: %d\n", type);
    /* 2. UDP on loopback, with the source address */
    struct sockaddr_in ua = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(u, (struct sockaddr *)&ua, sizeof ua);
    sl = sizeof ua;
    getsockname(u, (struct sockaddr *)&ua, &sl);
    int u2 = socket(AF_INET, SOCK_DGRAM, 0);
    sendto(u2, "datagram", 8, 0, (struct sockaddr *)&ua, sizeof ua);
    char dg[32] = {0};
    struct sockaddr_in from;
    sl = sizeof from;
    ssize_t n = recvfrom(u, dg, sizeof dg, 0, (struct sockaddr *)&from, &sl);
    printf("udp: %zd bytes '%s' from 127.0.0.1: %d\n", n, dg, from.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
    close(u);
    close(u2);
    /* 3. client/server over fork, on a named unix socket */
    char path[64];
    snprintf(path, sizeof path, "/tmp/xld-sock-%d", (int)getpid());
    unlink(path);
    int us = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    strcpy(un.sun_path, path);
    check(bind(us, (struct sockaddr *)&un, sizeof un) == 0, "bind unix");
    listen(us, 1);
    pid_t pid = fork();
    if (pid == 0) {
        int k = accept(us, NULL, NULL);
        char buf[64] = {0};
        ssize_t m = read(k, buf, sizeof buf - 1);
        char reply[96];
        int len = snprintf(reply, sizeof reply, "server got %zd bytes: %s", m, buf);
        write(k, reply, len);
        close(k);
        _exit(0);
    }
    close(us);
    int uc = socket(AF_UNIX, SOCK_STREAM, 0);
    check(connect(uc, (struct sockaddr *)&un, sizeof un) == 0, "connect unix");
    write(uc, "over fork", 9);
    char rep[128] = {0};
    size_t have = 0;
    while ((n = read(uc, rep + have, sizeof rep - 1 - have)) > 0) have += n;
    printf("unix: %s\n", rep);
    int st;
    waitpid(pid, &st, 0);
    printf("server exited %d\n", WEXITSTATUS(st));
    unlink(path);
    /* 4. socketpair, sendmsg/recvmsg with two iovecs */
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    struct iovec out[2] = {{"scatter ", 8}, {"gather", 6}};
    struct msghdr mh = {.msg_iov = out, .msg_iovlen = 2};
    printf("sendmsg: %zd\n", sendmsg(sv[0], &mh, 0));
    char a[4] = {0}, b[16] = {0};
    struct iovec in[2] = {{a, 3}, {b, 15}};
    struct msghdr mr = {.msg_iov = in, .msg_iovlen = 2};
    n = recvmsg(sv[1], &mr, 0);
    printf("recvmsg: %zd '%s' '%s'\n", n, a, b);
    /* 5. select on a socket */
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(sv[1], &rs);
    struct timeval tv = {0, 0};
    printf("select, nothing to read: %d\n", select(sv[1] + 1, &rs, NULL, NULL, &tv));
    write(sv[0], "x", 1);
    FD_SET(sv[1], &rs);
    tv.tv_sec = 5;
    printf("select, one byte waiting: %d\n", select(sv[1] + 1, &rs, NULL, NULL, &tv));
    /* 6. epoll over an eventfd, a timerfd and the socket */
    int ep = epoll_create1(EPOLL_CLOEXEC);
    int ev = eventfd(0, EFD_CLOEXEC);
    int tf = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    struct epoll_event e = {.events = EPOLLIN, .data.u64 = 0x1122334455667788ull};
    epoll_ctl(ep, EPOLL_CTL_ADD, ev, &e);
    e.data.u64 = 2;
    epoll_ctl(ep, EPOLL_CTL_ADD, tf, &e);
    e.data.u64 = 3;
    epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &e);
    struct epoll_event got[4];
    int k = epoll_wait(ep, got, 4, 1000);
    printf("epoll: %d ready, data %llu\n", k, (unsigned long long)got[0].data.u64);
    char x;
    read(sv[1], &x, 1);
    uint64_t v = 5;
    write(ev, &v, 8);
    k = epoll_wait(ep, got, 4, 1000);
    printf("epoll: %d ready, data %#llx\n", k, (unsigned long long)got[0].data.u64);
    read(ev, &v, 8);
    printf("eventfd value %llu\n", (unsigned long long)v);
    /* (then every hour: it stays armed however late the gettime comes on a loaded machine) */
    struct itimerspec its = {.it_interval = {3600, 0}, .it_value = {0, 20 * 1000 * 1000}};
    timerfd_settime(tf, 0, &its, NULL);
    struct itimerspec cur;
    timerfd_gettime(tf, &cur);
    printf("timerfd armed: %d\n", cur.it_value.tv_sec > 0 || cur.it_value.tv_nsec > 0);
    k = epoll_wait(ep, got, 4, 5000);
    printf("epoll: %d ready, data %llu\n", k, (unsigned long long)got[0].data.u64);
    uint64_t exp = 0;
    read(tf, &exp, 8);
    printf("timerfd expirations %llu\n", (unsigned long long)exp);
    printf("epoll, nothing ready: %d\n", epoll_wait(ep, got, 4, 10));
    /* 6b. a descriptor passed (SCM_RIGHTS) to a forked child over a socketpair */
    int tp[2], pp[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, tp);
    pipe(pp);
    pid = fork();
    if (pid == 0) {
        char byte, cbuf[CMSG_SPACE(sizeof(int))];
        struct iovec iv = {&byte, 1};
        struct msghdr m = {.msg_iov = &iv, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
        ssize_t k2 = recvmsg(tp[1], &m, MSG_CMSG_CLOEXEC);
        struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
        int got_fd = -1;
        if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) memcpy(&got_fd, CMSG_DATA(cm), sizeof got_fd);
        close(pp[0]);
        char text[32] = {0};
        ssize_t m2 = read(got_fd, text, sizeof text - 1);
        printf("child: recvmsg %zd '%c', fd passed %d, cloexec %d, read %zd '%s'\n", k2, byte, got_fd >= 0,
               (fcntl(got_fd, F_GETFD) & FD_CLOEXEC) != 0, m2, text);
        _exit(0);
    }
    {
        char cbuf[CMSG_SPACE(sizeof(int))];
        memset(cbuf, 0, sizeof cbuf);
        struct iovec iv = {"F", 1};
        struct msghdr m = {.msg_iov = &iv, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
        struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &pp[0], sizeof(int));
        printf("sendmsg with a descriptor: %zd\n", sendmsg(tp[0], &m, 0));
        close(pp[0]);
        write(pp[1], "through the pipe", 16);
        close(pp[1]);
        waitpid(pid, &st, 0);
    }
    /* 7. fork from a thread while the main thread waits in pthread_join */
    pid_t mypid = getpid();
    void *rv;
    pthread_create(&th, NULL, forker, &mypid);
    pthread_join(th, &rv);
    printf("the thread's child exited %ld\n", (long)rv);
    return 0;
}
