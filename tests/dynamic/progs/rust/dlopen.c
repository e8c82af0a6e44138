#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv) {
    void *h = dlopen(argv[1], RTLD_NOW);
    if (!h) { printf("dlopen: %s\n", dlerror()); return 1; }
    long (*push)(long) = (long (*)(long))dlsym(h, "rs_push");
    long (*div)(long, long) = (long (*)(long, long))dlsym(h, "rs_safe_div");
    long (*threads)(long) = (long (*)(long))dlsym(h, "rs_threads");
    void (*fmt)(double) = (void (*)(double))dlsym(h, "rs_fmt");
    printf("%ld %ld\n", push(3), push(4));
    printf("%ld %ld\n", div(10, 3), div(1, 0));
    printf("%ld\n", threads(5));
    fflush(stdout);
    fmt(2.5);
    printf("std's own symbols hidden: %d\n", dlsym(h, "rust_begin_unwind") == 0);
    return 7;
}
