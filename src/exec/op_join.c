/* Joins: a symmetric hash join over equality keys, the form Spark uses for
 * stream-stream and stream-static joins.  Every row that arrives on either
 * side is first probed against the rows kept from the other side, then
 * kept itself, so the result does not depend on which side's rows come
 * first.  A residual condition (event-time ranges such as
 * cust.ts BETWEEN bu.window_start AND bu.window_end) filters the pairs.
 *
 * Left outer joins against a bounded table emit the NULL-padded rows of a
 * batch at the end of that batch (the table is complete by then, being read
 * whole in the first batch); stream-stream outer joins and state eviction by
 * watermark are described in docs/SEMANTICS.md. */
#include "exec/op.h"
#include "core/mem.h"
#include "core/status.h"
#include "core/xxhash64.h"

#include <string.h>

typedef struct side {
    sl_batch **batches;       /* kept rows */
    sl_col ***keys;           /* per kept batch: evaluated key columns */
    size_t n_batches, cap;
    /* index: hash → entry chain */
    uint32_t *heads;          /* entry + 1 */
    size_t head_cap;          /* power of two */
    struct entry { uint64_t hash; uint32_t batch, row, next; } *entries;
    size_t n_entries, entries_cap;
    int64_t rows;
} side;

typedef struct join_op {
    sl_op base;
    side s[2];
    int n_left;               /* columns of the left side */
    bool left_outer_static;   /* LEFT JOIN a bounded right side */
    uint8_t *matched;         /* per row of the current left batch */
} join_op;

static uint64_t key_hash(sl_col *const *keys, int n, int64_t i, bool *has_null)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL;
    *has_null = false;
    for (int k = 0; k < n; k++) {
        const sl_col *c = keys[k];
        if (sl_col_is_null(c, i)) { *has_null = true; return 0; }
        switch (c->type) {
        case SL_TYPE_STRING: {
            size_t len;
            const char *s = sl_col_str(c, i, &len);
            h = sl_xxh64(s, len, h);
            break;
        }
        case SL_TYPE_BOOLEAN: h = sl_xxh64_long(sl_col_bool(c, i), h); break;
        case SL_TYPE_INT: case SL_TYPE_DATE: h = sl_xxh64_long(sl_col_i32(c)[i], h); break;
        case SL_TYPE_DOUBLE: {
            double d = sl_col_f64(c)[i];
            int64_t bits;
            if (d == 0) d = 0;
            memcpy(&bits, &d, 8);
            h = sl_xxh64_long(bits, h);
            break;
        }
        default: h = sl_xxh64_long(sl_col_i64(c)[i], h); break;
        }
    }
    return h;
}

static bool keys_equal(sl_col *const *a, int64_t i, sl_col *const *b, int64_t j, int n)
{
    for (int k = 0; k < n; k++) {
        const sl_col *x = a[k], *y = b[k];
        switch (x->type) {
        case SL_TYPE_STRING: {
            size_t lx, ly;
            const char *sx = sl_col_str(x, i, &lx), *sy = sl_col_str(y, j, &ly);
            if (lx != ly || memcmp(sx, sy, lx)) return false;
            break;
        }
        case SL_TYPE_BOOLEAN: if (sl_col_bool(x, i) != sl_col_bool(y, j)) return false; break;
        case SL_TYPE_INT: case SL_TYPE_DATE: if (sl_col_i32(x)[i] != sl_col_i32(y)[j]) return false; break;
        case SL_TYPE_DOUBLE: if (sl_col_f64(x)[i] != sl_col_f64(y)[j]) return false; break;
        default: if (sl_col_i64(x)[i] != sl_col_i64(y)[j]) return false; break;
        }
    }
    return true;
}

static int side_index_grow(side *s)
{
    size_t ncap = s->head_cap ? s->head_cap * 2 : 1024;
    uint32_t *nh = sl_calloc(ncap, sizeof *nh);
    if (!nh) return -1;
    for (size_t e = 0; e < s->n_entries; e++) {
        size_t b = s->entries[e].hash & (ncap - 1);
        s->entries[e].next = nh[b];
        nh[b] = (uint32_t)e + 1;
    }
    sl_free(s->heads);
    s->heads = nh;
    s->head_cap = ncap;
    return 0;
}

