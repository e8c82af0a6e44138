/* comdat: the same COMDAT group (a function and a data object) defined in two files, with
 * different contents so the test can tell which copy was kept: the linker keeps the first
 * (first.c comes first on the command line) and drops the other whole. */
#include "../common/rt.h"

int shared_fn(void);
extern int shared_data;
int first_user(void);
int second_user(void);

int main(int argc, char **argv)
{
    (void)argv;
    say("shared_fn", shared_fn());
    say("shared_data", shared_data);
    say("via first", first_user());
    say("via second", second_user());
    check(first_user() == second_user(), "both files use the kept copy");
    return failures + argc;
}
