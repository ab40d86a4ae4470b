/* Joins: a symmetric hash join over equality keys, the form Spark uses for
 * stream-stream and stream-static joins.  Every row that arrives on either
 * side is first probed against the rows kept from the other side, then
 * kept itself, so the result does not depend on which side's rows come
 * first.  A residual condition (event-time ranges such as
 * cust.ts BETWEEN bu.window_start AND bu.window_end) filters the pairs.
 *
 * Between two streams, kept rows are evicted as soon as the watermark
 * proves that nothing still to come can match them (join_range.c works out
 * when that is from the condition).  An outer join emits a preserved row
 * padded with NULLs at that moment if it never matched; a left semi join
 * emits a left row once, at its first match.  Rows arriving behind the
 * watermark are late: dropped and counted, as Spark does, and handed to
 * the query's 'late.sink' when it has one.
 *
 * Against a bounded table the stream's rows are not kept: the table was
 * read whole in the first batch, so an outer join's unmatched stream rows
 * are final at once and are emitted in the same batch. */
#include "exec/op_join_int.h"
#include "exec/op_join_state.h"
#include "exec/late.h"
#include "plan/join_range.h"
#include "state/kv_int.h"
#include "state/opstate.h"
#include "state/ostore.h"
#include "core/mem.h"
#include "core/status.h"
#include "core/xxhash64.h"

#include <string.h>

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
            double d = key_double(sl_col_f64(c)[i]);
            int64_t bits;
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
        case SL_TYPE_DOUBLE: {
            double dx = sl_col_f64(x)[i], dy = sl_col_f64(y)[j];
            if (dx != dy && !(dx != dx && dy != dy)) return false; /* NaN = NaN */
            break;
        }
        default: if (sl_col_i64(x)[i] != sl_col_i64(y)[j]) return false; break;
        }
    }
    return true;
}

static size_t batch_bytes(const sl_batch *b)
{
    size_t n = 0;
    for (int c = 0; c < b->n_cols; c++) {
        const sl_col *col = b->cols[c];
        n += (size_t)b->n_rows * (col->type == SL_TYPE_STRING ? 4 : sl_type_width(col->type));
        if (col->type == SL_TYPE_STRING && b->n_rows) n += (size_t)sl_col_offsets(col)[b->n_rows];
    }
    return n + (size_t)b->n_rows * 26; /* flags, event-time key, index entry */
}

/* ---- the index ----------------------------------------------------------- */

/* Makes room for `more` entries: at most one per two heads. */
static int index_reserve(side *s, size_t more)
{
    if ((s->n_entries + more) * 2 > s->head_cap) {
        size_t ncap = s->head_cap ? s->head_cap * 2 : 1024;
        while ((s->n_entries + more) * 2 > ncap) ncap *= 2;
        uint32_t *nh = sl_calloc(ncap, sizeof *nh);
        if (!nh) return -1;
        for (size_t e = 0; e < s->n_entries; e++) {
            size_t bk = s->entries[e].hash & (ncap - 1);
            s->entries[e].next = nh[bk];
            nh[bk] = (uint32_t)e + 1;
        }
        sl_free(s->heads);
        s->heads = nh;
        s->head_cap = ncap;
    }
    return sl_grow((void **)&s->entries, &s->entries_cap, s->n_entries + more, sizeof *s->entries);
}

static int index_insert(side *s, uint64_t h, uint32_t ki, uint32_t row)
{
    if (index_reserve(s, 1)) return -1;
    size_t bk = h & (s->head_cap - 1);
    s->entries[s->n_entries] = (struct entry){h, ki, row, s->heads[bk]};
    s->heads[bk] = (uint32_t)s->n_entries + 1;
    s->n_entries++;
    return 0;
}

void sl_join_kept_release(kept *k, int n_keys)
{
    sl_batch_unref(k->b);
    k->b = NULL;
    if (k->keys)
        for (int c = 0; c < n_keys; c++) sl_col_unref(k->keys[c]);
    sl_free(k->keys);
    k->keys = NULL;
    sl_free(k->ekey);
    k->ekey = NULL;
}

