/* Streaming hash aggregation: GROUP BY keys, optionally per event-time
 * window, with state carried across micro-batches and emitted by output
 * mode (Spark's StateStoreSave semantics):
 *   complete  every group, every batch; nothing is ever dropped;
 *   update    the groups changed in this batch; with a watermark, groups
 *             whose window ended at or before it are then dropped;
 *   append    (windows + watermark) a group once, when the watermark passes
 *             its window's end; then it is dropped;
 *   per batch (GROUP BY BATCH) every group of this batch, then all dropped.
 * Input rows whose window ends at or before the watermark are late: they
 * are dropped and counted (numRowsDroppedByWatermark).
 *
 * Layout: a group is a fixed-size row — a header, the key bytes (inline up
 * to KEY_INLINE bytes, else one heap block) and every aggregate's state —
 * in chunks of ROWS_PER_CHUNK rows, so adding a group allocates nothing in
 * the common case.  An open-addressing index (linear probing, backward-shift
 * deletion) maps key hashes to row numbers; freed rows are reused, so
 * evicting costs in proportion to what is evicted. */
#include "exec/op.h"
#include "exec/agg/agg.h"
#include "exec/late.h"
#include "exec/op_session.h"
#include "core/mem.h"
#include "core/status.h"
#include "core/xxhash64.h"
#include "state/opstate.h"

#include <string.h>

#define ROWS_PER_CHUNK 4096
#define KEY_INLINE 40

typedef struct group_hdr {
    uint64_t hash;
    int64_t win_start, win_end;
    uint32_t key_len;
    int32_t touched;          /* batch id + 1 of the last update */
    uint8_t alive;
    uint8_t key[KEY_INLINE];  /* or a pointer to a heap copy when longer */
} group_hdr;

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
    uint32_t *index;          /* row + 1, 0 = empty */
    size_t index_cap;         /* power of two */
    size_t n_groups;
    sl_buf keybuf;            /* scratch for one key */
    sl_buf blockkeys;         /* the keys of one block of lookups (agg_push) */
    int64_t save_batch;       /* id of the last finished batch, for agg_save */
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

static void group_release(agg_op *a, group_hdr *g)
{
    const sl_plan *p = a->base.plan;
    for (int k = 0; k < p->n_aggs; k++)
        if (p->aggs[k].def->destroy) p->aggs[k].def->destroy((uint8_t *)g + a->state_off[k], a->arg_type[k]);
    if (g->key_len > KEY_INLINE) sl_free((void *)key_of(g));
    g->alive = 0;
}

static int index_grow(agg_op *a)
{
    size_t ncap = a->index_cap ? a->index_cap * 2 : 1024;
    uint32_t *ni = sl_calloc(ncap, sizeof *ni);
    if (!ni) return -1;
    for (size_t i = 0; i < a->index_cap; i++) {
        uint32_t r = a->index[i];
        if (!r) continue;
        size_t h = row_at(a, r - 1)->hash & (ncap - 1);
        while (ni[h]) h = (h + 1) & (ncap - 1);
        ni[h] = r;
    }
    sl_free(a->index);
    a->index = ni;
    a->index_cap = ncap;
    return 0;
}

/* Removes row r from the index (backward-shift deletion keeps probing
 * chains intact without tombstones). */
static void index_remove(agg_op *a, uint32_t r, uint64_t hash)
{
    size_t mask = a->index_cap - 1, i = hash & mask;
    while (a->index[i] != r + 1) i = (i + 1) & mask;
    size_t j = i;
    for (;;) {
        a->index[i] = 0;
        for (;;) {
            j = (j + 1) & mask;
            if (!a->index[j]) return;
            size_t home = row_at(a, a->index[j] - 1)->hash & mask;
            /* move j back to i if its home is not in (i, j] */
            if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) break;
        }
        a->index[i] = a->index[j];
        i = j;
    }
}

static int alloc_row(agg_op *a, uint32_t *out)
{
    if (a->n_free) { *out = a->free_rows[--a->n_free]; return 0; }
    if (a->n_rows % ROWS_PER_CHUNK == 0) {
        if (sl_grow((void **)&a->chunks, &a->chunks_cap, a->n_chunks + 1, sizeof *a->chunks)) return -1;
        uint8_t *c = sl_malloc(a->row_size * ROWS_PER_CHUNK);
        if (!c) return -1;
        a->chunks[a->n_chunks++] = c;
    }
    *out = a->n_rows++;
    return 0;
}

