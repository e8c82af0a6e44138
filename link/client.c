/* The lean client of the warm server (link/client.py), compiled: what ``xld install-ld-wrapper
 * DIR`` writes as DIR/ld and DIR/xld-run when the host has a C compiler (tools/ld_wrapper.py builds it, checks
 * it and otherwise keeps the sh wrapper).
 *
 * Why: the Python lean client (``python -I -S``) spends ~9 ms of CPU starting its interpreter
 * before it connects, half of what GNU ld takes for a whole dynamic hello.  This program does
 * what link/client.py's ``lean_main("ld", ARGS)`` does -- the installation key, the socket,
 * the request, the signals, the exit status -- in well under a millisecond, and hands every case
 * it cannot decide exactly as the Python client would to that client (``python -I -S``) or to
 * the full command (``python -m xld.link ARGS``), by exec: the result is never different.
 *
 * The installer prepends the installation's constants, as the lean interpreter reports them:
 *   XLD_PYTHON       the interpreter the wrappers run (the installer's, by its absolute path)
 *   XLD_EXECUTABLE   its sys.executable, XLD_VERSION its sys.version
 *   XLD_PACKAGE_DIR  link/client.py's PACKAGE_DIR (.../xld/link)
 *   XLD_CLIENT_PY    link/client.py
 *   XLD_LEAN_CODE    the ``-c`` program of client.lean_argv
 *   XLD_KIND         "ld" (DIR/ld: ``lean_main(["ld", *ARGS])``) or "run" (DIR/xld-run: ``xld run``)
 * A server of another interpreter or code declines the key (link/server.py), and the key is
 * written out here only from ASCII parts of the environment: anything else goes to the Python
 * client, which decodes it as Python does.
 *
 * Run with the name (argv[0]) ``--xld-native-client-key`` and no arguments, it prints the key's
 * name and text (the installer compares them with the Python client's before it installs this
 * program).  Not an option: ``DIR/ld --xld-native-client-key`` is a link's command line, an error
 * as it is for ``xld``, and ``DIR/xld-run --xld-native-client-key`` runs a program of that name.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

extern char **environ;

#define PROTOCOL "xld-server-4"
#define SUN_PATH_MAX 107

static char **args;          /* this program's arguments (argv + 1) */
static int nargs;
static char **cmd;           /* the command's: XLD_KIND "run" puts "run" first (client.lean_main) */
static int ncmd;
static int sock = -1;
static volatile sig_atomic_t sent;

static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
#define NFORWARDED 6
static struct sigaction old_actions[NFORWARDED];
static int handled[NFORWARDED];

/* --- the two ways out: the Python client or the full command ------------------------------- */

static void exec_or_fail(char **argv) {
    execv(XLD_PYTHON, argv);
    fprintf(stderr, "xld: error: cannot run %s: %s\n", XLD_PYTHON, strerror(errno));
    _exit(1);
}

/* ``python -P -m xld.link ARGS``: what the Python client execs when there is no server to take
 * the command. */
static void exec_full(void) {
    char **argv = calloc(ncmd + 5, sizeof *argv);
    if (!argv) _exit(1);
    argv[0] = XLD_PYTHON;
    argv[1] = "-P";             /* (not the working directory first on sys.path: client.py) */
    argv[2] = "-m";
    argv[3] = "xld.link";
    memcpy(argv + 4, cmd, ncmd * sizeof *argv);
    exec_or_fail(argv);
}

/* The sh wrapper's command: the Python client, or the full command if its file is gone. */
static void exec_python_client(void) {
    struct stat st;
    if (stat(XLD_CLIENT_PY, &st) != 0 || !S_ISREG(st.st_mode))
        exec_full();
    char **argv = calloc(nargs + 7, sizeof *argv);
    if (!argv) _exit(1);
    argv[0] = XLD_PYTHON;
    argv[1] = "-I";
    argv[2] = "-S";
    argv[3] = "-c";
    argv[4] = XLD_LEAN_CODE;
    argv[5] = XLD_KIND;
    memcpy(argv + 6, args, nargs * sizeof *argv);
    exec_or_fail(argv);
}

/* --- a growing buffer ------------------------------------------------------------------------ */

struct buf { char *p; size_t n, cap; };