/* Keeps batch b (with its keys) on side s; takes references. */
static int side_add(side *s, sl_batch *b, sl_col **keys, int n_keys)
{
    if (sl_grow((void **)&s->batches, &s->cap, s->n_batches + 1, sizeof *s->batches)) return -1;
    sl_col ***nk = sl_realloc(s->keys, s->cap * sizeof *s->keys);
    if (!nk) return -1;
    s->keys = nk;
    sl_col **kc = sl_calloc((size_t)(n_keys ? n_keys : 1), sizeof *kc);
    if (!kc) return -1;
    for (int k = 0; k < n_keys; k++) kc[k] = sl_col_ref(keys[k]);
    uint32_t bi = (uint32_t)s->n_batches;
    s->batches[bi] = sl_batch_ref(b);
    s->keys[bi] = kc;
    s->n_batches++;
    for (int64_t i = 0; i < b->n_rows; i++) {
        bool has_null;
        uint64_t h = key_hash(keys, n_keys, i, &has_null);
        if (has_null) continue; /* NULL keys never match */
        if ((s->n_entries + 1) * 2 > s->head_cap && side_index_grow(s)) return -1;
        if (sl_grow((void **)&s->entries, &s->entries_cap, s->n_entries + 1, sizeof *s->entries)) return -1;
        size_t bk = h & (s->head_cap - 1);
        s->entries[s->n_entries] = (struct entry){h, bi, (uint32_t)i, s->heads[bk]};
        s->heads[bk] = (uint32_t)s->n_entries + 1;
        s->n_entries++;
    }
    s->rows += b->n_rows;
    return 0;
}

/* Builds the joined batch of pairs (left row, right row). A NULL right
 * batch pads the right columns with NULLs. */
static sl_batch *pairs_batch(join_op *j, sl_batch *const *lb, const int32_t *lr, sl_batch *const *rb,
                             const int32_t *rr, int64_t n)
{
    const sl_plan *p = j->base.plan;
    sl_batch *out = sl_batch_new_builder(p->schema);
    if (!out) return NULL;
    int nl = j->n_left;
    for (int64_t i = 0; i < n; i++) {
        for (int c = 0; c < out->n_cols; c++) {
            int r;
            if (c < nl) r = sl_col_append_from(out->cols[c], lb[i]->cols[c], lr[i]);
            else if (rb[i]) r = sl_col_append_from(out->cols[c], rb[i]->cols[c - nl], rr[i]);
            else r = sl_col_append_null(out->cols[c]);
            if (r) { sl_batch_unref(out); return NULL; }
        }
    }
    sl_batch_seal(out);
    return out;
}

static sl_status emit_pairs(join_op *j, sl_batch **lb, int32_t *lr, sl_batch **rb, int32_t *rr, int64_t n,
                            sl_exec_ctx *x, sl_error *err)
{
    if (!n) return SL_OK;
    sl_batch *out = pairs_batch(j, lb, lr, rb, rr, n);
    if (!out) return sl_err_oom(err);
    const sl_plan *p = j->base.plan;
    sl_status st = SL_OK;
    if (p->residual) {
        int32_t *sel = sl_malloc(sizeof *sel * (size_t)n);
        int64_t k = 0;
        if (!sel) st = sl_err_oom(err);
        else st = sl_expr_select(p->residual, out, &x->ev, sel, &k, err);
        if (!st && j->matched)
            for (int64_t i = 0; i < k; i++) if (rb[sel[i]]) j->matched[lr[sel[i]]] = 1;
        if (!st && k < n) {
            sl_batch *g = sl_batch_gather(out, sel, k);
            sl_batch_unref(out);
            out = g;
            if (!out) st = sl_err_oom(err);
        }
        sl_free(sel);
    } else if (j->matched) {
        for (int64_t i = 0; i < n; i++) if (rb[i]) j->matched[lr[i]] = 1;
    }
    if (!st) st = sl_op_emit(&j->base, out, x, err);
    sl_batch_unref(out);
    return st;
}

/* Grows the four parallel pair arrays together. */
static int pairs_grow(sl_batch ***pl, int32_t **il, sl_batch ***pr, int32_t **ir, size_t *cap)
{
    size_t c1 = *cap, c2 = *cap, c3 = *cap, c4 = *cap;
    if (sl_grow((void **)pl, &c1, *cap + 1, sizeof **pl) || sl_grow((void **)pr, &c2, *cap + 1, sizeof **pr) ||
        sl_grow((void **)il, &c3, *cap + 1, sizeof **il) || sl_grow((void **)ir, &c4, *cap + 1, sizeof **ir))
        return -1;
    *cap = c1;
    return 0;
}

