/* Event-time ranges in join conditions (join_range.h).
 *
 * A stream-stream join keeps every row of both sides until the watermark
 * proves that no row still to come can match it.  Which rows those are
 * follows from the condition's range conjuncts (and equality keys) between
 * the two sides' event-time columns — `l.t BETWEEN r.t - INTERVAL '1' MINUTE AND r.t`,
 * `cust.ts <= bu.window_end`, … — read as  x + a  (<, <=)  y + b.
 *
 * If a conjunct bounds the other side's event-time column from above by a
 * term of this side —  other <= mine + K  — and the other side's rows still
 * to come all have  other >= wm + L  (L, the column's lag, is negative for
 * a window's start: a window that has not closed yet may have started up to
 * its size before the watermark), then a kept row is dead once
 * mine + K < wm + L, i.e.  mine + (K - L) < wm.  That is the bound
 * {mine, K - L}. */
#include "plan/join_range.h"
#include "core/status.h"

#include <string.h>

bool sl_plan_col_evtime(const sl_plan *p, int col, int64_t *lag)
{
    switch (p->kind) {
    case SL_PLAN_SCAN:
        *lag = 0;
        return col == p->src->wm_col;
    case SL_PLAN_WATERMARK:
        if (col == p->wm_col) { *lag = 0; return true; }
        return sl_plan_col_evtime(p->child[0], col, lag);
    case SL_PLAN_FILTER:
    case SL_PLAN_DEDUP:
        return sl_plan_col_evtime(p->child[0], col, lag);
    case SL_PLAN_OVER:
        /* rows leave in event-time order once the watermark passed them */
        return col < p->child[0]->schema->n && sl_plan_col_evtime(p->child[0], col, lag);
    case SL_PLAN_PROJECT: {
        const sl_expr *e = p->exprs[col];
        if (e->kind == SL_EX_COL) return sl_plan_col_evtime(p->child[0], e->col, lag);
        if (e->kind == SL_EX_ARITH && e->type == SL_TYPE_TIMESTAMP && (e->op == SL_OP_ADD || e->op == SL_OP_SUB) &&
            e->args[0]->kind == SL_EX_COL && e->args[1]->kind == SL_EX_LIT && !e->args[1]->lit_null) {
            if (!sl_plan_col_evtime(p->child[0], e->args[0]->col, lag)) return false;
            *lag += e->op == SL_OP_ADD ? e->args[1]->lit_i64 : -e->args[1]->lit_i64;
            return true;
        }
        return false;
    }
    case SL_PLAN_AGG:
        /* an aggregation emits a window once the watermark passed its end,
         * a group keyed on event time once it passed the key */
        if (p->evkey1 && col == p->evkey1 - 1 && p->streaming && !p->per_batch) { *lag = 0; return true; }
        if (!p->streaming || p->win == SL_WIN_NONE || p->per_batch) return false;
        if (col == p->win_pos + 1) { *lag = 0; return true; }
        if (col == p->win_pos && p->win != SL_WIN_SESSION) { *lag = -p->win_size_us; return true; }
        return false;
    case SL_PLAN_JOIN:
        return false; /* a join's output watermark lags by its range: not followed */
    }
    return false;
}

typedef struct term { int col; int64_t add; } term;

/* Reads `col`, `col + INTERVAL`, `col - INTERVAL`. */
static bool read_term(const sl_expr *e, term *t)
{
    if (e->type != SL_TYPE_TIMESTAMP) return false;
    if (e->kind == SL_EX_COL) { t->col = e->col; t->add = 0; return true; }
    if (e->kind == SL_EX_ARITH && (e->op == SL_OP_ADD || e->op == SL_OP_SUB) && e->args[0]->kind == SL_EX_COL &&
        e->args[1]->kind == SL_EX_LIT && !e->args[1]->lit_null) {
        t->col = e->args[0]->col;
        t->add = e->op == SL_OP_ADD ? e->args[1]->lit_i64 : -e->args[1]->lit_i64;
        return true;
    }
    return false;
}

static void add_bound(sl_join_side_range *s, int col, int64_t off)
{
    if (s->n_bounds < SL_JOIN_MAX_BOUNDS) s->bounds[s->n_bounds++] = (sl_join_bound){col, off};
}