static void free_row(agg_op *a, uint32_t r)
{
    group_hdr *g = row_at(a, r);
    index_remove(a, r, g->hash);
    group_release(a, g);
    a->n_groups--;
    /* The free list never needs more room than rows ever allocated, which
     * it was grown to when they were; see find_or_add. */
    a->free_rows[a->n_free++] = r;
}

/* Encodes row i's keys into a->keybuf: per key a NULL flag, then the value
 * (fixed width, or a 4-byte length and the bytes). */
static void encode_key(agg_op *a, sl_col *const *keys, int n_keys, int64_t i)
{
    sl_buf *kb = &a->keybuf;
    sl_buf_reset(kb);
    for (int k = 0; k < n_keys; k++) {
        const sl_col *c = keys[k];
        if (sl_col_is_null(c, i)) { sl_buf_putc(kb, 0); continue; }
        sl_buf_putc(kb, 1);
        switch (c->type) {
        case SL_TYPE_BOOLEAN: sl_buf_putc(kb, (char)sl_col_bool(c, i)); break;
        case SL_TYPE_INT: case SL_TYPE_DATE: sl_buf_append(kb, &sl_col_i32(c)[i], 4); break;
        case SL_TYPE_DOUBLE: {
            double d = sl_col_f64(c)[i];
            if (d == 0) d = 0; /* -0.0 groups with 0.0, as Spark normalises */
            sl_buf_append(kb, &d, 8);
            break;
        }
        case SL_TYPE_STRING: {
            size_t n;
            const char *s = sl_col_str(c, i, &n);
            uint32_t len = (uint32_t)n;
            sl_buf_append(kb, &len, 4);
            sl_buf_append(kb, s, n);
            break;
        }
        default: sl_buf_append(kb, &sl_col_i64(c)[i], 8); break;
        }
    }
}

static inline uint64_t group_hash(const uint8_t *key, size_t len, int64_t ws)
{
    return sl_xxh64(key, len, (uint64_t)ws);
}

/* Finds the group (window start ws, encoded key) whose hash is h, adding it
 * when it is new. */
static int find_or_add_h(agg_op *a, int64_t ws, int64_t we, const uint8_t *key, size_t len, uint64_t h,
                         uint32_t *out_row)
{
    if ((a->n_groups + 1) * 4 > a->index_cap * 3 && index_grow(a)) return -1;
    size_t mask = a->index_cap - 1, i = h & mask;
    while (a->index[i]) {
        uint32_t r = a->index[i] - 1;
        group_hdr *g = row_at(a, r);
        if (g->hash == h && g->win_start == ws && g->key_len == len &&
            (len == 0 || memcmp(key_of(g), key, len) == 0)) {
            *out_row = r;
            return 0;
        }
        i = (i + 1) & mask;
    }
    if (sl_grow((void **)&a->free_rows, &a->free_cap, a->n_rows + 1, sizeof *a->free_rows)) return -1;
    uint32_t r;
    if (alloc_row(a, &r)) return -1;
    group_hdr *g = row_at(a, r);
    memset(g, 0, a->row_size);
    if (len > KEY_INLINE) {
        uint8_t *p = sl_malloc(len);
        if (!p) { a->free_rows[a->n_free++] = r; return -1; }
        memcpy(p, key, len);
        memcpy(g->key, &p, sizeof p);
    } else if (len) {
        memcpy(g->key, key, len);
    }
    g->hash = h;
    g->win_start = ws;
    g->win_end = we;
    g->key_len = (uint32_t)len;
    g->alive = 1;
    const sl_plan *p = a->base.plan;
    for (int k = 0; k < p->n_aggs; k++) p->aggs[k].def->init((uint8_t *)g + a->state_off[k], a->arg_type[k]);
    a->index[i] = r + 1;
    a->n_groups++;
    a->base.state.rows_total = (int64_t)a->n_groups;
    *out_row = r;
    return 0;
}