/* Drops wholly dead batches and re-indexes the live rows. */
int sl_join_side_compact(side *s, int n_keys)
{
    size_t w = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (s->k[i].live) s->k[w++] = s->k[i];
        else { sl_join_kept_release(&s->k[i], n_keys); sl_free(s->k[i].flags); }
    }
    s->n = w;
    s->n_entries = s->n_dead = 0;
    if (s->heads) memset(s->heads, 0, s->head_cap * sizeof *s->heads);
    for (size_t i = 0; i < s->n; i++) {
        kept *k = &s->k[i];
        for (int64_t r = 0; r < k->b->n_rows; r++) {
            if (k->flags[r] & ROW_DEAD) continue;
            bool has_null;
            uint64_t h = key_hash(k->keys, n_keys, r, &has_null);
            if (!has_null && index_insert(s, h, (uint32_t)i, (uint32_t)r)) return -1;
        }
    }
    return 0;
}

/* The event time after which the watermark evicts row r (INT64_MAX: never). */
int64_t sl_join_row_ekey(const sl_join_side_range *rg, const sl_batch *b, int64_t r)
{
    int64_t e = INT64_MAX;
    for (int i = 0; i < rg->n_bounds; i++) {
        const sl_col *c = b->cols[rg->bounds[i].col];
        /* a NULL time never satisfies the range: nothing can match */
        int64_t v = sl_col_is_null(c, r) ? INT64_MIN : sl_col_i64(c)[r] + rg->bounds[i].off;
        if (v < e) e = v;
    }
    return e;
}

/* Keeps batch b on side s, taking references to it and its keys, and
 * ownership of flags; hashes (NULL: computed here) are the rows' key hashes. */
static int side_add(side *s, sl_batch *b, sl_col **keys, int n_keys, uint8_t *flags, const uint64_t *hashes)
{
    if (sl_grow((void **)&s->k, &s->cap, s->n + 1, sizeof *s->k)) { sl_free(flags); return -1; }
    kept *k = &s->k[s->n];
    memset(k, 0, sizeof *k);
    k->flags = flags;
    k->keys = sl_calloc((size_t)(n_keys ? n_keys : 1), sizeof *k->keys);
    if (!k->keys) { sl_free(flags); return -1; }
    for (int c = 0; c < n_keys; c++) k->keys[c] = sl_col_ref(keys[c]);
    k->b = sl_batch_ref(b);
    s->n++;
    const sl_join_side_range *rg = &s->range;
    k->min_ekey = INT64_MAX;
    if (rg->n_bounds) {
        if (!(k->ekey = sl_malloc(sizeof *k->ekey * (size_t)(b->n_rows ? b->n_rows : 1)))) return -1;
        for (int64_t r = 0; r < b->n_rows; r++) {
            int64_t e = sl_join_row_ekey(rg, b, r);
            k->ekey[r] = e;
            if (!(flags[r] & ROW_DEAD) && e < k->min_ekey) k->min_ekey = e;
        }
    }
    /* room for every row first, so the heads the loop fetches ahead stay */
    if (index_reserve(s, (size_t)b->n_rows)) return -1;
    size_t mask = s->head_cap - 1;
    for (int64_t r = 0; r < b->n_rows; r++) {
        if (hashes && r + 16 < b->n_rows) __builtin_prefetch(&s->heads[hashes[r + 16] & mask], 1);
        if (flags[r] & ROW_DEAD) continue;
        k->live++;
        bool has_null = flags[r] & ROW_NULL_KEY;
        uint64_t h = hashes ? hashes[r] : key_hash(keys, n_keys, r, &has_null);
        if (!has_null && index_insert(s, h, (uint32_t)(s->n - 1), (uint32_t)r)) return -1;
    }
    k->bytes = batch_bytes(b);
    s->bytes += k->bytes;
    s->rows += k->live;
    if (!k->live) sl_join_kept_release(k, n_keys);
    return 0;
}

static void side_fini(side *s, int n_keys)
{
    for (size_t i = 0; i < s->n; i++) { sl_join_kept_release(&s->k[i], n_keys); sl_free(s->k[i].flags); }
    sl_free(s->k);
    sl_free(s->heads);
    sl_free(s->entries);
}

void sl_join_side_clear(side *s, int n_keys)
{
    side_fini(s, n_keys);
    s->k = NULL;
    s->n = s->cap = 0;
    s->heads = NULL;
    s->head_cap = 0;
    s->entries = NULL;
    s->n_entries = s->entries_cap = s->n_dead = 0;
    s->rows = 0;
    s->bytes = 0;
}

/* ---- emitting pairs ---------------------------------------------------------- */

