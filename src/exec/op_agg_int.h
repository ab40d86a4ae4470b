/* The streaming aggregation's insides, shared by op_agg.c (the
 * aggregation and its groups in memory) and op_agg_work.c (its groups in
 * RocksDB, 'state.backend' = 'rocksdb', with the groups in memory as a
 * cache).  Nothing else includes this. */
#ifndef SL_EXEC_OP_AGG_INT_H
#define SL_EXEC_OP_AGG_INT_H

#include "exec/op.h"
#include "core/buf.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define ROWS_PER_CHUNK 4096
#define KEY_INLINE 24

typedef struct group_hdr {
    uint64_t hash;
    int64_t win_start, win_end;
    uint32_t key_len;
    int32_t touched;          /* batch id + 1 of the last update */
    uint8_t alive;
    uint8_t in_db;            /* working state: the store has this group */
    uint8_t stale;            /* working state: changed since written there */
    uint8_t key[KEY_INLINE];  /* or a pointer to a heap copy when longer */
} group_hdr;

/* An index slot: the group's row + 1 (0: empty) and the low 32 bits of its
 * hash, which place the slot (tables stay far below 2^32 slots) and let a
 * probe pass over other groups' slots without touching their rows. */
typedef struct islot {
    uint32_t row1;
    uint32_t h32;
} islot;

typedef struct agg_op {
    sl_op base;
    size_t row_size;
    size_t *state_off;        /* per aggregate */
    sl_type *arg_type;
    uint8_t **chunks;
    size_t n_chunks, chunks_cap;
    uint32_t n_rows;          /* rows ever allocated (alive or free) */
    uint32_t *free_rows;
    size_t n_free, free_cap;
    islot *index;             /* power-of-two slots, row1 = 0: empty */
    size_t index_cap;
    size_t n_groups;
    sl_buf keybuf;            /* scratch for one key */
    sl_buf blockkeys;         /* the keys of one block of lookups (agg_push) */
    int64_t save_batch;       /* id of the last finished batch, for agg_save */
    /* agg_push's per-row arrays, kept from batch to batch */
    int32_t *src, *late_sel;
    int64_t *wstart;
    uint8_t **rows;
    size_t scratch_cap, late_cap;
    /* RocksDB working state (agg_attach): the groups above are a cache */
    struct sl_ostore *ws;     /* NULL: every group lives in memory */
    int64_t cache_bytes;      /* the cache's bound after each batch */
    size_t n_fresh;           /* cached groups not in the store yet */
    int64_t scanned_to;       /* the last expiry scan's watermark */
    sl_buf wval;              /* scratch: one stored value */
} agg_op;

static inline group_hdr *row_at(const agg_op *a, uint32_t r)
{
    return (group_hdr *)(a->chunks[r / ROWS_PER_CHUNK] + (size_t)(r % ROWS_PER_CHUNK) * a->row_size);
}

static inline const uint8_t *key_of(const group_hdr *g)
{
    if (g->key_len <= KEY_INLINE) return g->key;
    const uint8_t *p;
    memcpy(&p, g->key, sizeof p);
    return p;
}

/* A window-less streaming aggregation keyed on an event-time column
 * (plan.h, evkey1): a group closes once the watermark passes its key. */
static inline bool evkey(const sl_plan *p)
{
    return p->evkey1 > 0 && p->win == SL_WIN_NONE && p->streaming && !p->per_batch;
}

/* op_agg.c: frees group row r (index, states, key). */
void sl_agg_free_row(agg_op *a, uint32_t r);
/* op_agg.c: the group (window start ws, the key in a->keybuf), added
 * (initialised) when new; 0, or -1 on OOM. */
int sl_agg_find_or_add(agg_op *a, int64_t ws, int64_t we, uint32_t *out_row);
/* op_agg.c: emits the given rows (row numbers) as output batches. */
sl_status sl_agg_emit_rows(agg_op *a, const uint32_t *sel, size_t n, sl_exec_ctx *x, sl_error *err);

/* op_agg_work.c: RocksDB as the working state (see there). */
sl_status sl_agg_write_back(agg_op *a, group_hdr *g, sl_error *err);
sl_status sl_agg_work_fetch(agg_op *a, uint32_t r, sl_error *err);
sl_status sl_agg_work_forget(agg_op *a, uint32_t r, sl_error *err);
sl_status sl_agg_work_expire_stored(agg_op *a, sl_exec_ctx *x, sl_error *err);
sl_status sl_agg_work_end_batch(agg_op *a, sl_exec_ctx *x, int32_t touched, sl_error *err);

#endif
