/* Streaming rules: which output modes a query supports, as Spark's
 * UnsupportedOperationChecker decides, with Spark's reasons; and the
 * readable plan tree for `sluice explain`. */
#include "plan/plan.h"
#include "plan/join_range.h"
#include "exec/agg/agg.h"
#include "core/buf.h"
#include "core/status.h"

#include <string.h>
#include <strings.h>

static int count_aggs(const sl_plan *p)
{
    if (!p) return 0;
    int n = (p->kind == SL_PLAN_AGG && p->streaming && !p->per_batch) ? 1 : 0;
    return n + count_aggs(p->child[0]) + count_aggs(p->child[1]);
}

static bool has_stream_join(const sl_plan *p)
{
    if (!p) return false;
    if (p->kind == SL_PLAN_JOIN && p->child[0]->streaming && p->child[1]->streaming) return true;
    return has_stream_join(p->child[0]) || has_stream_join(p->child[1]);
}

bool sl_plan_has_agg(const sl_plan *p) { return count_aggs(p) > 0; }

/* Does this aggregate group by an event-time column (a window on one, or
 * the column itself: the binder's evkey1), so a watermark can close its
 * groups? */
static bool agg_has_watermark(const sl_plan *p)
{
    const sl_plan *in = p->child[0];
    if (p->win != SL_WIN_NONE)
        return p->win_time->kind == SL_EX_COL && in->evtime[p->win_time->col];
    return p->evkey1 > 0;
}

/* Every streaming aggregation below p closes its groups by watermark, so
 * (running in append mode, op_agg.c) it hands on final rows only. */
static bool aggs_below_close(const sl_plan *p)
{
    for (int i = 0; i < 2; i++) {
        const sl_plan *c = p->child[i];
        if (!c) continue;
        if (c->kind == SL_PLAN_AGG && c->streaming && !c->per_batch && !agg_has_watermark(c)) return false;
        if (!aggs_below_close(c)) return false;
    }
    return true;
}

/* A stream-stream join with no streaming aggregation between it and p. */
static bool stream_join_above_agg(const sl_plan *p)
{
    if (!p) return false;
    if (p->kind == SL_PLAN_AGG && p->streaming && !p->per_batch) return false;
    if (p->kind == SL_PLAN_JOIN && p->child[0]->streaming && p->child[1]->streaming) return true;
    return stream_join_above_agg(p->child[0]) || stream_join_above_agg(p->child[1]);
}

static const sl_plan *first_agg(const sl_plan *p)
{
    if (!p) return NULL;
    if (p->kind == SL_PLAN_AGG && p->streaming && !p->per_batch) return p;
    const sl_plan *a = first_agg(p->child[0]);
    return a ? a : first_agg(p->child[1]);
}

static sl_status check_joins(const sl_plan *p, sl_error *err)
{
    if (!p) return SL_OK;
    if (p->kind == SL_PLAN_JOIN) {
        sl_status st = sl_plan_check_join(p, err);
        if (st) return st;
    }
    sl_status st = check_joins(p->child[0], err);
    return st ? st : check_joins(p->child[1], err);
}

static bool is_stateful(const sl_plan *p)
{
    if (!p->streaming) return false;
    if (p->kind == SL_PLAN_AGG) return !p->per_batch;
    if (p->kind == SL_PLAN_DEDUP || p->kind == SL_PLAN_OVER) return true;
    return p->kind == SL_PLAN_JOIN && p->child[0]->streaming && p->child[1]->streaming;
}

/* A stream-stream join below p whose state never expires on some side: its
 * output can carry no watermark. */
static const sl_plan *unbounded_join_below(const sl_plan *p)
{
    for (int i = 0; i < 2; i++) {
        const sl_plan *c = p->child[i];
        if (!c) continue;
        if (c->kind == SL_PLAN_JOIN && is_stateful(c)) {
            sl_join_side_range rg[2];
            sl_join_range_analyse(c, rg);
            if (!rg[0].n_bounds || !rg[1].n_bounds) return c;
        }
        const sl_plan *u = unbounded_join_below(c);
        if (u) return u;
    }
    return NULL;
}

/* Spark 3.4+ chains stateful operators in append mode with a watermark per
 * operator; a stateful operator fed by a join that keeps rows forever would
 * never see one (its windows never close, its state never shrinks). */
static sl_status check_chain(const sl_plan *p, sl_error *err)
{
    if (!p) return SL_OK;
    /* OVER takes final rows only: an aggregation below it runs in append
     * mode (op_agg.c) and must close its groups, or nothing comes out */
    if (p->kind == SL_PLAN_OVER && p->streaming && !aggs_below_close(p))
        return sl_err(err, SL_ERR_PLAN,
                      "a window function (OVER) over a streaming aggregation needs the aggregation to close its "
                      "groups by watermark (a window on an event-time column, or a GROUP BY key that is one): "
                      "it takes each group once, final");
    if (is_stateful(p) && unbounded_join_below(p))
        return sl_err(err, SL_ERR_PLAN,
                      "a stateful operator (aggregation, deduplication or join) after a stream-stream join is not "
                      "supported unless the join's condition bounds both sides by event time (e.g. l.ts BETWEEN "
                      "r.ts - INTERVAL '1' MINUTE AND r.ts): without it the join's output has no watermark");
    sl_status st = check_chain(p->child[0], err);
    return st ? st : check_chain(p->child[1], err);
}

