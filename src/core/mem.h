/* Memory: every heap allocation in the library goes through these calls.
 *
 * They return NULL on failure (the library never aborts on out-of-memory) and
 * carry a fault simulator, in SQLite's manner: sl_mem_fault_arm(n) makes the
 * n-th allocation from now fail (and, if `sticky`, all after it), so a test
 * can fail every allocation in turn and check that each ends in a clean
 * error with no leak.  An arena serves the many small, same-lifetime
 * allocations of a query's AST and plan. */
#ifndef SL_CORE_MEM_H
#define SL_CORE_MEM_H

#include <stddef.h>
#include <stdint.h>

void *sl_malloc(size_t n);
void *sl_calloc(size_t count, size_t size);
void *sl_realloc(void *p, size_t n);
char *sl_strdup(const char *s);
char *sl_strndup(const char *s, size_t n);
void sl_free(void *p);

/* Grows *p (an array of *cap elements of `size` bytes) to hold at least
 * `need` elements, doubling. Returns 0, or -1 with *p untouched on OOM. */
int sl_grow(void **p, size_t *cap, size_t need, size_t size);

/* Fault simulation. The n-th allocation after arming fails (n >= 1); with
 * sticky, every later one fails too. n = 0 disarms. Returns how many
 * allocations failed since the last arming. */
void sl_mem_fault_arm(long n, int sticky);
long sl_mem_fault_hits(void);

/* ---- arena -------------------------------------------------------------- */

typedef struct sl_arena_block sl_arena_block;
typedef struct sl_arena_cleanup sl_arena_cleanup;
typedef struct sl_arena {
    sl_arena_block *head;
    sl_arena_cleanup *cleanups;  /* run by sl_arena_fini, newest first */
    size_t used, cap;   /* in the head block */
    size_t total;       /* bytes handed out, for explain/stats */
} sl_arena;

void sl_arena_init(sl_arena *a);
void sl_arena_fini(sl_arena *a);          /* frees every block */
void *sl_arena_alloc(sl_arena *a, size_t n);  /* 16-byte aligned, zeroed */
char *sl_arena_strdup(sl_arena *a, const char *s);
char *sl_arena_strndup(sl_arena *a, const char *s, size_t n);
char *sl_arena_printf(sl_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Ties a heap object's lifetime to the arena: fn(p) runs at sl_arena_fini.
 * Returns -1 (and runs nothing) on OOM; the caller then frees p itself. */
int sl_arena_on_fini(sl_arena *a, void (*fn)(void *), void *p);

#endif