static void put(struct buf *b, const void *s, size_t n) {
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (b->n + n + 1 > cap) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) _exit(1);
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void puts_(struct buf *b, const char *s) { put(b, s, strlen(s)); }
static void field(struct buf *b, const char *s) { put(b, s, strlen(s) + 1); }    /* with its NUL */

/* --- the environment as Python sees it ------------------------------------------------------ */

static int ascii(const char *s) {
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80) return 0;
    return 1;
}

/* posix.environ keeps the first of two entries of one name and skips entries without '=':
 * leave such an environment to the Python client. */
static int cmp_name(const void *a, const void *b) {     /* by the names before '=' */
    const unsigned char *x = *(const unsigned char *const *)a, *y = *(const unsigned char *const *)b;
    for (;; x++, y++) {
        int cx = *x == '=' ? 0 : *x, cy = *y == '=' ? 0 : *y;
        if (cx != cy) return cx - cy;
        if (!cx) return 0;
    }
}

static int plain_environment(void) {     /* sorted by name, not each against all before it: */
    size_t n = 0;                        /* an environment of 100k names is 1e10 comparisons */
    for (char **e = environ; *e; e++, n++) {
        const char *eq = strchr(*e, '=');
        if (!eq || eq == *e) return 0;
    }
    char **names = malloc((n + 1) * sizeof *names);
    if (!names) _exit(1);
    memcpy(names, environ, n * sizeof *names);
    qsort(names, n, sizeof *names, cmp_name);
    int plain = 1;
    for (size_t i = 1; i < n && plain; i++)
        plain = cmp_name(&names[i - 1], &names[i]) != 0;
    free(names);
    return plain;
}

