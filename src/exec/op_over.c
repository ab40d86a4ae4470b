/* Window functions over a stream (op_over.h): avg, sum, count, min, max
 * over a ROWS frame that ends at the current row, and row_number(), per
 * PARTITION BY key, in ORDER BY order.
 *
 * On a stream the first ORDER BY key is an event-time column (the binder
 * makes sure). A row is held until the watermark passes its event time —
 * no row still to come can sort before it then, as one that would is late
 * (ts < watermark, dropped and counted) — and is then emitted once, with
 * its functions computed over the rows of its partition released before it
 * (Flink's event-time OVER aggregation works the same way). Rows released
 * in the same batch are sorted by all the ORDER BY keys, then by arrival.
 * A bounded query (tables only) releases everything at the end.
 *
 * State: the held rows (their input batches, referenced), and per
 * partition the values of the last n rows of the frame (a ring), or for
 * UNBOUNDED PRECEDING running sums, counts, minima and maxima. Partitions
 * are never forgotten (as Flink's, unbounded in the number of keys).
 *
 * Top-N (plan.h, over_topn: row_number() <= N over any order, update mode):
 * each partition keeps its N first rows in ORDER BY order (each row
 * encoded whole, as a group key is); a row that sorts among them takes its
 * rank and pushes the later ones down (ties: the earlier arrival first),
 * and at the end of the batch every rank of a partition from the first one
 * that changed is emitted again with its row — an upsert keyed by
 * (partition, rank). Rows never leave the top but by being pushed out, so
 * the last row emitted for each (partition, rank) is the final top N.
 *
 * Checkpoints (docs/CHECKPOINTS.md, "Operator state"): one record per held
 * row (key 'H' + its arrival number, value its event time and its columns,
 * sl_exec_row_encode_to) and one per partition (key 'P' + the encoded
 * PARTITION BY values; value the row_number counter and the frame's ring in
 * order or the running sums, or for a top-N its rows in rank order).  A
 * restart decodes the held rows into one batch they all point into. Records
 * a batch did not change are only marked as kept (sl_opstate_keep). */
#include "exec/op_over.h"
#include "exec/groupkey.h"
#include "exec/late.h"
#include "core/mem.h"
#include "core/status.h"
#include "core/xxhash64.h"
#include "state/opstate.h"

#include <stdlib.h>
#include <string.h>

typedef struct held_row {
    uint32_t batch;      /* index in over_op.batches */
    int32_t row;
    int64_t ts;          /* ORDER BY's first key (event time) */
    int64_t seq;         /* arrival number: ties release in this order */
} held_row;

typedef struct held_batch {
    sl_batch *b;
    int64_t live;        /* held rows that point here */
} held_batch;

typedef struct oval {
    union { int64_t i; double d; } v;
    bool null;
} oval;

/* UNBOUNDED PRECEDING: what the frame so far adds up to. */
typedef struct orun {
    int64_t cnt, isum;
    double dsum;
    oval min, max;
} orun;

/* A row of a top-N partition: its ORDER BY values, then its encoded
 * columns (sl_exec_row_encode_to), in one block. */
typedef struct top_row {
    oval *ord;
    uint8_t *row;
    size_t len;          /* bytes of row */
} top_row;

#define PART_CHUNK 4096
#define KEY_INLINE 24

/* Partitions live in chunks of PART_CHUNK (never moved, so growing costs no
 * copy); short keys inline. */
typedef struct part {
    uint64_t hash;
    uint32_t idx;        /* its number, for part_at */
    uint32_t key_len;
    uint8_t *key;        /* kin, or a heap copy when longer */
    uint8_t kin[KEY_INLINE];
    top_row *top;        /* top-N: n_top rows in order, room for topn (top1 when 1) */
    top_row top1;
    int64_t n_top, changed_from;
    bool dirty;          /* changed since the last checkpoint save */
    int64_t seen;        /* rows released so far (row_number) */
    /* ring: the last `frame` rows' argument values, n_fns per row */
    int64_t ring_len, ring_head;
    oval *ring;
    orun *run;
} part;

typedef struct over_op {
    sl_op base;
    int n_fns;
    int64_t frame;       /* rows in the frame (preceding + 1), -1 unbounded */
    bool *is_f64;        /* per function: its argument is DOUBLE */
    held_row *held;
    size_t n_held, held_cap;
    held_batch *batches;
    size_t n_batches, batches_cap;
    part **chunks;
    size_t n_chunks, chunks_cap, n_parts;
    /* open addressing: part + 1 (0 empty) and the low 32 bits of its hash,
     * so a probe skips other partitions without touching them */
    struct oslot { uint32_t part1, h32; } *index;
    size_t index_cap;
    sl_buf keybuf;
    int64_t topn;        /* 0: not a top-N */
    size_t *changed;     /* top-N: partitions changed in this batch */
    size_t n_changed, changed_cap;
    int64_t top_rows;
    /* checkpoints: the next arrival number; held rows numbered below
     * saved_seq are in the last save; restored rows are decoded into
     * `loading` (batches[0]) and sorted at the first use (settle) */
    int64_t next_seq, saved_seq;
    sl_batch *loading;
    bool unsorted;
} over_op;

/* ---- partitions ---- */

static inline part *part_at(const over_op *o, size_t i)
{
    return &o->chunks[i / PART_CHUNK][i % PART_CHUNK];
}