static sl_status join_push(sl_op *op, int port, sl_batch *b, sl_exec_ctx *x, sl_error *err)
{
    join_op *j = (join_op *)op;
    const sl_plan *p = op->plan;
    int nk = p->n_join_keys;
    sl_expr **kx = port == 0 ? p->lkeys : p->rkeys;
    sl_col *keys[64] = {0};
    sl_status st = SL_OK;
    sl_batch **pl = NULL, **pr = NULL;
    int32_t *il = NULL, *ir = NULL;
    size_t n = 0, cap = 0;
    if (nk > 64) return sl_err(err, SL_ERR_PLAN, "too many join keys");
    for (int k = 0; k < nk && !st; k++) st = sl_expr_eval(kx[k], b, &x->ev, &keys[k], err);
    if (st) goto done;
    if (j->left_outer_static && port == 0) {
        sl_free(j->matched);
        if (!(j->matched = sl_calloc((size_t)(b->n_rows ? b->n_rows : 1), 1))) { st = sl_err_oom(err); goto done; }
    }
    side *other = &j->s[1 - port];
    for (int64_t i = 0; i < b->n_rows && other->head_cap; i++) {
        bool has_null;
        uint64_t h = key_hash(keys, nk, i, &has_null);
        if (has_null) continue;
        for (uint32_t e = other->heads[h & (other->head_cap - 1)]; e; e = other->entries[e - 1].next) {
            const struct entry *en = &other->entries[e - 1];
            if (en->hash != h || !keys_equal(keys, i, other->keys[en->batch], en->row, nk)) continue;
            if (n == cap && pairs_grow(&pl, &il, &pr, &ir, &cap)) {
                st = sl_err_oom(err);
                goto done;
            }
            sl_batch *ob = other->batches[en->batch];
            pl[n] = port == 0 ? b : ob;
            il[n] = port == 0 ? (int32_t)i : (int32_t)en->row;
            pr[n] = port == 0 ? ob : b;
            ir[n] = port == 0 ? (int32_t)en->row : (int32_t)i;
            n++;
            if (n >= SL_BATCH_ROWS) {
                if ((st = emit_pairs(j, pl, il, pr, ir, (int64_t)n, x, err))) goto done;
                n = 0;
            }
        }
    }
    st = emit_pairs(j, pl, il, pr, ir, (int64_t)n, x, err);
    if (!st && j->left_outer_static && port == 0) {
        /* the right side is a complete table: unmatched rows are final */
        n = 0;
        for (int64_t i = 0; i < b->n_rows; i++) {
            if (j->matched[i]) continue;
            if (n == cap && pairs_grow(&pl, &il, &pr, &ir, &cap)) {
                st = sl_err_oom(err);
                goto done;
            }
            pl[n] = b; il[n] = (int32_t)i; pr[n] = NULL; ir[n] = 0;
            n++;
        }
        sl_free(j->matched);
        j->matched = NULL;
        st = emit_pairs(j, pl, il, pr, ir, (int64_t)n, x, err);
    }
    /* A stream side joined only with a static table need not be kept. */
    bool keep = !(p->child[1 - port] && !p->child[1 - port]->streaming && p->child[port]->streaming);
    if (!st && keep && side_add(&j->s[port], b, keys, nk)) st = sl_err_oom(err);
    op->state.rows_total = j->s[0].rows + j->s[1].rows;
done:
    for (int k = 0; k < nk; k++) sl_col_unref(keys[k]);
    sl_free(pl); sl_free(pr); sl_free(il); sl_free(ir);
    return st;
}

static void side_fini(side *s, int n_keys)
{
    for (size_t i = 0; i < s->n_batches; i++) {
        sl_batch_unref(s->batches[i]);
        for (int k = 0; k < n_keys; k++) sl_col_unref(s->keys[i][k]);
        sl_free(s->keys[i]);
    }
    sl_free(s->batches);
    sl_free(s->keys);
    sl_free(s->heads);
    sl_free(s->entries);
}

static void join_free(sl_op *op)
{
    join_op *j = (join_op *)op;
    side_fini(&j->s[0], op->plan->n_join_keys);
    side_fini(&j->s[1], op->plan->n_join_keys);
    sl_free(j->matched);
    sl_free(j);
}

static const sl_op_ops join_ops = {"symmetricHashJoin", join_push, NULL, join_free};

sl_status sl_op_join_new(const sl_plan *p, sl_op **out, sl_error *err)
{
    bool l_stream = p->child[0]->streaming, r_stream = p->child[1]->streaming;
    if (p->n_join_keys == 0)
        return sl_err(err, SL_ERR_PLAN, "a join needs at least one equality condition between its two sides");
    if (p->join_type != SL_JOIN_INNER && !(p->join_type == SL_JOIN_LEFT && l_stream && !r_stream))
        return sl_err(err, SL_ERR_PLAN,
                      "this join type is supported as INNER JOIN, or LEFT JOIN of a stream with a table; "
                      "outer and semi joins between two streams need watermarks (see docs/SEMANTICS.md)");
    join_op *j = sl_calloc(1, sizeof *j);
    if (!j) return sl_err_oom(err);
    j->base.ops = &join_ops;
    j->base.plan = p;
    j->base.n_inputs = 2;
    j->base.stateful = l_stream && r_stream;
    j->base.evtime_max = SL_NO_WATERMARK;
    j->n_left = p->child[0]->schema->n;
    j->left_outer_static = p->join_type == SL_JOIN_LEFT;
    *out = &j->base;
    return SL_OK;
}
