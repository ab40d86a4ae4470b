/* The micro-batch driver (DESIGN.md §2): each trigger asks every source
 * where its next batch ends, reads exactly that range once and fans it out
 * to every query reading the source, lets each query's operators finish
 * (stateful ones emit by output mode), commits every sink, then the
 * sources, and advances each query's watermark for the next batch.
 *
 * Triggers: unset (run as soon as data is there), a processing-time
 * interval, 'once' (one batch), 'availableNow' (everything there at start,
 * then stop).  When a query's watermark moved and it holds state, a batch
 * runs even without new input (Spark's no-data micro-batch), so windows are
 * emitted without waiting for more data.  sl_engine_stop ends the loop
 * between batches: the current batch always completes. */
#include "driver/engine_int.h"
#include "driver/late_sink.h"
#include "core/mem.h"
#include "core/status.h"
#include "core/textconv.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Sleeps until `deadline` (monotonic µs) or a stop request. */
static void wait_until(sl_engine *eng, int64_t deadline)
{
    while (!eng->stop) {
        int64_t left = deadline - mono_us();
        if (left <= 0) return;
        if (left > 20000) left = 20000;
        struct timespec ts = {0, (long)left * 1000};
        nanosleep(&ts, NULL);
    }
}

/* ---- delivery to the sink ---------------------------------------------- */

#define LATEST_ROWS 50

static void latest_add(sl_query *q, const sl_batch *b)
{
    const sl_schema *s = q->plan->schema;
    for (int64_t i = 0; i < b->n_rows && q->latest_rows < LATEST_ROWS; i++, q->latest_rows++) {
        sl_buf *o = &q->latest_buf;
        sl_buf_puts(o, q->latest_rows ? ",[" : "[");
        for (int c = 0; c < s->n; c++) {
            const sl_col *col = b->cols[c];
            char t[SL_TEXT_MAX];
            if (c) sl_buf_putc(o, ',');
            if (sl_col_is_null(col, i)) { sl_buf_puts(o, "null"); continue; }
            switch (col->type) {
            case SL_TYPE_BOOLEAN: sl_buf_puts(o, sl_col_bool(col, i) ? "true" : "false"); break;
            case SL_TYPE_INT: sl_buf_printf(o, "%d", sl_col_i32(col)[i]); break;
            case SL_TYPE_BIGINT: sl_buf_printf(o, "%lld", (long long)sl_col_i64(col)[i]); break;
            case SL_TYPE_DOUBLE: {
                double d = sl_col_f64(col)[i];
                if (d != d || d - d != 0) { sl_buf_puts(o, "null"); break; }
                sl_f64_to_text(d, t);
                sl_buf_puts(o, t);
                break;
            }
            case SL_TYPE_TIMESTAMP: sl_timestamp_to_text(sl_col_i64(col)[i], t); sl_buf_json_str(o, t, strlen(t)); break;
            case SL_TYPE_DATE: sl_date_to_text(sl_col_i32(col)[i], t); sl_buf_json_str(o, t, strlen(t)); break;
            case SL_TYPE_STRING: {
                size_t n;
                const char *p = sl_col_str(col, i, &n);
                sl_buf_json_str(o, p, n);
                break;
            }
            default: sl_buf_puts(o, "null"); break;
            }
        }
        sl_buf_putc(o, ']');
    }
}

static sl_status deliver(void *ctx, sl_batch *b, sl_error *err)
{
    sl_query *q = ctx;
    q->rows_out += b->n_rows;
    latest_add(q, b);
    if (q->cb) {
        const char *names[256];
        const sl_schema *s = q->plan->schema;
        for (int i = 0; i < s->n && i < 256; i++) names[i] = s->fields[i].name;
        if (q->cb(b, names, q->x.ev.batch_id, q->cb_opaque))
            return sl_err(err, SL_ERR_IO, "sink %s: the batch callback failed", q->name);
        return SL_OK;
    }
    return q->sink->ops->write(q->sink, b, err);
}

