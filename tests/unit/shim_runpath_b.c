/* Test library for test_shim_e2e: found only through shim_runpath_a's
 * RUNPATH. */
int shim_runpath_value(void);

int shim_runpath_value(void) { return 42; }