int sl_join_pairs_add(pairs *pp, sl_batch *lb, int32_t lr, uint8_t *lf, sl_batch *rb, int32_t rr, uint8_t *rf)
{
    if (pp->n == pp->cap) {
        size_t want = pp->cap ? pp->cap * 2 : 1024, c;
        for (int s = 0; s < 2; s++) {
            c = pp->cap;
            if (sl_grow((void **)&pp->b[s], &c, want, sizeof *pp->b[s])) return -1;
            c = pp->cap;
            if (sl_grow((void **)&pp->r[s], &c, want, sizeof *pp->r[s])) return -1;
            c = pp->cap;
            if (sl_grow((void **)&pp->f[s], &c, want, sizeof *pp->f[s])) return -1;
        }
        pp->cap = c;
    }
    size_t i = pp->n++;
    pp->b[0][i] = lb; pp->r[0][i] = lr; pp->f[0][i] = lf;
    pp->b[1][i] = rb; pp->r[1][i] = rr; pp->f[1][i] = rf;
    return 0;
}

/* Column sc of side s over the pairs; fixed-width values are copied
 * straight, strings appended. */
static sl_col *pairs_col(const pairs *pp, int s, int sc, sl_type t)
{
    size_t n = pp->n;
    if (t == SL_TYPE_STRING || t == SL_TYPE_BOOLEAN) {
        sl_col *c = sl_col_new(t);
        if (!c || sl_col_reserve(c, (int64_t)n, 0)) { sl_col_unref(c); return NULL; }
        for (size_t i = 0; i < n; i++) {
            sl_batch *b = pp->b[s][i];
            if (b ? sl_col_append_from(c, b->cols[sc], pp->r[s][i]) : sl_col_append_null(c)) {
                sl_col_unref(c);
                return NULL;
            }
        }
        return c;
    }
    sl_col *c = sl_col_new_sized(t, (int64_t)n, 0);
    if (!c) return NULL;
    size_t w = sl_type_width(t);
    uint8_t *dst = (uint8_t *)c->data;
    for (size_t i = 0; i < n; i++) {
        const sl_batch *b = pp->b[s][i];
        const sl_col *src = b ? b->cols[sc] : NULL;
        int32_t r = pp->r[s][i];
        if (!src || sl_col_is_null(src, r)) {
            memset(dst + i * w, 0, w);
            if (sl_col_set_null(c, (int64_t)i)) { sl_col_unref(c); return NULL; }
        } else {
            memcpy(dst + i * w, (const uint8_t *)src->data + (size_t)r * w, w);
        }
    }
    sl_col_finish_nulls(c);
    return c;
}

static void mark_cols(const sl_expr *e, bool *need, int n)
{
    if (e->kind == SL_EX_COL && e->col >= 0 && e->col < n) need[e->col] = true;
    for (int i = 0; i < e->n_args; i++) mark_cols(e->args[i], need, n);
}

/* j->need: the residual's columns and, through the filters above the join,
 * the columns of the projection that ends them; every column when anything
 * else (a sink, a stateful operator) reads the join's rows. Nexmark q3 keeps
 * 4 of 18 columns, so the other 14, `extra` strings among them, are not
 * copied for every pair. */
static int need_cols(join_op *j)
{
    int n = j->pair_schema->n;
    if (!(j->need = sl_calloc((size_t)(n ? n : 1), sizeof *j->need))) return -1;
    const sl_plan *p = j->base.plan;
    if (p->residual) mark_cols(p->residual, j->need, n);
    const sl_op *up = j->base.parent;
    while (up && up->plan && up->plan->kind == SL_PLAN_FILTER && up->plan->child[0] != NULL) {
        mark_cols(up->plan->pred, j->need, n);
        up = up->parent;
    }
    if (up && up->plan && up->plan->kind == SL_PLAN_PROJECT && up->parent) {
        for (int i = 0; i < up->plan->n_exprs; i++) mark_cols(up->plan->exprs[i], j->need, n);
    } else {
        for (int c = 0; c < n; c++) j->need[c] = true;
    }
    return 0;
}

