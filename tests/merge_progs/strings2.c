/* The other half of strings1.c: equal strings and constants in another object. */
#include <wchar.h>
#include <uchar.h>

const char *other_greeting(void) { return "hello, merged world"; }
const char *other_tail(void) { return "world"; }
const wchar_t *other_wide(void) { return L"wide string"; }
const char16_t *other_u16(void) { return u"sixteen"; }
double other_scale(double x) { return x * 3.1415926535 - 2.718281828; }
static const char *const names[] = { "beta", "delta", "gamma", "alpha" };
int other_count(void) { int n = 0; for (int i = 0; i < 4; i++) n += names[i][0]; return n; }
