int mylib_used(int);
const char *mylib_name(void);
int mylib_unused(int);