static int index_grow(over_op *o)
{
    size_t cap = o->index_cap ? o->index_cap * 2 : 256;
    struct oslot *ni = sl_calloc(cap, sizeof *ni);
    if (!ni) return -1;
    for (size_t i = 0; i < o->n_parts; i++) {
        uint64_t hh = part_at(o, i)->hash;
        size_t h = hh & (cap - 1);
        while (ni[h].part1) h = (h + 1) & (cap - 1);
        ni[h] = (struct oslot){(uint32_t)i + 1, (uint32_t)hh};
    }
    sl_free(o->index);
    o->index = ni;
    o->index_cap = cap;
    return 0;
}

static part *find_part(over_op *o, const uint8_t *key, size_t len)
{
    if ((o->n_parts + 1) * 2 > o->index_cap && index_grow(o)) return NULL;
    uint64_t h = sl_xxh64(key, len, 0);
    size_t mask = o->index_cap - 1, i = h & mask;
    while (o->index[i].part1) {
        if (o->index[i].h32 == (uint32_t)h) {
            part *p = part_at(o, o->index[i].part1 - 1);
            if (p->hash == h && p->key_len == len && (len == 0 || !memcmp(p->key, key, len))) return p;
        }
        i = (i + 1) & mask;
    }
    if (o->n_parts % PART_CHUNK == 0) {
        if (sl_grow((void **)&o->chunks, &o->chunks_cap, o->n_chunks + 1, sizeof *o->chunks)) return NULL;
        if (!(o->chunks[o->n_chunks] = sl_malloc(sizeof(part) * PART_CHUNK))) return NULL;
        o->n_chunks++;
    }
    part *p = part_at(o, o->n_parts);
    memset(p, 0, sizeof *p);
    p->hash = h;
    p->idx = (uint32_t)o->n_parts;
    p->key_len = (uint32_t)len;
    p->key = len <= KEY_INLINE ? p->kin : sl_malloc(len);
    p->changed_from = -1;
    if (o->topn) p->top = o->topn == 1 ? &p->top1 : sl_calloc((size_t)o->topn, sizeof *p->top);
    else if (o->frame > 0) p->ring = sl_calloc((size_t)(o->frame * o->n_fns), sizeof *p->ring);
    else p->run = sl_calloc((size_t)(o->n_fns ? o->n_fns : 1), sizeof *p->run);
    if (!p->key || (o->topn ? !p->top : o->frame > 0 ? !p->ring : !p->run)) {
        if (p->key != p->kin) sl_free(p->key);
        sl_free(p->ring);
        sl_free(p->run);
        if (p->top != &p->top1) sl_free(p->top);
        return NULL;
    }
    if (len) memcpy(p->key, key, len);
    for (int f = 0; p->run && f < o->n_fns; f++) p->run[f].min.null = p->run[f].max.null = true;
    o->index[i] = (struct oslot){(uint32_t)o->n_parts + 1, (uint32_t)h};
    o->n_parts++;
    return p;
}

/* ---- values ---- */

static oval read_val(const sl_col *c, int64_t r)
{
    oval v = {.null = true};
    if (!c || sl_col_is_null(c, r)) return v;
    v.null = false;
    switch (c->type) {
    case SL_TYPE_DOUBLE: v.v.d = sl_col_f64(c)[r]; break;
    case SL_TYPE_INT: case SL_TYPE_DATE: v.v.i = sl_col_i32(c)[r]; break;
    default: v.v.i = sl_col_i64(c)[r]; break;
    }
    return v;
}

static bool less(oval a, oval b, bool f64) { return f64 ? a.v.d < b.v.d : a.v.i < b.v.i; }

static int append_val(sl_col *out, oval v, sl_type t)
{
    if (v.null) return sl_col_append_null(out);
    switch (t) {
    case SL_TYPE_DOUBLE: return sl_col_append_f64(out, v.v.d);
    case SL_TYPE_INT: case SL_TYPE_DATE: return sl_col_append_i32(out, (int32_t)v.v.i);
    default: return sl_col_append_i64(out, v.v.i);
    }
}

/* The function's value over vals[0..n) (the frame, current row included). */
static int append_frame(over_op *o, int f, const oval *vals, int64_t n, int64_t stride, bool star, sl_col *out)
{
    const sl_plan *p = o->base.plan;
    bool f64 = o->is_f64[f];
    int64_t cnt = 0, isum = 0;
    double dsum = 0;
    oval best = {.null = true};
    for (int64_t k = 0; k < n; k++) {
        oval v = vals[k * stride];
        if (v.null && !star) continue;
        cnt++;
        if (star) continue;
        if (f64) dsum += v.v.d; else isum += v.v.i;
        if (best.null || (p->over_fn[f] == SL_OVER_MIN ? less(v, best, f64) : less(best, v, f64))) best = v;
    }
    oval r = {.null = false};
    switch (p->over_fn[f]) {
    case SL_OVER_COUNT: r.v.i = cnt; break;
    case SL_OVER_SUM:
        if (!cnt) r.null = true;
        else if (f64) r.v.d = dsum;
        else r.v.i = isum;
        break;
    case SL_OVER_AVG:
        if (!cnt) r.null = true;
        else r.v.d = (f64 ? dsum : (double)isum) / (double)cnt;
        break;
    default: r = best; break;
    }
    return append_val(out, r, p->aggs[f].type);
}

