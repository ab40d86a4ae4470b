/* Checkpoints of the queries that have a location (docs/CHECKPOINTS.md):
 * the driver's side of exactly-once recovery.  driver.c calls in here at
 * four points — setup (open the checkpoint, check the plan still fits it,
 * restore batch id, watermark, source offsets and operator state), trigger
 * planning (a batch logged but never committed is re-run with exactly its
 * logged offsets), batch start (offsets/<n> before anything runs) and batch
 * end (operator state, then commits/<n>, after the sink committed) — so the
 * batch loop itself stays readable.
 *
 * Source offsets are engine-wide (one runtime source feeds every query that
 * reads it) while checkpoints are per query: queries restored from
 * checkpoints that disagree on where a shared source stands are refused,
 * since one read cannot serve both. */
#include "driver/engine_int.h"
#include "exec/agg/agg.h"
#include "exec/op_join_state.h"
#include "state/ckpt_file.h"
#include "state/ckpt_log.h"
#include "state/opstate.h"
#include "core/mem.h"
#include "core/status.h"
#include "core/xxhash64.h"

#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct sl_query_ckpt {
    sl_ckpt_log *log;
    sl_opstate **states;      /* per q->ops.stateful[i] */
    int n_states;
    int *src_ids;             /* catalog ids of the sources the query reads */
    int n_src;
    bool restored;            /* started from an existing checkpoint */
    bool rerun;               /* the next batch re-runs a logged, uncommitted one */
    bool ahead;               /* committed the trigger another query re-runs: sits it out */
    int64_t begin_us;         /* time the batch's offsets write took */
    sl_ckpt_offsets rerun_off;
};

/* ---- the plan description -------------------------------------------------
 * What the checkpoint's contents depend on: the sources (offsets are theirs)
 * and every stateful operator with what keys its state (docs' table).  Stateless
 * parts — projections, filters, sink options — are left out on purpose, so
 * changing them is allowed. */

static void json_opt(sl_buf *b, const sl_options *o, const char *name)
{
    const char *v = sl_options_get(o, name);
    if (!v) return;
    sl_buf_puts(b, ",");
    sl_buf_json_str(b, name, strlen(name));
    sl_buf_putc(b, ':');
    sl_buf_json_str(b, v, strlen(v));
}

static void json_expr(sl_buf *b, const sl_expr *e, const sl_schema *in)
{
    sl_buf t;
    sl_buf_init(&t);
    if (e) sl_expr_render(e, in, &t);
    sl_buf_json_str(b, t.data ? t.data : "", t.len);
    sl_buf_fini(&t);
}

static const char *join_type_name(sl_join_type t)
{
    static const char *const names[] = {"inner", "left", "right", "full", "semi", "anti"};
    return (unsigned)t < sizeof names / sizeof *names ? names[t] : "?";
}

/* OVER and top-N (exec/op_over.c): its state holds whole input rows (held
 * rows, a top-N's rows), so the input's columns belong here too. */
