/* The streaming aggregation with RocksDB as the working state
 * ('state.backend' = 'rocksdb', docs/CHECKPOINTS.md): the groups live in
 * the operator's store and the groups op_agg.c keeps in memory are a
 * write-back cache of them; op_agg.c calls in here when a batch adds a
 * group, evicts one, and at the batch's end. */
#include "exec/op_agg_int.h"
#include "exec/agg/agg.h"
#include "core/mem.h"
#include "core/status.h"
#include "state/opstate.h"
#include "state/ostore.h"

#include <string.h>

/* ---- RocksDB as the working state ------------------------------------------
 * With agg_attach, the groups in memory are a cache of the store
 * (state/ostore.h), whose records are the checkpoint records of agg_save:
 * key = window start + encoded key, value = window end + aggregate states;
 * the store orders them by window end.  A batch fetches the groups it
 * touches that are not cached, the watermark's eviction reads the stored
 * groups whose window ended (and only those), and at the end of the batch
 * the groups it changed go into the checkpoint's delta.  The store is
 * written back: a changed group is written into RocksDB when it leaves the
 * cache (trimmed to cache_bytes after each batch) or before a snapshot, so
 * a group that stays cached costs no RocksDB write per batch
 * (docs/CHECKPOINTS.md). */

/* The store's key of group g: window start, then the encoded key. */
static void record_key(const group_hdr *g, sl_buf *k)
{
    sl_buf_reset(k);
    sl_buf_append(k, &g->win_start, 8);
    sl_buf_append(k, key_of(g), g->key_len);
}

/* Fills the states of group g (just added: initialised) from a stored
 * value; SL_ERR_CHECKPOINT when it does not fit the query. */
static sl_status load_states(agg_op *a, group_hdr *g, const void *val, size_t vl, sl_error *err)
{
    const sl_plan *p = a->base.plan;
    if (vl < 8) return sl_err(err, SL_ERR_CHECKPOINT, "aggregation state: a record is too short");
    const uint8_t *q = (const uint8_t *)val + 8, *end = (const uint8_t *)val + vl;
    for (int i = 0; i < p->n_aggs; i++)
        if (p->aggs[i].def->load((uint8_t *)g + a->state_off[i], a->arg_type[i], &q, end))
            return sl_err(err, SL_ERR_CHECKPOINT,
                          "aggregation state: the saved state of %s() does not fit this query",
                          p->aggs[i].def->name);
    if (q != end)
        return sl_err(err, SL_ERR_CHECKPOINT,
                      "aggregation state: a record has %zu bytes more than its aggregates",
                      (size_t)(end - q));
    return SL_OK;
}

/* The store's value of group g: window end, then every aggregate's state. */
static void record_value(const agg_op *a, const group_hdr *g, sl_buf *v)
{
    const sl_plan *p = a->base.plan;
    sl_buf_reset(v);
    sl_buf_append(v, &g->win_end, 8);
    for (int i = 0; i < p->n_aggs; i++)
        p->aggs[i].def->save((const uint8_t *)g + a->state_off[i], a->arg_type[i], v);
}

/* Writes a changed group into the store (before it leaves the cache, or
 * before a snapshot). */
sl_status sl_agg_write_back(agg_op *a, group_hdr *g, sl_error *err)
{
    if (!g->stale) return SL_OK;
    record_key(g, &a->keybuf);
    record_value(a, g, &a->wval);
    if (a->keybuf.oom || a->wval.oom) return sl_err_oom(err);
    sl_status st = sl_ostore_store_put(a->ws, a->keybuf.data, a->keybuf.len, a->wval.data, a->wval.len,
                                       !g->in_db, err);
    if (st) return st;
    if (!g->in_db) { g->in_db = 1; a->n_fresh--; }
    g->stale = 0;
    return SL_OK;
}

/* Row r was just added to the cache: fills it from the store when the
 * group is there, else counts it as new. */
sl_status sl_agg_work_fetch(agg_op *a, uint32_t r, sl_error *err)
{
    group_hdr *g = row_at(a, r);
    bool found = false;
    record_key(g, &a->keybuf);
    if (a->keybuf.oom) return sl_err_oom(err);
    sl_status st = sl_ostore_get(a->ws, g->win_end, a->keybuf.data, a->keybuf.len, &a->wval,
                                 &found, err);
    if (!st && found) st = load_states(a, g, a->wval.data, a->wval.len, err);
    if (st) { sl_agg_free_row(a, r); return st; }
    if (found) g->in_db = 1;
    else a->n_fresh++;
    return SL_OK;
}

/* Adds a stored group that is not cached to the cache (in_db, untouched);
 * *out_row = UINT32_MAX when it was cached already. */
