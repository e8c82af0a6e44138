/* Nothing refers to this member: a linker must not pull it in (its constructor would print). */
#include <stdio.h>
#include "mylib.h"
int mylib_unused(int x) { return x; }
__attribute__((constructor)) static void noisy(void) { printf("UNUSED MEMBER LINKED\n"); }