static void describe_over(sl_buf *b, const sl_plan *p, const sl_schema *in)
{
    static const char *const fns[] = {"avg", "sum", "count", "min", "max", "row_number"};
    sl_buf_puts(b, ",\"partitionBy\":[");
    for (int k = 0; k < p->n_keys; k++) {
        if (k) sl_buf_putc(b, ',');
        json_expr(b, p->keys[k], in);
    }
    sl_buf_puts(b, "],\"orderBy\":[");
    for (int k = 0; k < p->n_order; k++) {
        sl_buf t;
        sl_buf_init(&t);
        sl_expr_render(p->order[k], in, &t);
        sl_buf_puts(&t, p->order_desc[k] ? " DESC" : " ASC");
        if (k) sl_buf_putc(b, ',');
        sl_buf_json_str(b, t.data ? t.data : "", t.len);
        sl_buf_fini(&t);
    }
    if (p->over_preceding < 0) sl_buf_puts(b, "],\"frame\":\"ROWS UNBOUNDED PRECEDING\",\"functions\":[");
    else sl_buf_printf(b, "],\"frame\":\"ROWS %" PRId64 " PRECEDING\",\"functions\":[", p->over_preceding);
    for (int k = 0; k < p->n_aggs; k++) {
        sl_buf t;
        sl_buf_init(&t);
        sl_buf_printf(&t, "%s(", (unsigned)p->over_fn[k] < 6 ? fns[p->over_fn[k]] : "?");
        if (p->aggs[k].arg) sl_expr_render(p->aggs[k].arg, in, &t);
        else if (p->over_fn[k] != SL_OVER_ROW_NUMBER) sl_buf_putc(&t, '*');
        sl_buf_putc(&t, ')');
        if (k) sl_buf_putc(b, ',');
        sl_buf_json_str(b, t.data, t.len);
        sl_buf_fini(&t);
    }
    sl_buf_printf(b, "],\"topN\":%" PRId64 ",\"input\":[", p->over_unordered ? p->over_topn : (int64_t)0);
    for (int c = 0; in && c < in->n; c++) {
        sl_buf t;
        sl_buf_init(&t);
        sl_buf_printf(&t, "%s %s", in->fields[c].name, sl_type_name(in->fields[c].type));
        if (c) sl_buf_putc(b, ',');
        sl_buf_json_str(b, t.data, t.len);
        sl_buf_fini(&t);
    }
    sl_buf_putc(b, ']');
}

static void describe_op(sl_buf *b, const sl_op *op, const char *id)
{
    const sl_plan *p = op->plan;
    const sl_schema *in = p->child[0] ? p->child[0]->schema : NULL;
    sl_buf_puts(b, "{\"id\":");
    sl_buf_json_str(b, id, strlen(id));
    sl_buf_puts(b, ",\"type\":");
    sl_buf_json_str(b, op->ops->name, strlen(op->ops->name));
    if (p->kind == SL_PLAN_AGG || p->kind == SL_PLAN_DEDUP) {
        sl_buf_puts(b, ",\"keys\":[");
        for (int k = 0; k < p->n_keys; k++) {
            if (k) sl_buf_putc(b, ',');
            json_expr(b, p->keys[k], in);
        }
        sl_buf_putc(b, ']');
    }
    if (p->kind == SL_PLAN_AGG) {
        if (p->win != SL_WIN_NONE) {
            static const char *const kinds[] = {"none", "tumble", "slide", "session"};
            sl_buf_printf(b, ",\"window\":{\"kind\":\"%s\",\"sizeUs\":%" PRId64 ",\"slideUs\":%" PRId64
                             ",\"gapUs\":%" PRId64 ",\"time\":",
                          kinds[p->win], p->win_size_us, p->win_slide_us, p->win_gap_us);
            json_expr(b, p->win_time, in);
            sl_buf_putc(b, '}');
        }
        sl_buf_puts(b, ",\"aggregates\":[");
        for (int k = 0; k < p->n_aggs; k++) {
            sl_buf t;
            sl_buf_init(&t);
            sl_buf_printf(&t, "%s(%s", p->aggs[k].def->name, p->aggs[k].distinct ? "DISTINCT " : "");
            if (p->aggs[k].arg) sl_expr_render(p->aggs[k].arg, in, &t);
            else sl_buf_putc(&t, '*');
            sl_buf_putc(&t, ')');
            if (k) sl_buf_putc(b, ',');
            sl_buf_json_str(b, t.data, t.len);
            sl_buf_fini(&t);
        }
        sl_buf_putc(b, ']');
        if (p->per_batch) sl_buf_puts(b, ",\"perBatch\":true");
    } else if (p->kind == SL_PLAN_JOIN) {
        sl_buf_printf(b, ",\"joinType\":\"%s\",\"keys\":[", join_type_name(p->join_type));
        for (int k = 0; k < p->n_join_keys; k++) {
            if (k) sl_buf_putc(b, ',');
            sl_buf_putc(b, '[');
            json_expr(b, p->lkeys[k], p->child[0]->schema);
            sl_buf_putc(b, ',');
            json_expr(b, p->rkeys[k], p->child[1]->schema);
            sl_buf_putc(b, ']');
        }
        sl_buf_puts(b, "],\"condition\":");
        if (p->residual) {
            /* The residual reads left ++ right; rendered by position names of
             * both sides, which is enough to tell a changed time bound. */
            const sl_schema *l = p->child[0]->schema, *r = p->child[1]->schema;
            sl_schema *both = sl_schema_new(l->n + r->n);
            if (!both) { b->oom = 1; return; }
            for (int i = 0; i < l->n; i++) sl_schema_set(both, i, l->fields[i].name, l->fields[i].type);
            for (int i = 0; i < r->n; i++) sl_schema_set(both, l->n + i, r->fields[i].name, r->fields[i].type);
            json_expr(b, p->residual, both);
            sl_schema_free(both);
        } else {
            sl_buf_puts(b, "null");
        }
    } else if (p->kind == SL_PLAN_DEDUP) {
        sl_buf_printf(b, ",\"withinWatermark\":%s", p->dedup_within ? "true" : "false");
    } else if (p->kind == SL_PLAN_OVER) {
        describe_over(b, p, in);
    }
    sl_buf_putc(b, '}');
}

