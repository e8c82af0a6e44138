#include <stdio.h>
int foo_ver(void);
int main(void) { printf("version %d\n", foo_ver()); return 0; }
