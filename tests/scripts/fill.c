/* Read-only data of odd sizes (gaps the script's =fill pattern fills) and data loaded from
   an odd load address (tests/test_scripts.py). */
const char ro_a[5] = "abcd";
const char ro_b[3] = "xy";
const char ro_c[7] = "123456";
char rw_a[3] = {1, 2, 3};
__attribute__((section(".data2"), aligned(16))) long rw_b[2] = {4, 5};

void _start(void)
{
    for (;;)
        ;
}