static void op_id(char *out, size_t n, int i, const sl_op *op)
{
    snprintf(out, n, "%d-%s", i, op->ops->name);
}

static void describe_plan(sl_buf *b, const sl_query *q)
{
    sl_buf_puts(b, "{\"sources\":[");
    bool first = true;
    for (int i = 0; i < q->ops.n_scans; i++) {
        const sl_source_def *d = q->ops.scans[i]->plan->src;
        bool dup = false;
        for (int j = 0; j < i; j++) dup |= q->ops.scans[j]->plan->src == d;
        if (dup) continue;
        if (!first) sl_buf_putc(b, ',');
        first = false;
        sl_buf_puts(b, "{\"name\":");
        sl_buf_json_str(b, d->name, strlen(d->name));
        static const char *const opts[] = {"connector", "path", "topic", "subscribe", "subscribePattern",
                                           "format", NULL};
        for (int k = 0; opts[k]; k++) json_opt(b, &d->opts, opts[k]);
        sl_buf_putc(b, '}');
    }
    sl_buf_puts(b, "],\"operators\":[");
    for (int i = 0; i < q->ops.n_stateful; i++) {
        char id[64];
        op_id(id, sizeof id, i, q->ops.stateful[i]);
        if (i) sl_buf_putc(b, ',');
        describe_op(b, q->ops.stateful[i], id);
    }
    sl_buf_puts(b, "]}");
}

/* ---- options ------------------------------------------------------------- */

/* A sink option, else the session's (SET). */
static const char *opt(const sl_engine *eng, const sl_query *q, const char *name)
{
    const char *v = sl_options_get(&q->opts, name);
    return v ? v : sl_options_get(&eng->session, name);
}

static const sl_options *opt_holder(const sl_engine *eng, const sl_query *q, const char *name)
{
    return sl_options_get(&q->opts, name) ? &q->opts : &eng->session;
}

/* ---- open and restore ---------------------------------------------------- */

/* The bound of a RocksDB working state's cache in memory:
 * 'state.rocksdb.cacheBytes' (default 64 MB), and no more than
 * 'state.maxBytes' when that is set (which then bounds the cache instead of
 * failing the query). */
static sl_status work_cache_bytes(const sl_engine *eng, const sl_query *q, int64_t *out, sl_error *err)
{
    int64_t cache, max;
    sl_status st = sl_options_get_i64(opt_holder(eng, q, "state.rocksdb.cacheBytes"), "state.rocksdb.cacheBytes",
                                      64 << 20, &cache, err);
    if (!st) st = sl_options_get_i64(opt_holder(eng, q, "state.maxBytes"), "state.maxBytes", 0, &max, err);
    if (st) return st;
    if (cache < 0)
        return sl_err(err, SL_ERR_CONFIG, "state.rocksdb.cacheBytes must be 0 or more bytes, not %lld",
                      (long long)cache);
    *out = max > 0 && max < cache ? max : cache;
    return SL_OK;
}

