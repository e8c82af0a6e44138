#include "group.h"
SHARED_GROUP(43);
int shared_fn(void);
extern int shared_data;
int second_user(void) { return shared_fn() + shared_data - 42; }
