#define _GNU_SOURCE
/* Linked against libplug.so (found through the run path $ORIGIN), or loads it with dlopen
   (argv[1] = "dlopen"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dlfcn.h>

extern int plug_counter;
int plug_bump(int);
int plug_tls_next(void);
const char *plug_name(void);
char *plug_join(const char *, const char *, int (*)(const char *));

static int length(const char *s) { return (int)strlen(s); }

#ifdef USE_DLOPEN
int main(int argc, char **argv)
{
    const char *lib = argc > 1 ? argv[1] : "./libplug.so";
    void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    if (!h) { printf("dlopen: %s\n", dlerror()); return 1; }
    int (*bump)(int) = (int (*)(int))dlsym(h, "plug_bump");
    int (*tls)(void) = (int (*)(void))dlsym(h, "plug_tls_next");
    const char *(*name)(void) = (const char *(*)(void))dlsym(h, "plug_name");
    char *(*join)(const char *, const char *, int (*)(const char *)) =
        (char *(*)(const char *, const char *, int (*)(const char *)))dlsym(h, "plug_join");
    int *counter = (int *)dlsym(h, "plug_counter");
    printf("%s: bump %d counter %d tls %d %d\n", name(), bump(2), *counter, tls(), tls());
    char *j = join("left", "right", length);
    printf("joined %s\n", j);
    free(j);
    printf("missing symbol: %s\n", dlsym(h, "plug_nothing") ? "found" : "not found");
    Dl_info info;
    if (dladdr((void *)bump, &info))
        printf("dladdr: %s in %s\n", info.dli_sname, strrchr(info.dli_fname, '/') ? strrchr(info.dli_fname, '/') + 1 : info.dli_fname);
    printf("dlclose: %d\n", dlclose(h));
    void *bad = dlopen("./libnothing.so", RTLD_NOW);
    printf("bad: %s\n", bad ? "loaded" : dlerror());
    return 0;
}
#else
int main(void)
{
    printf("%s: bump %d counter %d tls %d %d\n", plug_name(), plug_bump(2), plug_counter,
           plug_tls_next(), plug_tls_next());
    char *j = plug_join("left", "right", length);
    printf("joined %s\n", j);
    free(j);
    return 0;
}
#endif