static sl_batch *pairs_batch(join_op *j, const pairs *pp)
{
    const sl_schema *sch = j->pair_schema;
    if (!j->need && need_cols(j)) return NULL;
    sl_batch *out = sl_batch_new(sch->n);
    if (!out) return NULL;
    out->n_rows = (int64_t)pp->n;
    int nl = j->n_left;
    for (int c = 0; c < sch->n; c++) {
        int s = c >= nl;
        if (!j->need[c]) {
            if (!(out->cols[c] = sl_col_new_nulls(sch->fields[c].type, (int64_t)pp->n))) {
                sl_batch_unref(out);
                return NULL;
            }
            continue;
        }
        if (!(out->cols[c] = pairs_col(pp, s, c - (s ? nl : 0), sch->fields[c].type))) {
            sl_batch_unref(out);
            return NULL;
        }
    }
    return out;
}

/* The first n_left columns of b (a left semi or anti join's output). */
static sl_batch *left_part(const join_op *j, sl_batch *b)
{
    sl_batch *out = sl_batch_new(j->n_left);
    if (!out) return NULL;
    out->n_rows = b->n_rows;
    for (int c = 0; c < j->n_left; c++) out->cols[c] = sl_col_ref(b->cols[c]);
    return out;
}

/* Emits the pending pairs: matched pairs through the residual (marking
 * both rows matched), or NULL-padded ones as they are. */
sl_status sl_join_flush(join_op *j, bool padded, sl_exec_ctx *x, sl_error *err)
{
    pairs *pp = &j->pp;
    if (!pp->n) return SL_OK;
    const sl_plan *p = j->base.plan;
    sl_batch *full = pairs_batch(j, pp);
    int32_t *sel = sl_malloc(sizeof *sel * pp->n);
    sl_status st = SL_OK;
    int64_t k = 0;
    if (!full || !sel) { st = sl_err_oom(err); goto done; }
    if (!padded && p->residual) {
        if ((st = sl_expr_select(p->residual, full, &x->ev, sel, &k, err))) goto done;
    } else {
        for (size_t i = 0; i < pp->n; i++) sel[k++] = (int32_t)i;
    }
    if (!padded) {
        int64_t m = 0;
        for (int64_t i = 0; i < k; i++) {
            uint8_t *lf = pp->f[0][sel[i]], *rf = pp->f[1][sel[i]];
            bool first = !(*lf & ROW_MATCHED);
            *lf |= ROW_MATCHED;
            *rf |= ROW_MATCHED;
            /* a semi join emits a left row once, an anti join never a matched one */
            if (!j->anti && (!j->semi || first)) sel[m++] = sel[i];
        }
        k = m;
    }
    if (k) {
        sl_batch *out = k == full->n_rows ? sl_batch_ref(full) : sl_batch_gather(full, sel, k);
        if (out && (j->semi || j->anti)) {
            sl_batch *l = left_part(j, out);
            sl_batch_unref(out);
            out = l;
        }
        if (!out) { st = sl_err_oom(err); goto done; }
        st = sl_op_emit(&j->base, out, x, err);
        sl_batch_unref(out);
    }
done:
    sl_batch_unref(full);
    sl_free(sel);
    pp->n = 0;
    return st;
}

/* ---- the time pre-filter -------------------------------------------------- */

/* Reads `col`, `col + INTERVAL`, `col - INTERVAL` over TIMESTAMP columns. */
static bool tc_term(const sl_expr *e, int *col, int64_t *add)
{
    if (e->type != SL_TYPE_TIMESTAMP) return false;
    if (e->kind == SL_EX_COL) { *col = e->col; *add = 0; return true; }
    if (e->kind == SL_EX_ARITH && (e->op == SL_OP_ADD || e->op == SL_OP_SUB) && e->args[0]->kind == SL_EX_COL &&
        e->args[0]->type == SL_TYPE_TIMESTAMP && e->args[1]->kind == SL_EX_LIT && !e->args[1]->lit_null) {
        *col = e->args[0]->col;
        *add = e->op == SL_OP_ADD ? e->args[1]->lit_i64 : -e->args[1]->lit_i64;
        return true;
    }
    return false;
}

/* a (<, <=) b, over the pair's columns (left ++ right), kept when a and b
 * lie on different sides, as  a_side[a_col] (<, <=) other[b_col] + k. */
static void tc_add(join_op *j, int a, int64_t aa, int b, int64_t ba, bool strict)
{
    int nl = j->n_left, as = a >= nl, bs = b >= nl;
    if (as == bs || j->n_tc == SL_JOIN_MAX_BOUNDS) return;
    if (__builtin_sub_overflow(ba, aa, &(int64_t){0})) return;
    j->tc[j->n_tc++] = (struct tcons){as, a - (as ? nl : 0), b - (bs ? nl : 0), ba - aa, strict};
}

