/* The stream-stream join's insides, shared by op_join.c (the join, its
 * in-memory state) and op_join_work.c (its kept rows in RocksDB,
 * 'state.backend' = 'rocksdb').  Nothing else includes this. */
#ifndef SL_EXEC_OP_JOIN_INT_H
#define SL_EXEC_OP_JOIN_INT_H

#include "exec/op.h"
#include "plan/join_range.h"
#include "core/buf.h"
#include "state/kfilter.h"

#include <stdbool.h>
#include <stdint.h>

/* ROW_LOGM (RocksDB working state): the row's record in the version's
 * delta says matched. */
enum { ROW_DEAD = 1, ROW_MATCHED = 2, ROW_NULL_KEY = 4, ROW_LOGM = 8 };

/* One input batch as kept in state, with its evaluated keys. */
typedef struct kept {
    sl_batch *b;              /* NULL once every row is dead */
    sl_col **keys;
    int64_t *ekey;            /* per row: dead once < watermark; NULL: no bound */
    uint8_t *flags;           /* per row: ROW_* */
    int64_t live, min_ekey;
    size_t bytes;
    int64_t batch_id;         /* RocksDB working state: the rows' ids are */
    uint32_t push;            /* (batch_id, push, row) */
    bool logged;              /* RocksDB: the rows are in the version's delta */
} kept;

typedef struct side {
    kept *k;
    size_t n, cap;
    /* index: hash → entry chain; entries of dead rows stay until a rebuild */
    uint32_t *heads;          /* entry + 1 */
    size_t head_cap;          /* power of two */
    struct entry { uint64_t hash; uint32_t kept, row, next; } *entries;
    size_t n_entries, entries_cap, n_dead;
    int64_t rows;             /* live rows */
    size_t bytes;
    sl_join_side_range range;
    bool keep;                /* false: the other side is a bounded table */
    bool preserved;           /* outer side: unmatched rows come out NULL-padded */
} side;

/* Pairs waiting to be filtered and emitted; a NULL batch pads its side. */
typedef struct pairs {
    sl_batch **b[2];
    int32_t *r[2];
    uint8_t **f[2];           /* the rows' flags, to mark matches */
    size_t n, cap;
} pairs;

typedef struct join_op {
    sl_op base;
    side s[2];
    int n_keys, n_left;
    sl_schema *pair_schema;   /* left ++ right: what the residual reads */
    bool semi;                /* left semi: a matched left row once, left columns only */
    bool anti;                /* left anti: unmatched left rows only, left columns only */
    int static_outer;         /* port of a stream preserved against a table, or -1 */
    /* One key column of a fixed-width type other than DOUBLE: its hash
     * (xxh64 of one 64-bit value under a fixed seed, a bijection) equals
     * another's only for the same key, so probes skip comparing keys. */
    bool exact_hash;
    /* Time conjuncts of the residual, checked on each candidate pair before
     * it is materialised (a pre-filter: the residual still decides). */
    int n_tc;
    struct tcons { int a_side, a_col, b_col; int64_t k; bool strict; } tc[SL_JOIN_MAX_BOUNDS];
    pairs pp;
    /* Output columns something reads (the residual, or the filters and the
     * projection right above the join); the others come out as NULL
     * columns instead of being copied pair by pair. Worked out at the
     * first pairs, when the parents are linked. */
    bool *need;
    /* 'state.backend' = 'rocksdb': the kept rows live here instead of s[]
     * (sl_op_join_attach, "RocksDB as the working state" below) */
    struct sl_ostore *ws;
    int64_t scanned_to;       /* the last eviction scan's bound */
    int64_t min_new;          /* the least bound of the rows kept since */
    int64_t row_batch;        /* row ids: batch id, push within it, row */
    uint32_t row_push;
    int64_t cache_bytes;      /* the bound of the rows kept in memory after a batch */
    sl_kfilter filt;          /* the stored rows' (side, join key)s; .n: rows in the store */
    sl_buf wkey, wval;
    struct cands {            /* a push's candidates read from the store */
        sl_batch *b;
        uint8_t *flags;
        size_t flags_cap;
        sl_buf recs;          /* per candidate: key length (4), key, value length (4), value */
        size_t *off;
        size_t off_cap;
        int64_t n;
    } cand;
    sl_batch *pad[2];         /* evicted unmatched rows of a preserved side */
} join_op;

