int core_scale(int x);
static int total;
int api_add(int x) { total += x; return total; }
int api_scaled(void) { return core_scale(total); }
const char *api_version(void) { return "1.2"; }
int api_internal(void) { return 7; }