/* lo.col + lo.add <= hi.col + hi.add, both over the join's columns. */
static void use_le(const sl_plan *p, term lo, term hi, sl_join_side_range out[2])
{
    int nl = p->child[0]->schema->n;
    int lo_side = lo.col >= nl, hi_side = hi.col >= nl;
    if (lo_side == hi_side) return;
    /* lo is the other side's column bounded from above by hi's side */
    const sl_plan *other = p->child[lo_side];
    int64_t lag;
    if (!sl_plan_col_evtime(other, lo.col - (lo_side ? nl : 0), &lag)) return;
    int64_t k = hi.add - lo.add;
    add_bound(&out[hi_side], hi.col - (hi_side ? nl : 0), k - lag);
}

static void walk(const sl_plan *p, const sl_expr *e, sl_join_side_range out[2])
{
    if (e->kind == SL_EX_AND) {
        for (int i = 0; i < e->n_args; i++) walk(p, e->args[i], out);
        return;
    }
    if (e->kind != SL_EX_CMP) return;
    term a, b;
    if (!read_term(e->args[0], &a) || !read_term(e->args[1], &b)) return;
    switch (e->op) {
    case SL_OP_LT: case SL_OP_LE: use_le(p, a, b, out); break;
    case SL_OP_GT: case SL_OP_GE: use_le(p, b, a, out); break;
    case SL_OP_EQ: use_le(p, a, b, out); use_le(p, b, a, out); break;
    default: break;
    }
}

void sl_join_range_analyse(const sl_plan *p, sl_join_side_range out[2])
{
    memset(out, 0, sizeof(sl_join_side_range) * 2);
    for (int s = 0; s < 2; s++) {
        out[s].late_col = -1;
        const sl_plan *c = p->child[s];
        for (int i = 0; i < c->schema->n; i++) {
            int64_t lag;
            if (!sl_plan_col_evtime(c, i, &lag)) continue;
            /* prefer the column whose values the watermark bounds tightest */
            if (out[s].late_col < 0 || lag > out[s].late_lag) { out[s].late_col = i; out[s].late_lag = lag; }
        }
    }
    if (p->residual) walk(p, p->residual, out);
    /* an equality key between event-time columns (a window join, as
     * Nexmark q8's on window bounds) bounds both sides too */
    int nl = p->child[0]->schema->n;
    for (int k = 0; k < p->n_join_keys; k++) {
        term a, b;
        if (!read_term(p->lkeys[k], &a) || !read_term(p->rkeys[k], &b)) continue;
        b.col += nl;
        use_le(p, a, b, out);
        use_le(p, b, a, out);
    }
}

/* ---- chained bounds (sl_join_col_bounded) ---- */

#define CHAIN_MAX 16
#define CHAIN_NONE INT64_MAX

typedef struct chain {
    int n;
    int col[CHAIN_MAX];              /* join output columns */
    int64_t d[CHAIN_MAX][CHAIN_MAX]; /* col[i] <= col[j] + d[i][j] */
} chain;

static int chain_node(chain *c, int col)
{
    for (int i = 0; i < c->n; i++)
        if (c->col[i] == col) return i;
    if (c->n == CHAIN_MAX) return -1;
    int k = c->n++;
    c->col[k] = col;
    for (int i = 0; i < c->n; i++) c->d[i][k] = c->d[k][i] = CHAIN_NONE;
    c->d[k][k] = 0;
    return k;
}

/* lo.col + lo.add <= hi.col + hi.add */
static void chain_le(chain *c, term lo, term hi)
{
    int a = chain_node(c, lo.col), b = chain_node(c, hi.col);
    if (a < 0 || b < 0) return;
    int64_t k = hi.add - lo.add;
    if (k < c->d[a][b]) c->d[a][b] = k;
}

static void chain_walk(chain *c, const sl_expr *e)
{
    if (e->kind == SL_EX_AND) {
        for (int i = 0; i < e->n_args; i++) chain_walk(c, e->args[i]);
        return;
    }
    if (e->kind != SL_EX_CMP) return;
    term a, b;
    if (!read_term(e->args[0], &a) || !read_term(e->args[1], &b)) return;
    switch (e->op) {
    case SL_OP_LT: case SL_OP_LE: chain_le(c, a, b); break;
    case SL_OP_GT: case SL_OP_GE: chain_le(c, b, a); break;
    case SL_OP_EQ: chain_le(c, a, b); chain_le(c, b, a); break;
    default: break;
    }
}

