/* defs_strong.c: strong definitions that win over the weak ones, whatever the link order. */
int config = 2;
const char *who(void) { return "strong who"; }
long weak_array[4] = {1, 2, 3, 4};