/* Collects the residual's top-level AND conjuncts that compare event times
 * of the two sides.  A pair failing one of them (or with a NULL in it)
 * cannot satisfy the residual, so it need not be built. */
static void tc_collect(join_op *j, const sl_expr *e)
{
    if (e->kind == SL_EX_AND) {
        for (int i = 0; i < e->n_args; i++) tc_collect(j, e->args[i]);
        return;
    }
    int a, b;
    int64_t aa, ba;
    if (e->kind != SL_EX_CMP || e->n_args != 2 || !tc_term(e->args[0], &a, &aa) || !tc_term(e->args[1], &b, &ba))
        return;
    switch (e->op) {
    case SL_OP_LT: tc_add(j, a, aa, b, ba, true); break;
    case SL_OP_LE: tc_add(j, a, aa, b, ba, false); break;
    case SL_OP_GT: tc_add(j, b, ba, a, aa, true); break;
    case SL_OP_GE: tc_add(j, b, ba, a, aa, false); break;
    case SL_OP_EQ: tc_add(j, a, aa, b, ba, false); tc_add(j, b, ba, a, aa, false); break;
    default: break;
    }
}

/* ---- push: probe, then keep ---------------------------------------------- */

/* Marks rows behind the watermark dead, counts them and hands them to the
 * late sink (exec/late.h). */
static sl_status drop_late(join_op *j, int port, const sl_batch *b, uint8_t *flags, int64_t wm,
                           sl_exec_ctx *x, sl_error *err)
{
    const sl_join_side_range *rg = &j->s[port].range;
    if (!j->base.stateful || rg->late_col < 0 || wm == SL_NO_WATERMARK) return SL_OK;
    const sl_col *c = b->cols[rg->late_col];
    int32_t *late = NULL;
    int64_t n = 0;
    for (int64_t r = 0; r < b->n_rows; r++)
        if (!sl_col_is_null(c, r) && sl_col_i64(c)[r] < wm + rg->late_lag) {
            flags[r] |= ROW_DEAD;
            if (x->late && !late && !(late = sl_malloc(sizeof *late * (size_t)b->n_rows))) return sl_err_oom(err);
            if (late) late[n] = (int32_t)r;
            n++;
        }
    j->base.state.rows_dropped_late += n;
    sl_status st = late ? sl_op_late_rows(&j->base, port, b, late, n, x, err) : SL_OK;
    sl_free(late);
    return st;
}