/* ---- setup ------------------------------------------------------------- */

static bool query_reads(const sl_query *q, int src_id)
{
    for (int i = 0; i < q->ops.n_scans; i++)
        if (q->ops.scans[i]->plan->src->id == src_id) return true;
    return false;
}

static sl_status source_used_columns(sl_engine *eng, const sl_source_def *def, sl_source *src, sl_error *err);

static sl_status setup(sl_engine *eng, sl_error *err)
{
    sl_catalog *cat = &eng->cat;
    const char *trig = sl_options_get(&eng->queries[0]->opts, "trigger");
    if (!trig) trig = sl_options_get(&eng->session, "trigger");
    eng->trigger = SL_TRIGGER_ASAP;
    if (trig) {
        if (!strcasecmp(trig, "once")) eng->trigger = SL_TRIGGER_ONCE;
        else if (!strcasecmp(trig, "availableNow") || !strcasecmp(trig, "available_now")) eng->trigger = SL_TRIGGER_AVAILABLE_NOW;
        else {
            const char *t = !strncasecmp(trig, "processingTime=", 15) ? trig + 15 : trig;
            sl_status s = sl_parse_duration(t, &eng->trigger_us, err);
            if (s) return s;
            eng->trigger = SL_TRIGGER_INTERVAL;
        }
    }
    const char *q = sl_options_get(&eng->session, "progress");
    if (q && !strcasecmp(q, "false")) eng->quiet = true;
    bool bounded_run = eng->trigger == SL_TRIGGER_ONCE || eng->trigger == SL_TRIGGER_AVAILABLE_NOW;

    int n = cat->n_sources;
    eng->rt = sl_calloc((size_t)(n ? n : 1), sizeof *eng->rt);
    eng->committed = sl_calloc((size_t)(n ? n : 1), sizeof *eng->committed);
    eng->pending = sl_calloc((size_t)(n ? n : 1), sizeof *eng->pending);
    if (!eng->rt || !eng->committed || !eng->pending) {
        /* sl_engine_free walks all three once rt is set */
        sl_free(eng->rt);
        sl_free(eng->committed);
        sl_free(eng->pending);
        eng->rt = NULL;
        eng->committed = eng->pending = NULL;
        return sl_err_oom(err);
    }

    for (size_t k = 0; k < eng->n_queries; k++) {
        sl_query *qq = eng->queries[k];
        sl_status s = sl_op_tree_build(qq->plan, deliver, qq, &qq->ops, err);
        if (!s) s = sl_late_sink_new(qq->name, &qq->opts, &qq->ops, &qq->x, err); /* 'late.sink' */
        if (s) return s;
        qq->wm_seen = sl_calloc((size_t)(qq->ops.n_wm ? qq->ops.n_wm : 1), sizeof *qq->wm_seen);
        qq->wm_active_us = sl_calloc((size_t)(qq->ops.n_wm ? qq->ops.n_wm : 1), sizeof *qq->wm_active_us);
        if (!qq->wm_seen || !qq->wm_active_us) return sl_err_oom(err);
        const char *idle = sl_options_get(&qq->opts, "watermark.idleTimeout");
        if (!idle) idle = sl_options_get(&eng->session, "watermark.idleTimeout");
        if (idle && (s = sl_parse_duration(idle, &qq->idle_timeout_us, err))) {
            sl_err_prefix(err, "sink %s: 'watermark.idleTimeout'", qq->name);
            return s;
        }
        for (int i = 0; i < qq->ops.n_wm; i++) qq->wm_seen[i] = SL_NO_WATERMARK;
        qq->wm_used = SL_NO_WATERMARK;
        const char *conn = sl_options_get(&qq->opts, "connector");
        if (!strcasecmp(conn, "callback")) {
            const char *name = sl_options_get_or(&qq->opts, "name", qq->name);
            for (size_t r = 0; r < eng->n_reg; r++)
                if (!strcasecmp(eng->reg[r].name, name)) { qq->cb = eng->reg[r].cb; qq->cb_opaque = eng->reg[r].opaque; }
            if (!qq->cb) return sl_err(err, SL_ERR_CONFIG, "sink %s: no callback registered under '%s'", qq->name, name);
        } else {
            static const char *const modes[] = {"append", "update", "complete"};
            s = sl_sink_new(qq->name, qq->plan->schema, &qq->opts, modes[qq->mode], &qq->sink, err);
            if (s) return s;
        }
        for (int i = 0; i < qq->ops.n_scans; i++) {
            sl_source_def *def = qq->ops.scans[i]->plan->src;
            if (eng->rt[def->id]) continue;
            s = sl_source_new(def->name, def->schema, &def->opts, def->bounded || bounded_run, &eng->rt[def->id], err);
            if (s) return s;
            if ((s = source_used_columns(eng, def, eng->rt[def->id], err))) return s;
        }
        /* After sources exist: a restart sets their start offsets. */
        if ((s = sl_ckpt_query_open(eng, qq, err))) return s;
        qq->status = "running";
    }
    return SL_OK;
}

