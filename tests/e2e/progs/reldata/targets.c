/* targets.c: what the tables in tables.c point to, aligned more than the defaults. */
__attribute__((aligned(64))) int target_a(int x) { return x + 1; }
__attribute__((aligned(32))) int target_b(int x) { return x * 3; }
int target_c(int x) { return x - 100; }
__attribute__((aligned(256))) const long aligned_data[4] = {11, 22, 33, 44};
long plain_data = 5;
