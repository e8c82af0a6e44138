/* Data of a library that a -fno-pie program copies in (COPY relocations): a const table
   (.rodata), a const pointer table (.data.rel.ro, in the library's PT_GNU_RELRO), and
   writable data (.data). */
const int ctab[4] = {11, 22, 33, 44};
const char *const ptab[3] = {"one", "two", "three"};
int wvar = 5;
int wtab[2] = {7, 8};
