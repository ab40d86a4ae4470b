/* The stream-stream join with RocksDB as the working state
 * ('state.backend' = 'rocksdb', docs/CHECKPOINTS.md): its kept rows live
 * in the operator's store instead of in memory; op_join.c calls in here
 * for a push and the end of a batch once sl_op_join_attach ran. */
#include "exec/op_join_int.h"
#include "exec/op_join_state.h"
#include "state/kv_int.h"
#include "state/opstate.h"
#include "state/ostore.h"
#include "core/mem.h"
#include "core/status.h"
#include "core/xxhash64.h"

#include <string.h>

/* ---- RocksDB as the working state ------------------------------------------ */

/* With 'state.backend' = 'rocksdb' (sl_op_join_attach) the kept rows of
 * both sides live in the operator's store (state/ostore.h), one record a
 * row:
 *   key   = side (1 byte), the join key (per key column a NULL flag, then
 *           the value: integers widened to 8 bytes, doubles with -0.0 as
 *           0.0 and every NaN as one, strings as a 4-byte length and the bytes), the row id
 *           (batch id, push within the batch, row: 16 bytes);
 *   value = the row's eviction bound (8 bytes, the record's order), matched
 *           (1 byte), the row's values (sl_join_row_encode).
 * Records are ordered by the bound, so the watermark's eviction reads only
 * the rows it passed, and indexed by key (a keyed store), so a probe reads
 * the other side's rows of one join key by prefix.
 *
 * The rows kept in memory (op_join.c's sides, as with the memory backend)
 * are a cache in front of the store: a push keeps its rows in memory and
 * logs their records in the version's delta; at the end of a batch the
 * oldest kept batches move into the store (written, not logged again)
 * until the rest fits 'state.rocksdb.cacheBytes', and before a snapshot
 * they all do.  A push probes the rows in memory as the memory join does,
 * and the store only for the keys a counting filter of the stored rows'
 * (side, join key) says may be there: it reads the stored rows of each
 * such key once into a batch of candidates, probes them, and writes back
 * the candidates that matched for the first time.  Eviction kills rows in
 * memory (logging their deletion) and deletes stored ones the watermark
 * passed.  Every row is in the delta once when it arrives, and again only
 * when it matches for the first time or is evicted. */

static void work_join_key(sl_buf *k, int side, sl_col *const *keys, int n, int64_t i)
{
    sl_buf_reset(k);
    sl_buf_putc(k, (char)side);
    for (int c = 0; c < n; c++) {
        const sl_col *col = keys[c];
        if (sl_col_is_null(col, i)) { sl_buf_putc(k, 0); continue; }
        sl_buf_putc(k, 1);
        switch (col->type) {
        case SL_TYPE_STRING: {
            size_t len;
            const char *s = sl_col_str(col, i, &len);
            uint32_t l = (uint32_t)len;
            sl_buf_append(k, &l, 4);
            sl_buf_append(k, s, len);
            break;
        }
        case SL_TYPE_BOOLEAN: sl_buf_putc(k, (char)sl_col_bool(col, i)); break;
        case SL_TYPE_INT: case SL_TYPE_DATE: { int64_t v = sl_col_i32(col)[i]; sl_buf_append(k, &v, 8); break; }
        case SL_TYPE_DOUBLE: {
            double d = key_double(sl_col_f64(col)[i]);
            sl_buf_append(k, &d, 8);
            break;
        }
        default: sl_buf_append(k, &sl_col_i64(col)[i], 8); break;
        }
    }
}

static sl_status work_bad_record(sl_error *err)
{
    return sl_err(err, SL_ERR_CHECKPOINT,
                  "join state: a stored row does not fit this join's inputs (the checkpoint was not written "
                  "by this query)");
}

