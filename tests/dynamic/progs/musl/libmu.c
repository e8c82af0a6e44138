/* A musl shared library: data a program copies or reaches through its GOT, a thread-local
   variable the program reads across the library boundary, a constructor, a callback. */
#include <stdio.h>
#include <string.h>

__thread int mu_tls = 37;
static __thread char mu_buf[16];
int mu_counter = 1;
const char *mu_name = "libmu";
static int ctor_ran;

__attribute__((constructor)) static void mu_init(void) { ctor_ran = 100; }

int mu_add(int x) { mu_counter += x; return mu_counter * 10 + ctor_ran; }

const char *mu_label(int n) {
    snprintf(mu_buf, sizeof mu_buf, "%s-%d", mu_name, n + mu_tls);
    return mu_buf;
}

int mu_apply(int (*fn)(int), int v) { return fn(v) + mu_tls; }
