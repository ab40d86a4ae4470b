/* 'late.sink': a sink for the rows stateful operators drop as late.
 *
 * Options of the sink query: 'late.sink' = '<directory>' writes JSON files
 * there through the file sink; every 'late.sink.<name>' option becomes
 * option <name> of the late sink, so 'late.sink.format' = 'csv' or
 * 'late.sink.connector' = 'kafka' with 'late.sink.topic' pick another
 * format or connector.  Late rows keep the columns of the operator input
 * they arrived on.  A query whose stateful operators have one input in all
 * (an aggregation, a deduplication) writes to the directory itself; with
 * several (a join's two sides, chained operators), each input gets a
 * subdirectory `<i>-<operator>-<input>`, i counting stateful operators from
 * the sink down.  Rows are buffered during a batch and written when the
 * driver flushes, under the batch's id, so the late sink commits exactly
 * the batches the query runs (file sinks skip a replayed batch id). */
#include "driver/late_sink.h"
#include "io/connector.h"
#include "core/buf.h"
#include "core/mem.h"
#include "core/status.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

typedef struct late_out {
    const sl_op *op;
    int port;
    sl_sink *sink;
    sl_batch **pending;       /* this batch's late rows */
    size_t n_pending, pending_cap;
} late_out;

struct sl_late_sink {
    late_out *outs;
    int n_outs;
};

#define PREFIX "late.sink."

static sl_status late_rows(void *ctx, sl_op *op, int port, sl_batch *rows, sl_error *err)
{
    sl_late_sink *ls = ctx;
    for (int i = 0; i < ls->n_outs; i++) {
        late_out *o = &ls->outs[i];
        if (o->op != op || o->port != port) continue;
        if (sl_grow((void **)&o->pending, &o->pending_cap, o->n_pending + 1, sizeof *o->pending))
            return sl_err_oom(err);
        o->pending[o->n_pending++] = sl_batch_ref(rows);
        return SL_OK;
    }
    return sl_err(err, SL_ERR_INTERNAL, "late rows from an operator the late sink does not know");
}

void sl_late_sink_free(sl_late_sink *ls)
{
    if (!ls) return;
    for (int i = 0; i < ls->n_outs; i++) {
        late_out *o = &ls->outs[i];
        for (size_t k = 0; k < o->n_pending; k++) sl_batch_unref(o->pending[k]);
        sl_free(o->pending);
        sl_sink_free(o->sink);
    }
    sl_free(ls->outs);
    sl_free(ls);
}

/* The late sink's own options: every 'late.sink.X' as X; 'late.sink' is
 * the path; the file connector and JSON by default. */
static sl_status late_options(const sl_options *q, sl_options *out, sl_error *err)
{
    size_t plen = strlen(PREFIX);
    for (int i = 0; i < q->n; i++)
        if (!strncasecmp(q->items[i].name, PREFIX, plen) && q->items[i].name[plen] &&
            sl_options_set(out, q->items[i].name + plen, q->items[i].value))
            return sl_err_oom(err);
    const char *dir = sl_options_get(q, "late.sink");
    if (dir && *dir && !sl_options_get(out, "path") && sl_options_set(out, "path", dir)) return sl_err_oom(err);
    if (!sl_options_get(out, "connector") && sl_options_set(out, "connector", "file")) return sl_err_oom(err);
    const char *conn = sl_options_get(out, "connector");
    if (!strcasecmp(conn, "file") && !sl_options_get(out, "format") && sl_options_set(out, "format", "json"))
        return sl_err_oom(err);
    if (!sl_sink_ops_find(conn))
        return sl_err(err, SL_ERR_CONFIG, "'late.sink.connector': unknown sink connector '%s'", conn);
    return SL_OK;
}

sl_status sl_late_sink_new(const char *query, const sl_options *opts, const sl_op_tree *t,
                           sl_exec_ctx *x, sl_error *err)
{
    bool wanted = sl_options_get(opts, "late.sink") != NULL;
    for (int i = 0; i < opts->n && !wanted; i++) wanted = !strncasecmp(opts->items[i].name, PREFIX, strlen(PREFIX));
    if (!wanted) return SL_OK;

    sl_late_sink *ls = sl_calloc(1, sizeof *ls);
    sl_options base;
    sl_options_init(&base);
    sl_buf name, path;
    sl_buf_init(&name);
    sl_buf_init(&path);
    sl_status st = ls ? late_options(opts, &base, err) : sl_err_oom(err);
    int n = 0;
    for (int i = 0; i < t->n_stateful; i++) n += t->stateful[i]->n_inputs;
    if (!st && n && !(ls->outs = sl_calloc((size_t)n, sizeof *ls->outs))) st = sl_err_oom(err);
    const char *dir = sl_options_get(&base, "path");
    for (int i = 0; i < t->n_stateful && !st; i++) {
        const sl_op *op = t->stateful[i];
        for (int port = 0; port < op->n_inputs && !st; port++) {
            late_out *o = &ls->outs[ls->n_outs++];
            o->op = op;
            o->port = port;
            sl_options own;
            sl_options_init(&own);
            sl_buf_reset(&name);
            sl_buf_reset(&path);
            sl_buf_printf(&name, "%s.late", query);
            if (n > 1) sl_buf_printf(&name, ".%d-%s-%d", i, op->ops->name, port);
            if (dir && n > 1) sl_buf_printf(&path, "%s/%d-%s-%d", dir, i, op->ops->name, port);
            if (name.oom || path.oom || sl_options_merge(&own, &base) ||
                (dir && n > 1 && sl_options_set(&own, "path", path.data)))
                st = sl_err_oom(err);
            if (!st) st = sl_sink_new(name.data, op->plan->child[port]->schema, &own, "append", &o->sink, err);
            if (st) sl_err_prefix(err, "sink %s: 'late.sink'", query);
            sl_options_fini(&own);
        }
    }
    sl_options_fini(&base);
    sl_buf_fini(&name);
    sl_buf_fini(&path);
    if (st) { sl_late_sink_free(ls); return st; }
    x->late = late_rows;
    x->late_ctx = ls;
    return SL_OK;
}

sl_status sl_late_sink_flush(sl_late_sink *ls, int64_t batch_id, sl_error *err)
{
    for (int i = 0; i < ls->n_outs; i++) {
        late_out *o = &ls->outs[i];
        if (!o->n_pending) continue;
        sl_status st = o->sink->ops->begin(o->sink, batch_id, err);
        for (size_t k = 0; k < o->n_pending && !st; k++) st = o->sink->ops->write(o->sink, o->pending[k], err);
        if (!st) st = o->sink->ops->commit(o->sink, batch_id, err);
        for (size_t k = 0; k < o->n_pending; k++) sl_batch_unref(o->pending[k]);
        o->n_pending = 0;
        if (st) return st;
    }
    return SL_OK;
}
