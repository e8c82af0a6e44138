extern long sys_write(const char *s, long n);
__attribute__((section("table"), used)) static const int table_b[1] = {4};
int more[8];
int b_value = 30;
__thread int tls_zero;
static const long consts[4] = {1, 2, 3, 4};
volatile int idx = 2;
int helper(int x) { sys_write("merged string\n", 14); return x + b_value + more[1] + (int)consts[idx]; }
