#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"

static const struct {
    const char *word;
    int kind;
} keywords[] = {
    {"push", K_PUSH}, {"dup", K_DUP}, {"swap", K_SWAP}, {"jnz", K_JNZ},
    {"print", K_PRINT}, {"hash", K_HASH}, {"end", K_END},
};

/* One line: "push 123", "jnz 4", "dup", or an opcode name. Returns the instruction count. */
int xsi_assemble(const char *const *lines, struct insn *code, int max)
{
    int n = 0;
    char word[64];
    for (; *lines && n < max; lines++) {
        const char *s = *lines;
        while (isspace((unsigned char)*s))
            s++;
        if (*s == '#' || *s == 0)
            continue;
        size_t len = strcspn(s, " \t");
        if (len >= sizeof word)
            len = sizeof word - 1;
        memcpy(word, s, len);
        word[len] = 0;
        struct insn in = {K_OP, 0, 0};
        int found = 0;
        for (size_t k = 0; k < sizeof keywords / sizeof keywords[0]; k++) {
            if (strcmp(word, keywords[k].word) == 0) {
                in.kind = keywords[k].kind;
                found = 1;
            }
        }
        if (in.kind == K_END)
            break;
        if (found && (in.kind == K_PUSH || in.kind == K_JNZ))
            in.imm = strtoll(s + len, NULL, 0);
        if (!found) {
            in.op = xsi_find(word);
            if (in.op < 0) {
                fprintf(stderr, "xsi: unknown op %s\n", word);
                exit(2);
            }
        }
        code[n++] = in;
    }
    return n;
}
