#ifndef HELLO_OPS_H
#define HELLO_OPS_H
struct op {
    const char *name;
    char symbol;
    long (*fn)(long, long);
};
extern const struct op ops[];
extern const int n_ops;
#endif
