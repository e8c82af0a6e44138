/* both.c: a second weak definition of both_weak; the linker keeps the first one it sees
 * (this file comes before defs_weak.c on the command line). */
__attribute__((weak)) int both_weak = 10;
int *both_weak_here(void) { return &both_weak; }