void sl_ckpt_query_close(sl_query *q)
{
    sl_query_ckpt *ck = q->ckpt;
    if (!ck) return;
    for (int i = 0; i < ck->n_states; i++) sl_opstate_free(ck->states[i]);
    sl_free(ck->states);
    sl_free(ck->src_ids);
    sl_ckpt_offsets_fini(&ck->rerun_off);
    sl_ckpt_log_free(ck->log);
    sl_free(ck);
    q->ckpt = NULL;
}

typedef struct load_ctx {
    sl_op *op;
} load_ctx;

static sl_status load_record(void *ctx, const void *k, size_t kl, const void *v, size_t vl, sl_error *err)
{
    sl_op *op = ((load_ctx *)ctx)->op;
    return op->ckpt->load(op, k, kl, v, vl, err);
}

static const char *norm_offset(const char *j) { return j && strcmp(j, "null") ? j : NULL; }

static bool same_offset(const char *a, const char *b)
{
    return (a == NULL) == (b == NULL) && (!a || !strcmp(a, b));
}

static bool reads(const sl_query_ckpt *ck, int src_id)
{
    for (int i = 0; i < ck->n_src; i++)
        if (ck->src_ids[i] == src_id) return true;
    return false;
}

/* Sets the engine's start offset of every source the query reads from the
 * last committed batch. */
static sl_status restore_sources(sl_engine *eng, sl_query *q, const sl_ckpt_offsets *start, sl_error *err)
{
    sl_query_ckpt *ck = q->ckpt;
    for (int i = 0; i < ck->n_src; i++) {
        int id = ck->src_ids[i];
        const char *name = eng->cat.sources[id]->name;
        const char *j = start->batch_id >= 0 ? sl_ckpt_offsets_get(start, name) : NULL;
        if (start->batch_id >= 0 && !j)
            return sl_err(err, SL_ERR_CHECKPOINT, "checkpoint %s has no offset for source %s",
                          sl_ckpt_log_dir(ck->log), name);
        j = norm_offset(j);
        bool set_before = false;
        for (size_t k = 0; k < eng->n_queries && eng->queries[k] != q; k++) {
            const sl_query *o = eng->queries[k];
            if (!o->ckpt) continue;
            for (int m = 0; m < o->ckpt->n_src; m++) set_before |= o->ckpt->src_ids[m] == id;
        }
        if (set_before) {
            const char *have = eng->committed[id];
            if (same_offset(have, j)) continue;
            /* A crash between two queries' commits of one trigger leaves the
             * first a batch ahead: the other's re-run then ends where the
             * first stands.  The re-run reads from the one behind and the
             * one ahead sits that trigger out. */
            if (ck->rerun && same_offset(norm_offset(sl_ckpt_offsets_get(&ck->rerun_off, name)), have)) {
                for (size_t k = 0; k < eng->n_queries && eng->queries[k] != q; k++)
                    if (eng->queries[k]->ckpt && reads(eng->queries[k]->ckpt, id)) eng->queries[k]->ckpt->ahead = true;
                sl_free(eng->committed[id]);
                eng->committed[id] = NULL;
                if (j && !(eng->committed[id] = sl_strdup(j))) return sl_err_oom(err);
                continue;
            }
            bool behind_me = false;
            for (size_t k = 0; k < eng->n_queries && eng->queries[k] != q; k++) {
                const sl_query_ckpt *o = eng->queries[k]->ckpt;
                if (o && o->rerun && reads(o, id) &&
                    same_offset(norm_offset(sl_ckpt_offsets_get(&o->rerun_off, name)), j))
                    behind_me = true;
            }
            if (behind_me) { ck->ahead = true; continue; }
            return sl_err(err, SL_ERR_CHECKPOINT,
                          "source %s is read by several queries whose checkpoints stand at different "
                          "offsets (%s and %s), further apart than one interrupted trigger: run them in "
                          "separate processes or give them new checkpoint locations",
                          name, have ? have : "the start", j ? j : "the start");
        }
        sl_free(eng->committed[id]);
        eng->committed[id] = NULL;
        if (j && !(eng->committed[id] = sl_strdup(j))) return sl_err_oom(err);
    }
    return SL_OK;
}

