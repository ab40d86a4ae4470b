/* A counting filter of the keys an operator's working store holds
 * (state/ostore.h), so that a lookup of a key the store cannot have skips
 * RocksDB: a RocksDB seek for a key that is not there still walks the
 * memtable and the files' indexes, and most keys a batch meets may be new.
 *
 * Two 8-bit counters per key, at positions from its 64-bit hash; a key may
 * be stored when both are non-zero.  A counter that reached 255 stays
 * there (never a false "absent"); the others count adds and deletes, so
 * deleting keeps the filter tight.  Sized at two counters per key it may
 * hold: when the keys counted pass half its counters the owner resets it
 * larger and adds every stored key again (sl_kfilter_crowded). */
#ifndef SL_STATE_KFILTER_H
#define SL_STATE_KFILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sl_kfilter {
    uint8_t *c;
    size_t cap;      /* counters, a power of two */
    int64_t n;       /* keys counted (adds - deletes) */
} sl_kfilter;

/* Empties the filter with room for `want` keys; -1 on OOM (then unchanged). */
int sl_kfilter_reset(sl_kfilter *f, int64_t want);
void sl_kfilter_fini(sl_kfilter *f);
void sl_kfilter_add(sl_kfilter *f, const void *key, size_t n);
void sl_kfilter_del(sl_kfilter *f, const void *key, size_t n);
/* false: the store has no record with this key for sure */
bool sl_kfilter_maybe(const sl_kfilter *f, const void *key, size_t n);
/* Whether the keys counted passed half the counters (reset it larger). */
static inline bool sl_kfilter_crowded(const sl_kfilter *f) { return f->n * 2 > (int64_t)f->cap; }

#endif
