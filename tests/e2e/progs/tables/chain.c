/* chain.c: a linked list built at link time: every field is a relocation (to a string,
 * to a function in another file, to the next element, to a .bss counter). */
#include "../common/rt.h"
#include "tables.h"

long hits[3];
const struct named chain[3] = {
    {"add", op_add, &chain[1], &hits[0]},
    {"mul", op_mul, &chain[2], &hits[1]},
    {"xor", op_xor, 0, &hits[2]},
};
