/* A program of the user's, built outside the source tree against the
 * installed libsyncwatch-sync (tests/install/test_lib_install.sh): a named
 * mutex guarding a counter, a misuse caught by a replaced handler. */
#include <stdio.h>

#include <syncwatch/sync.h>

static sw_mutex_t counter_lock = SW_MUTEX_INITIALIZER("counter_lock");
static int counter SW_GUARDED_BY(&counter_lock);
static int violations;

static void count_violation(const sw_violation_t *v, void *arg)
{
    (void)arg;
    printf("caught %s on \"%s\"\n", sw_violation_name(v->kind), v->name);
    violations++;
}

int main(void)
{
    sw_set_violation_handler(count_violation, NULL);
    sw_mutex_lock(&counter_lock);
    counter++;
    sw_mutex_unlock(&counter_lock);
    int rc = sw_mutex_unlock(&counter_lock);
    printf("second unlock: %s\n", sw_strerror(rc));
    return counter == 1 && violations == 1 && rc == SW_EPERM ? 0 : 1;
}
