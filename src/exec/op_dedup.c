/* Streaming deduplication (DEDUPLICATE BY keys [WITHIN WATERMARK]), as
 * Spark's dropDuplicates / dropDuplicatesWithinWatermark: the first row of
 * each key passes at once, later ones are dropped; state is one entry per
 * key seen.
 *
 *   DEDUPLICATE BY id, ts          (a key is the event-time column) a key
 *                                  is forgotten once the watermark passes
 *                                  its event time: nothing later can repeat
 *                                  it without being late.
 *   DEDUPLICATE BY id WITHIN WATERMARK
 *                                  a key is remembered until the watermark
 *                                  passes its first event time plus the
 *                                  watermark's delay: duplicates arriving
 *                                  within that delay are dropped.
 *   otherwise                      keys are kept forever (Spark does the
 *                                  same; docs/SEMANTICS.md warns).
 * Rows behind the watermark are late: dropped, counted and handed to the
 * query's 'late.sink' when it has one (exec/late.h).
 *
 * Checkpoints: one record per remembered key, the key's encoded bytes →
 * its expiry (8 bytes, int64).  An entry never changes once added (the
 * first row wins), so a save marks the keys it already saved as kept
 * (sl_opstate_keep) and puts only the keys added since.
 *
 * With 'state.backend' = 'rocksdb' the keys live in RocksDB (dedup_attach,
 * state/ostore.h, ordered by expiry and indexed by key) and the table above
 * is a cache: a key not cached is looked up in the store, the keys a batch
 * added are written at its end, the watermark's expiry reads only the
 * stored keys it passes, and the cache is emptied once it outgrows
 * 'state.rocksdb.cacheBytes'. */
#include "exec/op.h"
#include "exec/groupkey.h"
#include "exec/late.h"
#include "state/opstate.h"
#include "state/ostore.h"
#include "core/mem.h"
#include "core/status.h"
#include "core/xxhash64.h"

#include <string.h>

typedef struct dentry {
    uint64_t hash;
    uint32_t off, len, next;     /* key bytes in `keys`; next: entry + 1 */
    uint32_t saved;              /* in the checkpoint's store already */
    int64_t expires;             /* forgotten once < watermark; INT64_MAX: never;
                                    INT64_MIN: forgotten (dead until compaction) */
} dentry;

typedef struct dedup_op {
    sl_op base;
    uint8_t *keys;               /* encoded keys, back to back */
    size_t keys_len, keys_cap;
    dentry *e;
    size_t n, cap;
    uint32_t *heads;
    size_t head_cap;             /* power of two */
    size_t n_dead;
    uint8_t *scratch;
    size_t scratch_cap;
    struct sl_ostore *ws;        /* RocksDB working state, or NULL */
    int64_t cache_bytes;
    int64_t scanned_to;          /* the last expiry scan's bound */
    sl_buf wval;
} dedup_op;

/* Puts the key of row i (every key column, NULL marked, encoded as a
 * grouping key is: -0.0 and NaN normalised) in the scratch. */
static int encode(dedup_op *d, sl_col *const *kc, int n, int64_t i, size_t *len)
{
    if (sl_grow((void **)&d->scratch, &d->scratch_cap, sl_exec_key_bound(kc, n, i), 1)) return -1;
    *len = sl_exec_key_encode_to(d->scratch, kc, n, i);
    return 0;
}

static int rehash(dedup_op *d, size_t cap)
{
    uint32_t *h = sl_calloc(cap, sizeof *h);
    if (!h) return -1;
    for (size_t i = 0; i < d->n; i++) {
        size_t b = d->e[i].hash & (cap - 1);
        d->e[i].next = h[b];
        h[b] = (uint32_t)i + 1;
    }
    sl_free(d->heads);
    d->heads = h;
    d->head_cap = cap;
    return 0;
}

