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
#include "exec/op_agg_int.h"
#include "exec/agg/agg.h"
#include "exec/groupkey.h"
#include "exec/late.h"
#include "exec/op_session.h"
#include "core/mem.h"
#include "core/status.h"
#include "core/xxhash64.h"
#include "state/opstate.h"
#include "state/ostore.h"

#include <string.h>

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
    islot *ni = sl_calloc(ncap, sizeof *ni);
    if (!ni) return -1;
    for (size_t i = 0; i < a->index_cap; i++) {
        islot e = a->index[i];
        if (!e.row1) continue;
        size_t h = e.h32 & (ncap - 1);
        while (ni[h].row1) h = (h + 1) & (ncap - 1);
        ni[h] = e;
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
    size_t mask = a->index_cap - 1, i = (uint32_t)hash & mask;
    while (a->index[i].row1 != r + 1) i = (i + 1) & mask;
    size_t j = i;
    for (;;) {
        a->index[i].row1 = 0;
        for (;;) {
            j = (j + 1) & mask;
            if (!a->index[j].row1) return;
            size_t home = a->index[j].h32 & mask;
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

void sl_agg_free_row(agg_op *a, uint32_t r)
{
    group_hdr *g = row_at(a, r);
    index_remove(a, r, g->hash);
    group_release(a, g);
    a->n_groups--;
    /* The free list never needs more room than rows ever allocated, which
     * it was grown to when they were; see find_or_add. */
    a->free_rows[a->n_free++] = r;
}

/* Little-endian loads of 8, 4 and 1-3 bytes (wyhash's way of reading a
 * short key without a loop or a read past its end). */
static inline uint64_t ld8(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static inline uint64_t ld4(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t ld3(const uint8_t *p, size_t n)
{
    return ((uint64_t)p[0] << 16) | ((uint64_t)p[n >> 1] << 8) | p[n - 1];
}

static inline uint64_t mum(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* The hash of (window start, key).  Keys of up to 16 bytes (one string of
 * up to 11, or one or two numbers) take a multiply-mix of two words;
 * longer ones xxHash64.  Only ever compared within this process (a
 * checkpoint stores keys, not hashes). */
static inline uint64_t group_hash(const uint8_t *key, size_t len, int64_t ws)
{
    if (len > 16) return sl_xxh64(key, len, (uint64_t)ws);
    uint64_t a = 0, b = 0;
    if (len >= 4) {
        a = (ld4(key) << 32) | ld4(key + ((len >> 3) << 2));
        b = (ld4(key + len - 4) << 32) | ld4(key + len - 4 - ((len >> 3) << 2));
    } else if (len) {
        a = ld3(key, len);
    }
    uint64_t seed = (uint64_t)ws * 0x9E3779B97F4A7C15ULL;
    uint64_t h = mum(a ^ 0xa0761d6478bd642fULL ^ seed, b ^ 0xe7037ed1a0b428dbULL ^ len);
    return mum(h ^ 0x8ebc6af09c88c6e3ULL, h ^ seed ^ 0x589965cc75374cc3ULL);
}

/* Equal key bytes; short keys without a memcmp call. */
static inline bool key_eq(const uint8_t *x, const uint8_t *y, size_t len)
{
    if (len >= 8 && len <= 16) return ld8(x) == ld8(y) && ld8(x + len - 8) == ld8(y + len - 8);
    if (len >= 4 && len < 8) return ld4(x) == ld4(y) && ld4(x + len - 4) == ld4(y + len - 4);
    return len == 0 || memcmp(x, y, len) == 0;
}

/* Finds the group (window start ws, encoded key) whose hash is h, adding it
 * when it is new. */
static int find_or_add_h(agg_op *a, int64_t ws, int64_t we, const uint8_t *key, size_t len, uint64_t h,
                         uint32_t *out_row)
{
    if ((a->n_groups + 1) * 4 > a->index_cap * 3 && index_grow(a)) return -1;
    size_t mask = a->index_cap - 1, i = (uint32_t)h & mask;
    while (a->index[i].row1) {
        if (a->index[i].h32 == (uint32_t)h) {
            uint32_t r = a->index[i].row1 - 1;
            group_hdr *g = row_at(a, r);
            if (g->hash == h && g->win_start == ws && g->key_len == len && key_eq(key_of(g), key, len)) {
                *out_row = r;
                return 0;
            }
        }
        i = (i + 1) & mask;
    }
    if (sl_grow((void **)&a->free_rows, &a->free_cap, a->n_rows + 1, sizeof *a->free_rows)) return -1;
    uint32_t r;
    if (alloc_row(a, &r)) return -1;
    group_hdr *g = row_at(a, r);
    /* every field is set below and each aggregate's init sets its state:
     * no memset of the whole row (the bytes past the key are never read) */
    g->touched = 0;
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
    g->in_db = 0;
    g->stale = 0;
    const sl_plan *p = a->base.plan;
    for (int k = 0; k < p->n_aggs; k++) p->aggs[k].def->init((uint8_t *)g + a->state_off[k], a->arg_type[k]);
    a->index[i].row1 = r + 1;
    a->index[i].h32 = (uint32_t)h;
    a->n_groups++;
    a->base.state.rows_total = (int64_t)a->n_groups;
    *out_row = r;
    return 0;
}

/* find_or_add_h for the key in a->keybuf. */
int sl_agg_find_or_add(agg_op *a, int64_t ws, int64_t we, uint32_t *out_row)
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

/* Grows agg_push's per-row arrays to hold n rows (and n late rows). */
static int scratch_reserve(agg_op *a, size_t n, bool late)
{
    if (n > a->scratch_cap) {
        size_t cap = a->scratch_cap ? a->scratch_cap : 1024;
        while (cap < n) cap *= 2;
        int32_t *src = sl_realloc(a->src, cap * sizeof *src);
        if (src) a->src = src;
        int64_t *ws = src ? sl_realloc(a->wstart, cap * sizeof *ws) : NULL;
        if (ws) a->wstart = ws;
        uint8_t **rows = ws ? sl_realloc(a->rows, cap * sizeof *rows) : NULL;
        if (!rows) return -1;
        a->rows = rows;
        a->scratch_cap = cap;
    }
    if (late && n > a->late_cap) {
        int32_t *ls = sl_realloc(a->late_sel, n * sizeof *ls);
        if (!ls) return -1;
        a->late_sel = ls;
        a->late_cap = n;
    }
    return 0;
}

static sl_status agg_push(sl_op *op, int port, sl_batch *b, sl_exec_ctx *x, sl_error *err)
{
    agg_op *a = (agg_op *)op;
    const sl_plan *p = op->plan;
    int64_t n = b->n_rows;
    sl_status st = SL_OK;
    sl_col *keys[64] = {0}, *args[64] = {0}, *tcol = NULL;
    int64_t n_late = 0;
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
    if (scratch_reserve(a, (size_t)(cap ? cap : 1), x->late != NULL)) { st = sl_err_oom(err); goto done; }
    int32_t *src = a->src, *late_sel = x->late ? a->late_sel : NULL; /* late_sel: for 'late.sink' */
    int64_t *wstart = a->wstart;
    uint8_t **rows = a->rows;
    int64_t wm = op->wm_late[0];
    if (p->win == SL_WIN_NONE && evkey(p)) {
        /* keyed on event time: the key is also the "window start", which
         * ends 1 us later (a NULL key never closes); late when key < wm */
        const sl_col *tc = keys[p->evkey1 - 1];
        for (int64_t i = 0; i < n; i++) {
            int64_t s = INT64_MAX - 1;
            if (!sl_col_is_null(tc, i)) {
                s = sl_col_i64(tc)[i];
                if (wm != SL_NO_WATERMARK && s < wm) {
                    op->state.rows_dropped_late++;
                    if (late_sel) late_sel[n_late++] = (int32_t)i;
                    continue;
                }
            }
            src[m] = (int32_t)i;
            wstart[m] = s;
            m++;
        }
    } else if (p->win == SL_WIN_NONE) {
        for (int64_t i = 0; i < n; i++) { src[i] = (int32_t)i; wstart[i] = 0; }
        m = n;
    } else if (p->win == SL_WIN_TUMBLE && !tcol->validity) {
        /* one window a row: the common case without the general loop */
        const int64_t *t = sl_col_i64(tcol);
        int64_t size = p->win_size_us, cur = 1, cur_end = 0; /* the last row's window */
        for (int64_t i = 0; i < n; i++) {
            if (!(t[i] >= cur && t[i] < cur_end)) { /* rows in time order share it: no division */
                cur = t[i] - floor_mod(t[i], size);
                cur_end = cur + size;
            }
            int64_t s = cur;
            if (wm != SL_NO_WATERMARK && s + size <= wm) {
                op->state.rows_dropped_late++;
                if (late_sel) late_sel[n_late++] = (int32_t)i;
                continue;
            }
            src[m] = (int32_t)i;
            wstart[m] = s;
            m++;
        }
    } else {
        for (int64_t i = 0; i < n; i++) {
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
    }
    if (n_late && (st = sl_op_late_rows(op, 0, b, late_sel, n_late, x, err))) goto done;

    int32_t touched = (int32_t)x->ev.batch_id + 1;
    /* Lookups go in blocks: the block's keys and hashes first, then the
     * probes as a software pipeline — the index slot of the row AHEAD_SLOT
     * ahead is prefetched, and the group row its slot names AHEAD_ROW
     * ahead (by then the slot has arrived) — so once the groups outgrow
     * the caches most misses overlap instead of stalling one by one
     * (bench/evtime.sh: 100k keys; bench/agg.sh's windows). */
    enum { BLOCK = 256, AHEAD_SLOT = 16, AHEAD_ROW = 8 };
    uint64_t hs[BLOCK];
    size_t koff[BLOCK + 1];
    sl_buf *bk = &a->blockkeys;
    for (int64_t j0 = 0; j0 < m; j0 += BLOCK) {
        int nb = m - j0 < BLOCK ? (int)(m - j0) : BLOCK;
        size_t bound = 0;
        for (int q = 0; q < nb; q++) bound += sl_exec_key_bound(keys, p->n_keys, src[j0 + q]);
        sl_buf_reset(bk);
        if (sl_buf_reserve(bk, bound + 1)) { st = sl_err_oom(err); goto done; }
        uint8_t *kp = (uint8_t *)bk->data;
        size_t off = 0;
        for (int q = 0; q < nb; q++) {
            koff[q] = off;
            size_t len = sl_exec_key_encode_to(kp + off, keys, p->n_keys, src[j0 + q]);
            off += len;
            hs[q] = group_hash(kp + koff[q], len, wstart[j0 + q]);
        }
        koff[nb] = off;
        for (int q = 0; q < nb && q < AHEAD_SLOT && a->index_cap; q++)
            __builtin_prefetch(&a->index[(uint32_t)hs[q] & (a->index_cap - 1)]);
        for (int q = 0; q < nb; q++) {
            if (a->index_cap) {
                if (q + AHEAD_SLOT < nb) __builtin_prefetch(&a->index[(uint32_t)hs[q + AHEAD_SLOT] & (a->index_cap - 1)]);
                if (q + AHEAD_ROW < nb) {
                    islot e = a->index[(uint32_t)hs[q + AHEAD_ROW] & (a->index_cap - 1)];
                    if (e.row1) __builtin_prefetch(row_at(a, e.row1 - 1));
                }
            }
            size_t had = a->n_groups;
            int64_t j = j0 + q;
            uint32_t r;
            if (find_or_add_h(a, wstart[j], wstart[j] + (evkey(p) ? 1 : p->win_size_us), kp + koff[q], koff[q + 1] - koff[q], hs[q],
                              &r)) {
                st = sl_err_oom(err);
                goto done;
            }
            if (a->ws && a->n_groups != had && (st = sl_agg_work_fetch(a, r, err))) goto done;
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
    return st;
}

/* Emits the given rows (row numbers) as output batches. */
sl_status sl_agg_emit_rows(agg_op *a, const uint32_t *sel, size_t n, sl_exec_ctx *x, sl_error *err)
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
            int fail = sl_exec_key_decode(key_of(g), out->cols, p->n_keys);
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
    sl_status wst = a->ws ? sl_agg_work_expire_stored(a, x, err) : SL_OK;
    if (wst) return wst;
    const sl_plan *p = op->plan;
    int32_t touched = (int32_t)x->ev.batch_id + 1;
    a->save_batch = x->ev.batch_id;
    int64_t wm = op->wm_in;
    bool windowed = p->win != SL_WIN_NONE || evkey(p);
    /* Only the query's last aggregation emits by the output mode: one that
     * feeds another stateful operator emits each group once, closed
     * (append), so what it hands on is never retracted (rules.c). */
    sl_out_mode mode = x->mode;
    for (const sl_op *up = op->parent; up; up = up->parent)
        if (up->stateful) mode = SL_OUT_APPEND;
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
        else if (mode == SL_OUT_COMPLETE) { out = true; expired = false; }
        else if (mode == SL_OUT_UPDATE) out = g->touched == touched;
        else out = expired; /* append */
        if (out) sel[n_sel++] = r;
        if (expired) evict[n_evict++] = r;
    }
    /* Groups come out in row order (first seen, rows reused after
     * eviction); Spark's order is unspecified too. */
    sl_status st = sl_agg_emit_rows(a, sel, n_sel, x, err);
    for (size_t i = 0; i < n_evict; i++) {
        if (a->ws && !st) st = sl_agg_work_forget(a, evict[i], err);
        sl_agg_free_row(a, evict[i]);
    }
    op->state.rows_removed += (int64_t)n_evict;
    op->state.rows_total = (int64_t)a->n_groups;
    op->state.mem_bytes = (int64_t)(a->n_chunks * ROWS_PER_CHUNK * a->row_size + a->index_cap * 4);
    if (a->ws && !st) st = sl_agg_work_end_batch(a, x, touched, err);
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
    sl_buf_fini(&a->wval);
    sl_free(a->src);
    sl_free(a->late_sel);
    sl_free(a->wstart);
    sl_free(a->rows);
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
    if (a->ws) {
        /* the delta has every change already; a snapshot needs them all in
         * the store */
        if (!sl_opstate_work_snapshot_due(out)) return SL_OK;
        sl_status st = SL_OK;
        for (uint32_t r = 0; r < a->n_rows && !st; r++)
            if (row_at(a, r)->alive) st = sl_agg_write_back(a, row_at(a, r), err);
        return st;
    }
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
    if (sl_agg_find_or_add(a, ws, we, &r)) return sl_err_oom(err);
    if (a->n_groups == before)
        return sl_err(err, SL_ERR_CHECKPOINT, "aggregation state: a group is stored twice");
    group_hdr *g = row_at(a, r);
    const uint8_t *q = (const uint8_t *)val + 8, *end = (const uint8_t *)val + val_len;
    for (int i = 0; i < p->n_aggs; i++)
        if (p->aggs[i].def->load((uint8_t *)g + a->state_off[i], a->arg_type[i], &q, end)) {
            sl_agg_free_row(a, r);
            return sl_err(err, SL_ERR_CHECKPOINT,
                          "aggregation state: the saved state of %s() does not fit this query",
                          p->aggs[i].def->name);
        }
    if (q != end) {
        sl_agg_free_row(a, r);
        return sl_err(err, SL_ERR_CHECKPOINT,
                      "aggregation state: a record has %zu bytes more than its aggregates",
                      (size_t)(end - q));
    }
    op->state.rows_total = (int64_t)a->n_groups;
    return SL_OK;
}

/* Keeps the groups in the store from now on (the store holds the restored
 * state; the cache starts empty). */
static sl_status agg_attach(sl_op *op, struct sl_opstate *st, int64_t version, int64_t cache_bytes,
                            sl_error *err)
{
    agg_op *a = (agg_op *)op;
    if (a->n_groups)
        return sl_err(err, SL_ERR_INTERNAL, "aggregation: working state attached to a non-empty operator");
    /* looked up by (window end, key): no index by key needed */
    sl_status rst = sl_opstate_restore_working(st, version, false, err);
    if (rst) return rst;
    a->ws = sl_opstate_work(st);
    if (!a->ws) return sl_err(err, SL_ERR_INTERNAL, "aggregation: the state has no working store");
    a->cache_bytes = cache_bytes > 0 ? cache_bytes : 0;
    a->scanned_to = INT64_MIN;
    op->state.rows_total = sl_ostore_count(a->ws);
    return SL_OK;
}

static const sl_op_ops agg_ops = {"aggregate", agg_push, agg_finish, agg_free};
static const sl_op_ckpt_ops agg_ckpt = {.save = agg_save, .load = agg_load, .attach = agg_attach};

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
