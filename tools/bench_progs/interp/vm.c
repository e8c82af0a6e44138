#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"

__thread char xsi_scratch[256];
__thread uint64_t xsi_errors;
const struct opdef *xsi_ops[XSI_MAX_OPS];
int xsi_nops;

uint64_t xsi_hash_str(uint64_t h, const char *s)
{
    while (*s) {
        h ^= (unsigned char)*s++;
        h *= 0x100000001b3ULL;
    }
    return h;
}

int64_t xsi_pop(vm_t *vm)
{
    if (vm->sp == 0) {
        xsi_errors++;
        return 7;
    }
    return vm->stack[--vm->sp];
}

void xsi_push(vm_t *vm, int64_t v)
{
    if (vm->sp == XSI_STACK) {
        xsi_errors++;
        memmove(vm->stack, vm->stack + 1, sizeof vm->stack[0] * (XSI_STACK - 1));
        vm->sp--;
    }
    vm->stack[vm->sp++] = v;
}

void xsi_register(const struct opdef *defs, int n)
{
    for (int i = 0; i < n && xsi_nops < XSI_MAX_OPS; i++)
        xsi_ops[xsi_nops++] = &defs[i];
}

static int by_name(const void *a, const void *b)
{
    const struct opdef *const *x = a, *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

void xsi_sort_ops(void)
{
    qsort(xsi_ops, xsi_nops, sizeof xsi_ops[0], by_name);
}

int xsi_find(const char *name)
{
    int lo = 0, hi = xsi_nops - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        int c = strcmp(name, xsi_ops[mid]->name);
        if (c == 0)
            return mid;
        if (c < 0)
            hi = mid - 1;
        else
            lo = mid + 1;
    }
    return -1;
}

uint64_t xsi_run(vm_t *vm, const struct insn *code, int n, int64_t seed, int verbose)
{
    vm->sp = 0;
    vm->hash = 0xcbf29ce484222325ULL ^ (uint64_t)seed;
    vm->fuel = 20000;
    xsi_push(vm, seed);
    for (int pc = 0; pc < n && vm->fuel; pc++, vm->fuel--) {
        const struct insn *in = &code[pc];
        vm->steps++;
        switch (in->kind) {
        case K_PUSH:
            xsi_push(vm, in->imm);
            break;
        case K_OP: {
            const struct opdef *d = xsi_ops[in->op];
            int64_t b = d->arity > 1 ? xsi_pop(vm) : 0;
            int64_t a = d->arity > 0 ? xsi_pop(vm) : 0;
            xsi_push(vm, d->fn(vm, a, b));
            break;
        }
        case K_DUP: {
            int64_t a = xsi_pop(vm);
            xsi_push(vm, a);
            xsi_push(vm, a);
            break;
        }
        case K_SWAP: {
            int64_t b = xsi_pop(vm), a = xsi_pop(vm);
            xsi_push(vm, b);
            xsi_push(vm, a);
            break;
        }
        case K_JNZ:
            if ((xsi_pop(vm) & 7) == 1 && in->imm < pc)
                pc = (int)in->imm - 1;
            break;
        case K_PRINT:
            snprintf(xsi_scratch, sizeof xsi_scratch, "%lld:%.6g", (long long)vm->stack[vm->sp ? vm->sp - 1 : 0],
                     sqrt(fabs((double)(vm->sp ? vm->stack[vm->sp - 1] : 0) / 1e9)));
            if (verbose)
                printf("  print %s\n", xsi_scratch);
            vm->hash = xsi_hash_str(vm->hash, xsi_scratch);
            break;
        case K_HASH:
            for (int i = 0; i < vm->sp; i++)
                vm->hash = (vm->hash ^ (uint64_t)vm->stack[i]) * 0x100000001b3ULL;
            break;
        default:
            xsi_errors++;
            break;
        }
    }
    for (int i = 0; i < vm->sp; i++)
        vm->hash = (vm->hash ^ (uint64_t)vm->stack[i]) * 0x100000001b3ULL;
    return vm->hash;
}
