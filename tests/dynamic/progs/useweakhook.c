/* Defines the hook the library refers to weakly. */
#include <stdio.h>

void call_hook(void);
void weak_hook(void) { puts("the program's hook"); }

int main(void)
{
    call_hook();
    return 0;
}