static int append_run(over_op *o, int f, orun *run, oval v, bool star, sl_col *out)
{
    const sl_plan *p = o->base.plan;
    bool f64 = o->is_f64[f];
    if (star || !v.null) {
        run->cnt++;
        if (!star) {
            if (f64) run->dsum += v.v.d; else run->isum += v.v.i;
            if (run->min.null || less(v, run->min, f64)) run->min = v;
            if (run->max.null || less(run->max, v, f64)) run->max = v;
        }
    }
    oval r = {.null = false};
    switch (p->over_fn[f]) {
    case SL_OVER_COUNT: r.v.i = run->cnt; break;
    case SL_OVER_SUM:
        if (!run->cnt) r.null = true;
        else if (f64) r.v.d = run->dsum;
        else r.v.i = run->isum;
        break;
    case SL_OVER_AVG:
        if (!run->cnt) r.null = true;
        else r.v.d = (f64 ? run->dsum : (double)run->isum) / (double)run->cnt;
        break;
    case SL_OVER_MIN: r = run->min; break;
    default: r = run->max; break;
    }
    return append_val(out, r, p->aggs[f].type);
}

/* ---- ordering ---- */

typedef struct sort_ctx {
    sl_col **order;
    const bool *desc;
    int n;
} sort_ctx;

static _Thread_local const sort_ctx *sort_by;

static int cmp_rows(const void *x, const void *y)
{
    int32_t a = *(const int32_t *)x, b = *(const int32_t *)y;
    for (int k = 0; k < sort_by->n; k++) {
        const sl_col *c = sort_by->order[k];
        bool na = sl_col_is_null(c, a), nb = sl_col_is_null(c, b);
        int r = 0;
        if (na || nb) {
            r = na == nb ? 0 : na ? -1 : 1; /* NULLs first ascending, last descending (Spark) */
        } else {
            oval va = read_val(c, a), vb = read_val(c, b);
            if (c->type == SL_TYPE_BOOLEAN) { va.v.i = sl_col_bool(c, a); vb.v.i = sl_col_bool(c, b); }
            bool f64 = c->type == SL_TYPE_DOUBLE;
            r = less(va, vb, f64) ? -1 : less(vb, va, f64) ? 1 : 0;
        }
        if (r) return sort_by->desc[k] ? -r : r;
    }
    return a < b ? -1 : a > b; /* arrival order */
}

/* ---- operator ---- */

/* -1, 0, 1: ORDER BY values a against b (NULLs first ascending, last
 * descending, as Spark). */
static int cmp_ord(const over_op *o, const oval *a, const oval *b)
{
    const sl_plan *p = o->base.plan;
    for (int k = 0; k < p->n_order; k++) {
        int r;
        if (a[k].null || b[k].null) {
            r = a[k].null == b[k].null ? 0 : a[k].null ? -1 : 1;
        } else {
            bool f64 = p->order[k]->type == SL_TYPE_DOUBLE;
            r = less(a[k], b[k], f64) ? -1 : less(b[k], a[k], f64) ? 1 : 0;
        }
        if (r) return p->order_desc[k] ? -r : r;
    }
    return 0;
}

static sl_status topn_push(over_op *o, sl_batch *b, sl_exec_ctx *x, sl_error *err)
{
    const sl_plan *p = o->base.plan;
    sl_col *keys[64] = {0}, *order[64] = {0};
    sl_status st = SL_OK;
    for (int k = 0; k < p->n_keys && !st; k++) st = sl_expr_eval(p->keys[k], b, &x->ev, &keys[k], err);
    for (int k = 0; k < p->n_order && !st; k++) st = sl_expr_eval(p->order[k], b, &x->ev, &order[k], err);
    oval ord[64];
    for (int64_t r = 0; r < b->n_rows && !st; r++) {
        sl_buf_reset(&o->keybuf);
        if (sl_buf_reserve(&o->keybuf, sl_exec_key_bound(keys, p->n_keys, r) + 1)) { st = sl_err_oom(err); break; }
        size_t len = sl_exec_key_encode_to((uint8_t *)o->keybuf.data, keys, p->n_keys, r);
        part *pt = find_part(o, (const uint8_t *)o->keybuf.data, len);
        if (!pt) { st = sl_err_oom(err); break; }
        for (int k = 0; k < p->n_order; k++) {
            ord[k] = read_val(order[k], r);
            if (order[k]->type == SL_TYPE_BOOLEAN && !ord[k].null) ord[k].v.i = sl_col_bool(order[k], r);
        }
        /* its rank: after every kept row it does not sort before */
        int64_t pos = pt->n_top;
        while (pos > 0 && cmp_ord(o, ord, pt->top[pos - 1].ord) < 0) pos--;
        if (pos >= o->topn) continue;
        size_t bound = sl_exec_key_bound(b->cols, b->n_cols, r);
        top_row nr;
        if (!(nr.ord = sl_malloc(sizeof(oval) * (size_t)p->n_order + bound + 1))) { st = sl_err_oom(err); break; }
        nr.row = (uint8_t *)(nr.ord + p->n_order);
        nr.len = sl_exec_row_encode_to(nr.row, b->cols, b->n_cols, r);
        memcpy(nr.ord, ord, sizeof(oval) * (size_t)p->n_order);
        if (pt->n_top == o->topn) { /* the last one is pushed out */
            sl_free(pt->top[o->topn - 1].ord);
            pt->n_top--;
            o->top_rows--;
        }
        memmove(&pt->top[pos + 1], &pt->top[pos], sizeof *pt->top * (size_t)(pt->n_top - pos));
        pt->top[pos] = nr;
        pt->n_top++;
        pt->dirty = true;
        o->top_rows++;
        if (pt->changed_from < 0) {
            if (sl_grow((void **)&o->changed, &o->changed_cap, o->n_changed + 1, sizeof *o->changed)) {
                st = sl_err_oom(err);
                break;
            }
            o->changed[o->n_changed++] = pt->idx;
            pt->changed_from = pos;
        } else if (pos < pt->changed_from) {
            pt->changed_from = pos;
        }
    }
    for (int k = 0; k < 64; k++) { sl_col_unref(keys[k]); sl_col_unref(order[k]); }
    return st;
}

