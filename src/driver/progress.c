/* Progress reporting: after every micro-batch, each query that ran gets a
 * report shaped like Spark's StreamingQueryProgress (JSON), which goes to
 * the progress callback, into the query's history for the dashboard, and —
 * as one readable line — to stderr. */
#include "driver/engine_int.h"
#include "core/mem.h"
#include "core/textconv.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

static void iso(sl_buf *b, int64_t us)
{
    char t[SL_TEXT_MAX];
    sl_timestamp_to_iso(us, t);
    sl_buf_json_str(b, t, strlen(t));
}

static void offsets_json(sl_buf *b, const char *o)
{
    if (o) sl_buf_puts(b, o);
    else sl_buf_puts(b, "null");
}

static void rate(sl_buf *b, double v)
{
    if (v != v || v > 1e300) v = 0;
    sl_buf_printf(b, "%.1f", v);
}

void sl_progress_emit(sl_engine *eng, sl_query *q, int64_t started_wall, int64_t dur_us,
                      int64_t since_last_us, const char *const *starts, const char *const *ends)
{
    sl_buf b;
    sl_buf_init(&b);
    double secs = dur_us > 0 ? (double)dur_us / 1e6 : 1e-6;
    double since = since_last_us > 0 ? (double)since_last_us / 1e6 : secs;
    sl_buf_printf(&b, "{\"id\":\"%s\",\"runId\":\"%s\",\"name\":", q->id, q->run_id);
    sl_buf_json_str(&b, q->name, strlen(q->name));
    sl_buf_puts(&b, ",\"timestamp\":");
    iso(&b, started_wall);
    sl_buf_printf(&b, ",\"batchId\":%lld,\"numInputRows\":%lld,\"inputRowsPerSecond\":", (long long)q->x.ev.batch_id,
                  (long long)q->rows_in);
    rate(&b, (double)q->rows_in / since);
    sl_buf_puts(&b, ",\"processedRowsPerSecond\":");
    rate(&b, (double)q->rows_in / secs);
    sl_buf_printf(&b, ",\"durationMs\":{\"triggerExecution\":%lld,\"addBatch\":%lld", (long long)(dur_us / 1000),
                  (long long)(dur_us / 1000));
    /* beyond Spark: what the batch's checkpoint took (offsets/<n>, operator
     * state, commits/<n>), part of triggerExecution */
    if (q->ckpt) sl_buf_printf(&b, ",\"checkpoint\":%lld", (long long)(q->ckpt_us / 1000));
    sl_buf_putc(&b, '}');
    sl_buf_puts(&b, ",\"eventTime\":{");
    if (q->watermark_us != SL_NO_WATERMARK) {
        sl_buf_puts(&b, "\"watermark\":");
        iso(&b, q->watermark_us);
    }
    sl_buf_puts(&b, "},\"stateOperators\":[");
    int64_t dropped = 0;
    for (int i = 0; i < q->ops.n_stateful; i++) {
        const sl_op_state_stats *s = &q->ops.stateful[i]->state;
        dropped += s->rows_dropped_late;
        sl_buf_printf(&b, "%s{\"operatorName\":\"%s\",\"numRowsTotal\":%lld,\"numRowsUpdated\":%lld,"
                          "\"numRowsRemoved\":%lld,\"numRowsDroppedByWatermark\":%lld,\"memoryUsedBytes\":%lld}",
                      i ? "," : "", q->ops.stateful[i]->ops->name, (long long)s->rows_total,
                      (long long)s->rows_updated, (long long)s->rows_removed, (long long)s->rows_dropped_late,
                      (long long)s->mem_bytes);
    }
    sl_buf_puts(&b, "],\"sources\":[");
    int n_src = 0;
    int64_t malformed = 0;
    /* a source's counters run for the whole run; the report gives this
     * batch's share, the difference to what the query's last report saw */
    if (q->n_src_seen < eng->cat.n_sources) {
        int64_t *seen = sl_realloc(q->src_seen, (size_t)eng->cat.n_sources * 3 * sizeof *seen);
        if (seen) {
            memset(seen + 3 * q->n_src_seen, 0, (size_t)(eng->cat.n_sources - q->n_src_seen) * 3 * sizeof *seen);
            q->src_seen = seen;
            q->n_src_seen = eng->cat.n_sources;
        }
    }
    for (int i = 0; i < eng->cat.n_sources; i++) {
        sl_source *src = eng->rt[i];
        bool reads = false;
        for (int k = 0; k < q->ops.n_scans && !reads; k++) reads = q->ops.scans[k]->plan->src->id == i;
        if (!src || !reads) continue;
        int64_t d_rows = src->stats.rows, d_mal = src->stats.malformed, d_drop = src->stats.dropped;
        if (i < q->n_src_seen) {
            int64_t *seen = q->src_seen + 3 * i;
            d_rows -= seen[0]; d_mal -= seen[1]; d_drop -= seen[2];
            seen[0] = src->stats.rows; seen[1] = src->stats.malformed; seen[2] = src->stats.dropped;
        }
        malformed += d_mal;
        sl_buf_printf(&b, "%s{\"description\":\"%s[%s]\",\"startOffset\":", n_src++ ? "," : "", src->ops->connector,
                      src->name);
        offsets_json(&b, i < 256 ? starts[i] : NULL);
        sl_buf_puts(&b, ",\"endOffset\":");
        offsets_json(&b, i < 256 ? ends[i] : NULL);
        sl_buf_printf(&b, ",\"numInputRows\":%lld,\"numMalformedRecords\":%lld,\"numDroppedRecords\":%lld}",
                      (long long)d_rows, (long long)d_mal, (long long)d_drop);
    }
    sl_buf_printf(&b, "],\"sink\":{\"description\":\"%s[%s]\",\"numOutputRows\":%lld}}",
                  sl_options_get_or(&q->opts, "connector", "?"), q->name, (long long)q->rows_out);
    char *json = sl_buf_take(&b);
    if (!json) return;
    if (eng->progress_cb) eng->progress_cb(json, eng->progress_opaque);
    if (!eng->quiet) {
        char wm[SL_TEXT_MAX] = "none";
        if (q->watermark_us != SL_NO_WATERMARK) sl_timestamp_to_text(q->watermark_us, wm);
        fprintf(stderr, "sluice: %s batch %lld: %lld rows in, %lld out, %.0f rows/s, %lld ms, watermark %s%s",
                q->name, (long long)q->x.ev.batch_id, (long long)q->rows_in, (long long)q->rows_out,
                (double)q->rows_in / secs, (long long)(dur_us / 1000), wm, "");
        if (malformed) fprintf(stderr, ", %lld malformed", (long long)malformed);
        if (dropped) fprintf(stderr, ", %lld late rows dropped", (long long)dropped);
        fputc('\n', stderr);
    }
    /* latest rows of the batch, for the dashboard */
    sl_buf lt;
    sl_buf_init(&lt);
    sl_buf_printf(&lt, "{\"batchId\":%lld,\"columns\":[", (long long)q->x.ev.batch_id);
    for (int c = 0; c < q->plan->schema->n; c++) {
        if (c) sl_buf_putc(&lt, ',');
        const char *nm = q->plan->schema->fields[c].name;
        sl_buf_json_str(&lt, nm, strlen(nm));
    }
    sl_buf_puts(&lt, "],\"rows\":[");
    if (q->latest_buf.len) sl_buf_append(&lt, q->latest_buf.data, q->latest_buf.len);
    sl_buf_puts(&lt, "]}");
    char *latest = sl_buf_take(&lt);
    pthread_mutex_lock(eng->lock);
    int slot = (q->progress_head + q->n_progress) % SL_PROGRESS_KEEP;
    if (q->n_progress == SL_PROGRESS_KEEP) {
        slot = q->progress_head;
        q->progress_head = (q->progress_head + 1) % SL_PROGRESS_KEEP;
    } else {
        q->n_progress++;
    }
    sl_free(q->progress[slot]);
    q->progress[slot] = json;
    if (latest && (q->rows_out > 0 || !q->latest)) {
        sl_free(q->latest);
        q->latest = latest;
    } else {
        sl_free(latest);
    }
    pthread_mutex_unlock(eng->lock);
}

