/* A call from .text to a function a script places 256 MiB away (past AArch64 BL's reach:
   a range-extension thunk; RISC-V's auipc+jalr reaches it). */
static long sys3(long n, long a, long b, long c) {
#if defined(__aarch64__)
  register long x8 __asm__("x8") = n, x0 __asm__("x0") = a, x1 __asm__("x1") = b, x2 __asm__("x2") = c;
  __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory"); return x0;
#else
  register long a7 __asm__("a7") = n, a0 __asm__("a0") = a, a1 __asm__("a1") = b, a2 __asm__("a2") = c;
  __asm__ volatile("ecall" : "+r"(a0) : "r"(a7), "r"(a1), "r"(a2) : "memory"); return a0;
#endif
}
__attribute__((section(".far"), noinline)) int far_func(int x) { return x * 3; }
__attribute__((noreturn)) void _start(void) {
  int r = far_func(14);
  sys3(64, 1, (long)"far\n", 4);
  sys3(93, r, 0, 0);
  for (;;) ;
}
