/* The first release of libfoo's versioned function: programs linked against it ask for
   foo_ver@FOO_1, and must keep getting 1 from a later libfoo that also has FOO_2. */
int foo_ver(void) { return 1; }
