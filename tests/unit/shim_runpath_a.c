/* Test library for test_shim_e2e: opens a library by bare name, found only
 * through this library's own RUNPATH ($ORIGIN/runpath_sub).  glibc searches
 * with the RUNPATH of dlopen's caller, so this breaks if the shim's dlopen
 * hook becomes the caller. */
#include <dlfcn.h>

int shim_runpath_load(void)
{
    void *h = dlopen("libshim_runpath_b.so", RTLD_NOW);
    if (!h)
        return -1;
    int (*fn)(void) = (int (*)(void))dlsym(h, "shim_runpath_value");
    return fn ? fn() : -2;
}