/* sl_ostore_scan_prefix callback: one stored row of the other side. */
static sl_status work_collect(void *ctx, int64_t order, const void *key, size_t kl, const void *val, size_t vl,
                              sl_error *err)
{
    (void)order;
    join_op *j = ctx;
    struct cands *c = &j->cand;
    const uint8_t *v = val;
    if (vl < 9 || kl > UINT32_MAX || vl > UINT32_MAX) return work_bad_record(err);
    if (sl_grow((void **)&c->flags, &c->flags_cap, (size_t)c->n + 1, 1) ||
        sl_grow((void **)&c->off, &c->off_cap, (size_t)c->n + 1, sizeof *c->off))
        return sl_err_oom(err);
    if (sl_join_row_decode(c->b, v + 9, v + vl)) return work_bad_record(err);
    c->b->n_rows++;
    c->flags[c->n] = v[8] ? ROW_MATCHED : 0;
    c->off[c->n] = c->recs.len;
    uint32_t l = (uint32_t)kl;
    sl_buf_append(&c->recs, &l, 4);
    sl_buf_append(&c->recs, key, kl);
    l = (uint32_t)vl;
    sl_buf_append(&c->recs, &l, 4);
    sl_buf_append(&c->recs, val, vl);
    c->n++;
    return c->recs.oom ? sl_err_oom(err) : SL_OK;
}

static void work_cands_reset(join_op *j)
{
    sl_batch_unref(j->cand.b);
    j->cand.b = NULL;
    j->cand.n = 0;
    sl_buf_reset(&j->cand.recs);
}

static int64_t work_order(int64_t e) { return e < SL_OSTORE_INDEX + 1 ? SL_OSTORE_INDEX + 1 : e; }

/* ---- the filter of stored (side, join key)s (state/kfilter.h) ------------ */

static sl_status filt_one(void *ctx, int64_t order, const void *key, size_t kl, const void *val, size_t vl,
                          sl_error *err)
{
    join_op *j = ctx;
    if (kl < 17) return work_bad_record(err);
    sl_kfilter_add(&j->filt, key, kl - 16);
    return SL_OK;
}

/* Sizes the filter for `want` stored rows and counts the store's rows in. */
static sl_status filt_rebuild(join_op *j, int64_t want, sl_error *err)
{
    if (sl_kfilter_reset(&j->filt, want)) return sl_err_oom(err);
    sl_status st = sl_ostore_flush(j->ws, err);
    return st ? st : sl_ostore_scan_prefix(j->ws, "", 0, filt_one, j, err);
}

/* Row r of kept batch k on side sd: its stored key in j->wkey and, with
 * value, its record's value in j->wval; *order its order. */
static sl_status row_record(join_op *j, int sd, const kept *k, int64_t r, bool value, int64_t *order,
                            sl_error *err)
{
    uint32_t push = k->push, row = (uint32_t)r;
    work_join_key(&j->wkey, sd, k->keys, j->n_keys, r);
    sl_buf_append(&j->wkey, &k->batch_id, 8);
    sl_buf_append(&j->wkey, &push, 4);
    sl_buf_append(&j->wkey, &row, 4);
    *order = work_order(k->ekey ? k->ekey[r] : INT64_MAX);
    if (value) {
        sl_buf_reset(&j->wval);
        sl_buf_append(&j->wval, order, 8);
        sl_buf_putc(&j->wval, (k->flags[r] & ROW_MATCHED) ? 1 : 0);
        sl_join_row_encode(&j->wval, k->b, r);
    }
    return j->wkey.oom || j->wval.oom ? sl_err_oom(err) : SL_OK;
}

sl_status sl_join_work_keep(join_op *j, int port, sl_exec_ctx *x, sl_error *err)
{
    side *s = &j->s[port];
    kept *k = &s->k[s->n - 1];
    if (x->ev.batch_id != j->row_batch) { j->row_batch = x->ev.batch_id; j->row_push = 0; }
    k->batch_id = j->row_batch;
    k->push = j->row_push++;
    k->logged = false; /* at the end of the batch, into the delta or the store and the delta */
    return SL_OK;
}

/* Logs the live rows of kept batch k (kept in this batch) in the delta. */
static sl_status log_kept(join_op *j, int sd, kept *k, sl_error *err)
{
    sl_status st = SL_OK;
    for (int64_t r = 0; k->b && r < k->b->n_rows && !st; r++) {
        if (k->flags[r] & ROW_DEAD) continue;
        int64_t order;
        if ((st = row_record(j, sd, k, r, true, &order, err))) break;
        st = sl_ostore_log_put(j->ws, j->wkey.data, j->wkey.len, j->wval.data, j->wval.len, err);
        if (k->flags[r] & ROW_MATCHED) k->flags[r] |= ROW_LOGM;
    }
    k->logged = true;
    return st;
}