static sl_status join_push(sl_op *op, int port, sl_batch *b, sl_exec_ctx *x, sl_error *err)
{
    join_op *j = (join_op *)op;
    const sl_plan *p = op->plan;
    int nk = j->n_keys;
    sl_expr **kx = port == 0 ? p->lkeys : p->rkeys;
    sl_col *keys[64] = {0};
    sl_status st = SL_OK;
    uint64_t *hashes = NULL;
    uint8_t *flags = sl_calloc((size_t)(b->n_rows ? b->n_rows : 1), 1);
    if (!flags) return sl_err_oom(err);
    for (int k = 0; k < nk && !st; k++) st = sl_expr_eval(kx[k], b, &x->ev, &keys[k], err);
    if (st) goto done;
    if ((st = drop_late(j, port, b, flags, op->wm_late[port], x, err))) goto done;
    /* RocksDB: the rows moved into the store first, then those in memory */
    if (j->ws && (st = sl_join_work_push(j, port, b, keys, flags, x, err))) goto done;

    side *other = &j->s[1 - port];
    if (other->head_cap && !(hashes = sl_malloc(sizeof *hashes * (size_t)b->n_rows))) { st = sl_err_oom(err); goto done; }
    for (int64_t i = 0; i < b->n_rows && hashes; i++) {
        bool has_null;
        hashes[i] = key_hash(keys, nk, i, &has_null);
        if (has_null) flags[i] |= ROW_NULL_KEY;
    }
    size_t mask = other->head_cap - 1;
    for (int64_t i = 0; i < b->n_rows && hashes; i++) {
        /* the index is far bigger than the caches: fetch ahead */
        if (i + 16 < b->n_rows) __builtin_prefetch(&other->heads[hashes[i + 16] & mask]);
        if (i + 8 < b->n_rows) {
            uint32_t e8 = other->heads[hashes[i + 8] & mask];
            if (e8) __builtin_prefetch(&other->entries[e8 - 1]);
        }
        if (flags[i] & (ROW_DEAD | ROW_NULL_KEY)) continue;
        uint64_t h = hashes[i];
        for (uint32_t e = other->heads[h & mask]; e; e = other->entries[e - 1].next) {
            const struct entry *en = &other->entries[e - 1];
            kept *ok = &other->k[en->kept];
            if (en->hash != h || (ok->flags[en->row] & ROW_DEAD) ||
                (!j->exact_hash && !keys_equal(keys, i, ok->keys, en->row, nk)))
                continue;
            if (j->n_tc && !(port == 0 ? tc_pass(j, b, i, ok->b, en->row) : tc_pass(j, ok->b, en->row, b, i)))
                continue;
            int r = port == 0 ? sl_join_pairs_add(&j->pp, b, (int32_t)i, &flags[i], ok->b, (int32_t)en->row, &ok->flags[en->row])
                              : sl_join_pairs_add(&j->pp, ok->b, (int32_t)en->row, &ok->flags[en->row], b, (int32_t)i, &flags[i]);
            if (r) { st = sl_err_oom(err); goto done; }
            if (j->pp.n >= SL_BATCH_ROWS && (st = sl_join_flush(j, false, x, err))) goto done;
        }
    }
    if ((st = sl_join_flush(j, false, x, err))) goto done;
    if (j->static_outer == port) {
        /* the other side is a complete table: unmatched rows are final */
        for (int64_t i = 0; i < b->n_rows; i++) {
            if (flags[i] & (ROW_MATCHED | ROW_DEAD)) continue;
            int r = port == 0 ? sl_join_pairs_add(&j->pp, b, (int32_t)i, &flags[i], NULL, 0, NULL)
                              : sl_join_pairs_add(&j->pp, NULL, 0, NULL, b, (int32_t)i, &flags[i]);
            if (r) { st = sl_err_oom(err); goto done; }
        }
        if ((st = sl_join_flush(j, true, x, err))) goto done;
    }
    if (j->s[port].keep) {
        if (side_add(&j->s[port], b, keys, nk, flags, hashes)) st = sl_err_oom(err);
        flags = NULL;
        op->state.rows_updated += b->n_rows;
        if (!st && j->ws) st = sl_join_work_keep(j, port, x, err);
    }
done:
    sl_free(flags);
    sl_free(hashes);
    for (int k = 0; k < nk; k++) sl_col_unref(keys[k]);
    op->state.rows_total = (j->ws ? sl_ostore_count(j->ws) : 0) + j->s[0].rows + j->s[1].rows;
    op->state.mem_bytes = (int64_t)(j->s[0].bytes + j->s[1].bytes);
    return st;
}

/* ---- finish: evict behind the watermark ------------------------------------ */

/* Kills the rows of side `port` that can no longer match (all of them when
 * `all`), emitting the unmatched ones of a preserved side NULL-padded. */
static sl_status evict(join_op *j, int port, int64_t wm, bool all, sl_exec_ctx *x, sl_error *err)
{
    side *s = &j->s[port];
    bool any_empty = false;
    sl_status st = SL_OK;
    for (size_t i = 0; i < s->n && !st; i++) {
        kept *k = &s->k[i];
        if (!k->live || (!all && (!k->ekey || k->min_ekey >= wm))) continue;
        int64_t min = INT64_MAX;
        for (int64_t r = 0; r < k->b->n_rows; r++) {
            if (k->flags[r] & ROW_DEAD) continue;
            if (!all && k->ekey[r] >= wm) {
                if (k->ekey[r] < min) min = k->ekey[r];
                continue;
            }
            k->flags[r] |= ROW_DEAD;
            if (j->ws && (st = sl_join_work_forget(j, port, k, r, err))) return st;
            k->live--;
            s->rows--;
            s->n_dead++;
            j->base.state.rows_removed++;
            if (!s->preserved || (k->flags[r] & ROW_MATCHED)) continue;
            int e = port == 0 ? sl_join_pairs_add(&j->pp, k->b, (int32_t)r, &k->flags[r], NULL, 0, NULL)
                              : sl_join_pairs_add(&j->pp, NULL, 0, NULL, k->b, (int32_t)r, &k->flags[r]);
            if (e) return sl_err_oom(err);
            if (j->pp.n >= SL_BATCH_ROWS && (st = sl_join_flush(j, true, x, err))) return st;
        }
        k->min_ekey = min;
        /* padded rows still point into this batch: emit before letting go */
        if ((st = sl_join_flush(j, true, x, err))) return st;
        if (!k->live) {
            s->bytes -= k->bytes;
            sl_join_kept_release(k, j->n_keys);
            any_empty = true;
        }
    }
    if (any_empty && s->n_dead * 2 > s->n_entries && sl_join_side_compact(s, j->n_keys)) return sl_err_oom(err);
    return st;
}