/* find_or_add_h for the key in a->keybuf. */
static int find_or_add(agg_op *a, int64_t ws, int64_t we, uint32_t *out_row)
{
    sl_buf *kb = &a->keybuf;
    if (kb->oom) return -1;
    const uint8_t *key = (const uint8_t *)(kb->data ? kb->data : "");
    return find_or_add_h(a, ws, we, key, kb->len, group_hash(key, kb->len, ws), out_row);
}

static int64_t floor_mod(int64_t a, int64_t m)
{
    int64_t r = a % m;
    return r < 0 ? r + m : r;
}

static sl_status agg_push(sl_op *op, int port, sl_batch *b, sl_exec_ctx *x, sl_error *err)
{
    agg_op *a = (agg_op *)op;
    const sl_plan *p = op->plan;
    int64_t n = b->n_rows;
    sl_status st = SL_OK;
    sl_col *keys[64] = {0}, *args[64] = {0}, *tcol = NULL;
    int32_t *src = NULL, *late_sel = NULL;
    int64_t *wstart = NULL, n_late = 0;
    uint8_t **rows = NULL;
    if (p->n_keys > 64 || p->n_aggs > 64) return sl_err(err, SL_ERR_PLAN, "too many GROUP BY keys or aggregates (64 at most)");

    for (int k = 0; k < p->n_keys && !st; k++) st = sl_expr_eval(p->keys[k], b, &x->ev, &keys[k], err);
    for (int k = 0; k < p->n_aggs && !st; k++)
        if (p->aggs[k].arg) st = sl_expr_eval(p->aggs[k].arg, b, &x->ev, &args[k], err);
    if (!st && p->win != SL_WIN_NONE) st = sl_expr_eval(p->win_time, b, &x->ev, &tcol, err);
    if (st) goto done;

    /* Expand rows into (row, window) pairs. */
    int64_t per_row = 1;
    if (p->win == SL_WIN_SLIDE) per_row = (p->win_size_us + p->win_slide_us - 1) / p->win_slide_us;
    int64_t cap = n * per_row, m = 0;
    src = sl_malloc(sizeof *src * (size_t)(cap ? cap : 1));
    wstart = sl_malloc(sizeof *wstart * (size_t)(cap ? cap : 1));
    rows = sl_malloc(sizeof *rows * (size_t)(cap ? cap : 1));
    if (x->late) late_sel = sl_malloc(sizeof *late_sel * (size_t)(n ? n : 1)); /* for 'late.sink' */
    if (!src || !wstart || !rows || (x->late && !late_sel)) { st = sl_err_oom(err); goto done; }
    int64_t wm = op->wm_late[0];
    for (int64_t i = 0; i < n; i++) {
        if (p->win == SL_WIN_NONE) { src[m] = (int32_t)i; wstart[m] = 0; m++; continue; }
        if (sl_col_is_null(tcol, i)) continue; /* Spark: a NULL event time has no window */
        int64_t ts = sl_col_i64(tcol)[i];
        int64_t last = ts - floor_mod(ts, p->win_slide_us);
        bool late = false, any = false;
        for (int64_t s = last; s > ts - p->win_size_us; s -= p->win_slide_us) {
            if (wm != SL_NO_WATERMARK && s + p->win_size_us <= wm) { late = true; continue; }
            src[m] = (int32_t)i;
            wstart[m] = s;
            m++;
            any = true;
        }
        if (late && !any) {
            op->state.rows_dropped_late++;
            if (late_sel) late_sel[n_late++] = (int32_t)i;
        }
    }
    if (n_late && (st = sl_op_late_rows(op, 0, b, late_sel, n_late, x, err))) goto done;

    int32_t touched = (int32_t)x->ev.batch_id + 1;
    /* Lookups go in blocks: keys and hashes first, prefetching the index
     * slots, then the rows those slots hold, then the probes — once the
     * groups outgrow the caches this hides most of the misses, which
     * otherwise dominate (bench/evtime.sh: 100k keys). */
    enum { BLOCK = 64 };
    uint64_t hs[BLOCK];
    size_t koff[BLOCK + 1];
    for (int64_t j0 = 0; j0 < m; j0 += BLOCK) {
        int nb = m - j0 < BLOCK ? (int)(m - j0) : BLOCK;
        sl_buf *bk = &a->blockkeys;
        sl_buf_reset(bk);
        for (int q = 0; q < nb; q++) {
            encode_key(a, keys, p->n_keys, src[j0 + q]);
            koff[q] = bk->len;
            if (a->keybuf.len) sl_buf_append(bk, a->keybuf.data, a->keybuf.len);
            if (bk->oom || a->keybuf.oom) { st = sl_err_oom(err); goto done; }
            hs[q] = group_hash((const uint8_t *)bk->data + koff[q], a->keybuf.len, wstart[j0 + q]);
            if (a->index_cap) __builtin_prefetch(&a->index[hs[q] & (a->index_cap - 1)]);
        }
        koff[nb] = bk->len;
        for (int q = 0; q < nb && a->index_cap; q++) {
            uint32_t r1 = a->index[hs[q] & (a->index_cap - 1)];
            if (r1) __builtin_prefetch(row_at(a, r1 - 1));
        }
        for (int q = 0; q < nb; q++) {
            int64_t j = j0 + q;
            uint32_t r;
            if (find_or_add_h(a, wstart[j], wstart[j] + p->win_size_us, (const uint8_t *)(bk->data ? bk->data : "") + koff[q],
                              koff[q + 1] - koff[q], hs[q], &r)) {
                st = sl_err_oom(err);
                goto done;
            }
            group_hdr *g = row_at(a, r);
            if (g->touched != touched) { g->touched = touched; op->state.rows_updated++; }
            rows[j] = (uint8_t *)g;
        }
    }
    bool identity = (m == n);
    for (int k = 0; k < p->n_aggs && !st; k++) {
        sl_col *arg = args[k];
        sl_col *g = NULL;
        if (arg && !identity) {
            if (!(g = sl_col_gather(arg, src, m))) { st = sl_err_oom(err); break; }
            arg = g;
        }
        if (p->aggs[k].def->update(rows, a->state_off[k], arg, m)) st = sl_err_oom(err);
        sl_col_unref(g);
    }
done:
    for (int k = 0; k < 64; k++) { sl_col_unref(keys[k]); sl_col_unref(args[k]); }
    sl_col_unref(tcol);
    sl_free(src);
    sl_free(late_sel);
    sl_free(wstart);
    sl_free(rows);
    return st;
}