sl_status sl_join_work_forget(join_op *j, int port, const kept *k, int64_t r, sl_error *err)
{
    if (!k->logged) return SL_OK; /* evicted in the batch it came: never logged */
    int64_t order;
    sl_status st = row_record(j, port, k, r, false, &order, err);
    return st ? st : sl_ostore_log_del(j->ws, order, j->wkey.data, j->wkey.len, err);
}

/* Moves kept batch k of side sd into the store (and, when it came in
 * this batch, into the delta with the same bytes). */
static sl_status spill(join_op *j, int sd, kept *k, sl_error *err)
{
    side *s = &j->s[sd];
    sl_status st = SL_OK;
    for (int64_t r = 0; k->b && r < k->b->n_rows && !st; r++) {
        if (k->flags[r] & ROW_DEAD) continue;
        int64_t order;
        if ((st = row_record(j, sd, k, r, true, &order, err))) break;
        st = k->logged ? sl_ostore_store_put(j->ws, j->wkey.data, j->wkey.len, j->wval.data, j->wval.len, true, err)
                       : sl_ostore_put(j->ws, j->wkey.data, j->wkey.len, j->wval.data, j->wval.len, true, err);
        sl_kfilter_add(&j->filt, j->wkey.data, j->wkey.len - 16);
        if (order < j->min_new) j->min_new = order;
    }
    s->rows -= k->live;
    s->bytes -= k->bytes;
    k->live = 0;
    sl_join_kept_release(k, j->n_keys);
    return st;
}

/* Moves the oldest kept batches (of either side) into the store until the
 * rest fits `bound` bytes. */
static sl_status spill_to(join_op *j, size_t bound, sl_error *err)
{
    size_t at[2] = {0, 0};
    bool moved = false;
    sl_status st = SL_OK;
    while (!st && j->s[0].bytes + j->s[1].bytes > bound) {
        for (int sd = 0; sd < 2; sd++)
            while (at[sd] < j->s[sd].n && !j->s[sd].k[at[sd]].live) at[sd]++;
        int sd = -1;
        for (int q = 0; q < 2; q++)
            if (at[q] < j->s[q].n && (sd < 0 || j->s[q].k[at[q]].batch_id < j->s[sd].k[at[sd]].batch_id)) sd = q;
        if (sd < 0) break;
        st = spill(j, sd, &j->s[sd].k[at[sd]], err);
        moved = true;
    }
    if (!moved) return st;
    if (!st) st = sl_ostore_flush(j->ws, err);
    for (int sd = 0; sd < 2 && !st; sd++)
        if (sl_join_side_compact(&j->s[sd], j->n_keys)) st = sl_err_oom(err);
    if (!st && sl_kfilter_crowded(&j->filt)) st = filt_rebuild(j, j->filt.n * 2, err);
    return st;
}

sl_status sl_join_work_end_batch(join_op *j, sl_error *err)
{
    sl_status st = SL_OK;
    /* rows in memory that matched since their record was logged */
    for (int sd = 0; sd < 2 && !st; sd++)
        for (size_t i = 0; i < j->s[sd].n && !st; i++) {
            kept *k = &j->s[sd].k[i];
            if (!k->live || !k->logged) continue;
            for (int64_t r = 0; r < k->b->n_rows && !st; r++) {
                if ((k->flags[r] & (ROW_DEAD | ROW_MATCHED | ROW_LOGM)) != ROW_MATCHED) continue;
                int64_t order;
                if ((st = row_record(j, sd, k, r, true, &order, err))) break;
                st = sl_ostore_log_put(j->ws, j->wkey.data, j->wkey.len, j->wval.data, j->wval.len, err);
                k->flags[r] |= ROW_LOGM;
            }
        }
    if (!st) st = spill_to(j, (size_t)j->cache_bytes, err);
    /* the batches of this batch that stay in memory */
    for (int sd = 0; sd < 2 && !st; sd++)
        for (size_t i = 0; i < j->s[sd].n && !st; i++)
            if (j->s[sd].k[i].live && !j->s[sd].k[i].logged) st = log_kept(j, sd, &j->s[sd].k[i], err);
    return st;
}