/* Emits, for each partition changed in this batch, its ranks from the
 * first that changed (see the top of this file). */
static sl_status topn_finish(over_op *o, sl_exec_ctx *x, sl_error *err)
{
    const sl_plan *p = o->base.plan;
    int nc = p->child[0]->schema->n;
    sl_status st = SL_OK;
    sl_batch *out = NULL;
    /* the rows to emit and their bytes, to size each output batch once */
    int64_t left = 0;
    size_t bytes = 0;
    for (size_t i = 0; i < o->n_changed; i++) {
        const part *pt = part_at(o, o->changed[i]);
        for (int64_t r = pt->changed_from; r < pt->n_top; r++) { left++; bytes += pt->top[r].len; }
    }
    size_t per_row = left ? bytes / (size_t)left + 1 : 0;
    for (size_t i = 0; i < o->n_changed && !st; i++) {
        part *pt = part_at(o, o->changed[i]);
        for (int64_t r = pt->changed_from; r < pt->n_top && !st; r++) {
            if (!out) {
                int64_t n = left < 16384 ? left : 16384;
                if (!(out = sl_batch_new_builder(p->schema))) { st = sl_err_oom(err); break; }
                for (int c = 0; c < out->n_cols; c++)
                    if (sl_col_reserve(out->cols[c], n, out->cols[c]->type == SL_TYPE_STRING ? per_row * (size_t)n : 0)) {
                        st = sl_err_oom(err);
                        break;
                    }
                if (st) break;
            }
            left--;
            int fail = sl_exec_key_decode(pt->top[r].row, out->cols, nc);
            for (int f = 0; f < o->n_fns && !fail; f++) fail = sl_col_append_i64(out->cols[nc + f], r + 1);
            if (fail) st = sl_err_oom(err);
            if (!st && out->cols[0]->len >= 16384) {
                if (sl_batch_seal(out)) st = sl_err(err, SL_ERR_INTERNAL, "OVER: ragged top-N batch");
                if (!st) st = sl_op_emit(&o->base, out, x, err);
                sl_batch_unref(out);
                out = NULL;
            }
        }
        pt->changed_from = -1;
    }
    for (size_t i = 0; i < o->n_changed; i++) part_at(o, o->changed[i])->changed_from = -1;
    o->n_changed = 0;
    if (!st && out) {
        if (sl_batch_seal(out)) st = sl_err(err, SL_ERR_INTERNAL, "OVER: ragged top-N batch");
        if (!st) st = sl_op_emit(&o->base, out, x, err);
    }
    sl_batch_unref(out);
    o->base.state.rows_total = o->top_rows;
    o->base.state.mem_bytes = (int64_t)(o->n_parts * (sizeof(part) + (size_t)o->topn * sizeof(top_row)) +
                                        (size_t)o->top_rows * 64 + o->index_cap * 8);
    return st;
}

static int cmp_seq(const void *x, const void *y)
{
    int64_t a = ((const held_row *)x)->seq, b = ((const held_row *)y)->seq;
    return a < b ? -1 : a > b;
}

/* After a restore: seals the batch the held rows were decoded into and
 * puts them back in arrival order (records come back in any order). */
static sl_status settle(over_op *o, sl_error *err)
{
    if (o->loading) {
        if (sl_batch_seal(o->loading))
            return sl_err(err, SL_ERR_CHECKPOINT, "OVER state: the restored rows have columns of different lengths");
        o->loading = NULL; /* batches[0] holds it */
    }
    if (o->unsorted) {
        qsort(o->held, o->n_held, sizeof *o->held, cmp_seq);
        o->unsorted = false;
    }
    return SL_OK;
}

static sl_status over_push(sl_op *op, int port, sl_batch *b, sl_exec_ctx *x, sl_error *err)
{
    if (((over_op *)op)->topn) return topn_push((over_op *)op, b, x, err);
    over_op *o = (over_op *)op;
    const sl_plan *p = op->plan;
    sl_status st = settle(o, err);
    if (st) return st;
    sl_col *tc = NULL;
    st = sl_expr_eval(p->order[0], b, &x->ev, &tc, err);
    if (st) return st;
    int64_t wm = p->streaming ? op->wm_late[0] : SL_NO_WATERMARK;
    int32_t *late = NULL;
    int64_t n_late = 0, kept = 0;
    if (sl_grow((void **)&o->held, &o->held_cap, o->n_held + (size_t)b->n_rows, sizeof *o->held) ||
        sl_grow((void **)&o->batches, &o->batches_cap, o->n_batches + 1, sizeof *o->batches)) {
        sl_col_unref(tc);
        return sl_err_oom(err);
    }
    for (int64_t r = 0; r < b->n_rows; r++) {
        bool null = sl_col_is_null(tc, r);
        int64_t ts = null ? 0 : tc->type == SL_TYPE_INT || tc->type == SL_TYPE_DATE ? sl_col_i32(tc)[r]
                                                                                      : sl_col_i64(tc)[r];
        if (p->streaming && (null || (wm != SL_NO_WATERMARK && ts < wm))) {
            /* behind the watermark (or with no event time): it would sort
             * before rows already emitted */
            op->state.rows_dropped_late++;
            if (x->late) {
                if (!late && !(late = sl_malloc(sizeof *late * (size_t)b->n_rows))) { st = sl_err_oom(err); break; }
                late[n_late++] = (int32_t)r;
            }
            continue;
        }
        o->held[o->n_held++] = (held_row){(uint32_t)o->n_batches, (int32_t)r, ts, o->next_seq++};
        kept++;
    }
    sl_col_unref(tc);
    if (!st && kept) o->batches[o->n_batches++] = (held_batch){sl_batch_ref(b), kept};
    if (!st && n_late) st = sl_op_late_rows(op, port, b, late, n_late, x, err);
    sl_free(late);
    return st;
}