static const char *env_value(const char *name) {    /* NULL: absent */
    size_t n = strlen(name);
    for (char **e = environ; *e; e++)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=') return *e + n + 1;
    return NULL;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* client.key_text(sys.executable, sys.version, PACKAGE_DIR, environment()), or 0 when a part of
 * it is not ASCII (Python decodes and sorts it its own way). */
static int key_text(struct buf *key) {
    const char *home = env_value("HOME");
    const char *nousersite = env_value("PYTHONNOUSERSITE");
    size_t n = 0;
    for (char **e = environ; *e; e++) n++;
    char **py = calloc(n + 1, sizeof *py);
    if (!py) _exit(1);
    size_t k = 0;
    for (char **e = environ; *e; e++)
        if (strncmp(*e, "PYTHON", 6) == 0) {
            if (!ascii(*e)) return 0;
            py[k++] = *e;
        }
    if (home && !ascii(home)) return 0;
    qsort(py, k, sizeof *py, cmp_str);
    puts_(key, XLD_EXECUTABLE "\n" XLD_VERSION "\n" XLD_PACKAGE_DIR "\n");
    puts_(key, nousersite && *nousersite ? "S0s1E0\nHOME=" : "S0s0E0\nHOME=");
    puts_(key, home ? home : "");
    for (size_t i = 0; i < k; i++) {
        puts_(key, "\n");
        puts_(key, py[i]);
    }
    free(py);
    return 1;
}

/* client.key_name: the bytes 1, text as a number modulo 2^127 - 25; its first 96 bits in hex. */
static void key_name(const struct buf *key, char out[25]) {
    typedef unsigned __int128 u128;
    const u128 p = (((u128)1) << 127) - 25;
    u128 n = 1;
    for (size_t i = 0; i < key->n; i++) {
        for (int bit = 0; bit < 8; bit++) {
            n <<= 1;                                     /* n < p < 2^127: no overflow */
            if (n >= p) n -= p;
        }
        n += (unsigned char)key->p[i];
        if (n >= p) n -= p;
    }
    char hex[33];
    unsigned long long hi = (unsigned long long)(n >> 64), lo = (unsigned long long)n;
    snprintf(hex, sizeof hex, "%016llx%016llx", hi, lo);
    memcpy(out, hex, 24);
    out[24] = 0;
}

/* --- where the server listens (client.socket_dir) ------------------------------------------- */

static int is_private(const char *path, int need_private) {
    struct stat st;
    if (lstat(path, &st) != 0) return 0;
    if (!S_ISDIR(st.st_mode) || st.st_uid != getuid()) return 0;
    return !(need_private && (st.st_mode & 077));
}

static void join(struct buf *b, const char *dir, const char *name) {
    puts_(b, dir);
    if (*dir && dir[strlen(dir) - 1] != '/') puts_(b, "/");
    puts_(b, name);
}

static int socket_dir(struct buf *d) {
    const char *base = env_value("XLD_SERVER_DIR");
    if (!base || !*base) base = env_value("XDG_RUNTIME_DIR");
    if (!base || !*base || !is_private(base, 0)) base = "/tmp";
    char name[32];
    snprintf(name, sizeof name, "xld-%u", (unsigned)getuid());
    join(d, base, name);
    if (mkdir(d->p, 0700) != 0 && errno != EEXIST) return 0;
    return is_private(d->p, 1);
}

/* --- the conversation (client.connect, client.converse) ------------------------------------- */

static int connect_to(const char *path) {
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) return -1;
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    int dirfd = -1;
    const char *slash = strrchr(path, '/');
    if (strlen(path) <= SUN_PATH_MAX) {
        strcpy(a.sun_path, path);
    } else {                 /* through the directory's descriptor (client.short_address) */
        char dir[4096], fdpath[64];
        size_t dn = slash - path;
        struct stat st;
        int ok = 0;
        if (dn < sizeof dir) {
            memcpy(dir, path, dn);
            dir[dn] = 0;
            dirfd = open(dn ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        }
        if (dirfd >= 0) {
            snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", dirfd);
            if (strlen(fdpath) + 1 + strlen(slash + 1) <= SUN_PATH_MAX &&
                stat(fdpath, &st) == 0 && S_ISDIR(st.st_mode)) {
                snprintf(a.sun_path, sizeof a.sun_path, "%s/%s", fdpath, slash + 1);
                ok = 1;
            }
        }
        if (!ok) {           /* the path as it is: too long to connect to */
            if (dirfd >= 0) close(dirfd);
            close(s);
            return -1;
        }
    }
    int r = connect(s, (struct sockaddr *)&a, sizeof a);
    if (dirfd >= 0) close(dirfd);
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (r != 0 || getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || cred.uid != getuid()) {
        close(s);
        return -1;
    }
    return s;
}

static void relay(int signum) {
    int saved = errno;
    char m[2] = {'K', (char)signum};
    if (sent) send(sock, m, 2, MSG_NOSIGNAL);
    errno = saved;
}

static sigset_t old_mask;      /* the mask this process came with (the full command's) */

/* Hold the forwarded signals until the request is sent (then they are relayed). */
static void hold_forwarded(void) {
    sigset_t set;
    sigemptyset(&set);
    for (int i = 0; i < NFORWARDED; i++) sigaddset(&set, forwarded[i]);
    sigprocmask(SIG_BLOCK, &set, &old_mask);
}

static void release_forwarded(void) { sigprocmask(SIG_SETMASK, &old_mask, NULL); }

/* Signals this process ignores stay ignored (the full command would ignore them too). */
static void take_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = relay;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < NFORWARDED; i++) {
        sigaction(forwarded[i], NULL, &old_actions[i]);
        if (old_actions[i].sa_handler != SIG_IGN) {
            sigaction(forwarded[i], &sa, NULL);
            handled[i] = 1;
        }
    }
}

static void restore_signals(void) {
    for (int i = 0; i < NFORWARDED; i++)
        if (handled[i]) sigaction(forwarded[i], &old_actions[i], NULL);
}

