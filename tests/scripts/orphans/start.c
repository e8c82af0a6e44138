extern int main(void);
long sys_write(const char *s, long n) {
#ifdef __aarch64__
  register long x0 __asm__("x0") = 1; register const char *x1 __asm__("x1") = s;
  register long x2 __asm__("x2") = n; register long x8 __asm__("x8") = 64;
  __asm__ volatile("svc #0" : "+r"(x0) : "r"(x1), "r"(x2), "r"(x8) : "memory");
  return x0;
#else
  register long a0 __asm__("a0") = 1; register const char *a1 __asm__("a1") = s;
  register long a2 __asm__("a2") = n; register long a7 __asm__("a7") = 64;
  __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
  return a0;
#endif
}
void _start(void) {
  long c = main();
#ifdef __aarch64__
  register long x0 __asm__("x0") = c; register long x8 __asm__("x8") = 93;
  __asm__ volatile("svc #0" :: "r"(x0), "r"(x8));
#else
  register long a0 __asm__("a0") = c; register long a7 __asm__("a7") = 93;
  __asm__ volatile("ecall" :: "r"(a0), "r"(a7));
#endif
  for (;;) ;
}
