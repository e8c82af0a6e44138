/* A program linked against libmu (and musl's libc.so), which dlopens plugmu too. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern __thread int mu_tls;
extern int mu_counter;
extern const char *mu_name;
int mu_add(int);
const char *mu_label(int);
int mu_apply(int (*)(int), int);

static int twice(int v) { return 2 * v; }
int (*volatile fnptr)(int) = mu_add;        /* the address of a library function, in data */

int main(int argc, char **argv) {
    mu_tls += 5;
    printf("add %d counter %d name %s\n", mu_add(argc), mu_counter, mu_name);
    printf("label %s tls %d apply %d ptr %d\n", mu_label(1), mu_tls, mu_apply(twice, 4), fnptr(0));
    const char *plug = argc > 1 ? argv[1] : "./libplugmu.so";
    void *h = dlopen(plug, RTLD_NOW);
    if (!h) { printf("dlopen: %s\n", dlerror()); return 1; }
    int (*entry)(int) = (int (*)(int))dlsym(h, "plug_entry");
    if (!entry) { printf("dlsym: %s\n", dlerror()); return 1; }
    printf("plugin %d %d\n", entry(2), entry(3));
    char *s = strdup("qsort");
    printf("%s %zu\n", s, strlen(s));
    free(s);
    return 7;
}
