/* A library with a weak reference no input defines, linked with --no-undefined: the name
   stays a weak undefined dynamic symbol, which ld.so binds to the program's definition. */
#include <stdio.h>

void weak_hook(void) __attribute__((weak));

void call_hook(void)
{
    if (weak_hook)
        weak_hook();
    else
        puts("no hook");
}