/* Emits the released rows rel[0..n) (indices into held) in order. */
static sl_status release(over_op *o, const size_t *rel, size_t n, sl_exec_ctx *x, sl_error *err)
{
    const sl_plan *p = o->base.plan;
    const sl_schema *in = p->child[0]->schema;
    int nc = in->n;
    sl_status st = SL_OK;
    /* the released rows as one batch, in arrival order */
    sl_batch **parts_b = sl_calloc(o->n_batches ? o->n_batches : 1, sizeof *parts_b);
    int32_t *sel = sl_malloc(sizeof *sel * (n ? n : 1));
    int32_t *perm = sl_malloc(sizeof *perm * (n ? n : 1));
    sl_col *keys[64] = {0}, *order[64] = {0}, *args[64] = {0}, *res[64] = {0};
    sl_batch *all = NULL, *sorted = NULL, *out = NULL;
    int n_parts_b = 0;
    if (!parts_b || !sel || !perm) { st = sl_err_oom(err); goto done; }
    for (size_t i = 0; i < n;) {
        uint32_t bi = o->held[rel[i]].batch;
        size_t m = 0;
        while (i < n && o->held[rel[i]].batch == bi) sel[m++] = o->held[rel[i++]].row;
        if (!(parts_b[n_parts_b++] = sl_batch_gather(o->batches[bi].b, sel, (int64_t)m))) { st = sl_err_oom(err); goto done; }
    }
    if (!(all = sl_batch_concat(parts_b, n_parts_b, in)) || sl_batch_seal(all)) { st = sl_err_oom(err); goto done; }
    for (int k = 0; k < p->n_keys && !st; k++) st = sl_expr_eval(p->keys[k], all, &x->ev, &keys[k], err);
    for (int k = 0; k < p->n_order && !st; k++) st = sl_expr_eval(p->order[k], all, &x->ev, &order[k], err);
    for (int f = 0; f < o->n_fns && !st; f++)
        if (p->aggs[f].arg) st = sl_expr_eval(p->aggs[f].arg, all, &x->ev, &args[f], err);
    if (st) goto done;
    for (size_t i = 0; i < n; i++) perm[i] = (int32_t)i;
    sort_ctx sc = {order, p->order_desc, p->n_order};
    sort_by = &sc;
    qsort(perm, n, sizeof *perm, cmp_rows);
    sort_by = NULL;
    for (int f = 0; f < o->n_fns; f++)
        if (!(res[f] = sl_col_new(p->aggs[f].type))) { st = sl_err_oom(err); goto done; }
    for (size_t i = 0; i < n; i++) {
        int64_t r = perm[i];
        sl_buf_reset(&o->keybuf);
        size_t bound = sl_exec_key_bound(keys, p->n_keys, r);
        if (sl_buf_reserve(&o->keybuf, bound + 1)) { st = sl_err_oom(err); goto done; }
        size_t len = sl_exec_key_encode_to((uint8_t *)o->keybuf.data, keys, p->n_keys, r);
        part *pt = find_part(o, (const uint8_t *)o->keybuf.data, len);
        if (!pt) { st = sl_err_oom(err); goto done; }
        pt->seen++;
        pt->dirty = true;
        if (o->frame > 0) {
            /* the ring holds the frame's rows, this one last */
            int64_t slot = (pt->ring_head + pt->ring_len) % o->frame;
            if (pt->ring_len == o->frame) { pt->ring_head = (pt->ring_head + 1) % o->frame; slot = (pt->ring_head + o->frame - 1) % o->frame; }
            else pt->ring_len++;
            for (int f = 0; f < o->n_fns; f++) pt->ring[slot * o->n_fns + f] = read_val(args[f], r);
        }
        for (int f = 0; f < o->n_fns; f++) {
            int fail;
            bool star = !p->aggs[f].arg;
            if (p->over_fn[f] == SL_OVER_ROW_NUMBER) {
                fail = sl_col_append_i64(res[f], pt->seen);
            } else if (o->frame > 0) {
                /* the ring in order: from head, wrapping */
                oval vals[1024];
                oval *v = pt->ring_len <= 1024 ? vals : sl_malloc(sizeof *v * (size_t)pt->ring_len);
                if (!v) { st = sl_err_oom(err); goto done; }
                for (int64_t k = 0; k < pt->ring_len; k++)
                    v[k] = pt->ring[((pt->ring_head + k) % o->frame) * o->n_fns + f];
                fail = append_frame(o, f, v, pt->ring_len, 1, star, res[f]);
                if (v != vals) sl_free(v);
            } else {
                fail = append_run(o, f, &pt->run[f], read_val(args[f], r), star, res[f]);
            }
            if (fail) { st = sl_err_oom(err); goto done; }
        }
    }
    if (!(sorted = sl_batch_gather(all, perm, (int64_t)n)) || !(out = sl_batch_new(nc + o->n_fns))) {
        st = sl_err_oom(err);
        goto done;
    }
    for (int c = 0; c < nc; c++) out->cols[c] = sl_col_ref(sorted->cols[c]);
    for (int f = 0; f < o->n_fns; f++) { out->cols[nc + f] = res[f]; res[f] = NULL; }
    if (sl_batch_seal(out)) { st = sl_err(err, SL_ERR_INTERNAL, "OVER: columns of different lengths"); goto done; }
    st = sl_op_emit(&o->base, out, x, err);
done:
    for (int i = 0; i < n_parts_b; i++) sl_batch_unref(parts_b[i]);
    for (int k = 0; k < 64; k++) {
        sl_col_unref(keys[k]);
        sl_col_unref(order[k]);
        sl_col_unref(args[k]);
        sl_col_unref(res[k]);
    }
    sl_batch_unref(all);
    sl_batch_unref(sorted);
    sl_batch_unref(out);
    sl_free(parts_b);
    sl_free(sel);
    sl_free(perm);
    return st;
}