/* Tells source src which of its declared columns the queries read
 * (plan/colprune.c), so it may skip making the others; all of them when a
 * query has a 'late.sink', whose late rows carry every column. */
static sl_status source_used_columns(sl_engine *eng, const sl_source_def *def, sl_source *src, sl_error *err)
{
    bool *used = sl_calloc((size_t)def->schema->n + 1, sizeof *used);
    if (!used) return sl_err_oom(err);
    for (size_t k = 0; k < eng->n_queries; k++) {
        if (sl_options_get(&eng->queries[k]->opts, "late.sink")) { sl_free(used); return SL_OK; }
        if (sl_plan_source_columns(eng->queries[k]->plan, def->id, used)) { sl_free(used); return sl_err_oom(err); }
    }
    src->used = used;
    return SL_OK;
}

/* ---- one micro-batch --------------------------------------------------- */

typedef struct fanout {
    sl_engine *eng;
    int src_id;
} fanout;

static sl_status fan_out(void *ctx, sl_batch *b, sl_error *err)
{
    fanout *f = ctx;
    for (size_t k = 0; k < f->eng->n_queries; k++) {
        sl_query *q = f->eng->queries[k];
        if (!q->ran) continue;
        bool counted = false; /* a source read by two scans (a self-join) is one input */
        for (int i = 0; i < q->ops.n_scans; i++) {
            sl_op *scan = q->ops.scans[i];
            if (scan->plan->src->id != f->src_id) continue;
            if (!counted) q->rows_in += b->n_rows;
            counted = true;
            sl_status s = scan->ops->push(scan, 0, b, &q->x, err);
            if (s) return s;
        }
    }
    return SL_OK;
}

static int64_t op_delay(const sl_op *op)
{
    return op->plan->kind == SL_PLAN_SCAN ? op->plan->src->wm_delay_us : op->plan->wm_delay_us;
}

/* Spark: each watermark operator's watermark is the max event time it has
 * seen minus its delay; the query's is the min (or max, by policy) over
 * operators that have seen data; it never goes back.  Beyond Spark, with
 * 'watermark.idleTimeout' an operator that saw no rows for that long (wall
 * time) stops holding the minimum back, until it sees rows again; when every
 * one is idle the watermark stays where it is. */