/* Crash testing (tests/scripts/64x-ckpt-*.sh): with SLUICE_CRASH_AT_STEP=N
 * in the environment the process kills itself with SIGKILL just before the
 * N-th step (open, write, fsync, rename, dirsync) of a checkpoint or
 * manifest file write, so a test can stop it between any two steps. */
static long crash_at, crash_steps;

static void crash_step(const char *step, const char *path)
{
    if (++crash_steps == crash_at) raise(SIGKILL);
}

static void crash_hook_install(void)
{
    const char *v = getenv("SLUICE_CRASH_AT_STEP");
    if (!v || crash_at) return;
    crash_at = strtol(v, NULL, 10);
    if (crash_at > 0) sl_ckpt_file_set_step_fn(crash_step);
}

sl_status sl_ckpt_query_open(sl_engine *eng, sl_query *q, sl_error *err)
{
    /* A query over tables only is a batch query: nothing to recover. */
    if (!q->plan->streaming) return SL_OK;
    const char *loc = sl_options_get(&q->opts, "checkpointLocation");
    sl_buf dir, plan;
    sl_buf_init(&dir);
    sl_buf_init(&plan);
    if (loc) {
        sl_buf_puts(&dir, loc);
    } else {
        const char *base = sl_options_get(&eng->session, "checkpoint.dir");
        if (!base) return SL_OK; /* no checkpoint: at-most/at-least once as the sink is */
        sl_buf_printf(&dir, "%s/%s", base, q->name);
    }
    crash_hook_install();
    sl_status st = SL_OK;
    sl_query_ckpt *ck = sl_calloc(1, sizeof *ck);
    if (!ck) { sl_buf_fini(&dir); return sl_err_oom(err); }
    q->ckpt = ck;
    sl_ckpt_offsets_init(&ck->rerun_off);

    /* Operators whose state cannot be saved would come back empty after a
     * restart: wrong results, so refuse rather than pretend. */
    for (int i = 0; i < q->ops.n_stateful; i++)
        if (!q->ops.stateful[i]->ckpt) {
            st = sl_err(err, SL_ERR_PLAN,
                        "the %s operator cannot be checkpointed yet; remove "
                        "checkpointLocation / 'checkpoint.dir' to run this query without recovery",
                        q->ops.stateful[i]->ops->name);
            goto out;
        }
    ck->src_ids = sl_calloc((size_t)(q->ops.n_scans ? q->ops.n_scans : 1), sizeof *ck->src_ids);
    ck->states = sl_calloc((size_t)(q->ops.n_stateful ? q->ops.n_stateful : 1), sizeof *ck->states);
    if (!ck->src_ids || !ck->states) { st = sl_err_oom(err); goto out; }
    for (int i = 0; i < q->ops.n_scans; i++) {
        /* Tables (CREATE TABLE) are re-read whole after a restart, as Spark
         * re-reads a static side: their rows are not part of the state. */
        if (q->ops.scans[i]->plan->src->bounded) continue;
        int id = q->ops.scans[i]->plan->src->id;
        bool dup = false;
        for (int j = 0; j < ck->n_src; j++) dup |= ck->src_ids[j] == id;
        if (!dup) ck->src_ids[ck->n_src++] = id;
    }

    describe_plan(&plan, q);
    if (plan.oom || dir.oom) { st = sl_err_oom(err); goto out; }
    char fp[32];
    snprintf(fp, sizeof fp, "%016" PRIx64, sl_xxh64(plan.data, plan.len, 0x5113ce));
    sl_ckpt_log_opts lo = {.fingerprint = fp, .plan_json = plan.data};
    const char *v;
    if ((v = opt(eng, q, "minBatchesToRetain")) &&
        (st = sl_options_get_i64(opt_holder(eng, q, "minBatchesToRetain"), "minBatchesToRetain", 100,
                                 &lo.min_batches_to_retain, err)))
        goto out;
    if ((v = opt(eng, q, "state.snapshotInterval")) &&
        (st = sl_options_get_i64(opt_holder(eng, q, "state.snapshotInterval"), "state.snapshotInterval", 10,
                                 &lo.snapshot_interval, err)))
        goto out;
    if ((st = sl_ckpt_log_open(dir.data, &lo, &ck->log, err))) goto out;

    sl_ckpt_recovery rec;
    if ((st = sl_ckpt_log_recover(ck->log, &rec, err))) goto out;
    ck->restored = rec.last_committed >= 0 || rec.rerun;
    q->batch_id = rec.next_batch;
    if (rec.last_committed >= 0) {
        q->watermark_us = rec.next_watermark_us;
        /* The watermark the last batch ran with: if the next one is ahead
         * and there is state, Spark runs a no-data batch to close windows. */
        q->wm_used = rec.start.batch_id >= 0 ? rec.start.watermark_us : SL_NO_WATERMARK;
        q->needs_nodata = q->ops.n_stateful > 0 && q->watermark_us != q->wm_used;
    }
    if (rec.rerun) {
        ck->rerun = true;
        q->watermark_us = rec.offsets.watermark_us;
        q->needs_nodata = false;
        sl_ckpt_offsets tmp = ck->rerun_off;
        ck->rerun_off = rec.offsets;
        rec.offsets = tmp;
    }
    if (!st) st = restore_sources(eng, q, &rec.start, err);
    sl_ckpt_recovery_fini(&rec);
    if (st) goto out;

    const sl_options *so = opt_holder(eng, q, "state.backend");
    for (int i = 0; i < q->ops.n_stateful && !st; i++) {
        char id[64];
        op_id(id, sizeof id, i, q->ops.stateful[i]);
        if ((st = sl_opstate_open(ck->log, id, so, &ck->states[i], err))) break;
        ck->n_states++;
        sl_op *op = q->ops.stateful[i];
        load_ctx lc = {op};
        int64_t n = 0, cache = 0;
        if (op->ckpt->attach && sl_opstate_can_work(ck->states[i])) {
            /* RocksDB as the operator's working state (docs/CHECKPOINTS.md) */
            if (!(st = work_cache_bytes(eng, q, &cache, err)))
                st = op->ckpt->attach(op, ck->states[i], q->batch_id - 1, cache, err);
            continue;
        }
        st = op->ckpt == &sl_op_join_ckpt ? sl_op_join_restore(op, ck->states[i], q->batch_id - 1, err)
                                          : sl_opstate_restore(ck->states[i], q->batch_id - 1, load_record, &lc, &n, err);
    }
    if (!st && !eng->quiet && ck->restored)
        fprintf(stderr, "sluice: sink %s: resuming from checkpoint %s at batch %" PRId64 "%s\n", q->name,
                sl_ckpt_log_dir(ck->log), q->batch_id, ck->rerun ? " (re-running a batch cut short)" : "");
    const char *twice = !st && ck->rerun && q->sink && q->sink->ops->at_least_once
                            ? q->sink->ops->at_least_once(q->sink) : NULL;
    if (twice && !eng->quiet) fprintf(stderr, "sluice: sink %s: %s\n", q->name, twice);
out:
    sl_buf_fini(&dir);
    sl_buf_fini(&plan);
    if (st) {
        sl_err_prefix(err, "sink %s", q->name);
        sl_ckpt_query_close(q);
    }
    return st;
}