static int send_all(const char *p, size_t n) {
    while (n) {
        ssize_t w = send(sock, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= w;
    }
    return 0;
}

/* One 5-byte message: 1, 0 (the server went away) or -1 (an error). */
static int message(unsigned char m[5]) {
    size_t got = 0;
    while (got < 5) {
        ssize_t r = recv(sock, m + got, 5 - got, 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (r == 0) return 0;
        got += r;
    }
    return 1;
}

static int status_of(const unsigned char m[5]) {
    return (int)((unsigned)m[1] | (unsigned)m[2] << 8 | (unsigned)m[3] << 16 | (unsigned)m[4] << 24);
}

static void exit_as(int status) {
    if (status < 0) {
        int sig = -status;
        signal(sig, SIG_DFL);
        kill(getpid(), sig);
        _exit(128 + sig);
    }
    _exit(status);
}

static void limit(struct buf *b, const char *name, int resource) {
    struct rlimit r;
    if (getrlimit(resource, &r) != 0) exec_python_client();
    char s[128], soft[24] = "-1", hard[24] = "-1";    /* as /proc/self/limits has them: */
    if (r.rlim_cur != RLIM_INFINITY)                     /* unsigned (2^63 and above too) */
        snprintf(soft, sizeof soft, "%llu", (unsigned long long)r.rlim_cur);
    if (r.rlim_max != RLIM_INFINITY)
        snprintf(hard, sizeof hard, "%llu", (unsigned long long)r.rlim_max);
    snprintf(s, sizeof s, "%s=%s,%s", name, soft, hard);
    field(b, s);
}

/* client.passed_fds: the descriptors past 0-2 not close-on-exec (the caller's), which `xld
 * run` passes to the program; 0 for other commands; -1 when there are more than MAX_PASSED. */
#define MAX_PASSED 240
static int passed[MAX_PASSED];
static int npassed;

static int passed_fds(void) {
    npassed = 0;
    if (ncmd == 0 || strcmp(cmd[0], "run") != 0) return 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d) return 0;
    int self = dirfd(d), too_many = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        int fd = atoi(e->d_name), flags;
        if (fd <= 2 || fd == self || (flags = fcntl(fd, F_GETFD)) < 0 || flags & FD_CLOEXEC) continue;
        if (npassed == MAX_PASSED) too_many = 1;
        else passed[npassed++] = fd;
    }
    closedir(d);
    for (int i = 1; i < npassed; i++)         /* in order, as the Python client sends them */
        for (int j = i; j > 0 && passed[j - 1] > passed[j]; j--) {
            int t = passed[j];
            passed[j] = passed[j - 1];
            passed[j - 1] = t;
        }
    return too_many ? -1 : 0;
}

/* client.request: the fields, NUL-separated. */
static void request(struct buf *b, const struct buf *key) {
    char num[32];
    field(b, PROTOCOL);
    put(b, key->p, key->n + 1);
    mode_t mask = umask(0);
    umask(mask);
    snprintf(num, sizeof num, "%u", (unsigned)mask);
    field(b, num);
    for (int i = 0; i < npassed; i++) {
        snprintf(num, sizeof num, i ? ",%d" : "%d", passed[i]);
        puts_(b, num);
    }
    put(b, "", 1);
    snprintf(num, sizeof num, "%d", ncmd);
    field(b, num);
    for (int i = 0; i < ncmd; i++) field(b, cmd[i]);
    field(b, "6");
    limit(b, "RLIMIT_AS", RLIMIT_AS);
    limit(b, "RLIMIT_DATA", RLIMIT_DATA);
    limit(b, "RLIMIT_FSIZE", RLIMIT_FSIZE);
    limit(b, "RLIMIT_NOFILE", RLIMIT_NOFILE);
    limit(b, "RLIMIT_CPU", RLIMIT_CPU);
    limit(b, "RLIMIT_CORE", RLIMIT_CORE);
    for (char **e = environ; *e; e++) field(b, *e);
    b->n--;                                   /* joined by NULs: none after the last */
}

/* Send the command; its status, or -1000 when the server declined or went away before it took
 * it (the caller runs the full command). */