static sl_status join_finish(sl_op *op, sl_exec_ctx *x, sl_error *err)
{
    join_op *j = (join_op *)op;
    sl_status st = SL_OK;
    if (!op->plan->streaming) {
        /* a batch join: both inputs are complete, so every row is final */
        for (int s = 0; s < 2 && !st; s++)
            if (j->s[s].preserved) st = evict(j, s, 0, true, x, err);
    } else if (j->ws) {
        /* the rows in memory, then those in the store; then the cache */
        for (int s = 0; s < 2 && !st && op->wm_in != SL_NO_WATERMARK; s++) st = evict(j, s, op->wm_in, false, x, err);
        if (!st) st = sl_join_work_finish(j, x, err);
        if (!st) st = sl_join_work_end_batch(j, err);
    } else if (op->stateful && op->wm_in != SL_NO_WATERMARK) {
        for (int s = 0; s < 2 && !st; s++) st = evict(j, s, op->wm_in, false, x, err);
    }
    op->state.rows_total = (j->ws ? sl_ostore_count(j->ws) : 0) + j->s[0].rows + j->s[1].rows;
    op->state.mem_bytes = (int64_t)(j->s[0].bytes + j->s[1].bytes);
    return st;
}

static void join_free(sl_op *op)
{
    join_op *j = (join_op *)op;
    side_fini(&j->s[0], j->n_keys);
    side_fini(&j->s[1], j->n_keys);
    for (int s = 0; s < 2; s++) { sl_free(j->pp.b[s]); sl_free(j->pp.r[s]); sl_free(j->pp.f[s]); }
    sl_schema_free(j->pair_schema);
    sl_free(j->need);
    sl_batch_unref(j->cand.b);
    sl_free(j->cand.flags);
    sl_free(j->cand.off);
    sl_buf_fini(&j->cand.recs);
    sl_buf_fini(&j->wkey);
    sl_buf_fini(&j->wval);
    for (int s = 0; s < 2; s++) sl_batch_unref(j->pad[s]);
    sl_kfilter_fini(&j->filt);
    sl_free(j);
}

static const sl_op_ops join_ops = {"symmetricHashJoin", join_push, join_finish, join_free};

/* ---- construction ---------------------------------------------------------- */

