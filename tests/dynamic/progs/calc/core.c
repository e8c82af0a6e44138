int core_scale(int x) { return 2 * x; }
int core_helper(int x) { return x + 100; }
