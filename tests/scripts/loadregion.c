/* Data loaded from ROM into RAM by a script's AT> regions, and script symbols defined by
   PROVIDE and plain assignments in both orders (tests/test_scripts.py). */
char odd_data[3] = {1, 2, 3};                                   /* .data ends unaligned */
__attribute__((section(".data2"), aligned(16))) int data2[2] = {4, 5};
int zeroed[10];
extern char _sdata[], _sidata[], _sidata2[], start_of_bss[], table_end[], ram_top[], end[];
void *const refs[] = {_sdata, _sidata, _sidata2, start_of_bss, table_end, ram_top, end};

void _start(void)
{
    for (;;)
        ;
}