/* Decodes a group's key bytes into the output key columns. */
static int decode_key(const group_hdr *g, sl_col *const *cols, int n_keys)
{
    const uint8_t *p = key_of(g);
    for (int k = 0; k < n_keys; k++) {
        sl_col *c = cols[k];
        if (!*p++) { if (sl_col_append_null(c)) return -1; continue; }
        int r = 0;
        switch (c->type) {
        case SL_TYPE_BOOLEAN: r = sl_col_append_bool(c, *p != 0); p += 1; break;
        case SL_TYPE_INT: case SL_TYPE_DATE: { int32_t v; memcpy(&v, p, 4); p += 4; r = sl_col_append_i32(c, v); break; }
        case SL_TYPE_DOUBLE: { double v; memcpy(&v, p, 8); p += 8; r = sl_col_append_f64(c, v); break; }
        case SL_TYPE_STRING: {
            uint32_t len;
            memcpy(&len, p, 4);
            p += 4;
            r = sl_col_append_str(c, (const char *)p, len);
            p += len;
            break;
        }
        default: { int64_t v; memcpy(&v, p, 8); p += 8; r = sl_col_append_i64(c, v); break; }
        }
        if (r) return -1;
    }
    return 0;
}

/* Emits the given rows (row numbers) as output batches. */
static sl_status emit_rows(agg_op *a, const uint32_t *sel, size_t n, sl_exec_ctx *x, sl_error *err)
{
    const sl_plan *p = a->base.plan;
    for (size_t start = 0; start < n; start += 16384) {
        size_t end = start + 16384 < n ? start + 16384 : n;
        sl_batch *out = sl_batch_new_builder(p->schema);
        if (!out) return sl_err_oom(err);
        int wpos = p->win != SL_WIN_NONE ? p->win_pos : -1;
        int apos = p->n_keys + (wpos >= 0 ? 2 : 0);
        for (size_t i = start; i < end; i++) {
            const group_hdr *g = row_at(a, sel[i]);
            int fail = decode_key(g, out->cols, p->n_keys);
            if (!fail && wpos >= 0)
                fail = sl_col_append_i64(out->cols[wpos], g->win_start) ||
                       sl_col_append_i64(out->cols[wpos + 1], g->win_end);
            for (int k = 0; k < p->n_aggs && !fail; k++)
                fail = p->aggs[k].def->finalize((const uint8_t *)g + a->state_off[k], a->arg_type[k],
                                                out->cols[apos + k]);
            if (fail) { sl_batch_unref(out); return sl_err_oom(err); }
        }
        sl_batch_seal(out);
        /* The window end is this operator's output event time. */
        if (wpos >= 0)
            for (int64_t i = 0; i < out->n_rows; i++)
                if (sl_col_i64(out->cols[wpos + 1])[i] > a->base.evtime_max)
                    a->base.evtime_max = sl_col_i64(out->cols[wpos + 1])[i];
        sl_status st = sl_op_emit(&a->base, out, x, err);
        sl_batch_unref(out);
        if (st) return st;
    }
    return SL_OK;
}

