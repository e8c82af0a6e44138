/* sendmmsg and recvmmsg on datagram and stream sockets (MSG_WAITFORONE, MSG_DONTWAIT, a
   timeout, a blocking receive of several messages that a thread sends one by one),
   sync_file_range, readahead, mlock2: results and errors as Linux gives them. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static const char *err(long r) { return r >= 0 ? "ok" : strerror(errno); }

#define N 4
static char bufs[N][16];
static struct iovec iovs[N];
static struct mmsghdr msgs[N];

static void prepare(void) {
    memset(bufs, 0, sizeof bufs);
    memset(msgs, 0, sizeof msgs);
    for (int i = 0; i < N; i++) {
        iovs[i].iov_base = bufs[i];
        iovs[i].iov_len = sizeof bufs[i];
        msgs[i].msg_hdr.msg_iov = &iovs[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_len = 12345;
    }
}

static void show(const char *what, int n) {
    printf("%s: %d", what, n < 0 ? -errno : n);
    for (int i = 0; i < N; i++)
        printf(" [%u %.*s]", msgs[i].msg_len, (int)(msgs[i].msg_len > 16 ? 0 : msgs[i].msg_len), bufs[i]);
    printf("\n");
}

static int sv[2];

static void *slow_sender(void *arg) {
    (void)arg;
    for (int i = 0; i < 3; i++) {
        struct timespec ms = {0, 20000000};
        nanosleep(&ms, 0);
        char m[8];
        int n = snprintf(m, sizeof m, "late%d", i);
        send(sv[0], m, n, 0);
    }
    return 0;
}

/* reads a stream socket to its end after 50 ms: the sender's buffer fills first */
static int big[2];
static long big_read;

static void *slow_reader(void *arg) {
    (void)arg;
    static char b[65536];
    struct timespec ms = {0, 50000000};
    nanosleep(&ms, 0);
    long n;
    while ((n = read(big[1], b, sizeof b)) > 0)
        big_read += n;
    return 0;
}

/* SIGUSR1 to the main thread every 20 ms until it is done: one finds sendmmsg waiting */
static pthread_t main_thread;
static volatile int poked_enough;

static void on_usr1(int sig) { (void)sig; }

static void *poker(void *arg) {
    (void)arg;
    while (!poked_enough) {
        struct timespec ms = {0, 20000000};
        nanosleep(&ms, 0);
        pthread_kill(main_thread, SIGUSR1);
    }
    return 0;
}