static void advance_watermark(sl_engine *eng, sl_query *q, int64_t now_us)
{
    const char *policy = sl_options_get_or(&eng->session, "watermark.policy", "min");
    bool use_max = !strcasecmp(policy, "max");
    int64_t wm = SL_NO_WATERMARK;
    bool any = false;
    for (int i = 0; i < q->ops.n_wm; i++) {
        sl_op *op = q->ops.wm[i];
        if (op->evtime_max != SL_NO_WATERMARK || !q->wm_active_us[i]) q->wm_active_us[i] = now_us;
        if (op->evtime_max > q->wm_seen[i]) q->wm_seen[i] = op->evtime_max;
        if (q->wm_seen[i] == SL_NO_WATERMARK) continue;
        if (q->idle_timeout_us > 0 && now_us - q->wm_active_us[i] > q->idle_timeout_us) continue;
        int64_t w = q->wm_seen[i] - op_delay(op);
        if (!any || (use_max ? w > wm : w < wm)) wm = w;
        any = true;
    }
    if (any && (q->watermark_us == SL_NO_WATERMARK || wm > q->watermark_us)) q->watermark_us = wm;
    q->needs_nodata = q->ops.n_stateful > 0 && q->watermark_us != q->wm_used;
}

static sl_status run_batch(sl_engine *eng, int64_t *last_start, sl_error *err)
{
    sl_catalog *cat = &eng->cat;
    int64_t t0 = mono_us(), wall0 = wall_us();
    for (size_t k = 0; k < eng->n_queries; k++) {
        sl_query *q = eng->queries[k];
        if (!q->ran) continue;
        q->rows_out = q->rows_in = 0;
        q->latest_rows = 0;
        sl_buf_reset(&q->latest_buf);
        q->x.ev.batch_id = q->batch_id;
        int64_t ts = wall0;
        sl_status cs = sl_ckpt_query_begin(eng, q, &ts, err); /* offsets/<n> before the batch runs */
        if (cs) return cs;
        q->x.ev.batch_ts_us = ts;
        q->x.watermark_us = q->watermark_us;
        sl_op_tree_set_watermark(&q->ops, q->watermark_us);
        q->x.mode = q->mode;
        q->x.state_max_bytes = strtoll(sl_options_get_or(&q->opts, "state.maxBytes", sl_options_get_or(&eng->session, "state.maxBytes", "0")), NULL, 10);
        q->wm_used = q->watermark_us;
        sl_op_tree_begin_batch(&q->ops);
        for (int i = 0; i < q->ops.n_wm; i++) q->ops.wm[i]->evtime_max = SL_NO_WATERMARK;
        if (q->sink) {
            sl_status s = q->sink->ops->begin(q->sink, q->batch_id, err);
            if (s) { sl_err_prefix(err, "sink %s", q->name); return s; }
        }
    }
    /* Tables first: a stream joined with a table probes all of it, in the
     * first batch too (Spark's stream-static join sees the whole table). */
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < cat->n_sources; i++) {
            if (!eng->rt[i] || !eng->pending[i] || cat->sources[i]->bounded != (pass == 0)) continue;
            fanout f = {eng, i};
            sl_status s = eng->rt[i]->ops->read(eng->rt[i], eng->committed[i], eng->pending[i], fan_out, &f, err);
            if (s) { sl_err_prefix(err, "source %s", eng->rt[i]->name); return s; }
        }
    for (size_t k = 0; k < eng->n_queries; k++) {
        sl_query *q = eng->queries[k];
        if (!q->ran) continue;
        for (int i = 0; i < q->ops.n_scans; i++) {
            sl_status s = sl_op_finish(q->ops.scans[i], &q->x, err);
            if (s) { sl_err_prefix(err, "sink %s", q->name); return s; }
        }
        if (q->x.late_ctx) { /* 'late.sink': this batch's late rows, committed before the output */
            sl_status s = sl_late_sink_flush(q->x.late_ctx, q->batch_id, err);
            if (s) { sl_err_prefix(err, "sink %s: 'late.sink'", q->name); return s; }
        }
        if (q->sink) {
            sl_status s = q->sink->ops->commit(q->sink, q->batch_id, err);
            if (s) { sl_err_prefix(err, "sink %s", q->name); return s; }
        }
        advance_watermark(eng, q, wall_us());
        /* Operator state and commits/<n> after the sink committed. */
        sl_status cs = sl_ckpt_query_commit(eng, q, &q->ckpt_us, err);
        if (cs) return cs;
    }
    int64_t dur = mono_us() - t0;
    const char *starts[256] = {0}, *ends[256] = {0};
    for (int i = 0; i < cat->n_sources && i < 256; i++) { starts[i] = eng->committed[i]; ends[i] = eng->pending[i]; }
    for (size_t k = 0; k < eng->n_queries; k++) {
        sl_query *q = eng->queries[k];
        if (!q->ran) continue;
        sl_progress_emit(eng, q, wall0, dur, *last_start ? t0 - *last_start : dur, starts, ends);
        q->batch_id++;
    }
    *last_start = t0;
    for (int i = 0; i < cat->n_sources; i++) {
        if (!eng->rt[i] || !eng->pending[i]) continue;
        if (eng->rt[i]->ops->commit) eng->rt[i]->ops->commit(eng->rt[i], eng->pending[i]);
        sl_free(eng->committed[i]);
        eng->committed[i] = eng->pending[i];
        eng->pending[i] = NULL;
    }
    return SL_OK;
}