sl_status sl_join_work_spill_all(join_op *j, sl_error *err) { return spill_to(j, 0, err); }

/* The push of b on `port`: probes the rows in the store (op_join.c then
 * probes those in memory and keeps b's). */
sl_status sl_join_work_push(join_op *j, int port, sl_batch *b, sl_col **keys, uint8_t *flags, sl_exec_ctx *x,
                           sl_error *err)
{
    int other = 1 - port, nk = j->n_keys;
    int64_t n = b->n_rows;
    struct cands *c = &j->cand;
    sl_status st = SL_OK;
    int64_t *range = sl_malloc(sizeof *range * (size_t)(n ? n : 1) * 2);
    sl_kv_hash *groups = sl_kv_hash_new();
    work_cands_reset(j);
    if (!range || !groups || !(c->b = sl_batch_new_builder(j->base.plan->child[other]->schema))) {
        st = sl_err_oom(err);
        goto done;
    }
    /* the stored rows of each distinct key, read once */
    for (int64_t i = 0; i < n && !st; i++) {
        range[2 * i] = range[2 * i + 1] = 0;
        if (flags[i] & ROW_DEAD) continue;
        for (int k = 0; k < nk; k++)
            if (sl_col_is_null(keys[k], i)) flags[i] |= ROW_NULL_KEY;
        if (flags[i] & ROW_NULL_KEY) continue;
        work_join_key(&j->wkey, other, keys, nk, i);
        if (j->wkey.oom) { st = sl_err_oom(err); break; }
        if (!sl_kfilter_maybe(&j->filt, j->wkey.data, j->wkey.len)) continue; /* none stored */
        size_t vl;
        const void *g = sl_kv_hash_get(groups, j->wkey.data, j->wkey.len, &vl);
        if (g) { memcpy(&range[2 * i], g, 16); continue; } /* the hash's values are not aligned */
        int64_t r[2] = {c->n, 0};
        if ((st = sl_ostore_scan_prefix(j->ws, j->wkey.data, j->wkey.len, work_collect, j, err))) break;
        r[1] = c->n;
        if (sl_kv_hash_put(groups, j->wkey.data, j->wkey.len, r, sizeof r)) { st = sl_err_oom(err); break; }
        range[2 * i] = r[0];
        range[2 * i + 1] = r[1];
    }
    if (st) goto done;
    if (sl_batch_seal(c->b)) { st = sl_err_oom(err); goto done; }
    for (int64_t i = 0; i < n; i++)
        for (int64_t e = range[2 * i]; e < range[2 * i + 1]; e++) {
            if (j->n_tc && !(port == 0 ? tc_pass(j, b, i, c->b, e) : tc_pass(j, c->b, e, b, i))) continue;
            int r = port == 0 ? sl_join_pairs_add(&j->pp, b, (int32_t)i, &flags[i], c->b, (int32_t)e, &c->flags[e])
                              : sl_join_pairs_add(&j->pp, c->b, (int32_t)e, &c->flags[e], b, (int32_t)i, &flags[i]);
            if (r) { st = sl_err_oom(err); goto done; }
            if (j->pp.n >= SL_BATCH_ROWS && (st = sl_join_flush(j, false, x, err))) goto done;
        }
    if ((st = sl_join_flush(j, false, x, err))) goto done;
    /* stored rows that matched for the first time */
    for (int64_t e = 0; e < c->n && !st; e++) {
        if (!(c->flags[e] & ROW_MATCHED)) continue;
        uint8_t *p = (uint8_t *)c->recs.data + c->off[e];
        uint32_t kl, vl;
        memcpy(&kl, p, 4);
        memcpy(&vl, p + 4 + kl, 4);
        uint8_t *v = p + 8 + kl;
        if (v[8]) continue;
        v[8] = 1;
        st = sl_ostore_put(j->ws, p + 4, kl, v, vl, false, err);
    }
    /* (this push's rows are kept in memory: sl_join_work_keep) */
    if (!st) st = sl_ostore_flush(j->ws, err);
done:
    work_cands_reset(j);
    sl_kv_hash_free(groups);
    sl_free(range);
    return st;
}

