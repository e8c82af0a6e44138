/* A spread of libc: string functions (SIMD variants chosen by HWCAP), strtod/printf of
 * floats, qsort, regex, getopt, setjmp/longjmp, time formatting, locale-free ctype. */
#include <ctype.h>
#include <math.h>
#include <regex.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static jmp_buf env;

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void jumper(int n) { if (n > 3) longjmp(env, n); jumper(n + 1); }

int main(int argc, char **argv)
{
    int opt, verbose = 0;
    const char *name = "none";
    while ((opt = getopt(argc, argv, "vn:")) != -1) {
        if (opt == 'v') verbose++;
        else if (opt == 'n') name = optarg;
    }
    printf("verbose=%d name=%s rest=%d\n", verbose, name, argc - optind);

    char big[5000];
    for (int i = 0; i < 4999; i++) big[i] = 'a' + i % 26;
    big[4999] = 0;
    char *copy = strdup(big);
    printf("strlen %zu memcmp %d strchr %td strrchr %td strstr %td\n", strlen(copy), memcmp(big, copy, 5000),
           strchr(copy, 'z') - copy, strrchr(copy, 'q') - copy, strstr(copy, "xyzab") - copy);
    memmove(copy + 1, copy, 4000);
    printf("memmove %.8s\n", copy);

    double v[] = {3.5, -1.25, 1e300, 2.718281828459045, -0.0, 1e-310, 42};
    qsort(v, 7, sizeof *v, cmpd);
    for (int i = 0; i < 7; i++) printf("%g%c", v[i], i == 6 ? '\n' : ' ');
    printf("%a %.17g %.3e %f\n", 0.1, strtod("2.5e-3", 0), exp(10.0), pow(2, 0.5));
    printf("%.10f %.10f %.10f\n", sin(1.0), log(7.0), atan2(1.0, 3.0));
    printf("%lld %llu %lx\n", strtoll("-9223372036854775807", 0, 10), strtoull("18446744073709551615", 0, 0),
           (unsigned long)UINT64_C(0xdeadbeefcafe));

    regex_t re;
    regmatch_t m[3];
    regcomp(&re, "([a-z]+)@([a-z]+)\\.com", REG_EXTENDED);
    if (regexec(&re, "mail bob@example.com now", 3, m, 0) == 0)
        printf("regex %.*s at %d\n", (int)(m[2].rm_eo - m[2].rm_so), "mail bob@example.com now" + m[2].rm_so,
               (int)m[0].rm_so);
    regfree(&re);

    int r = setjmp(env);
    if (r == 0) jumper(0);
    printf("longjmp %d\n", r);

    time_t t = 1700000000;
    struct tm tm;
    gmtime_r(&t, &tm);
    char buf[64];
    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %a", &tm);
    printf("time %s\n", buf);

    char text[] = "The Quick, brown fox";
    int up = 0;
    for (char *p = text; *p; p++) up += isupper((unsigned char)*p);
    char *tok = strtok(text, " ,");
    printf("upper %d first %s\n", up, tok);
    free(copy);
    return 0;
}