/* An OVER on a stream whose order is not ascending event time runs only
 * as a top-N (row_number() <= N), in update mode (plan.h, over_topn). */
static sl_status check_over(const sl_plan *p, const char *mode, sl_error *err)
{
    if (!p) return SL_OK;
    if (p->kind == SL_PLAN_OVER && p->streaming && p->over_unordered) {
        if (!p->over_topn)
            return sl_err(err, SL_ERR_PLAN,
                          "line %d, column %d: on a stream, the first ORDER BY key of OVER (…) must be an event-time "
                          "column (one with a WATERMARK) in ascending order: rows are released in that order as the "
                          "watermark passes them; any other order only for a top-N, row_number() filtered by "
                          "WHERE rn <= N in the enclosing SELECT (update mode)", p->line, p->col);
        if (strcasecmp(mode, "update"))
            return sl_err(err, SL_ERR_PLAN,
                          "line %d, column %d: a top-N (row_number() OVER (…) <= %lld) on a stream runs in update "
                          "mode: a rank's row changes as rows arrive; set 'output.mode' = 'update'",
                          p->line, p->col, (long long)p->over_topn);
    }
    sl_status st = check_over(p->child[0], mode, err);
    return st ? st : check_over(p->child[1], mode, err);
}

const char *sl_plan_default_mode(const sl_plan *p) { return "append"; }

sl_status sl_plan_check_mode(const sl_plan *p, const char *mode, sl_error *err)
{
    if (strcasecmp(mode, "append") && strcasecmp(mode, "update") && strcasecmp(mode, "complete"))
        return sl_err(err, SL_ERR_CONFIG, "'output.mode' must be append, update or complete, not '%s'", mode);
    sl_status st = check_joins(p, err);
    if (!st) st = check_chain(p, err);
    if (!st) st = check_over(p, mode, err);
    if (st || !p->streaming) return st;
    int n_aggs = count_aggs(p);
    const sl_plan *agg = first_agg(p);
    if (!strcasecmp(mode, "complete") && n_aggs == 0)
        return sl_err(err, SL_ERR_PLAN,
                      "Complete output mode not supported when there are no streaming aggregations on "
                      "streaming DataFrames/Datasets (use append or update)");
    if (!strcasecmp(mode, "append") && agg && !agg_has_watermark(agg))
        return sl_err(err, SL_ERR_PLAN,
                      "Append output mode not supported when there are streaming aggregations on streaming "
                      "DataFrames/DataSets without watermark (declare a WATERMARK on the event-time column and "
                      "group by a window on it, or use update or complete mode)");
    if (!strcasecmp(mode, "update") && agg && agg->win == SL_WIN_SESSION)
        return sl_err(err, SL_ERR_PLAN,
                      "Update output mode not supported for session window on streaming DataFrames/DataSets "
                      "(Spark's rule: a session can merge with a later one, so an emitted row could not be "
                      "updated in place; use append or complete)");
    /* Beyond Spark: in update and complete mode only the last aggregation
     * emits by the mode; the stateful operators below it run in append
     * mode (op_agg.c), which is sound when every aggregation among them
     * closes its groups by watermark — Nexmark q4's per-auction MAX closed
     * at the auction's expiry, averaged per category in update mode. */
    if (n_aggs > 1 && strcasecmp(mode, "append") && !aggs_below_close(agg))
        return sl_err(err, SL_ERR_PLAN,
                      "Multiple streaming aggregations are only supported in append mode (Spark 3.4+), not %s, "
                      "unless every aggregation below the last one closes its groups by watermark (a window "
                      "on an event-time column, or a GROUP BY key that is one)",
                      mode);
    if (has_stream_join(p) && strcasecmp(mode, "append") && stream_join_above_agg(p))
        return sl_err(err, SL_ERR_PLAN,
                      "%s output mode not supported for stream-stream joins: only append is (Spark's rule; "
                      "sluice also allows a join below a streaming aggregation)",
                      !strcasecmp(mode, "update") ? "Update" : "Complete");
    return SL_OK;
}

static void indent_to(sl_buf *out, int n)
{
    for (int i = 0; i < n; i++) sl_buf_puts(out, "  ");
}

