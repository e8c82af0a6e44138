/* A shared library built by GNU ld at test time: functions, data, TLS, a versioned symbol,
   an IFUNC, and a callback into the executable. */
#include <stdio.h>
#include <string.h>

int foo_counter = 40;                       /* data: copy-relocated by non-PIC executables */
const char foo_name[] = "libfoo";           /* read-only data */
__thread int foo_tls = 7;                   /* TLS in a shared library */
int (*foo_hook)(int) = 0;

int foo_add(int a, int b) { return a + b; }
void *foo_addr_of_add(void) { return (void *)foo_add; }
int foo_bump(void) { return ++foo_counter; }
int foo_tls_next(void) { return ++foo_tls; }
int foo_call_hook(int x) { return foo_hook ? foo_hook(x) : -1; }

/* two versions of one function: old programs get 1, new ones 2 */
int foo_ver_old(void) { return 1; }
int foo_ver_new(void) { return 2; }
__asm__(".symver foo_ver_old, foo_ver@FOO_1");
__asm__(".symver foo_ver_new, foo_ver@@FOO_2");

/* an IFUNC exported from a library */
static int impl_a(void) { return 100; }
static int impl_b(void) { return 200; }
static void *resolve_pick(void) { return strlen("x") == 1 ? (void *)impl_a : (void *)impl_b; }
int foo_pick(void) __attribute__((ifunc("resolve_pick")));

/* the executable may define this; the library calls whichever definition wins */
__attribute__((weak)) int app_override(void) { return 1; }
int foo_ask_app(void) { return app_override(); }