static int converse(const struct buf *body) {
    int cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cwd < 0) return -1000;
    if (cwd <= 2) {                  /* stdin, stdout or stderr is closed */
        close(cwd);
        return -1000;
    }
    unsigned char head[8];
    unsigned long long len = body->n;
    for (int i = 0; i < 8; i++) head[i] = (unsigned char)(len >> (8 * i));
    int fds[4 + MAX_PASSED] = {cwd, 0, 1, 2};
    for (int i = 0; i < npassed; i++) fds[4 + i] = passed[i];
    size_t nfds = (4 + npassed) * sizeof(int);
    union { char c[CMSG_SPACE(sizeof fds)]; struct cmsghdr align; } control;
    memset(&control, 0, sizeof control);
    /* the head and the body in one message: the server reads them in one go */
    struct iovec iov[2] = {{head, sizeof head}, {body->p, body->n}};
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = iov;
    msg.msg_iovlen = 2;
    msg.msg_control = control.c;
    msg.msg_controllen = CMSG_SPACE(nfds);
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(nfds);
    memcpy(CMSG_DATA(c), fds, nfds);
    ssize_t w;
    do w = sendmsg(sock, &msg, MSG_NOSIGNAL); while (w < 0 && errno == EINTR);
    close(cwd);
    if (w < 0) return -1000;
    size_t done = (size_t)w;         /* the rest, if the message was cut (a large environment) */
    if (done < sizeof head && send_all((const char *)head + done, sizeof head - done) != 0)
        return -1000;
    done = done < sizeof head ? 0 : done - sizeof head;
    if (send_all(body->p + done, body->n - done) != 0) return -1000;
    sent = 1;
    release_forwarded();             /* a signal that came meanwhile is relayed now */
    unsigned char m[5];
    int r = message(m);
    if (r > 0 && m[0] == 'R') {      /* taken: it runs */
        r = message(m);
        if (r <= 0) {
            static const char e[] = "xld: error: the warm server went away while it ran the "
                                    "command (its exit status is lost)\n";
            write(2, e, sizeof e - 1);
            return 1;
        }
        if (m[0] == 'N') {
            static const char e[] = "xld: error: the warm server's process for the command "
                                    "ended before it began the command (nothing ran)\n";
            write(2, e, sizeof e - 1);
            return 1;
        }
        return status_of(m);
    }
    if (r <= 0 || m[0] != 'S') return -1000;
    return status_of(m);
}

static int enabled(void) {
    const char *v = env_value("XLD_SERVER");
    if (!v) return 1;
    static const char *off[] = {"0", "no", "off", "false", ""};
    for (int i = 0; i < 5; i++)
        if (strcasecmp(v, off[i]) == 0) return 0;
    return 1;
}

int main(int argc, char **argv) {
    static const char *not_served[] = {"nm", "objdump", "demo", "bench", "install-ld-wrapper", "diff"};
    args = argv + 1;
    nargs = argc - 1;
    if (strcmp(XLD_KIND, "run") == 0) {
        cmd = calloc(argc + 1, sizeof *cmd);
        if (!cmd) _exit(1);
        cmd[0] = "run";
        memcpy(cmd + 1, args, nargs * sizeof *cmd);
        ncmd = nargs + 1;
    } else {
        cmd = args;
        ncmd = nargs;
    }
    struct buf key = {0};
    if (argc == 1 && strcmp(argv[0], "--xld-native-client-key") == 0) {
        char name[25];
        if (!plain_environment() || !key_text(&key)) return 3;
        key_name(&key, name);
        printf("%s\n%s", name, key.p);
        return 0;
    }
    if (!enabled()) exec_full();
    struct stat st;
    if (stat(XLD_CLIENT_PY, &st) != 0 || !S_ISREG(st.st_mode)) exec_full();
    if (ncmd > 0)
        for (int i = 0; i < 6; i++)
            if (strcmp(cmd[0], not_served[i]) == 0) exec_full();
    /* (the environment as given: the Python client undoes its interpreter's PEP 538
     * coercion of LC_CTYPE, client.undo_locale_coercion, and sends it so too) */
    if (!plain_environment() || !key_text(&key)) exec_python_client();
    struct buf dir = {0}, path = {0}, body = {0};
    if (!socket_dir(&dir)) exec_full();
    for (int fd = 0; fd <= 2; fd++)
        if (fstat(fd, &st) != 0) exec_full();
    char name[25];
    key_name(&key, name);
    join(&path, dir.p, name);
    puts_(&path, ".sock");
    sock = connect_to(path.p);
    if (sock < 0) exec_full();
    if (passed_fds() < 0) exec_full();         /* too many to send: the full command */
    request(&body, &key);
    hold_forwarded();
    take_signals();
    int status = converse(&body);
    if (status == -1000) {           /* declined: the command runs as it would */
        close(sock);
        restore_signals();
        release_forwarded();
        exec_full();
    }
    exit_as(status);
    return 0;
}
