#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"

static struct insn code[XSI_MAX_CODE];

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 40;
    xsi_register_all();
    xsi_sort_ops();
    int n = xsi_assemble(xsi_script, code, XSI_MAX_CODE);
    printf("xsi: %d ops, %d instructions\n", xsi_nops, n);
    vm_t *vm = calloc(1, sizeof *vm);
    uint64_t total = 0;
    for (int r = 0; r < rounds; r++) {
        uint64_t h = xsi_run(vm, code, n, r * 7919 + 1, r == 0);
        total = total * 31 + h;
        if (r % 10 == 0)
            printf("round %d: %016llx sp=%d\n", r, (unsigned long long)h, vm->sp);
    }
    printf("steps %llu errors %llu stats %016llx\n", (unsigned long long)vm->steps,
           (unsigned long long)xsi_errors, (unsigned long long)xsi_stats_all());
    printf("total %016llx\n", (unsigned long long)total);
    free(vm);
    return 0;
}
