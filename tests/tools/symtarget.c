/* A small shared library with known symbols, lines and inlining, built
 * with -g, that tests/unit/test_symbolize.c loads and symbolizes.  The line
 * numbers the test expects are exported as variables next to the lines, so
 * editing this file cannot silently break the test. */
#include <pthread.h>
#include <stddef.h>

pthread_mutex_t symtarget_lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;

struct symtarget_shared {
    int generation;
    pthread_mutex_t field;
};
struct symtarget_shared symtarget_shm;
struct symtarget_shared symtarget_table[3];
struct {
    long count;
    pthread_mutex_t locks[4];
} symtarget_pool;

void *symtarget_counter_lock_addr(void);
void *symtarget_leaf(void);
void *symtarget_caller(void);
void *symtarget_inline_caller(void);

void *symtarget_counter_lock_addr(void) { return &counter_lock; }

/* The asm statements keep the calls from becoming tail calls, so that
 * their return addresses lie inside the callers. */
__attribute__((noinline)) void *symtarget_leaf(void)
{
    void *r = __builtin_return_address(0);
    __asm__ volatile("" ::: "memory");
    return r;
}

const int symtarget_call_line = __LINE__ + 4;
__attribute__((noinline)) void *symtarget_caller(void)
{
    void *r;
    r = symtarget_leaf();
    __asm__ volatile("" ::: "memory");
    return r;
}

const int symtarget_inline_line = __LINE__ + 3;
static inline __attribute__((always_inline)) void *inlined_helper(void)
{
    void *r = symtarget_leaf();
    __asm__ volatile("" ::: "memory");
    return r;
}

/* A C++ name (symtarget::entry()), written from C with an assembler label. */
void *symtarget_cxx(void) __asm__("_ZN9symtarget5entryEv");
__attribute__((noinline)) void *symtarget_cxx(void) { return symtarget_leaf(); }

__attribute__((noinline)) void *symtarget_inline_caller(void)
{
    void *r = inlined_helper();
    __asm__ volatile("" ::: "memory");
    return r;
}