/* Finds the key in the scratch; adds it when absent. *added tells which. */
static int find_or_add(dedup_op *d, size_t len, int64_t expires, bool *added)
{
    uint64_t h = sl_xxh64(d->scratch, len, 0);
    *added = false;
    if (d->head_cap)
        for (uint32_t i = d->heads[h & (d->head_cap - 1)]; i; i = d->e[i - 1].next) {
            const dentry *e = &d->e[i - 1];
            if (e->expires != INT64_MIN && e->hash == h && e->len == len && !memcmp(d->keys + e->off, d->scratch, len))
                return 0;
        }
    if ((d->n + 1) * 2 > d->head_cap && rehash(d, d->head_cap ? d->head_cap * 2 : 1024)) return -1;
    if (sl_grow((void **)&d->e, &d->cap, d->n + 1, sizeof *d->e)) return -1;
    if (sl_grow((void **)&d->keys, &d->keys_cap, d->keys_len + len, 1)) return -1;
    memcpy(d->keys + d->keys_len, d->scratch, len);
    size_t b = h & (d->head_cap - 1);
    d->e[d->n] = (dentry){h, (uint32_t)d->keys_len, (uint32_t)len, d->heads[b], 0, expires};
    d->heads[b] = (uint32_t)d->n + 1;
    d->n++;
    d->keys_len += len;
    *added = true;
    return 0;
}

static sl_status dedup_push(sl_op *op, int port, sl_batch *b, sl_exec_ctx *x, sl_error *err)
{
    dedup_op *d = (dedup_op *)op;
    const sl_plan *p = op->plan;
    sl_col *kc[64] = {0};
    sl_status st = SL_OK;
    int32_t *sel = sl_malloc(sizeof *sel * (size_t)(b->n_rows ? b->n_rows : 1) * 2);
    if (!sel) return sl_err_oom(err);
    int32_t *late = sel + (b->n_rows ? b->n_rows : 1);
    int64_t n_late = 0;
    if (p->n_keys > 64) { sl_free(sel); return sl_err(err, SL_ERR_PLAN, "DEDUPLICATE BY takes at most 64 keys"); }
    for (int k = 0; k < p->n_keys && !st; k++) st = sl_expr_eval(p->keys[k], b, &x->ev, &kc[k], err);
    int64_t m = 0, wm = op->wm_late[0];
    const sl_col *tc = p->dedup_evtime >= 0 ? b->cols[p->dedup_evtime] : NULL;
    for (int64_t i = 0; i < b->n_rows && !st; i++) {
        int64_t ts = tc && !sl_col_is_null(tc, i) ? sl_col_i64(tc)[i] : INT64_MIN;
        if (op->stateful && tc && wm != SL_NO_WATERMARK && ts != INT64_MIN && ts < wm) {
            op->state.rows_dropped_late++;
            late[n_late++] = (int32_t)i;
            continue;
        }
        int64_t expires = INT64_MAX;
        if (op->stateful && ts != INT64_MIN) {
            if (p->dedup_within) expires = ts + p->dedup_delay_us;
            else if (p->dedup_key_evtime >= 0) expires = ts;
        }
        size_t len;
        bool added;
        if (encode(d, kc, p->n_keys, i, &len) || find_or_add(d, len, expires, &added)) { st = sl_err_oom(err); break; }
        if (added && d->ws) {
            /* not cached: the store may know it (then it stays cached) */
            bool found = false;
            st = sl_ostore_get_by_key(d->ws, d->scratch, len, &d->wval, &found, err);
            if (!st && found && d->wval.len != 8)
                st = sl_err(err, SL_ERR_CHECKPOINT, "deduplication state: a stored key has no 8-byte expiry");
            if (st) break;
            if (found) {
                memcpy(&d->e[d->n - 1].expires, d->wval.data, 8);
                d->e[d->n - 1].saved = 1;
                added = false;
            }
        }
        if (added) sel[m++] = (int32_t)i;
    }
    if (!st && n_late) st = sl_op_late_rows(op, 0, b, late, n_late, x, err);
    if (!st && m) {
        op->state.rows_updated += m;
        sl_batch *out = m == b->n_rows ? sl_batch_ref(b) : sl_batch_gather(b, sel, m);
        st = out ? sl_op_emit(op, out, x, err) : sl_err_oom(err);
        sl_batch_unref(out);
    }
    for (int k = 0; k < p->n_keys; k++) sl_col_unref(kc[k]);
    sl_free(sel);
    op->state.rows_total = (int64_t)(d->n - d->n_dead);
    op->state.mem_bytes = (int64_t)(d->keys_len + d->n * sizeof *d->e + d->head_cap * 4);
    return st;
}

