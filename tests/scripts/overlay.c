/* Data for the two overlays of overlay.ld, and references to the symbols OVERLAY provides. */
__attribute__((section(".ov1"))) int ov1_data[5] = {1,2,3,4,5};
__attribute__((section(".ov2"))) int ov2_data[3] = {7,8,9};
extern char __load_start_ov1[], __load_stop_ov2[];
char *ov_refs[] = {__load_start_ov1, __load_stop_ov2};
