/* vars.c: the thread-local variables, accessed with the local-exec model here. */
#define LE __attribute__((tls_model("local-exec")))

LE __thread int counter = 5;
LE __thread long table[4] = {10, 20, 30, 40};
LE __thread char zeroed[100];
LE __thread int zero_int;

int tls_sum(void)
{
    return counter + (int)(table[0] + table[1] + table[2] + table[3]) + zero_int;
}

char *tls_zeroed_addr(void) { return zeroed; }