/* ---- the loop ---------------------------------------------------------- */

static bool all_exhausted(sl_engine *eng)
{
    bool any = false;
    for (int i = 0; i < eng->cat.n_sources; i++) {
        sl_source *s = eng->rt[i];
        if (!s) continue;
        any = true;
        /* A bounded source restarted past its end has nothing to read, which
         * it may not know (it learns it by reading): done as well. */
        if (s->bounded && !eng->pending[i] && sl_ckpt_source_restored(eng, i)) continue;
        if (!s->ops->exhausted || !s->ops->exhausted(s)) return false;
    }
    return any;
}

/* Plans one trigger: every source's next end offset, and which queries
 * have something to do. */
static sl_status plan_trigger(sl_engine *eng, bool *out_any, sl_error *err)
{
    sl_catalog *cat = &eng->cat;
    for (int i = 0; i < cat->n_sources; i++) {
        if (!eng->rt[i]) continue;
        sl_free(eng->pending[i]);
        eng->pending[i] = NULL;
        sl_status st = eng->rt[i]->ops->plan(eng->rt[i], eng->committed[i], &eng->pending[i], err);
        /* Spark's Trigger.Once reads everything available in its one batch:
         * the rate limits (maxFilesPerTrigger, maxOffsetsPerTrigger) of the
         * sources that have them are planned past, step after step. */
        bool limited = !strcasecmp(eng->rt[i]->ops->connector, "file") ||
                       !strcasecmp(eng->rt[i]->ops->connector, "kafka");
        for (int step = 0; !st && eng->trigger == SL_TRIGGER_ONCE && limited && eng->pending[i] &&
                           step < 1000000; step++) {
            char *next = NULL;
            st = eng->rt[i]->ops->plan(eng->rt[i], eng->pending[i], &next, err);
            if (st || !next) break;
            sl_free(eng->pending[i]);
            eng->pending[i] = next;
        }
        if (st) { sl_err_prefix(err, "source %s", eng->rt[i]->name); return st; }
    }
    for (size_t k = 0; k < eng->n_queries; k++) {
        sl_status st = sl_ckpt_query_plan(eng, eng->queries[k], err);
        if (st) return st;
    }
    bool any = false;
    for (size_t k = 0; k < eng->n_queries; k++) {
        sl_query *q = eng->queries[k];
        q->ran = q->needs_nodata || sl_ckpt_query_rerun(q);
        for (int i = 0; i < cat->n_sources && !q->ran; i++) q->ran = eng->pending[i] && query_reads(q, i);
        if (sl_ckpt_query_sits_out(eng, q)) q->ran = false;
        any |= q->ran;
    }
    *out_any = any;
    return SL_OK;
}

