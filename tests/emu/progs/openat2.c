/* openat2 (struct open_how): the kernel's checks of its size, flags, mode and resolve
   flags, then an openat (it stopped as an unknown call). RESOLVE_* restrictions themselves
   are refused by name. qemu-user 7.2 has no openat2 (ENOSYS): the oracle is the host kernel. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
struct how { uint64_t flags, mode, resolve; uint64_t extra; };
static long oa2(const char *p, struct how *h, size_t sz) { errno = 0; long r = syscall(437, AT_FDCWD, p, h, sz); printf("%d %d\n", r < 0 ? -1 : (r > 0 ? 1 : 0), r < 0 ? errno : 0); return r; }
int main(void) {
    struct how h = {O_RDONLY, 0, 0, 0};
    printf("plain: "); long fd = oa2("/etc/passwd", &h, 24);
    char b[4]; printf("read %zd\n", fd >= 0 ? read(fd, b, 1) : -1);
    printf("small size: "); oa2("/etc/passwd", &h, 16);
    printf("big size zero tail: "); oa2("/etc/passwd", &h, 32);
    h.extra = 1; printf("big size nonzero tail: "); oa2("/etc/passwd", &h, 32); h.extra = 0;
    h.mode = 0644; printf("mode without creat: "); oa2("/etc/passwd", &h, 24); h.mode = 0;
    h.flags = O_RDWR | O_CREAT; h.mode = 010000; printf("bad mode: "); oa2("/tmp/xld-oa2", &h, 24);
    h.mode = 0600; printf("creat: "); oa2("/tmp/xld-oa2", &h, 24); unlink("/tmp/xld-oa2");
    h.flags = O_RDONLY; h.mode = 0; h.resolve = 0x18; printf("beneath+in_root: "); oa2("/etc/passwd", &h, 24);
    h.resolve = 0x100; printf("bad resolve: "); oa2("/etc/passwd", &h, 24);
    h.resolve = 0; h.flags = 1ULL << 40; printf("high flags: "); oa2("/etc/passwd", &h, 24);
    h.flags = O_RDONLY; printf("missing: "); oa2("/nonexistent", &h, 24);
    return 0;
}