static sl_status over_finish(sl_op *op, sl_exec_ctx *x, sl_error *err)
{
    over_op *o = (over_op *)op;
    if (o->topn) return topn_finish(o, x, err);
    sl_status st0 = settle(o, err);
    if (st0) return st0;
    const sl_plan *p = op->plan;
    int64_t wm = op->wm_in;
    bool all = !p->streaming;
    size_t *rel = sl_malloc(sizeof *rel * (o->n_held ? o->n_held : 1));
    if (!rel) return sl_err_oom(err);
    size_t n = 0, keep = 0;
    for (size_t i = 0; i < o->n_held; i++)
        if (all || (wm != SL_NO_WATERMARK && o->held[i].ts < wm)) rel[n++] = i;
    sl_status st = n ? release(o, rel, n, x, err) : SL_OK;
    /* forget the released rows, and the batches no held row needs */
    for (size_t i = 0, r = 0; i < o->n_held; i++) {
        if (r < n && rel[r] == i) { o->batches[o->held[i].batch].live--; r++; continue; }
        o->held[keep++] = o->held[i];
    }
    o->n_held = keep;
    sl_free(rel);
    uint32_t *remap = sl_malloc(sizeof *remap * (o->n_batches ? o->n_batches : 1));
    if (!remap) return st ? st : sl_err_oom(err);
    size_t nb = 0;
    for (size_t i = 0; i < o->n_batches; i++) {
        if (!o->batches[i].live) { sl_batch_unref(o->batches[i].b); continue; }
        remap[i] = (uint32_t)nb;
        o->batches[nb++] = o->batches[i];
    }
    o->n_batches = nb;
    for (size_t i = 0; i < o->n_held; i++) o->held[i].batch = remap[o->held[i].batch];
    sl_free(remap);
    op->state.rows_updated = (int64_t)n;
    op->state.rows_total = (int64_t)(o->n_held + o->n_parts);
    size_t ring = o->frame > 0 ? (size_t)o->frame * sizeof(oval) : sizeof(orun);
    op->state.mem_bytes = (int64_t)(o->n_held * sizeof(held_row) +
                                    o->n_parts * (sizeof(part) + ring * (size_t)o->n_fns) + o->index_cap * 4);
    return st;
}

static void over_free(sl_op *op)
{
    over_op *o = (over_op *)op;
    for (size_t i = 0; i < o->n_batches; i++) sl_batch_unref(o->batches[i].b);
    for (size_t i = 0; i < o->n_parts; i++) {
        part *p = part_at(o, i);
        if (p->key != p->kin) sl_free(p->key);
        sl_free(p->ring);
        sl_free(p->run);
        for (int64_t r = 0; p->top && r < p->n_top; r++) sl_free(p->top[r].ord);
        if (p->top != &p->top1) sl_free(p->top);
    }
    for (size_t i = 0; i < o->n_chunks; i++) sl_free(o->chunks[i]);
    sl_free(o->chunks);
    sl_free(o->changed);
    sl_free(o->index);
    sl_free(o->held);
    sl_free(o->batches);
    sl_free(o->is_f64);
    sl_buf_fini(&o->keybuf);
    sl_free(o);
}

/* ---- checkpoints ----
 * Values are native-endian as the other operators' records; an oval is a
 * NULL flag byte and 8 bytes. */

static void put_i64(sl_buf *b, int64_t v) { sl_buf_append(b, &v, 8); }

static void put_oval(sl_buf *b, oval v)
{
    sl_buf_putc(b, v.null ? 0 : 1);
    sl_buf_append(b, &v.v, 8);
}

typedef struct reader {
    const uint8_t *p, *end;
    bool bad;
} reader;

static int64_t get_i64(reader *r)
{
    int64_t v = 0;
    if (r->end - r->p < 8) { r->bad = true; return 0; }
    memcpy(&v, r->p, 8);
    r->p += 8;
    return v;
}

static oval get_oval(reader *r)
{
    oval v = {.null = true};
    if (r->end - r->p < 9 || r->p[0] > 1) { r->bad = true; return v; }
    v.null = !r->p[0];
    memcpy(&v.v, r->p + 1, 8);
    r->p += 9;
    return v;
}

/* Bytes of one row of `s` encoded by sl_exec_key_encode_to at p (n bytes
 * available), or -1 when it does not fit there. */
