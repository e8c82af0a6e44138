#include <stdio.h>
long rs_push(long); long rs_safe_div(long, long); long rs_threads(long); void rs_fmt(double);

int main(void) {
    printf("%ld %ld\n", rs_push(3), rs_push(4));
    printf("%ld %ld\n", rs_safe_div(10, 3), rs_safe_div(1, 0));
    printf("%ld\n", rs_threads(5));
    fflush(stdout);
    rs_fmt(2.5);
    return 7;
}
