/* One more table entry, brought in by the U-Boot-style script's INPUT(...) */
typedef struct { const char *name; int (*fn)(int); } entry_t;
static int inc(int x) { return x + 1; }
__attribute__((section(".table.3_inc"), used)) static const entry_t e3 = {"inc", inc};
