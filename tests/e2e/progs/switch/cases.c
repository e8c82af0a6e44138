/* cases.c: a switch over letters whose cases call different functions, and one returning
 * string literals. */
static long twice(long x) { return 2 * x; }
static long inc(long x) { return x + 1; }
static long sq(long x) { return (x * x) % 1000003; }
static long neg(long x) { return -x; }

long act(int k, long x)
{
    switch ('a' + k) {
    case 'a': return twice(x);
    case 'b': return inc(x);
    case 'c': return sq(x);
    case 'd': return neg(x);
    case 'e': return x - 7;
    case 'f': return twice(inc(x));
    case 'g': return sq(neg(x));
    case 'h': return x / 3;
    case 'i': return x ^ 0x5555;
    case 'j': return inc(inc(x));
    case 'k': return x % 1000;
    case 'l': return x + 'l';
    case 'm': return sq(x) + 1;
    case 'n': return twice(twice(x));
    case 'o': return neg(inc(x));
    case 'p': return x * 17;
    default: return x + 1;
    }
}

const char *day(int d)
{
    switch (d) {
    case 0: return "Mon";
    case 1: return "Tue";
    case 2: return "Wed";
    case 3: return "Thu";
    case 4: return "Fri";
    case 5: return "Sat";
    case 6: return "Sun";
    default: return "???";
    }
}
