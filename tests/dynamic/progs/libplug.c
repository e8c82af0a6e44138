/* loaded with dlopen at run time */
int plug_value(int x) { return x * 3 + 1; }