void sl_plan_render(const sl_plan *p, sl_buf *out, int indent)
{
    indent_to(out, indent);
    const sl_schema *in = p->child[0] ? p->child[0]->schema : NULL;
    switch (p->kind) {
    case SL_PLAN_SCAN:
        sl_buf_printf(out, "Scan %s [%s%s]", p->src->name, sl_options_get_or(&p->src->opts, "connector", "?"),
                      p->src->bounded ? ", bounded" : ", streaming");
        if (p->src->wm_col >= 0)
            sl_buf_printf(out, " watermark %s - %lld ms", p->src->schema->fields[p->src->wm_col].name,
                          (long long)(p->src->wm_delay_us / 1000));
        break;
    case SL_PLAN_WATERMARK:
        sl_buf_printf(out, "Watermark %s - %lld ms", p->schema->fields[p->wm_col].name,
                      (long long)(p->wm_delay_us / 1000));
        break;
    case SL_PLAN_FILTER:
        sl_buf_puts(out, "Filter ");
        sl_expr_render(p->pred, in, out);
        break;
    case SL_PLAN_PROJECT:
        sl_buf_puts(out, "Project ");
        for (int i = 0; i < p->n_exprs; i++) {
            if (i) sl_buf_puts(out, ", ");
            sl_expr_render(p->exprs[i], in, out);
            if (p->exprs[i]->kind != SL_EX_COL || strcmp(in->fields[p->exprs[i]->col].name, p->schema->fields[i].name))
                sl_buf_printf(out, " AS %s", p->schema->fields[i].name);
        }
        break;
    case SL_PLAN_AGG:
        sl_buf_printf(out, "%s keys=[", p->per_batch ? "BatchAggregate" : p->streaming ? "StatefulAggregate" : "Aggregate");
        for (int i = 0; i < p->n_keys; i++) {
            if (i) sl_buf_puts(out, ", ");
            sl_expr_render(p->keys[i], in, out);
        }
        sl_buf_puts(out, "]");
        if (p->win == SL_WIN_TUMBLE) sl_buf_printf(out, " tumbling window %lld s", (long long)(p->win_size_us / 1000000));
        if (p->win == SL_WIN_SLIDE)
            sl_buf_printf(out, " sliding window %lld s every %lld s", (long long)(p->win_size_us / 1000000),
                          (long long)(p->win_slide_us / 1000000));
        if (p->win == SL_WIN_SESSION) sl_buf_printf(out, " session window gap %lld s", (long long)(p->win_gap_us / 1000000));
        sl_buf_puts(out, " aggs=[");
        for (int i = 0; i < p->n_aggs; i++) {
            if (i) sl_buf_puts(out, ", ");
            sl_buf_printf(out, "%s", p->schema->fields[p->n_keys + (p->win ? 2 : 0) + i].name);
        }
        sl_buf_puts(out, "]");
        if (p->streaming && !p->per_batch)
            sl_buf_puts(out, agg_has_watermark(p) ? " (state evicted by watermark)" : " (state kept: no watermark)");
        break;
    case SL_PLAN_JOIN: {
        static const char *const names[] = {"Inner", "LeftOuter", "RightOuter", "FullOuter", "LeftSemi", "LeftAnti"};
        sl_buf_printf(out, "%sJoin %s keys=%d", p->child[0]->streaming && p->child[1]->streaming ? "StreamStream" :
                      "StreamStatic", names[p->join_type], p->n_join_keys);
        if (p->residual) {
            sl_buf_puts(out, " on ");
            sl_expr_render(p->residual, p->schema, out);
        }
        break;
    }
    case SL_PLAN_OVER:
        sl_buf_puts(out, "Over partition=[");
        for (int i = 0; i < p->n_keys; i++) {
            if (i) sl_buf_puts(out, ", ");
            sl_expr_render(p->keys[i], in, out);
        }
        sl_buf_puts(out, "] order=[");
        for (int i = 0; i < p->n_order; i++) {
            if (i) sl_buf_puts(out, ", ");
            sl_expr_render(p->order[i], in, out);
            if (p->order_desc[i]) sl_buf_puts(out, " DESC");
        }
        if (p->over_topn) sl_buf_printf(out, "] top %lld per partition (changed ranks in update mode)",
                                        (long long)p->over_topn);
        else if (p->over_preceding < 0) sl_buf_puts(out, "] rows unbounded preceding");
        else sl_buf_printf(out, "] rows %lld preceding", (long long)p->over_preceding);
        if (p->streaming && !p->over_topn) sl_buf_puts(out, " (rows held until the watermark passes them)");
        break;
    case SL_PLAN_DEDUP:
        sl_buf_puts(out, p->dedup_within ? "DeduplicateWithinWatermark keys=[" : "Deduplicate keys=[");
        for (int i = 0; i < p->n_keys; i++) {
            if (i) sl_buf_puts(out, ", ");
            sl_expr_render(p->keys[i], in, out);
        }
        sl_buf_puts(out, "]");
        if (p->streaming)
            sl_buf_puts(out, p->dedup_evtime >= 0 && (p->dedup_within || p->dedup_key_evtime >= 0) ? " (state evicted by watermark)"
                                                                                   : " (state kept: no watermark)");
        break;
    }
    sl_buf_putc(out, '\n');
    for (int i = 0; i < 2; i++)
        if (p->child[i]) sl_plan_render(p->child[i], out, indent + 1);
}