static sl_status work_load(agg_op *a, int64_t we, const void *key, size_t kl, const void *val,
                           size_t vl, uint32_t *out_row, sl_error *err)
{
    *out_row = UINT32_MAX;
    if (kl < 8) return sl_err(err, SL_ERR_CHECKPOINT, "aggregation state: a record is too short");
    int64_t ws;
    memcpy(&ws, key, 8);
    sl_buf_reset(&a->keybuf);
    sl_buf_append(&a->keybuf, (const uint8_t *)key + 8, kl - 8);
    size_t had = a->n_groups;
    uint32_t r;
    if (sl_agg_find_or_add(a, ws, we, &r)) return sl_err_oom(err);
    if (a->n_groups == had) return SL_OK;
    sl_status st = load_states(a, row_at(a, r), val, vl, err);
    if (st) { sl_agg_free_row(a, r); return st; }
    row_at(a, r)->in_db = 1;
    *out_row = r;
    return SL_OK;
}

/* An evicted group leaves the store and the state (a delta's delete also
 * when only an earlier delta had it: stale and not in the store; a group
 * of this batch alone was never logged). */
sl_status sl_agg_work_forget(agg_op *a, uint32_t r, sl_error *err)
{
    group_hdr *g = row_at(a, r);
    if (!g->in_db) a->n_fresh--;
    if (!g->in_db && !g->stale) return SL_OK;
    record_key(g, &a->keybuf);
    if (a->keybuf.oom) return sl_err_oom(err);
    if (!g->in_db) return sl_ostore_log_del(a->ws, g->win_end, a->keybuf.data, a->keybuf.len, err);
    return sl_ostore_del(a->ws, g->win_end, a->keybuf.data, a->keybuf.len, err);
}

static size_t cache_bytes(const agg_op *a)
{
    return a->n_groups * a->row_size + a->index_cap * sizeof(islot);
}

/* Moves the live groups into as few chunks as they need and rebuilds the
 * index at their size, so that memory trimmed from the cache goes back to
 * the system (group rows and their states move as bytes). */
static int compact(agg_op *a)
{
    size_t live = a->n_groups, nch = (live + ROWS_PER_CHUNK - 1) / ROWS_PER_CHUNK;
    size_t icap = 1024;
    while ((live + 1) * 4 > icap * 3) icap *= 2;
    uint8_t **chunks = sl_calloc(nch ? nch : 1, sizeof *chunks);
    islot *idx = sl_calloc(icap, sizeof *idx);
    bool ok = chunks && idx;
    for (size_t i = 0; i < nch && ok; i++) ok = (chunks[i] = sl_malloc(a->row_size * ROWS_PER_CHUNK)) != NULL;
    if (!ok) {
        for (size_t i = 0; chunks && i < nch; i++) sl_free(chunks[i]);
        sl_free(chunks);
        sl_free(idx);
        return -1;
    }
    uint32_t n = 0;
    for (uint32_t r = 0; r < a->n_rows; r++) {
        const group_hdr *g = row_at(a, r);
        if (!g->alive) continue;
        memcpy(chunks[n / ROWS_PER_CHUNK] + (size_t)(n % ROWS_PER_CHUNK) * a->row_size, g, a->row_size);
        size_t h = (uint32_t)g->hash & (icap - 1);
        while (idx[h].row1) h = (h + 1) & (icap - 1);
        idx[h].row1 = n + 1;
        idx[h].h32 = (uint32_t)g->hash;
        n++;
    }
    for (size_t i = 0; i < a->n_chunks; i++) sl_free(a->chunks[i]);
    sl_free(a->chunks);
    sl_free(a->index);
    a->chunks = chunks;
    a->n_chunks = a->chunks_cap = nch;
    a->n_rows = n;
    a->n_free = 0;
    a->index = idx;
    a->index_cap = icap;
    return 0;
}

/* Emits the stored groups that are not cached (complete mode: every group,
 * every batch), a slice at a time through the cache. */
typedef struct emit_ctx {
    agg_op *a;
    sl_exec_ctx *x;
    uint32_t *rows;
    size_t n;
} emit_ctx;

static sl_status emit_slice(emit_ctx *c, sl_error *err)
{
    sl_status st = sl_agg_emit_rows(c->a, c->rows, c->n, c->x, err);
    for (size_t i = 0; i < c->n; i++) sl_agg_free_row(c->a, c->rows[i]);
    c->n = 0;
    return st;
}

static sl_status emit_stored_one(void *ctx, int64_t order, const void *key, size_t kl,
                                 const void *val, size_t vl, sl_error *err)
{
    emit_ctx *c = ctx;
    uint32_t r;
    sl_status st = work_load(c->a, order, key, kl, val, vl, &r, err);
    if (st || r == UINT32_MAX) return st;
    c->rows[c->n++] = r;
    return c->n == 4096 ? emit_slice(c, err) : SL_OK;
}

/* The stored groups whose window the watermark passed and that are not
 * cached (finish judges the cached ones): each leaves the store, and in
 * append mode goes out first, a slice at a time through the cache.  Reads
 * only those records (the store is ordered by window end). */