/* Emits side's evicted unmatched rows, padded with NULLs. */
static sl_status work_emit_pad(join_op *j, int side, sl_exec_ctx *x, sl_error *err)
{
    sl_batch *b = j->pad[side];
    if (!b) return SL_OK;
    j->pad[side] = NULL;
    sl_status st = SL_OK;
    uint8_t dummy = 0;
    if (sl_batch_seal(b)) st = sl_err_oom(err);
    for (int64_t r = 0; r < b->n_rows && !st; r++) {
        int e = side == 0 ? sl_join_pairs_add(&j->pp, b, (int32_t)r, &dummy, NULL, 0, NULL)
                          : sl_join_pairs_add(&j->pp, NULL, 0, NULL, b, (int32_t)r, &dummy);
        if (e) st = sl_err_oom(err);
        else if (j->pp.n >= SL_BATCH_ROWS) st = sl_join_flush(j, true, x, err);
    }
    if (!st) st = sl_join_flush(j, true, x, err);
    j->pp.n = 0;
    sl_batch_unref(b);
    return st;
}

typedef struct work_evict_ctx { join_op *j; sl_exec_ctx *x; } work_evict_ctx;

/* sl_ostore_scan callback: a stored row the watermark passed. */
static sl_status work_evict_row(void *ctx, int64_t order, const void *key, size_t kl, const void *val, size_t vl,
                                sl_error *err)
{
    work_evict_ctx *ec = ctx;
    join_op *j = ec->j;
    const uint8_t *k = key, *v = val;
    if (kl < 17 || k[0] > 1 || vl < 9) return work_bad_record(err);
    int side = k[0];
    j->base.state.rows_removed++;
    sl_kfilter_del(&j->filt, key, kl - 16);
    if (j->s[side].preserved && !v[8]) {
        if (!j->pad[side] && !(j->pad[side] = sl_batch_new_builder(j->base.plan->child[side]->schema)))
            return sl_err_oom(err);
        if (sl_join_row_decode(j->pad[side], v + 9, v + vl)) return work_bad_record(err);
        j->pad[side]->n_rows++;
        if (j->pad[side]->n_rows >= SL_BATCH_ROWS) {
            sl_status st = work_emit_pad(j, side, ec->x, err);
            if (st) return st;
        }
    }
    return sl_ostore_del(j->ws, order, key, kl, err);
}

/* The end of a batch: the stored rows the watermark passed are evicted,
 * read from where the last scan stopped (or from the least bound of a row
 * kept since, which may lie behind it). */
sl_status sl_join_work_finish(join_op *j, sl_exec_ctx *x, sl_error *err)
{
    int64_t wm = j->base.wm_in;
    sl_status st = SL_OK;
    if (j->base.stateful && wm != SL_NO_WATERMARK && wm > SL_OSTORE_INDEX + 1 && !j->filt.n) {
        j->scanned_to = wm - 1; /* nothing stored: nothing to read */
        j->min_new = INT64_MAX;
    } else if (j->base.stateful && wm != SL_NO_WATERMARK && wm > SL_OSTORE_INDEX + 1) {
        int64_t from = j->min_new < j->scanned_to ? j->min_new : j->scanned_to;
        work_evict_ctx ec = {j, x};
        st = sl_ostore_scan(j->ws, from, wm - 1, work_evict_row, &ec, err);
        for (int s = 0; s < 2 && !st; s++) st = work_emit_pad(j, s, x, err);
        if (!st) st = sl_ostore_flush(j->ws, err);
        if (!st) {
            j->scanned_to = wm - 1;
            j->min_new = INT64_MAX;
        }
    }
    for (int s = 0; s < 2; s++) { sl_batch_unref(j->pad[s]); j->pad[s] = NULL; }
    return st;
}

/* Writes the rows the sides keep in memory (restored from a checkpoint of
 * the memory backend) into the empty store as records of this layout,
 * lets go of them, and has the next version written whole. */
