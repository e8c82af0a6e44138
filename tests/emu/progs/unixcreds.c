/* SCM_CREDENTIALS and SO_PEERCRED on AF_UNIX socket pairs: credentials sent explicitly (with
   a descriptor, SCM_RIGHTS, in the same message), filled in by the kernel for a forked child
   that sends none, and the peer's credentials; every pid as the program knows it. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int recv_creds(int s, struct ucred *cr, int *fd) {
    char buf[16];
    union { char b[256]; struct cmsghdr align; } ctl;
    struct iovec iov = {buf, sizeof buf};
    struct msghdr m = {0};
    m.msg_iov = &iov; m.msg_iovlen = 1; m.msg_control = ctl.b; m.msg_controllen = sizeof ctl.b;
    int n = recvmsg(s, &m, 0);
    int have = 0;
    *fd = -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) { memcpy(cr, CMSG_DATA(c), sizeof *cr); have = 1; }
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) memcpy(fd, CMSG_DATA(c), sizeof *fd);
    }
    return n > 0 && have;
}

int main(void) {
    int sv[2], one = 1;
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) { perror("socketpair"); return 1; }
    setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
    struct ucred peer; socklen_t len = sizeof peer;
    getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &peer, &len);
    printf("SO_PEERCRED: pid is mine %d, uid is mine %d\n", peer.pid == getpid(), peer.uid == getuid());

    /* explicit credentials and a descriptor in one message */
    int p[2]; pipe(p);
    union { char b[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } ctl;
    memset(&ctl, 0, sizeof ctl);
    struct iovec iov = {"x", 1};
    struct msghdr m = {0};
    m.msg_iov = &iov; m.msg_iovlen = 1; m.msg_control = ctl.b; m.msg_controllen = sizeof ctl.b;
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET; c->cmsg_type = SCM_CREDENTIALS; c->cmsg_len = CMSG_LEN(sizeof(struct ucred));
    struct ucred me = {getpid(), getuid(), getgid()};
    memcpy(CMSG_DATA(c), &me, sizeof me);
    c = CMSG_NXTHDR(&m, c);
    c->cmsg_level = SOL_SOCKET; c->cmsg_type = SCM_RIGHTS; c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &p[1], sizeof(int));
    printf("sendmsg: %zd\n", sendmsg(sv[0], &m, 0));
    struct ucred got; int fd;
    int ok = recv_creds(sv[1], &got, &fd);
    printf("explicit: creds %d, pid is mine %d, uid %d, gid %d, fd passed %d\n", ok,
           got.pid == getpid(), got.uid == getuid(), got.gid == getgid(), fd > 2 && fd != p[1]);
    if (fd > 2) { write(fd, "via passed fd\n", 14); close(fd); }
    char line[32] = {0};
    read(p[0], line, sizeof line - 1);
    printf("pipe: %s", line);

    /* a forked child sends plain data: the kernel fills in its credentials */
    pid_t child = fork();
    if (child == 0) { write(sv[0], "c", 1); _exit(0); }
    ok = recv_creds(sv[1], &got, &fd);
    waitpid(child, 0, 0);
    printf("child: creds %d, pid is the child's %d, uid %d\n", ok, got.pid == child, got.uid == getuid());
    return 0;
}