/* ---- per trigger and per batch -------------------------------------------- */

bool sl_ckpt_query_rerun(const sl_query *q) { return q->ckpt && q->ckpt->rerun; }

bool sl_ckpt_query_sits_out(const sl_engine *eng, const sl_query *q)
{
    if (!q->ckpt || !q->ckpt->ahead) return false;
    for (size_t k = 0; k < eng->n_queries; k++)
        if (sl_ckpt_query_rerun(eng->queries[k])) return true;
    return false;
}

bool sl_ckpt_source_restored(const sl_engine *eng, int src_id)
{
    for (size_t k = 0; k < eng->n_queries; k++) {
        const sl_query_ckpt *ck = eng->queries[k]->ckpt;
        if (!ck || !ck->restored) continue;
        for (int i = 0; i < ck->n_src; i++)
            if (ck->src_ids[i] == src_id) return true;
    }
    return false;
}

sl_status sl_ckpt_query_plan(sl_engine *eng, sl_query *q, sl_error *err)
{
    sl_query_ckpt *ck = q->ckpt;
    if (!ck || !ck->rerun) return SL_OK;
    for (int i = 0; i < ck->n_src; i++) {
        int id = ck->src_ids[i];
        const char *name = eng->cat.sources[id]->name;
        const char *end = sl_ckpt_offsets_get(&ck->rerun_off, name);
        if (!end)
            return sl_err(err, SL_ERR_CHECKPOINT, "sink %s: checkpoint %s: offsets/%" PRId64 " has no offset for source %s",
                          q->name, sl_ckpt_log_dir(ck->log), ck->rerun_off.batch_id, name);
        sl_free(eng->pending[id]);
        eng->pending[id] = NULL;
        /* The same end as the start: the source had nothing in that batch. */
        if (!strcmp(end, "null") || (eng->committed[id] && !strcmp(end, eng->committed[id]))) continue;
        if (!(eng->pending[id] = sl_strdup(end))) return sl_err_oom(err);
    }
    return SL_OK;
}

