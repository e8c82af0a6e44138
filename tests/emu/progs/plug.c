/* A shared library (built with -shared -fPIC): data, a constructor, thread-local storage, a
   callback into its caller, and libc calls. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int plug_counter = 40;
static __thread int plug_tls = 5;

__attribute__((constructor)) static void plug_init(void) { printf("plug: constructor\n"); }
__attribute__((destructor)) static void plug_fini(void) { printf("plug: destructor\n"); }

int plug_bump(int by) { plug_counter += by; return plug_counter; }
int plug_tls_next(void) { return ++plug_tls; }
const char *plug_name(void) { return "plug v1"; }

char *plug_join(const char *a, const char *b, int (*cb)(const char *))
{
    char *out = malloc(strlen(a) + strlen(b) + 2);
    sprintf(out, "%s+%s", a, b);
    printf("plug: callback says %d\n", cb(out));
    return out;
}
