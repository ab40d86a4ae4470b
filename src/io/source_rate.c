/* The rate source, as Spark's: `rowsPerSecond` rows a second (default 1),
 * columns `timestamp` (TIMESTAMP) and `value` (BIGINT, 0, 1, 2, …).  Row v
 * is stamped start + v / rowsPerSecond, so a replayed range gives the same
 * rows.  Beyond Spark, `rows` = N makes it bounded: it ends after N rows
 * (useful for tests and benchmarks); `rampUpTime` is not offered.
 * `rowsPerBatch` = N (as Spark's rate-micro-batch source) ignores the clock:
 * every trigger takes the next N rows, whose timestamps still advance at
 * rowsPerSecond — event time without waiting, for tests and benchmarks. */
#include "io/connector.h"
#include "core/mem.h"
#include "core/status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct rate_src {
    int64_t per_sec, limit;  /* limit 0: unbounded */
    int64_t per_batch;       /* 0: by the clock */
    int64_t start_us;        /* wall time of row 0 */
    int64_t consumed;
    int ts_col, value_col;
} rate_src;

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static sl_status rate_open(sl_source *src, sl_error *err)
{
    rate_src *r = sl_calloc(1, sizeof *r);
    if (!r) return sl_err_oom(err);
    src->impl = r;
    sl_status st = sl_options_get_i64(&src->opts, "rowsPerSecond", 1, &r->per_sec, err);
    if (!st) st = sl_options_get_i64(&src->opts, "rows", 0, &r->limit, err);
    if (!st) st = sl_options_get_i64(&src->opts, "rowsPerBatch", 0, &r->per_batch, err);
    if (st) return st;
    if (r->per_sec < 1) return sl_err(err, SL_ERR_CONFIG, "rowsPerSecond must be at least 1");
    if (r->per_batch < 0) return sl_err(err, SL_ERR_CONFIG, "rowsPerBatch must not be negative");
    r->ts_col = sl_schema_find(src->schema, "timestamp");
    r->value_col = sl_schema_find(src->schema, "value");
    for (int i = 0; i < src->schema->n; i++)
        if (i != r->ts_col && i != r->value_col)
            return sl_err(err, SL_ERR_CONFIG, "the rate source has only the columns timestamp and value, not %s",
                          src->schema->fields[i].name);
    if (r->ts_col >= 0 && src->schema->fields[r->ts_col].type != SL_TYPE_TIMESTAMP)
        return sl_err(err, SL_ERR_CONFIG, "column timestamp must be declared TIMESTAMP");
    if (r->value_col >= 0 && src->schema->fields[r->value_col].type != SL_TYPE_BIGINT)
        return sl_err(err, SL_ERR_CONFIG, "column value must be declared BIGINT");
    if (src->bounded && !r->limit)
        return sl_err(err, SL_ERR_CONFIG, "a bounded rate source needs 'rows' (how many rows to produce)");
    r->start_us = now_us();
    return SL_OK;
}

static void parse(const char *json, int64_t *value, int64_t *start)
{
    const char *p;
    if (json && (p = strstr(json, "\"value\""))) *value = strtoll(strchr(p, ':') + 1, NULL, 10);
    if (json && (p = strstr(json, "\"start\""))) *start = strtoll(strchr(p, ':') + 1, NULL, 10);
}

static sl_status rate_plan(sl_source *src, const char *start, char **out_end, sl_error *err)
{
    rate_src *r = src->impl;
    *out_end = NULL;
    int64_t from = 0;
    parse(start, &from, &r->start_us);
    int64_t due = r->limit; /* bounded: everything at once */
    if (r->per_batch) {
        due = from + r->per_batch;
        if (r->limit && due > r->limit) due = r->limit;
    } else if (!src->bounded) {
        int64_t elapsed = now_us() - r->start_us;
        int64_t by_clock = elapsed <= 0 ? 0 : (int64_t)((double)elapsed / 1e6 * (double)r->per_sec);
        due = r->limit && r->limit < by_clock ? r->limit : by_clock;
    }
    if (due <= from) return SL_OK;
    char buf[96];
    snprintf(buf, sizeof buf, "{\"value\":%lld,\"start\":%lld}", (long long)due, (long long)r->start_us);
    *out_end = sl_strdup(buf);
    return *out_end ? SL_OK : sl_err_oom(err);
}

static sl_status rate_read(sl_source *src, const char *start, const char *end, sl_emit_fn emit,
                           void *ctx, sl_error *err)
{
    rate_src *r = src->impl;
    int64_t a = 0, b = 0, t0 = r->start_us;
    parse(start, &a, &t0);
    parse(end, &b, &t0);
    for (int64_t v = a; v < b; v += SL_BATCH_ROWS) {
        int64_t n = b - v < SL_BATCH_ROWS ? b - v : SL_BATCH_ROWS;
        sl_batch *bt = sl_batch_new(src->schema->n);
        if (!bt) return sl_err_oom(err);
        bt->n_rows = n;
        for (int i = 0; i < src->schema->n; i++) {
            sl_col *c = sl_col_new_sized(src->schema->fields[i].type, n, 0);
            if (!c) { sl_batch_unref(bt); return sl_err_oom(err); }
            bt->cols[i] = c;
            for (int64_t k = 0; k < n; k++)
                sl_col_i64(c)[k] = i == r->value_col ? v + k
                                                     : t0 + (int64_t)((double)(v + k) * 1e6 / (double)r->per_sec);
        }
        src->stats.rows += n;
        sl_status st = emit(ctx, bt, err);
        sl_batch_unref(bt);
        if (st) return st;
    }
    r->consumed = b;
    return SL_OK;
}

static bool rate_exhausted(sl_source *src)
{
    rate_src *r = src->impl;
    return r->limit && r->consumed >= r->limit;
}

static void rate_close(sl_source *src) { sl_free(src->impl); }

const sl_source_ops sl_rate_source_ops = {
    .connector = "rate", .open = rate_open, .plan = rate_plan, .read = rate_read,
    .exhausted = rate_exhausted, .close = rate_close};