bool sl_join_col_bounded(const sl_plan *p, int col, int64_t *lag)
{
    if (p->kind != SL_PLAN_JOIN || !p->child[0]->streaming || !p->child[1]->streaming ||
        p->join_type != SL_JOIN_INNER || p->schema->fields[col].type != SL_TYPE_TIMESTAMP)
        return false;
    sl_join_side_range rg[2];
    sl_join_range_analyse(p, rg);
    if (rg[0].late_col < 0 || rg[1].late_col < 0) return false;
    chain c = {0};
    int nl = p->child[0]->schema->n;
    if (p->residual) chain_walk(&c, p->residual);
    for (int k = 0; k < p->n_join_keys; k++) {
        term a, b;
        if (!read_term(p->lkeys[k], &a) || !read_term(p->rkeys[k], &b)) continue;
        b.col += nl;
        chain_le(&c, a, b);
        chain_le(&c, b, a);
    }
    /* Floyd–Warshall: the tightest chained bound between every two columns */
    for (int k = 0; k < c.n; k++)
        for (int i = 0; i < c.n; i++)
            for (int j = 0; j < c.n; j++)
                if (c.d[i][k] != CHAIN_NONE && c.d[k][j] != CHAIN_NONE && c.d[i][k] + c.d[k][j] < c.d[i][j])
                    c.d[i][j] = c.d[i][k] + c.d[k][j];
    int t = -1;
    for (int i = 0; i < c.n; i++)
        if (c.col[i] == col) t = i;
    if (t < 0) return false;
    /* side s's new rows have ev >= wm + late_lag, and ev <= col + d: so
     * col >= wm + late_lag - d */
    int64_t best = CHAIN_NONE;
    for (int s = 0; s < 2; s++) {
        int ev = rg[s].late_col + (s ? nl : 0), e = -1;
        for (int i = 0; i < c.n; i++)
            if (c.col[i] == ev) e = i;
        if (ev == col) e = t;
        if (e < 0 || c.d[e][t] == CHAIN_NONE) return false;
        int64_t l = rg[s].late_lag - c.d[e][t];
        if (best == CHAIN_NONE || l < best) best = l;
    }
    *lag = best;
    return true;
}

static const char *join_name(sl_join_type t)
{
    switch (t) {
    case SL_JOIN_LEFT: return "LeftOuter";
    case SL_JOIN_RIGHT: return "RightOuter";
    case SL_JOIN_FULL: return "FullOuter";
    case SL_JOIN_SEMI: return "LeftSemi";
    case SL_JOIN_ANTI: return "LeftAnti";
    default: return "Inner";
    }
}

sl_status sl_plan_check_join(const sl_plan *p, sl_error *err)
{
    sl_join_side_range rg[2];
    sl_join_range_analyse(p, rg);
    bool ls = p->child[0]->streaming, rs = p->child[1]->streaming;
    sl_join_type t = p->join_type;
    if (p->n_join_keys == 0)
        return sl_err(err, SL_ERR_PLAN, "a join needs at least one equality condition between its two sides");
    if (p->n_join_keys > 64) return sl_err(err, SL_ERR_PLAN, "a join has at most 64 equality keys");
    if (t == SL_JOIN_ANTI && rs) /* Spark: only a stream on the left of a static right side */
        return sl_err(err, SL_ERR_PLAN, "LeftAnti joins with a streaming DataFrame/Dataset on the right are not supported");
    if (ls && rs) {
        /* the preserved side's rows must be able to expire, or their NULL
         * rows (or, for semi, the end of their state) never come */
        bool need_l = t == SL_JOIN_LEFT || t == SL_JOIN_FULL || t == SL_JOIN_SEMI;
        bool need_r = t == SL_JOIN_RIGHT || t == SL_JOIN_FULL;
        if ((need_l && !rg[0].n_bounds) || (need_r && !rg[1].n_bounds))
            return sl_err(err, SL_ERR_PLAN,
                          "Stream-stream %s join between two streaming DataFrame/Datasets is not supported without "
                          "a watermark in the join keys, or a watermark on the nullable side and an appropriate "
                          "range condition (e.g. l.ts BETWEEN r.ts - INTERVAL '1' MINUTE AND r.ts, with WATERMARK "
                          "on both sources)", join_name(t));
        return SL_OK;
    }
    if (ls && (t == SL_JOIN_RIGHT || t == SL_JOIN_FULL))
        return sl_err(err, SL_ERR_PLAN, "%s join with a streaming DataFrame/Dataset on the left and a static "
                      "DataFrame/Dataset on the right is not supported", join_name(t));
    if (rs && (t == SL_JOIN_LEFT || t == SL_JOIN_FULL || t == SL_JOIN_SEMI))
        return sl_err(err, SL_ERR_PLAN, "%s join with a streaming DataFrame/Dataset on the right and a static "
                      "DataFrame/Dataset on the left is not supported", join_name(t));
    return SL_OK;
}