static int64_t row_bytes(const uint8_t *p, size_t n, const sl_schema *s)
{
    size_t at = 0;
    for (int c = 0; c < s->n; c++) {
        if (at >= n || p[at] > 1) return -1;
        if (!p[at++]) continue;
        size_t w;
        switch (s->fields[c].type) {
        case SL_TYPE_BOOLEAN: w = 1; break;
        case SL_TYPE_INT: case SL_TYPE_DATE: w = 4; break;
        case SL_TYPE_STRING: {
            uint32_t len;
            if (n - at < 4) return -1;
            memcpy(&len, p + at, 4);
            w = 4 + (size_t)len;
            break;
        }
        default: w = 8; break;
        }
        if (n - at < w) return -1;
        at += w;
    }
    return (int64_t)at;
}

static sl_status bad_record(const char *what, sl_error *err)
{
    return sl_err(err, SL_ERR_CHECKPOINT,
                  "OVER state: a %s record is malformed or does not fit this query (its input columns, "
                  "ORDER BY, frame or functions): restore the checkpoint's state files, or start over with a "
                  "new checkpoint location", what);
}

static void held_key(uint8_t k[9], int64_t seq)
{
    k[0] = 'H';
    for (int i = 0; i < 8; i++) k[1 + i] = (uint8_t)((uint64_t)seq >> (56 - 8 * i));
}

/* A partition's value: see the top of the file. */
static void part_value(const over_op *o, const part *pt, sl_buf *v)
{
    const sl_plan *p = o->base.plan;
    if (o->topn) {
        put_i64(v, pt->n_top);
        for (int64_t r = 0; r < pt->n_top; r++) {
            for (int k = 0; k < p->n_order; k++) put_oval(v, pt->top[r].ord[k]);
            uint32_t len = (uint32_t)pt->top[r].len;
            sl_buf_append(v, &len, 4);
            sl_buf_append(v, pt->top[r].row, pt->top[r].len);
        }
        return;
    }
    put_i64(v, pt->seen);
    if (o->frame > 0) {
        put_i64(v, pt->ring_len);
        for (int64_t k = 0; k < pt->ring_len; k++)
            for (int f = 0; f < o->n_fns; f++) put_oval(v, pt->ring[((pt->ring_head + k) % o->frame) * o->n_fns + f]);
    } else {
        for (int f = 0; f < o->n_fns; f++) {
            const orun *r = &pt->run[f];
            put_i64(v, r->cnt);
            put_i64(v, r->isum);
            sl_buf_append(v, &r->dsum, 8);
            put_oval(v, r->min);
            put_oval(v, r->max);
        }
    }
}

static sl_status over_save(sl_op *op, struct sl_opstate *out, sl_error *err)
{
    over_op *o = (over_op *)op;
    sl_status st = settle(o, err);
    if (st) return st;
    sl_buf k, v;
    sl_buf_init(&k);
    sl_buf_init(&v);
    for (size_t i = 0; i < o->n_held && !st; i++) {
        const held_row *h = &o->held[i];
        uint8_t hk[9];
        held_key(hk, h->seq);
        if (h->seq < o->saved_seq && sl_opstate_keep(out, hk, sizeof hk)) continue;
        const sl_batch *b = o->batches[h->batch].b;
        sl_buf_reset(&v);
        if (sl_buf_reserve(&v, 8 + sl_exec_key_bound(b->cols, b->n_cols, h->row) + 1)) { st = sl_err_oom(err); break; }
        memcpy(v.data, &h->ts, 8);
        size_t n = sl_exec_row_encode_to((uint8_t *)v.data + 8, b->cols, b->n_cols, h->row);
        st = sl_opstate_put(out, hk, sizeof hk, v.data, 8 + n, err);
    }
    if (!st) o->saved_seq = o->next_seq;
    for (size_t i = 0; i < o->n_parts && !st; i++) {
        part *pt = part_at(o, i);
        sl_buf_reset(&k);
        sl_buf_putc(&k, 'P');
        sl_buf_append(&k, pt->key, pt->key_len);
        if (k.oom) { st = sl_err_oom(err); break; }
        if (!pt->dirty && sl_opstate_keep(out, k.data, k.len)) continue;
        sl_buf_reset(&v);
        part_value(o, pt, &v);
        if (v.oom) { st = sl_err_oom(err); break; }
        if (!(st = sl_opstate_put(out, k.data, k.len, v.data, v.len, err))) pt->dirty = false;
    }
    sl_buf_fini(&k);
    sl_buf_fini(&v);
    return st;
}

static sl_status load_held(over_op *o, int64_t seq, const uint8_t *val, size_t val_len, sl_error *err)
{
    const sl_schema *in = o->base.plan->child[0]->schema;
    int64_t ts;
    if (val_len < 8 || seq < 0 || (int64_t)(val_len - 8) != row_bytes(val + 8, val_len - 8, in))
        return bad_record("held row", err);
    memcpy(&ts, val, 8);
    if (!o->loading) {
        if (o->n_batches) return sl_err(err, SL_ERR_INTERNAL, "OVER: state restored into a running operator");
        if (!(o->loading = sl_batch_new_builder(in)) ||
            sl_grow((void **)&o->batches, &o->batches_cap, 1, sizeof *o->batches)) {
            sl_batch_unref(o->loading);
            o->loading = NULL;
            return sl_err_oom(err);
        }
        o->batches[o->n_batches++] = (held_batch){o->loading, 0};
    }
    if (sl_grow((void **)&o->held, &o->held_cap, o->n_held + 1, sizeof *o->held) ||
        sl_exec_key_decode(val + 8, o->loading->cols, o->loading->n_cols))
        return sl_err_oom(err);
    int32_t row = (int32_t)o->batches[0].live++;
    o->held[o->n_held++] = (held_row){0, row, ts, seq};
    if (seq >= o->next_seq) o->next_seq = o->saved_seq = seq + 1;
    o->unsorted = true;
    return SL_OK;
}

