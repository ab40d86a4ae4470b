/* Heap wrappers with a fault simulator, and a bump arena for AST/plan nodes. */
#include "core/mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long fault_countdown; /* 0: disarmed; k: the k-th allocation fails */
static int fault_sticky;
static long fault_hits;

void sl_mem_fault_arm(long n, int sticky)
{
    fault_countdown = n;
    fault_sticky = sticky;
    fault_hits = 0;
}

long sl_mem_fault_hits(void) { return fault_hits; }

static int should_fail(void)
{
    if (fault_countdown <= 0) return 0;
    if (fault_countdown == 1) {
        fault_hits++;
        if (!fault_sticky) fault_countdown = 0;
        return 1;
    }
    fault_countdown--;
    return 0;
}

void *sl_malloc(size_t n)
{
    if (should_fail()) return NULL;
    return malloc(n ? n : 1);
}

void *sl_calloc(size_t count, size_t size)
{
    if (should_fail()) return NULL;
    return calloc(count ? count : 1, size ? size : 1);
}

void *sl_realloc(void *p, size_t n)
{
    if (should_fail()) return NULL;
    return realloc(p, n ? n : 1);
}

void sl_free(void *p) { free(p); }

char *sl_strndup(const char *s, size_t n)
{
    char *d = sl_malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

char *sl_strdup(const char *s) { return sl_strndup(s, strlen(s)); }

int sl_grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap) return 0;
    size_t ncap = *cap ? *cap : 8;
    while (ncap < need) ncap *= 2;
    void *np = sl_realloc(*p, ncap * size);
    if (!np) return -1;
    *p = np;
    *cap = ncap;
    return 0;
}

/* ---- arena -------------------------------------------------------------- */

struct sl_arena_block {
    sl_arena_block *next;
    size_t cap;
    _Alignas(16) unsigned char data[];
};

void sl_arena_init(sl_arena *a) { memset(a, 0, sizeof *a); }

struct sl_arena_cleanup {
    sl_arena_cleanup *next;
    void (*fn)(void *);
    void *p;
};

int sl_arena_on_fini(sl_arena *a, void (*fn)(void *), void *p)
{
    sl_arena_cleanup *c = sl_arena_alloc(a, sizeof *c);
    if (!c) return -1;
    c->fn = fn;
    c->p = p;
    c->next = a->cleanups;
    a->cleanups = c;
    return 0;
}

void sl_arena_fini(sl_arena *a)
{
    for (sl_arena_cleanup *c = a->cleanups; c; c = c->next) c->fn(c->p);
    sl_arena_block *b = a->head;
    while (b) {
        sl_arena_block *n = b->next;
        sl_free(b);
        b = n;
    }
    memset(a, 0, sizeof *a);
}

void *sl_arena_alloc(sl_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (!a->head || a->used + n > a->cap) {
        /* Blocks grow with the arena so a big plan needs few mallocs, but an
         * oversized request gets a block of its own size. */
        size_t cap = a->cap ? a->cap * 2 : 4096;
        if (cap > (1u << 20)) cap = 1u << 20;
        if (cap < n) cap = n;
        sl_arena_block *b = sl_malloc(sizeof *b + cap);
        if (!b) return NULL;
        b->next = a->head;
        b->cap = cap;
        a->head = b;
        a->used = 0;
        a->cap = cap;
    }
    void *p = a->head->data + a->used;
    a->used += n;
    a->total += n;
    memset(p, 0, n);
    return p;
}

char *sl_arena_strndup(sl_arena *a, const char *s, size_t n)
{
    char *d = sl_arena_alloc(a, n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

char *sl_arena_strdup(sl_arena *a, const char *s)
{
    return sl_arena_strndup(a, s, strlen(s));
}

char *sl_arena_printf(sl_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return NULL;
    char *d = sl_arena_alloc(a, (size_t)n + 1);
    if (!d) return NULL;
    va_start(ap, fmt);
    vsnprintf(d, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return d;
}
