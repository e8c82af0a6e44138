/* A plugin: loaded with dlopen, calls back into the program that loaded it, keeps state
   in thread-local storage (general-dynamic / descriptor TLS through ld.so). */
int app_callback(int);
static __thread int calls;
__thread int plugin_tls = 5;
int plugin_run(int x) { calls++; plugin_tls += x; return app_callback(x) + calls * 100 + plugin_tls; }