int main(int argc, char **argv) {
    (void)argv;
    setvbuf(stdout, 0, _IONBF, 0);
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);

    /* sendmmsg of three datagrams, one of them empty */
    const char *words[N] = {"alpha", "", "gamma", "delta"};
    struct iovec out[N];
    struct mmsghdr omsgs[N];
    memset(omsgs, 0, sizeof omsgs);
    for (int i = 0; i < N; i++) {
        out[i].iov_base = (void *)words[i];
        out[i].iov_len = strlen(words[i]);
        omsgs[i].msg_hdr.msg_iov = &out[i];
        omsgs[i].msg_hdr.msg_iovlen = 1;
    }
    int n = sendmmsg(sv[0], omsgs, 3, 0);
    printf("sendmmsg: %d, lengths %u %u %u, the fourth untouched %u\n", n, omsgs[0].msg_len, omsgs[1].msg_len,
           omsgs[2].msg_len, omsgs[3].msg_len);
    prepare();
    n = recvmmsg(sv[1], msgs, N, MSG_DONTWAIT, 0);
    show("recvmmsg MSG_DONTWAIT", n);
    prepare();
    n = recvmmsg(sv[1], msgs, N, MSG_DONTWAIT, 0);
    show("again, nothing there", n);
    printf("sendmmsg of none: %d; recvmmsg of none: %d\n", sendmmsg(sv[0], omsgs, 0, 0),
           recvmmsg(sv[1], msgs, 0, 0, 0));

    sendmmsg(sv[0], omsgs, 2, 0);
    prepare();
    n = recvmmsg(sv[1], msgs, N, MSG_WAITFORONE, 0);
    show("MSG_WAITFORONE with two there", n);

    /* a blocking receive of three messages, sent 20 ms apart by a thread */
    pthread_t th;
    pthread_create(&th, 0, slow_sender, 0);
    prepare();
    n = recvmmsg(sv[1], msgs, 3, 0, 0);
    show("blocking, three sent one by one", n);
    pthread_join(th, 0);

    /* the timeout is looked at after each message only (not with an argument, what qemu-user
       7.2 can run: it ignores the timeout, and waits for a fourth message) */
    if (argc < 2) {
        sendmmsg(sv[0], omsgs, 3, 0);
        prepare();
        struct timespec zero = {0, 0}, bad = {0, 2000000000}, plenty = {100, 0};
        n = recvmmsg(sv[1], msgs, N, 0, &zero);
        show("a zero timeout with three there", n);
        prepare();
        n = recvmmsg(sv[1], msgs, N, MSG_DONTWAIT, &plenty);
        show("the rest, 100 s timeout", n);
        printf("time left written back: below 100 s %d, above 90 s %d\n", plenty.tv_sec < 100, plenty.tv_sec >= 90);
        printf("a bad timeout: %s\n", err(recvmmsg(sv[1], msgs, N, 0, &bad)));
        struct timespec longest = {0x7fffffffffffffffLL, 999999999};
        send(sv[0], "x", 1, 0);
        prepare();
        n = recvmmsg(sv[1], msgs, 1, 0, &longest);
        printf("a timeout of 2**63 - 1 s: %d, time left over 1e18 s %d\n", n, longest.tv_sec > 1000000000000000000LL);
    }
    /* (a bad vector: by the system call itself, as musl's wrappers write into the vector) */
    printf("a bad vector: %s; not a socket: %s\n", err(syscall(SYS_recvmmsg, sv[1], 8, N, MSG_DONTWAIT, 0)),
           err(recvmmsg(1, msgs, N, 0, 0)));
    printf("sendmmsg: a bad vector %s, after the first a bad one: %d\n", err(syscall(SYS_sendmmsg, sv[0], 8, 2, 0)),
           (omsgs[1].msg_hdr.msg_iov = (void *)8, sendmmsg(sv[0], omsgs, 3, 0)));
    prepare();
    show("what came", recvmmsg(sv[1], msgs, N, MSG_DONTWAIT, 0));

    /* a stream socket: one message may take what several sends wrote */
    int st[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, st);
    omsgs[1].msg_hdr.msg_iov = &out[1];
    omsgs[1].msg_hdr.msg_iovlen = 1;
    printf("stream sendmmsg: %d\n", sendmmsg(st[0], omsgs, N, 0));
    prepare();
    show("stream recvmmsg", recvmmsg(st[1], msgs, N, MSG_DONTWAIT, 0));

    /* a blocking stream socket: each message goes whole, waiting for room (Linux); not the
       first one's first part, the call returning 1 */
    socketpair(AF_UNIX, SOCK_STREAM, 0, big);
    pthread_t rd;
    pthread_create(&rd, 0, slow_reader, 0);
    enum { MIB = 1 << 20 };
    static char ma[MIB], mb[MIB];
    memset(ma, 'a', MIB);
    memset(mb, 'b', MIB);
    struct iovec bio[2] = {{ma, MIB}, {mb, MIB}};
    struct mmsghdr bm[2];
    memset(bm, 0, sizeof bm);
    bm[0].msg_hdr.msg_iov = &bio[0];
    bm[0].msg_hdr.msg_iovlen = 1;
    bm[1].msg_hdr.msg_iov = &bio[1];
    bm[1].msg_hdr.msg_iovlen = 1;
    n = sendmmsg(big[0], bm, 2, 0);
    close(big[0]);
    pthread_join(rd, 0);
    printf("blocking stream sendmmsg of two 1 MiB messages: %d, lengths %u %u, read %ld\n", n, bm[0].msg_len,
           bm[1].msg_len, big_read);

    /* a signal (no SA_RESTART) while it waits: the message it cut counts, with its bytes
       sent; nothing sent at all: EINTR */
    socketpair(AF_UNIX, SOCK_STREAM, 0, big);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, 0);
    main_thread = pthread_self();
    pthread_t pk;
    pthread_create(&pk, 0, poker, 0);
    bm[0].msg_len = bm[1].msg_len = 0;
    n = sendmmsg(big[0], bm, 2, 0);
    int cut = bm[0].msg_len > 0 && bm[0].msg_len < MIB;
    int n2 = sendmmsg(big[0], bm, 2, 0);
    int e2 = errno;
    poked_enough = 1;
    pthread_join(pk, 0);
    printf("a signal while it waits: %d, the first message in part %d; with nothing sent: %d %s\n", n, cut, n2,
           n2 < 0 ? strerror(e2) : "");

    /* sync_file_range, readahead */
    char path[] = "/tmp/xld-batchio-XXXXXX";
    int fd = mkstemp(path);
    write(fd, "some data\n", 10);
    int ro = open(path, O_RDONLY), wo = open(path, O_WRONLY), po = open(path, O_PATH), dir = open("/tmp", O_RDONLY);
    unlink(path);
    printf("sync_file_range: %s, write and wait %s, whole file %s, flag 8 %s, offset -1 %s, overflowing %s, "
           "a pipe %s, a directory %s, O_PATH %s, no descriptor %s\n",
           err(sync_file_range(fd, 0, 10, 0)), err(sync_file_range(fd, 0, 10, 7)), err(sync_file_range(fd, 0, 0, 2)),
           err(sync_file_range(fd, 0, 10, 8)), err(sync_file_range(fd, -1, 10, 0)),
           err(sync_file_range(fd, 1, 0x7fffffffffffffffLL, 0)), err(sync_file_range(sv[0], 0, 0, 0)),
           err(sync_file_range(dir, 0, 0, 0)), err(sync_file_range(po, 0, 0, 0)), err(sync_file_range(99, 0, 0, 0)));
    printf("readahead: %s, write-only %s, O_PATH %s, a socket %s, a directory %s, no descriptor %s\n",
           err(readahead(ro, 0, 4096)), err(readahead(wo, 0, 4096)), err(readahead(po, 0, 4096)),
           err(readahead(sv[0], 0, 4096)), err(readahead(dir, 0, 4096)), err(readahead(99, 0, 4096)));

    /* mlock2 */
    char *page = mmap(0, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(page + 2 * 4096, 4096);
    if (argc < 2)       /* (qemu-user 7.2 has no mlock2: ENOSYS) */
        printf("mlock2: %s, MLOCK_ONFAULT %s, flags 1 << 32 (an int: none) %s, flag 2 %s, unaligned %s, "
               "into a hole %s\n",
               err(syscall(SYS_mlock2, page, 4096, 0)), err(syscall(SYS_mlock2, page, 8192, 1)),
               err(syscall(SYS_mlock2, page, 4096, 1L << 32)),
               err(syscall(SYS_mlock2, page, 4096, 2)), err(syscall(SYS_mlock2, page + 100, 100, 0)),
               err(syscall(SYS_mlock2, page + 4096, 8192, 0)));
    printf("mlock %s, munlock %s, mlock of a hole %s\n", err(mlock(page, 4096)), err(munlock(page, 8192)),
           err(mlock(page + 2 * 4096, 10)));
    /* the kernel's rules: the pages the range touches (the first one's start on), a wrap past
       the top of memory EINVAL, a length of -1 0 pages; mlockall needs MCL_CURRENT or
       MCL_FUTURE (raw calls: the C library may check) */
    printf("mlock: 0 bytes at 8 %s, 4000 bytes from 100 before the hole %s, 8 at -1 %s, -1 bytes %s; "
           "munlock: 8 at -1 %s, 0 bytes at 8 %s; mlockall: 0 %s, MCL_ONFAULT alone %s\n",
           err(syscall(SYS_mlock, 8, 0)), err(syscall(SYS_mlock, page + 4096 + 100, 4000)),
           err(syscall(SYS_mlock, -1L, 8)), err(syscall(SYS_mlock, page, -1L)),
           err(syscall(SYS_munlock, -1L, 8)), err(syscall(SYS_munlock, 8, 0)),
           err(syscall(SYS_mlockall, 0)), err(syscall(SYS_mlockall, 4)));
    return 0;
}