/* Join keys compare as Spark normalises them (SPARK-26021; "NaN
 * Semantics" in the Spark SQL reference: NaN = NaN, and NaN is a normal
 * value in join keys): every NaN is one value, -0.0 is 0.0. */
static inline double key_double(double d)
{
    if (d != d) return __builtin_nan("");
    return d == 0 ? 0.0 : d;
}

/* Do rows lr of lb (left) and rr of rb (right) pass the time conjuncts? */
static inline bool tc_pass(const join_op *j, const sl_batch *lb, int64_t lr, const sl_batch *rb, int64_t rr)
{
    for (int c = 0; c < j->n_tc; c++) {
        const struct tcons *t = &j->tc[c];
        const sl_col *x = (t->a_side ? rb : lb)->cols[t->a_col], *y = (t->a_side ? lb : rb)->cols[t->b_col];
        int64_t xi = t->a_side ? rr : lr, yi = t->a_side ? lr : rr;
        if (sl_col_is_null(x, xi) || sl_col_is_null(y, yi)) return false;
        __int128 xv = sl_col_i64(x)[xi], yv = (__int128)sl_col_i64(y)[yi] + t->k;
        if (t->strict ? !(xv < yv) : !(xv <= yv)) return false;
    }
    return true;
}

/* op_join.c: queues a pair (a NULL batch pads its side); 0, or -1 on OOM. */
int sl_join_pairs_add(pairs *pp, sl_batch *lb, int32_t lr, uint8_t *lf, sl_batch *rb, int32_t rr, uint8_t *rf);
/* op_join.c: emits the queued pairs (matched: through the residual,
 * marking both rows; padded: as they are). */
sl_status sl_join_flush(join_op *j, bool padded, sl_exec_ctx *x, sl_error *err);
/* op_join.c: the event time after which the watermark evicts row r of b
 * (INT64_MAX: never). */
int64_t sl_join_row_ekey(const sl_join_side_range *rg, const sl_batch *b, int64_t r);

/* op_join.c: lets go of every row side s keeps (it stays usable). */
void sl_join_side_clear(side *s, int n_keys);
/* op_join.c: lets go of kept batch k's batch, keys and bounds. */
void sl_join_kept_release(kept *k, int n_keys);
/* op_join.c: drops wholly dead batches and re-indexes; -1 on OOM. */
int sl_join_side_compact(side *s, int n_keys);

/* op_join_work.c: a push (probe, then keep) and the end of a batch
 * (eviction) with the kept rows in the store. */
sl_status sl_join_work_push(join_op *j, int port, sl_batch *b, sl_col **keys, uint8_t *flags, sl_exec_ctx *x,
                            sl_error *err);
sl_status sl_join_work_finish(join_op *j, sl_exec_ctx *x, sl_error *err);
/* op_join_work.c: with the rows in memory a cache of the store: gives
 * the batch just kept on `port` (the side's last) its row ids; logs the
 * deletion of row r of k, which the watermark evicted from memory; at the
 * end of a batch logs the rows that matched since, moves the oldest kept
 * batches into the store until the rest fits the cache, and logs the
 * batches kept in this batch that stay; before a snapshot moves them all. */
sl_status sl_join_work_keep(join_op *j, int port, sl_exec_ctx *x, sl_error *err);
sl_status sl_join_work_forget(join_op *j, int port, const kept *k, int64_t r, sl_error *err);
sl_status sl_join_work_end_batch(join_op *j, sl_error *err);
sl_status sl_join_work_spill_all(join_op *j, sl_error *err);

#endif
