/* A program against libfoo.so: data, function pointers compared across the boundary,
   a versioned symbol, TLS of the library, an IFUNC, callbacks both ways, dlopen. */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern int foo_counter;
extern const char foo_name[];
extern __thread int foo_tls;
extern int (*foo_hook)(int);
int foo_add(int, int);
void *foo_addr_of_add(void);
int foo_bump(void);
int foo_tls_next(void);
int foo_call_hook(int);
int foo_ver(void);
int foo_pick(void);
int foo_ask_app(void);

int app_override(void) { return 42; }      /* preempts the library's weak definition */
static int twice(int x) { return 2 * x; }
int (*add_ptr)(int, int) = foo_add;           /* a data pointer to a library function */

int main(int argc, char **argv) {
    printf("add %d\n", foo_add(2, 3));
    printf("counter %d bump %d counter %d\n", foo_counter, foo_bump(), foo_counter);
    foo_counter = 5;
    printf("counter after write %d, bump %d\n", foo_counter, foo_bump());
    printf("name %s\n", foo_name);
    printf("same function %d %d\n", (void *)foo_add == foo_addr_of_add(), add_ptr == foo_add);
    printf("tls %d next %d tls %d\n", foo_tls, foo_tls_next(), foo_tls);
    foo_hook = twice;
    printf("hook %d\n", foo_call_hook(21));
    printf("version %d\n", foo_ver());
    printf("ifunc %d\n", foo_pick());
    printf("override %d\n", foo_ask_app());
    errno = 0;
    strtol("99999999999999999999999", 0, 10);
    printf("errno %s\n", errno == ERANGE ? "ERANGE" : "?");
    void *h = dlopen(argc > 1 ? argv[1] : "./libplug.so", RTLD_NOW);
    if (!h) { printf("dlopen: %s\n", dlerror()); return 3; }
    int (*pv)(int) = (int (*)(int))dlsym(h, "plug_value");
    printf("plugin %d\n", pv ? pv(4) : -1);
    dlclose(h);
    return foo_add(1, 1) == 2 ? 0 : 1;
}