static sl_status agg_finish(sl_op *op, sl_exec_ctx *x, sl_error *err)
{
    agg_op *a = (agg_op *)op;
    const sl_plan *p = op->plan;
    int32_t touched = (int32_t)x->ev.batch_id + 1;
    a->save_batch = x->ev.batch_id;
    int64_t wm = op->wm_in;
    bool windowed = p->win != SL_WIN_NONE;
    uint32_t *sel = sl_malloc(sizeof *sel * (a->n_rows ? a->n_rows : 1));
    uint32_t *evict = sl_malloc(sizeof *evict * (a->n_rows ? a->n_rows : 1));
    if (!sel || !evict) { sl_free(sel); sl_free(evict); return sl_err_oom(err); }
    size_t n_sel = 0, n_evict = 0;
    for (uint32_t r = 0; r < a->n_rows; r++) {
        group_hdr *g = row_at(a, r);
        if (!g->alive) continue;
        bool expired = windowed && wm != SL_NO_WATERMARK && g->win_end <= wm;
        bool out;
        if (p->per_batch) { out = true; expired = true; }
        else if (!p->streaming) { out = true; expired = false; } /* a batch query: its whole result */
        else if (x->mode == SL_OUT_COMPLETE) { out = true; expired = false; }
        else if (x->mode == SL_OUT_UPDATE) out = g->touched == touched;
        else out = expired; /* append */
        if (out) sel[n_sel++] = r;
        if (expired) evict[n_evict++] = r;
    }
    /* Groups come out in row order (first seen, rows reused after
     * eviction); Spark's order is unspecified too. */
    sl_status st = emit_rows(a, sel, n_sel, x, err);
    for (size_t i = 0; i < n_evict; i++) free_row(a, evict[i]);
    op->state.rows_removed += (int64_t)n_evict;
    op->state.rows_total = (int64_t)a->n_groups;
    op->state.mem_bytes = (int64_t)(a->n_chunks * ROWS_PER_CHUNK * a->row_size + a->index_cap * 4);
    sl_free(sel);
    sl_free(evict);
    return st;
}

static void agg_free(sl_op *op)
{
    agg_op *a = (agg_op *)op;
    for (uint32_t r = 0; r < a->n_rows; r++)
        if (row_at(a, r)->alive) group_release(a, row_at(a, r));
    for (size_t i = 0; i < a->n_chunks; i++) sl_free(a->chunks[i]);
    sl_free(a->chunks);
    sl_free(a->index);
    sl_free(a->free_rows);
    sl_free(a->state_off);
    sl_free(a->arg_type);
    sl_buf_fini(&a->keybuf);
    sl_buf_fini(&a->blockkeys);
    sl_free(a);
}

/* Checkpoints: one record per group.  Key: the window start (8 bytes, 0
 * without windows) then the encoded group key, as find_or_add matches them;
 * value: the window end (8 bytes) then every aggregate's saved state in
 * order.  A record is the same bytes as long as the group does not change,
 * which is what keeps deltas small (state/opstate.h). */
