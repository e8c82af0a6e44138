#include "group.h"
SHARED_GROUP(42);
int shared_fn(void);
int first_user(void) { return shared_fn(); }
