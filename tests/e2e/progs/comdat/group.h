/* A COMDAT group "shared" holding shared_fn (returning VALUE) and shared_data (= VALUE). */
#if defined(__aarch64__)
#define RET_VALUE(v) "  mov w0, #" #v "\n  ret\n"
#else
#define RET_VALUE(v) "  li a0, " #v "\n  ret\n"
#endif
#define SHARED_GROUP(v)                                                                     \
    __asm__(".section .text.shared_fn,\"axG\",%progbits,shared,comdat\n"                   \
            ".globl shared_fn\n.type shared_fn, %function\n.p2align 2\nshared_fn:\n"        \
            RET_VALUE(v)                                                                    \
            ".size shared_fn, .-shared_fn\n"                                                \
            ".section .data.shared_data,\"awG\",%progbits,shared,comdat\n"                  \
            ".globl shared_data\n.type shared_data, %object\n.p2align 2\nshared_data:\n"    \
            "  .4byte " #v "\n.size shared_data, 4\n"                                       \
            ".text\n")
