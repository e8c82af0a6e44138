#include "mylib.h"
int mylib_used(int x) { return x * 2 + 1; }
const char *mylib_name(void) { return "archive member"; }