sl_status sl_op_join_new(const sl_plan *p, sl_op **out, sl_error *err)
{
    sl_join_side_range rg[2];
    sl_join_range_analyse(p, rg);
    sl_status st = sl_plan_check_join(p, err);
    if (st) return st;
    bool ls = p->child[0]->streaming, rs = p->child[1]->streaming;
    join_op *j = sl_calloc(1, sizeof *j);
    if (!j) return sl_err_oom(err);
    j->base.ops = &join_ops;
    j->base.plan = p;
    j->base.n_inputs = 2;
    j->base.stateful = ls && rs;
    if (j->base.stateful) j->base.ckpt = &sl_op_join_ckpt; /* op_join_state.c */
    j->base.evtime_max = SL_NO_WATERMARK;
    j->n_keys = p->n_join_keys;
    j->n_left = p->child[0]->schema->n;
    j->semi = p->join_type == SL_JOIN_SEMI;
    j->anti = p->join_type == SL_JOIN_ANTI;
    j->static_outer = -1;
    if (ls != rs && p->join_type != SL_JOIN_INNER && p->join_type != SL_JOIN_SEMI) j->static_outer = ls ? 0 : 1;
    for (int s = 0; s < 2; s++) {
        j->s[s].range = rg[s];
        /* a stream joined with a table needs only the table kept */
        j->s[s].keep = !(p->child[s]->streaming && !p->child[1 - s]->streaming);
    }
    if (p->n_join_keys == 1) {
        sl_type lt = p->lkeys[0]->type, rt = p->rkeys[0]->type;
        j->exact_hash = lt == rt && (lt == SL_TYPE_INT || lt == SL_TYPE_BIGINT || lt == SL_TYPE_DATE ||
                                     lt == SL_TYPE_TIMESTAMP || lt == SL_TYPE_BOOLEAN);
    }
    if (p->residual) tc_collect(j, p->residual);
    j->s[0].preserved = p->join_type == SL_JOIN_LEFT || p->join_type == SL_JOIN_FULL || j->anti;
    j->s[1].preserved = p->join_type == SL_JOIN_RIGHT || p->join_type == SL_JOIN_FULL;
    /* the output watermark: kept rows may be as old as their bounds allow */
    j->base.out_lag = 0;
    for (int s = 0; s < 2; s++) {
        if (!rg[s].n_bounds) j->base.out_lag = SL_NO_LAG;
        for (int b = 0; b < rg[s].n_bounds && j->base.out_lag != SL_NO_LAG; b++)
            if (rg[s].bounds[b].off > j->base.out_lag) j->base.out_lag = rg[s].bounds[b].off;
    }
    /* … and no later than the columns the condition bounds by event time
     * (join_range.h), which an aggregation after the join may close on */
    for (int c = 0; c < p->schema->n && j->base.out_lag != SL_NO_LAG; c++) {
        int64_t lag;
        if (sl_join_col_bounded(p, c, &lag) && -lag > j->base.out_lag) j->base.out_lag = -lag;
    }
    int nl = j->n_left, nr = p->child[1]->schema->n;
    if (!(j->pair_schema = sl_schema_new(nl + nr))) { sl_free(j); return sl_err_oom(err); }
    for (int c = 0; c < nl + nr; c++) {
        const sl_schema *cs = p->child[c >= nl]->schema;
        int k = c - (c >= nl ? nl : 0);
        if (sl_schema_set(j->pair_schema, c, cs->fields[k].name, cs->fields[k].type)) {
            join_free(&j->base);
            return sl_err_oom(err);
        }
    }
    *out = &j->base;
    return SL_OK;
}

/* ---- accessors for checkpoints (op_join_state.c) ---------------------------- */

sl_status sl_op_join_rows_each(sl_op *op, sl_join_row_fn fn, void *ctx, sl_error *err)
{
    join_op *j = (join_op *)op;
    for (int sd = 0; sd < 2; sd++)
        for (size_t i = 0; i < j->s[sd].n; i++) {
            const kept *k = &j->s[sd].k[i];
            if (!k->live) continue;
            for (int64_t r = 0; r < k->b->n_rows; r++) {
                if (k->flags[r] & ROW_DEAD) continue;
                sl_status st = fn(ctx, sd, k->b, r, (k->flags[r] & ROW_MATCHED) != 0, err);
                if (st) return st;
            }
        }
    return SL_OK;
}

sl_status sl_op_join_rows_add(sl_op *op, int side, sl_batch *b, const bool *matched, sl_error *err)
{
    join_op *j = (join_op *)op;
    sl_expr **kx = side == 0 ? op->plan->lkeys : op->plan->rkeys;
    sl_col *keys[64] = {0};
    sl_eval_ctx ev;
    memset(&ev, 0, sizeof ev);
    sl_status st = SL_OK;
    uint8_t *flags = sl_calloc((size_t)(b->n_rows ? b->n_rows : 1), 1);
    if (!flags) return sl_err_oom(err);
    for (int64_t i = 0; i < b->n_rows && matched; i++)
        if (matched[i]) flags[i] |= ROW_MATCHED;
    for (int k = 0; k < j->n_keys && !st; k++) st = sl_expr_eval(kx[k], b, &ev, &keys[k], err);
    if (!st) {
        for (int64_t i = 0; i < b->n_rows; i++) {
            bool has_null;
            key_hash(keys, j->n_keys, i, &has_null);
            if (has_null) flags[i] |= ROW_NULL_KEY;
        }
        if (side_add(&j->s[side], b, keys, j->n_keys, flags, NULL)) st = sl_err_oom(err);
        flags = NULL;
    }
    sl_free(flags);
    for (int k = 0; k < j->n_keys; k++) sl_col_unref(keys[k]);
    op->state.rows_total = j->s[0].rows + j->s[1].rows;
    op->state.mem_bytes = (int64_t)(j->s[0].bytes + j->s[1].bytes);
    return st;
}