char *sl_progress_snapshot(void *ctx)
{
    sl_engine *eng = ctx;
    sl_buf b;
    sl_buf_init(&b);
    pthread_mutex_lock(eng->lock);
    sl_buf_puts(&b, "{\"queries\":[");
    for (size_t k = 0; k < eng->n_queries; k++) {
        sl_query *q = eng->queries[k];
        sl_buf_printf(&b, "%s{\"name\":", k ? "," : "");
        sl_buf_json_str(&b, q->name, strlen(q->name));
        sl_buf_printf(&b, ",\"id\":\"%s\",\"runId\":\"%s\",\"status\":\"%s\",\"error\":", q->id, q->run_id, q->status);
        if (q->error) sl_buf_json_str(&b, q->error, strlen(q->error));
        else sl_buf_puts(&b, "null");
        sl_buf_puts(&b, ",\"progress\":[");
        for (int i = 0; i < q->n_progress; i++) {
            if (i) sl_buf_putc(&b, ',');
            sl_buf_puts(&b, q->progress[(q->progress_head + i) % SL_PROGRESS_KEEP]);
        }
        sl_buf_puts(&b, "],\"latest\":");
        sl_buf_puts(&b, q->latest ? q->latest : "null");
        sl_buf_putc(&b, '}');
    }
    sl_buf_puts(&b, "]}");
    pthread_mutex_unlock(eng->lock);
    return sl_buf_take(&b);
}
