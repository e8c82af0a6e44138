typedef long (*binop)(long, long);
long op_add(long, long);
long op_sub(long, long);
long op_mul(long, long);
long op_xor(long, long);
extern long big_table[32];
extern long *p_into_middle;
extern long *const p_const_end;
extern const binop *exported_local_table;
extern const char *const names[];
extern char greeting[];
extern const char *strptr;
const char *lookup(int i);

struct named {
    const char *name;
    binop fn;
    const struct named *next;
    long *counter;
};
extern const struct named chain[3];
extern long hits[3];