static sl_status work_adopt(join_op *j, int64_t version, sl_error *err)
{
    sl_status st = SL_OK;
    for (int sd = 0; sd < 2 && !st; sd++) {
        side *s = &j->s[sd];
        for (size_t i = 0; i < s->n && !st; i++) {
            const kept *k = &s->k[i];
            if (!k->live) continue;
            for (int64_t r = 0; r < k->b->n_rows && !st; r++) {
                if (k->flags[r] & ROW_DEAD) continue;
                /* row id: the restored version, the kept batch, the row */
                uint32_t push = (uint32_t)i, row = (uint32_t)r;
                work_join_key(&j->wkey, sd, k->keys, j->n_keys, r);
                sl_buf_append(&j->wkey, &version, 8);
                sl_buf_append(&j->wkey, &push, 4);
                sl_buf_append(&j->wkey, &row, 4);
                int64_t order = work_order(k->ekey ? k->ekey[r] : INT64_MAX);
                if (order < j->min_new) j->min_new = order;
                sl_buf_reset(&j->wval);
                sl_buf_append(&j->wval, &order, 8);
                sl_buf_putc(&j->wval, (k->flags[r] & ROW_MATCHED) ? 1 : 0);
                sl_join_row_encode(&j->wval, k->b, r);
                if (j->wkey.oom || j->wval.oom) st = sl_err_oom(err);
                else st = sl_ostore_put(j->ws, j->wkey.data, j->wkey.len, j->wval.data, j->wval.len, true, err);
            }
        }
    }
    if (!st) st = sl_ostore_flush(j->ws, err);
    for (int sd = 0; sd < 2; sd++) sl_join_side_clear(&j->s[sd], j->n_keys);
    sl_ostore_force_snapshot(j->ws);
    return st;
}

sl_status sl_op_join_attach(sl_op *op, struct sl_opstate *st, int64_t version, int64_t cache_bytes, sl_error *err)
{
    join_op *j = (join_op *)op;
    if (j->s[0].n || j->s[1].n)
        return sl_err(err, SL_ERR_INTERNAL, "join: working state attached to a non-empty operator");
    j->scanned_to = INT64_MIN;
    j->min_new = INT64_MAX;
    j->row_batch = INT64_MIN;
    sl_status rst = sl_opstate_restore_working(st, version, true, err);
    if (rst && version >= 0) {
        /* A checkpoint of the memory backend: its records (side + row +
         * occurrence) carry neither the join key nor the eviction bound
         * that order this layout, and only the join can work them out from
         * the row (its key expressions, its time bounds).  So it is read
         * the memory backend's way, then written into an empty store. */
        rst = sl_op_join_restore(op, st, version, err);
        if (!rst) rst = sl_opstate_restore_working(st, -1, true, err);
        if (!rst && !(j->ws = sl_opstate_work(st)))
            rst = sl_err(err, SL_ERR_INTERNAL, "join: the state has no working store");
        if (!rst) rst = work_adopt(j, version, err);
        if (rst) j->ws = NULL;
    }
    if (rst) {
        sl_err_prefix(err, "stream-stream join: restoring its rows into RocksDB");
        for (int sd = 0; sd < 2; sd++) sl_join_side_clear(&j->s[sd], j->n_keys);
        return rst;
    }
    if (!(j->ws = sl_opstate_work(st))) return sl_err(err, SL_ERR_INTERNAL, "join: the state has no working store");
    j->cache_bytes = cache_bytes > 0 ? cache_bytes : 0;
    if ((rst = filt_rebuild(j, sl_ostore_count(j->ws), err))) {
        j->ws = NULL;
        return rst;
    }
    op->state.rows_total = sl_ostore_count(j->ws);
    return SL_OK;
}


sl_status sl_op_join_work_save(sl_op *op, struct sl_opstate *out, sl_error *err)
{
    join_op *j = (join_op *)op;
    /* the delta has every change already; a snapshot needs every row in the store */
    return sl_opstate_work_snapshot_due(out) ? sl_join_work_spill_all(j, err) : SL_OK;
}