static void finish_run(sl_engine *eng, sl_status st, sl_error *err)
{
    for (int i = 0; i < eng->cat.n_sources; i++) {
        sl_source *s = eng->rt ? eng->rt[i] : NULL;
        if (s && !strcasecmp(s->ops->connector, "socket") && s->ops->exhausted(s) && !eng->quiet)
            fprintf(stderr, "sluice: source %s: the socket was closed by the peer; the query ends\n", s->name);
    }
    pthread_mutex_lock(eng->lock);
    for (size_t k = 0; k < eng->n_queries; k++) {
        sl_query *q = eng->queries[k];
        sl_ckpt_query_close(q); /* releases the checkpoint's lock */
        q->status = st ? "failed" : "stopped";
        if (st && err && !q->error) q->error = sl_strdup(err->msg);
    }
    pthread_mutex_unlock(eng->lock);
}

SL_EXPORT sl_status sl_engine_start(sl_engine *eng, sl_error *err)
{
    if (eng->rt) return sl_err(err, SL_ERR_INTERNAL, "the engine was already started");
    if (!eng->n_queries) return sl_err(err, SL_ERR_PLAN, "nothing to run: the script defines no CREATE SINK");
    return setup(eng, err);
}

SL_EXPORT sl_status sl_engine_step(sl_engine *eng, int *out_ran, int *out_done, sl_error *err)
{
    *out_ran = *out_done = 0;
    if (!eng->rt) return sl_err(err, SL_ERR_INTERNAL, "sl_engine_step before sl_engine_start");
    bool any;
    sl_status st = plan_trigger(eng, &any, err);
    if (!st && any) {
        st = run_batch(eng, &eng->last_start, err);
        *out_ran = 1;
    }
    if (!st && !any && all_exhausted(eng)) *out_done = 1;
    if (st) finish_run(eng, st, err);
    return st;
}

/* An idle loop (trigger unset, nothing to read) plans again after
 * IDLE_POLL_MIN_US, doubling the pause up to IDLE_POLL_MAX_US while nothing
 * arrives; a batch resets it.  Planning is not free: a Kafka source asks for
 * metadata and two ListOffsets a plan (every 20 ms that was a tenth of a
 * core for an idle pipeline).  Spark polls every 10 ms
 * (spark.sql.streaming.pollingDelay); after a quiet spell new data waits up
 * to half a second here. */
#define IDLE_POLL_MIN_US 20000
#define IDLE_POLL_MAX_US 500000

sl_status sl_driver_run(sl_engine *eng, sl_error *err)
{
    sl_status st = sl_engine_start(eng, err);
    if (st) return st;
    int64_t next_tick = mono_us(), idle_us = IDLE_POLL_MIN_US;
    while (!st && !eng->stop) {
        bool any;
        if ((st = plan_trigger(eng, &any, err))) break;
        if (!any) {
            if (all_exhausted(eng) || eng->trigger == SL_TRIGGER_ONCE) break;
            if (eng->trigger == SL_TRIGGER_INTERVAL) {
                wait_until(eng, next_tick);
                if (mono_us() >= next_tick) next_tick += eng->trigger_us;
            } else {
                wait_until(eng, mono_us() + idle_us);
                idle_us = idle_us * 2 < IDLE_POLL_MAX_US ? idle_us * 2 : IDLE_POLL_MAX_US;
            }
            continue;
        }
        idle_us = IDLE_POLL_MIN_US;
        if ((st = run_batch(eng, &eng->last_start, err))) break;
        if (eng->trigger == SL_TRIGGER_ONCE) break; /* Spark's Trigger.Once: one batch */
        if (eng->trigger == SL_TRIGGER_INTERVAL) {
            next_tick += eng->trigger_us;
            int64_t now = mono_us();
            if (next_tick < now) {
                if (!eng->quiet)
                    fprintf(stderr, "sluice: current batch is falling behind: the trigger interval is %lld ms, "
                                    "but the batch took %lld ms\n",
                            (long long)(eng->trigger_us / 1000), (long long)((now - eng->last_start) / 1000));
                next_tick = now;
            }
            wait_until(eng, next_tick);
        }
    }
    finish_run(eng, st, err);
    return st;
}
