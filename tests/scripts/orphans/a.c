extern int helper(int);
extern long sys_write(const char *s, long n);
const char greet[] = "orphans keep their names\n";
int counter = 3;
int zeroes[32];
__thread int tls_data = 5;
static int ran;
__attribute__((constructor(200))) static void early(void) { ran += 2; }
__attribute__((constructor)) static void late(void) { ran += 10; }
static void old_ctor(void) { ran += 100; }
__attribute__((section(".ctors.00100"), used)) static void (*old_table)(void) = old_ctor;
__attribute__((section("table"), used)) static const int table_a[2] = {1, 2};
extern const int __start_table[], __stop_table[];
__asm__(".section .note.xld,\"a\",%note\n.balign 4\n.long 4,4,1\n.ascii \"XLD\\0\"\n.long 7\n.previous\n");
int main(void) {
  int s = 0;
  for (const int *p = __start_table; p < __stop_table; p++) s += *p;
  sys_write(greet, sizeof greet - 1);
  sys_write("merged string\n", 14);
  return helper(s + counter + zeroes[3] + ran);
}
