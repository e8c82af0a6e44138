struct entry {
    const char *name;
    int (*fn)(int);
};
#define REGISTER(n, f)                                                                     \
    static struct entry entry_##f __attribute__((section("xld_entries"), used, aligned(8))) = \
        {n, f}
extern struct entry __start_xld_entries[], __stop_xld_entries[];