static sl_status load_part(over_op *o, const uint8_t *key, size_t key_len, const uint8_t *val, size_t val_len,
                           sl_error *err)
{
    const sl_plan *p = o->base.plan;
    part *pt = find_part(o, key, key_len);
    if (!pt) return sl_err_oom(err);
    if (pt->seen || pt->n_top || pt->ring_len) return bad_record("partition (a duplicate)", err);
    reader r = {val, val + val_len, false};
    if (o->topn) {
        int64_t n = get_i64(&r);
        if (n < 1 || n > o->topn) return bad_record("top-N partition", err);
        for (int64_t i = 0; i < n; i++) {
            oval ord[64];
            for (int k = 0; k < p->n_order; k++) ord[k] = get_oval(&r);
            uint32_t len = 0;
            if (!r.bad && r.end - r.p >= 4) {
                memcpy(&len, r.p, 4);
                r.p += 4;
            } else {
                r.bad = true;
            }
            if (r.bad || (size_t)(r.end - r.p) < len ||
                row_bytes(r.p, len, p->child[0]->schema) != (int64_t)len)
                return bad_record("top-N partition", err);
            top_row nr;
            if (!(nr.ord = sl_malloc(sizeof(oval) * (size_t)p->n_order + len + 1))) return sl_err_oom(err);
            nr.row = (uint8_t *)(nr.ord + p->n_order);
            nr.len = len;
            memcpy(nr.ord, ord, sizeof(oval) * (size_t)p->n_order);
            memcpy(nr.row, r.p, len);
            r.p += len;
            pt->top[pt->n_top++] = nr;
            o->top_rows++;
        }
    } else {
        pt->seen = get_i64(&r);
        if (o->frame > 0) {
            int64_t n = get_i64(&r);
            if (r.bad || n < 0 || n > o->frame || pt->seen < n) return bad_record("partition", err);
            for (int64_t k = 0; k < n; k++)
                for (int f = 0; f < o->n_fns; f++) pt->ring[k * o->n_fns + f] = get_oval(&r);
            pt->ring_len = n;
            pt->ring_head = 0;
        } else {
            for (int f = 0; f < o->n_fns; f++) {
                orun *run = &pt->run[f];
                run->cnt = get_i64(&r);
                run->isum = get_i64(&r);
                int64_t d = get_i64(&r);
                memcpy(&run->dsum, &d, 8);
                run->min = get_oval(&r);
                run->max = get_oval(&r);
            }
        }
        if (pt->seen < 1) r.bad = true;
    }
    if (r.bad || r.p != r.end) return bad_record(o->topn ? "top-N partition" : "partition", err);
    return SL_OK;
}

static sl_status over_load(sl_op *op, const void *key, size_t key_len, const void *val, size_t val_len,
                           sl_error *err)
{
    over_op *o = (over_op *)op;
    const uint8_t *k = key;
    sl_status st;
    if (key_len == 9 && k[0] == 'H' && !o->topn) {
        int64_t seq = 0;
        for (int i = 0; i < 8; i++) seq = (int64_t)((uint64_t)seq << 8 | k[1 + i]);
        st = load_held(o, seq, val, val_len, err);
    } else if (key_len >= 1 && k[0] == 'P') {
        st = load_part(o, k + 1, key_len - 1, val, val_len, err);
    } else {
        st = bad_record("state", err);
    }
    op->state.rows_total = o->topn ? o->top_rows : (int64_t)(o->n_held + o->n_parts);
    return st;
}

static const sl_op_ops over_ops = {"over", over_push, over_finish, over_free};
static const sl_op_ckpt_ops over_ckpt = {.save = over_save, .load = over_load};

sl_status sl_op_over_new(const sl_plan *p, sl_op **out, sl_error *err)
{
    if (p->n_keys > 64 || p->n_order > 64 || p->n_aggs > 64)
        return sl_err(err, SL_ERR_PLAN, "OVER: at most 64 PARTITION BY keys, ORDER BY keys and functions");
    over_op *o = sl_calloc(1, sizeof *o);
    if (!o) return sl_err_oom(err);
    o->base.ops = &over_ops;
    o->base.plan = p;
    o->base.n_inputs = 1;
    o->base.stateful = p->streaming;
    if (p->streaming) o->base.ckpt = &over_ckpt;
    o->base.evtime_max = SL_NO_WATERMARK;
    o->base.out_lag = 0;
    o->n_fns = p->n_aggs;
    o->frame = p->over_preceding < 0 ? -1 : p->over_preceding + 1;
    o->topn = p->streaming ? p->over_topn : 0;
    sl_buf_init(&o->keybuf);
    o->is_f64 = sl_calloc((size_t)(o->n_fns ? o->n_fns : 1), sizeof *o->is_f64);
    if (!o->is_f64) { over_free(&o->base); return sl_err_oom(err); }
    for (int f = 0; f < o->n_fns; f++) o->is_f64[f] = p->aggs[f].arg && p->aggs[f].arg->type == SL_TYPE_DOUBLE;
    *out = &o->base;
    return SL_OK;
}