/* Forgets expired keys; compacts once half the entries are dead. */
static sl_status work_end_batch(dedup_op *d, sl_error *err);

static sl_status dedup_finish(sl_op *op, sl_exec_ctx *x, sl_error *err)
{
    dedup_op *d = (dedup_op *)op;
    int64_t wm = op->wm_in;
    if (d->ws) return work_end_batch(d, err);
    if (!op->stateful || wm == SL_NO_WATERMARK) return SL_OK;
    for (size_t i = 0; i < d->n; i++)
        if (d->e[i].expires != INT64_MIN && d->e[i].expires < wm) {
            d->e[i].expires = INT64_MIN; /* dead */
            d->n_dead++;
            op->state.rows_removed++;
        }
    if (d->n_dead * 2 > d->n) {
        size_t w = 0, kl = 0;
        for (size_t i = 0; i < d->n; i++) {
            if (d->e[i].expires == INT64_MIN) continue;
            dentry e = d->e[i];
            memmove(d->keys + kl, d->keys + e.off, e.len);
            e.off = (uint32_t)kl;
            kl += e.len;
            d->e[w++] = e;
        }
        d->n = w;
        d->keys_len = kl;
        d->n_dead = 0;
        if (d->head_cap && rehash(d, d->head_cap)) return sl_err_oom(err);
    }
    op->state.rows_total = (int64_t)(d->n - d->n_dead);
    op->state.mem_bytes = (int64_t)(d->keys_len + d->n * sizeof *d->e + d->head_cap * 4);
    return SL_OK;
}

/* ---- RocksDB as the working state ------------------------------------------ */

static sl_status forget_stored(void *ctx, int64_t order, const void *key, size_t kl,
                               const void *val, size_t vl, sl_error *err)
{
    dedup_op *d = ctx;
    d->base.state.rows_removed++;
    return sl_ostore_del(d->ws, order, key, kl, err);
}

/* The end of a batch: stored keys the watermark passed leave the store
 * (read in expiry order, only those), cached ones die; the keys this batch
 * added go into the store; a cache over its bound is emptied (every key
 * in it is stored now). */
static sl_status work_end_batch(dedup_op *d, sl_error *err)
{
    int64_t wm = d->base.wm_in;
    sl_status st = SL_OK;
    if (wm != SL_NO_WATERMARK) {
        for (size_t i = 0; i < d->n; i++)
            if (d->e[i].expires != INT64_MIN && d->e[i].expires < wm) {
                if (!d->e[i].saved) d->base.state.rows_removed++; /* else the scan counts it */
                d->e[i].expires = INT64_MIN;
                d->n_dead++;
            }
        /* from the last scan's bound: what it passed is gone */
        if (wm > INT64_MIN + 2) st = sl_ostore_scan(d->ws, d->scanned_to, wm - 1, forget_stored, d, err);
        if (!st && wm > INT64_MIN + 2) d->scanned_to = wm - 1;
    }
    for (size_t i = 0; i < d->n && !st; i++) {
        dentry *e = &d->e[i];
        if (e->expires == INT64_MIN || e->saved) continue;
        st = sl_ostore_put(d->ws, d->keys + e->off, e->len, &e->expires, 8, true, err);
        e->saved = 1;
    }
    if (!st) st = sl_ostore_flush(d->ws, err);
    size_t bytes = d->keys_len + d->n * sizeof *d->e + d->head_cap * 4;
    if (!st && (bytes > (size_t)d->cache_bytes || d->n_dead * 2 > d->n)) {
        d->n = d->keys_len = d->n_dead = 0;
        if (d->head_cap > 1024) {
            sl_free(d->heads);
            d->heads = NULL;
            d->head_cap = 0;
        } else if (d->head_cap) {
            memset(d->heads, 0, d->head_cap * sizeof *d->heads);
        }
        if (d->keys_cap > (size_t)d->cache_bytes) { sl_free(d->keys); d->keys = NULL; d->keys_cap = 0; }
        if (d->cap * sizeof *d->e > (size_t)d->cache_bytes) { sl_free(d->e); d->e = NULL; d->cap = 0; }
    }
    d->base.state.rows_total = sl_ostore_count(d->ws);
    d->base.state.mem_bytes = (int64_t)(d->keys_len + d->n * sizeof *d->e + d->head_cap * 4);
    return st;
}

