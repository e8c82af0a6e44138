/* defs_weak.c: weak definitions; defs_strong.c overrides some of them. */
__attribute__((weak)) int config = 1;
__attribute__((weak)) const char *who(void) { return "weak who"; }
__attribute__((weak)) int only_weak(void) { return 7; }
__attribute__((weak)) int both_weak = 20;
__attribute__((weak)) long weak_array[4] = {9, 9, 9, 9};
int weak_file_marker(void) { return config * 100 + both_weak; }
