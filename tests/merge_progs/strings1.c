/* Strings and constants that strings2.c shares: the linker stores each once. */
#include <stdio.h>
#include <wchar.h>
#include <uchar.h>

extern const char *other_greeting(void);
extern const char *other_tail(void);
extern const wchar_t *other_wide(void);
extern const char16_t *other_u16(void);
extern double other_scale(double);
extern int other_count(void);

const char *greeting(void) { return "hello, merged world"; }
const char *tail(void) { return "merged world"; }          /* a tail of the greeting */
const wchar_t *wide(void) { return L"wide string"; }
const char16_t *u16(void) { return u"sixteen"; }
double scale(double x) { return x * 3.1415926535 + 2.718281828; }
static const char *const table[] = { "alpha", "beta", "gamma", "hello, merged world" };

static void put16(const char16_t *s) { while (*s) putchar((int)*s++); putchar('\n'); }

int main(void) {
  printf("%s|%s|%s|%s\n", greeting(), other_greeting(), tail(), other_tail());
  printf("%ls|%ls\n", wide(), other_wide());
  put16(u16());
  put16(other_u16());
  printf("%.6f %.6f %d\n", scale(1.0), other_scale(2.0), other_count());
  for (int i = 0; i < 4; i++) printf("%s%c", table[i] + (i == 3 ? 7 : 0), i == 3 ? '\n' : ' ');
  printf("same pointer: %d\n", greeting() == other_greeting());
  return 0;
}