static sl_status dedup_attach(sl_op *op, struct sl_opstate *st, int64_t version, int64_t cache_bytes,
                              sl_error *err)
{
    dedup_op *d = (dedup_op *)op;
    if (d->n) return sl_err(err, SL_ERR_INTERNAL, "deduplication: working state attached to a non-empty operator");
    /* a duplicate does not know the first row's expiry: found by key */
    sl_status rst = sl_opstate_restore_working(st, version, true, err);
    if (rst) return rst;
    d->ws = sl_opstate_work(st);
    if (!d->ws) return sl_err(err, SL_ERR_INTERNAL, "deduplication: the state has no working store");
    d->cache_bytes = cache_bytes > 0 ? cache_bytes : 0;
    d->scanned_to = INT64_MIN;
    op->state.rows_total = sl_ostore_count(d->ws);
    return SL_OK;
}

static void dedup_free(sl_op *op)
{
    dedup_op *d = (dedup_op *)op;
    sl_buf_fini(&d->wval);
    sl_free(d->keys);
    sl_free(d->e);
    sl_free(d->heads);
    sl_free(d->scratch);
    sl_free(d);
}

/* ---- checkpoints ------------------------------------------------------------ */

static sl_status dedup_save(sl_op *op, struct sl_opstate *out, sl_error *err)
{
    dedup_op *d = (dedup_op *)op;
    if (d->ws) return SL_OK; /* the store has every change already */
    for (size_t i = 0; i < d->n; i++) {
        dentry *e = &d->e[i];
        if (e->expires == INT64_MIN) continue; /* forgotten: deleted from the store */
        if (e->saved && sl_opstate_keep(out, d->keys + e->off, e->len)) continue;
        sl_status st = sl_opstate_put(out, d->keys + e->off, e->len, &e->expires, 8, err);
        if (st) return st;
        e->saved = 1;
    }
    return SL_OK;
}

static sl_status dedup_load(sl_op *op, const void *key, size_t key_len, const void *val,
                            size_t val_len, sl_error *err)
{
    dedup_op *d = (dedup_op *)op;
    int64_t expires;
    if (!key_len || key_len > UINT32_MAX || val_len != 8)
        return sl_err(err, SL_ERR_CHECKPOINT,
                      "deduplication state: a record of %zu key and %zu value bytes does not fit "
                      "(a key and an 8-byte expiry): the checkpoint was not written by this query",
                      key_len, val_len);
    memcpy(&expires, val, 8);
    if (sl_grow((void **)&d->scratch, &d->scratch_cap, key_len, 1)) return sl_err_oom(err);
    memcpy(d->scratch, key, key_len);
    bool added;
    if (find_or_add(d, key_len, expires, &added)) return sl_err_oom(err);
    if (!added)
        return sl_err(err, SL_ERR_CHECKPOINT, "deduplication state: a key is saved twice");
    d->e[d->n - 1].saved = 1;
    op->state.rows_total = (int64_t)(d->n - d->n_dead);
    op->state.mem_bytes = (int64_t)(d->keys_len + d->n * sizeof *d->e + d->head_cap * 4);
    return SL_OK;
}

static const sl_op_ckpt_ops dedup_ckpt = {.save = dedup_save, .load = dedup_load, .attach = dedup_attach};

static const sl_op_ops dedup_ops = {"dedupe", dedup_push, dedup_finish, dedup_free};

sl_status sl_op_dedup_new(const sl_plan *p, sl_op **out, sl_error *err)
{
    dedup_op *d = sl_calloc(1, sizeof *d);
    if (!d) return sl_err_oom(err);
    d->base.ops = &dedup_ops;
    d->base.ckpt = &dedup_ckpt;
    d->base.plan = p;
    d->base.n_inputs = 1;
    d->base.stateful = p->streaming;
    d->base.evtime_max = SL_NO_WATERMARK;
    *out = &d->base;
    return SL_OK;
}
