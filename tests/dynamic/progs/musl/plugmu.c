/* Loaded with dlopen: its own thread-local variable (the dynamic TLS model, a block allocated
   after the program started) and a call into the library the program linked. */
#include <stdio.h>

extern int mu_add(int);
extern __thread int mu_tls;
static __thread int plug_tls = 5;

int plug_entry(int x) {
    plug_tls += x;
    return mu_add(1) + plug_tls * 1000 + mu_tls;
}
