/* weak: weak vs strong definitions across files, and undefined weak references that must
 * resolve to 0 (checked at run time, through calls and through data). */
#include "../common/rt.h"

extern int config;
const char *who(void);
extern int only_weak(void) __attribute__((weak));
extern int both_weak;
extern long weak_array[4];
int weak_file_marker(void);
int *both_weak_here(void);

extern int missing_fn(void) __attribute__((weak));
extern int missing_var __attribute__((weak));
extern long missing_arr[] __attribute__((weak));

/* data that holds the addresses of undefined weak symbols */
int (*const missing_fn_ptr)(void) = missing_fn;
int *missing_var_ptr = &missing_var;

int main(int argc, char **argv)
{
    (void)argv;
    say("config", config);
    put(who());
    nl();
    say("only_weak", only_weak ? only_weak() : -1);
    say("both_weak", both_weak);
    check(&both_weak == both_weak_here(), "one both_weak");
    say("weak_array[3]", weak_array[3]);
    say("marker", weak_file_marker());
    check(missing_fn == 0, "undefined weak function is null");
    check(&missing_var == 0, "undefined weak variable is at 0");
    check(missing_arr == 0, "undefined weak array is at 0");
    check(missing_fn_ptr == 0, "undefined weak function in data is null");
    check(missing_var_ptr == 0, "undefined weak variable in data is null");
    int r = 0;
    int (*volatile fp)(void) = missing_fn;
    if (fp != 0)
        r = missing_fn();
    else
        put("missing_fn not called"), nl();
    return failures * 16 + r + config + argc;
}