sl_status sl_ckpt_query_begin(sl_engine *eng, sl_query *q, int64_t *io_ts_us, sl_error *err)
{
    sl_query_ckpt *ck = q->ckpt;
    if (!ck) return SL_OK;
    if (ck->rerun) {
        /* offsets/<n> is already there; the batch sees the clock it saw. */
        *io_ts_us = ck->rerun_off.timestamp_us;
        return SL_OK;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    sl_ckpt_offsets off;
    sl_ckpt_offsets_init(&off);
    off.batch_id = q->batch_id;
    off.watermark_us = q->watermark_us;
    off.timestamp_us = *io_ts_us;
    sl_status st = SL_OK;
    for (int i = 0; i < ck->n_src && !st; i++) {
        int id = ck->src_ids[i];
        const char *end = eng->pending[id] ? eng->pending[id] : eng->committed[id] ? eng->committed[id] : "null";
        if (sl_ckpt_offsets_add(&off, eng->cat.sources[id]->name, end)) st = sl_err_oom(err);
    }
    if (!st) st = sl_ckpt_log_write_offsets(ck->log, &off, err);
    sl_ckpt_offsets_fini(&off);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ck->begin_us = (int64_t)(t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000;
    if (st) sl_err_prefix(err, "sink %s: checkpoint", q->name);
    return st;
}

sl_status sl_ckpt_query_commit(sl_engine *eng, sl_query *q, int64_t *out_us, sl_error *err)
{
    sl_query_ckpt *ck = q->ckpt;
    *out_us = 0;
    if (!ck) return SL_OK;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    sl_status st = SL_OK;
    for (int i = 0; i < ck->n_states && !st; i++) {
        sl_op *op = q->ops.stateful[i];
        if ((st = sl_opstate_begin(ck->states[i], q->batch_id, err))) break;
        if ((st = op->ckpt->save(op, ck->states[i], err))) {
            sl_err_prefix(err, "saving the state of operator %s", sl_opstate_id(ck->states[i]));
            break;
        }
        st = sl_opstate_commit(ck->states[i], err);
    }
    if (!st) st = sl_ckpt_log_write_commit(ck->log, q->batch_id, q->watermark_us, err);
    if (!st) st = sl_ckpt_log_purge(ck->log, q->batch_id, err);
    if (st) {
        sl_err_prefix(err, "sink %s: checkpoint", q->name);
        return st;
    }
    ck->rerun = false;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    *out_us = ck->begin_us + (int64_t)(t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000;
    ck->begin_us = 0;
    return SL_OK;
}
