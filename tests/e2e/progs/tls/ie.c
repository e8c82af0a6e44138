/* ie.c: the same variables through the initial-exec model (a GOT slot holding the
 * thread-pointer offset, or code the linker relaxes to local-exec). */
#define IE __attribute__((tls_model("initial-exec")))

extern IE __thread int counter;
extern IE __thread long table[4];
extern IE __thread int zero_int;

void tls_bump(int by)
{
    counter += by;
    table[3] *= 2;
    zero_int = 7;
}

long tls_ie_read(int i) { return table[i & 3] + counter; }
