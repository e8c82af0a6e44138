#include <dlfcn.h>
#include <stdio.h>
int app_callback(int x) { return x * 1000; }
int main(int argc, char **argv) {
    void *h = dlopen(argc > 1 ? argv[1] : "./plugin.so", RTLD_NOW);
    if (!h) { printf("dlopen: %s\n", dlerror()); return 2; }
    int (*run)(int) = (int (*)(int))dlsym(h, "plugin_run");
    printf("run %d\n", run(3));
    printf("run %d\n", run(4));
    return 0;
}