static sl_status agg_save(sl_op *op, struct sl_opstate *out, sl_error *err)
{
    agg_op *a = (agg_op *)op;
    const sl_plan *p = op->plan;
    sl_buf k, v;
    sl_buf_init(&k);
    sl_buf_init(&v);
    sl_status st = SL_OK;
    /* the save runs after the batch, whose id is still the context's */
    int32_t touched = (int32_t)a->save_batch + 1;
    for (uint32_t r = 0; r < a->n_rows && !st; r++) {
        const group_hdr *g = row_at(a, r);
        if (!g->alive) continue;
        sl_buf_reset(&k);
        sl_buf_reset(&v);
        sl_buf_append(&k, &g->win_start, 8);
        sl_buf_append(&k, key_of(g), g->key_len);
        /* a group this batch did not update is as last saved */
        if (g->touched != touched && !k.oom && sl_opstate_keep(out, k.data, k.len)) continue;
        sl_buf_append(&v, &g->win_end, 8);
        for (int i = 0; i < p->n_aggs; i++)
            p->aggs[i].def->save((const uint8_t *)g + a->state_off[i], a->arg_type[i], &v);
        if (k.oom || v.oom) st = sl_err_oom(err);
        else st = sl_opstate_put(out, k.data, k.len, v.data, v.len, err);
    }
    sl_buf_fini(&k);
    sl_buf_fini(&v);
    return st;
}

static sl_status agg_load(sl_op *op, const void *key, size_t key_len, const void *val,
                          size_t val_len, sl_error *err)
{
    agg_op *a = (agg_op *)op;
    const sl_plan *p = op->plan;
    if (key_len < 8 || val_len < 8)
        return sl_err(err, SL_ERR_CHECKPOINT, "aggregation state: a record is too short");
    int64_t ws, we;
    memcpy(&ws, key, 8);
    memcpy(&we, val, 8);
    sl_buf_reset(&a->keybuf);
    sl_buf_append(&a->keybuf, (const uint8_t *)key + 8, key_len - 8);
    size_t before = a->n_groups;
    uint32_t r;
    if (find_or_add(a, ws, we, &r)) return sl_err_oom(err);
    if (a->n_groups == before)
        return sl_err(err, SL_ERR_CHECKPOINT, "aggregation state: a group is stored twice");
    group_hdr *g = row_at(a, r);
    const uint8_t *q = (const uint8_t *)val + 8, *end = (const uint8_t *)val + val_len;
    for (int i = 0; i < p->n_aggs; i++)
        if (p->aggs[i].def->load((uint8_t *)g + a->state_off[i], a->arg_type[i], &q, end)) {
            free_row(a, r);
            return sl_err(err, SL_ERR_CHECKPOINT,
                          "aggregation state: the saved state of %s() does not fit this query",
                          p->aggs[i].def->name);
        }
    if (q != end) {
        free_row(a, r);
        return sl_err(err, SL_ERR_CHECKPOINT,
                      "aggregation state: a record has %zu bytes more than its aggregates",
                      (size_t)(end - q));
    }
    op->state.rows_total = (int64_t)a->n_groups;
    return SL_OK;
}

static const sl_op_ops agg_ops = {"aggregate", agg_push, agg_finish, agg_free};
static const sl_op_ckpt_ops agg_ckpt = {.save = agg_save, .load = agg_load};

sl_status sl_op_agg_new(const sl_plan *p, sl_op **out, sl_error *err)
{
    if (p->win == SL_WIN_SESSION) return sl_op_session_new(p, out, err);
    agg_op *a = sl_calloc(1, sizeof *a);
    if (!a) return sl_err_oom(err);
    a->base.ops = &agg_ops;
    a->base.ckpt = &agg_ckpt;
    a->base.plan = p;
    a->base.n_inputs = 1;
    a->base.stateful = true;
    a->base.evtime_max = SL_NO_WATERMARK;
    a->state_off = sl_calloc((size_t)(p->n_aggs ? p->n_aggs : 1), sizeof *a->state_off);
    a->arg_type = sl_calloc((size_t)(p->n_aggs ? p->n_aggs : 1), sizeof *a->arg_type);
    if (!a->state_off || !a->arg_type) { agg_free(&a->base); return sl_err_oom(err); }
    size_t off = sizeof(group_hdr);
    for (int k = 0; k < p->n_aggs; k++) {
        a->arg_type[k] = p->aggs[k].arg ? p->aggs[k].arg->type : SL_TYPE_NULL;
        off = (off + 7) & ~(size_t)7;
        a->state_off[k] = off;
        off += p->aggs[k].def->state_size(a->arg_type[k]);
    }
    a->row_size = (off + 7) & ~(size_t)7;
    *out = &a->base;
    return SL_OK;
}