static sl_status expire_stored_one(void *ctx, int64_t order, const void *key, size_t kl,
                                   const void *val, size_t vl, sl_error *err)
{
    emit_ctx *c = ctx;
    uint32_t r;
    sl_status st = work_load(c->a, order, key, kl, val, vl, &r, err);
    if (st || r == UINT32_MAX) return st;
    if ((st = sl_ostore_del(c->a->ws, order, key, kl, err))) { sl_agg_free_row(c->a, r); return st; }
    c->a->base.state.rows_removed++;
    if (!c->x) { sl_agg_free_row(c->a, r); return SL_OK; }
    c->rows[c->n++] = r;
    return c->n == 4096 ? emit_slice(c, err) : SL_OK;
}

sl_status sl_agg_work_expire_stored(agg_op *a, sl_exec_ctx *x, sl_error *err)
{
    const sl_plan *p = a->base.plan;
    int64_t wm = a->base.wm_in;
    bool expires = p->win != SL_WIN_NONE || evkey(p);
    if (!expires || !p->streaming || p->per_batch || wm == SL_NO_WATERMARK) return SL_OK;
    /* the mode finish emits by: append when a stateful operator follows */
    sl_out_mode mode = x->mode;
    for (const sl_op *up = a->base.parent; up; up = up->parent)
        if (up->stateful) mode = SL_OUT_APPEND;
    if (mode == SL_OUT_COMPLETE) return SL_OK; /* complete mode keeps every group */
    emit_ctx c = {a, mode == SL_OUT_APPEND ? x : NULL, sl_malloc(4096 * sizeof(uint32_t)), 0};
    if (!c.rows) return sl_err_oom(err);
    /* every stored group up to the last scan's watermark is gone: start there */
    sl_status st = sl_ostore_scan(a->ws, a->scanned_to, wm, expire_stored_one, &c, err);
    if (!st) a->scanned_to = wm;
    if (!st && c.n) st = emit_slice(&c, err);
    else for (size_t i = 0; i < c.n; i++) sl_agg_free_row(a, c.rows[i]);
    sl_free(c.rows);
    return st;
}

/* After finish emitted and evicted: logs the groups this batch changed in
 * the version's delta, in complete mode emits the groups only the store
 * has, and trims the cache to its bound (writing back what it drops). */
sl_status sl_agg_work_end_batch(agg_op *a, sl_exec_ctx *x, int32_t touched, sl_error *err)
{
    const sl_plan *p = a->base.plan;
    sl_status st = SL_OK;
    for (uint32_t r = 0; r < a->n_rows && !st; r++) {
        group_hdr *g = row_at(a, r);
        if (!g->alive || g->touched != touched) continue;
        record_key(g, &a->keybuf);
        record_value(a, g, &a->wval);
        if (a->keybuf.oom || a->wval.oom) { st = sl_err_oom(err); break; }
        st = sl_ostore_log_put(a->ws, a->keybuf.data, a->keybuf.len, a->wval.data, a->wval.len, err);
        g->stale = 1;
    }
    if (!st && x->mode == SL_OUT_COMPLETE && p->streaming && !p->per_batch) {
        /* the cached groups went out already; now the others */
        emit_ctx c = {a, x, sl_malloc(4096 * sizeof(uint32_t)), 0};
        if (!c.rows) return sl_err_oom(err);
        st = sl_ostore_scan(a->ws, INT64_MIN, INT64_MAX, emit_stored_one, &c, err);
        if (!st && c.n) st = emit_slice(&c, err);
        else for (size_t i = 0; i < c.n; i++) sl_agg_free_row(a, c.rows[i]);
        sl_free(c.rows);
    }
    /* Drop the groups this batch did not touch first, then any, until the
     * cache fits; a dropped group is written back first. */
    size_t before = a->n_groups, bound = (size_t)a->cache_bytes;
    for (int pass = 0; pass < 2 && !st && cache_bytes(a) > bound; pass++)
        for (uint32_t r = 0; r < a->n_rows && cache_bytes(a) > bound && !st; r++) {
            group_hdr *g = row_at(a, r);
            if (!g->alive || (!pass && g->touched == touched)) continue;
            if (!(st = sl_agg_write_back(a, g, err))) sl_agg_free_row(a, r);
        }
    if (!st) st = sl_ostore_flush(a->ws, err);
    if (!st && a->n_groups < before &&
        ((size_t)a->n_rows > 2 * a->n_groups + ROWS_PER_CHUNK || cache_bytes(a) > bound) && compact(a))
        st = sl_err_oom(err);
    a->base.state.rows_total = sl_ostore_count(a->ws) + (int64_t)a->n_fresh;
    /* the cache's groups and index (allocation keeps up to one chunk more) */
    a->base.state.mem_bytes = (int64_t)cache_bytes(a);
    return st;
}

