/* The counting key filter (kfilter.h). */
#include "state/kfilter.h"
#include "core/mem.h"
#include "core/xxhash64.h"

int sl_kfilter_reset(sl_kfilter *f, int64_t want)
{
    size_t cap = (size_t)1 << 16;
    while ((int64_t)cap < want * 2) cap *= 2;
    uint8_t *c = sl_calloc(cap, 1);
    if (!c) return -1;
    sl_free(f->c);
    f->c = c;
    f->cap = cap;
    f->n = 0;
    return 0;
}

void sl_kfilter_fini(sl_kfilter *f)
{
    sl_free(f->c);
    f->c = NULL;
    f->cap = 0;
    f->n = 0;
}

static void bump(sl_kfilter *f, const void *key, size_t n, int d)
{
    uint64_t h = sl_xxh64(key, n, 0x6b66696c);
    size_t m = f->cap - 1, at[2] = {(size_t)h & m, (size_t)(h >> 32) & m};
    for (int i = 0; i < 2; i++) {
        uint8_t *c = &f->c[at[i]];
        if (*c == 255) continue;
        if (d > 0) (*c)++;
        else if (*c) (*c)--;
    }
    f->n += d;
}

void sl_kfilter_add(sl_kfilter *f, const void *key, size_t n) { bump(f, key, n, 1); }
void sl_kfilter_del(sl_kfilter *f, const void *key, size_t n) { bump(f, key, n, -1); }

bool sl_kfilter_maybe(const sl_kfilter *f, const void *key, size_t n)
{
    uint64_t h = sl_xxh64(key, n, 0x6b66696c);
    size_t m = f->cap - 1;
    return f->c[(size_t)h & m] && f->c[(size_t)(h >> 32) & m];
}
