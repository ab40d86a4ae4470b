/* Prometheus text exposition derived from the provider's JSON: the same data
 * the dashboard draws, reduced to the latest progress report of each query.
 * Rendering from the JSON (rather than from engine structures) keeps the
 * http subsystem a pure consumer of the provider, so /metrics and
 * /api/queries can never disagree.  Every family is written as one block
 * (HELP, TYPE, then the samples of all queries), as the format requires. */
#include "http/http.h"

#include "core/buf.h"
#include "core/jdoc.h"
#include "core/mem.h"
#include "core/status.h"

#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum family {
    F_UP,
    F_BATCH,
    F_INPUT_ROWS,
    F_INPUT_RPS,
    F_PROC_RPS,
    F_DURATION,
    F_WATERMARK,
    F_STATE_ROWS,
    F_STATE_UPDATED,
    F_STATE_DROPPED,
    F_STATE_MEM,
    F_SRC_RPS,
    F_SRC_OFFSET,
    F_SINK_ROWS,
    N_FAMILIES
};

static const struct {
    const char *name, *type, *help;
} FAMILIES[N_FAMILIES] = {
    [F_UP] = {"sluice_query_status", "gauge",
              "1 for the query's current status (running, stopped or failed)"},
    [F_BATCH] = {"sluice_query_batch_id", "gauge", "Id of the latest completed micro-batch"},
    [F_INPUT_ROWS] = {"sluice_query_input_rows", "gauge", "Rows read by the latest micro-batch"},
    [F_INPUT_RPS] = {"sluice_query_input_rows_per_second", "gauge",
                     "Input rate of the latest micro-batch"},
    [F_PROC_RPS] = {"sluice_query_processed_rows_per_second", "gauge",
                    "Processing rate of the latest micro-batch"},
    [F_DURATION] = {"sluice_query_batch_duration_seconds", "gauge",
                    "Duration of the latest micro-batch by phase (triggerExecution is the whole)"},
    [F_WATERMARK] = {"sluice_query_watermark_seconds", "gauge",
                     "Event-time watermark, seconds since the epoch"},
    [F_STATE_ROWS] = {"sluice_query_state_rows", "gauge", "Rows held by a stateful operator"},
    [F_STATE_UPDATED] = {"sluice_query_state_rows_updated", "gauge",
                         "Rows a stateful operator updated in the latest micro-batch"},
    [F_STATE_DROPPED] = {"sluice_query_state_rows_dropped_by_watermark", "gauge",
                         "Late rows a stateful operator dropped in the latest micro-batch"},
    [F_STATE_MEM] = {"sluice_query_state_memory_bytes", "gauge",
                     "Memory used by a stateful operator"},
    [F_SRC_RPS] = {"sluice_source_input_rows_per_second", "gauge",
                   "Input rate of a source in the latest micro-batch"},
    [F_SRC_OFFSET] = {"sluice_source_end_offset", "gauge",
                      "End offset of a source partition after the latest micro-batch"},
    [F_SINK_ROWS] = {"sluice_sink_output_rows", "gauge",
                     "Rows the sink wrote in the latest micro-batch"},
};

typedef struct render {
    sl_buf fam[N_FAMILIES];
} render;

/* Label values escape backslash, double quote and newline. */
static void label_value(sl_buf *b, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '\\' || *s == '"')
            sl_buf_putc(b, '\\');
        if (*s == '\n') {
            sl_buf_puts(b, "\\n");
            continue;
        }
        sl_buf_putc(b, *s);
    }
}

static void number(sl_buf *b, double v)
{
    if (isnan(v))
        sl_buf_puts(b, "NaN");
    else if (isinf(v))
        sl_buf_puts(b, v > 0 ? "+Inf" : "-Inf");
    else if (v == (double)(long long)v && fabs(v) < 9e15)
        sl_buf_printf(b, "%lld", (long long)v);
    else {
        /* The shortest of 15 or 17 digits that reads back exactly. */
        char s[40];
        snprintf(s, sizeof s, "%.15g", v);
        if (strtod(s, NULL) != v)
            snprintf(s, sizeof s, "%.17g", v);
        sl_buf_puts(b, s);
    }
}

/* One sample: family{query="…"[,k="v"…]} value.  `extra` holds further
 * label pairs as alternating key/value strings, ended by NULL. */
static void sample(render *r, enum family f, const char *query, double v, const char **extra)
{
    sl_buf *b = &r->fam[f];
    sl_buf_puts(b, FAMILIES[f].name);
    sl_buf_puts(b, "{query=\"");
    label_value(b, query);
    sl_buf_putc(b, '"');
    for (; extra && extra[0]; extra += 2) {
        sl_buf_printf(b, ",%s=\"", extra[0]);
        label_value(b, extra[1]);
        sl_buf_putc(b, '"');
    }
    sl_buf_puts(b, "} ");
    number(b, v);
    sl_buf_putc(b, '\n');
}

static int num_at(const sl_jval *obj, const char *key, double *out)
{
    const sl_jval *v = sl_jval_get(obj, key);
    if (!v || v->type != SL_JNUM)
        return 0;
    *out = v->num;
    return 1;
}

static void render_query(render *r, const sl_jval *q)
{
    const char *name = sl_jval_get_str(q, "name", NULL);
    if (!name || !*name)
        name = sl_jval_get_str(q, "id", "unnamed");
    const char *status = sl_jval_get_str(q, "status", "unknown");
    static const char *STATUSES[] = {"running", "stopped", "failed"};
    for (int i = 0; i < 3; i++) {
        const char *ex[] = {"status", STATUSES[i], NULL};
        sample(r, F_UP, name, strcmp(status, STATUSES[i]) == 0, ex);
    }

    const sl_jval *prog = sl_jval_get(q, "progress");
    if (!prog || prog->type != SL_JARR || prog->n == 0)
        return;
    const sl_jval *p = prog->items[prog->n - 1];
    double v;
    if (num_at(p, "batchId", &v))
        sample(r, F_BATCH, name, v, NULL);
    if (num_at(p, "numInputRows", &v))
        sample(r, F_INPUT_ROWS, name, v, NULL);
    if (num_at(p, "inputRowsPerSecond", &v))
        sample(r, F_INPUT_RPS, name, v, NULL);
    if (num_at(p, "processedRowsPerSecond", &v))
        sample(r, F_PROC_RPS, name, v, NULL);

    const sl_jval *dur = sl_jval_get(p, "durationMs");
    if (dur && dur->type == SL_JOBJ)
        for (size_t i = 0; i < dur->n; i++)
            if (dur->items[i]->type == SL_JNUM) {
                const char *ex[] = {"phase", dur->keys[i], NULL};
                sample(r, F_DURATION, name, dur->items[i]->num / 1000.0, ex);
            }

    const char *wm = sl_jval_get_str(sl_jval_get(p, "eventTime"), "watermark", NULL);
    double secs;
    if (wm && sl_http_iso8601_parse(wm, &secs) == 0)
        sample(r, F_WATERMARK, name, secs, NULL);

    const sl_jval *ops = sl_jval_get(p, "stateOperators");
    for (size_t i = 0; ops && ops->type == SL_JARR && i < ops->n; i++) {
        const sl_jval *op = ops->items[i];
        char idx[24];
        snprintf(idx, sizeof idx, "%zu", i);
        const char *ex[] = {"operator", sl_jval_get_str(op, "operatorName", "state"), "index", idx,
                            NULL};
        if (num_at(op, "numRowsTotal", &v))
            sample(r, F_STATE_ROWS, name, v, ex);
        if (num_at(op, "numRowsUpdated", &v))
            sample(r, F_STATE_UPDATED, name, v, ex);
        if (num_at(op, "numRowsDroppedByWatermark", &v))
            sample(r, F_STATE_DROPPED, name, v, ex);
        if (num_at(op, "memoryUsedBytes", &v))
            sample(r, F_STATE_MEM, name, v, ex);
    }

    const sl_jval *srcs = sl_jval_get(p, "sources");
    for (size_t i = 0; srcs && srcs->type == SL_JARR && i < srcs->n; i++) {
        const sl_jval *s = srcs->items[i];
        const char *desc = sl_jval_get_str(s, "description", "source");
        const char *ex[] = {"source", desc, NULL};
        if (num_at(s, "inputRowsPerSecond", &v))
            sample(r, F_SRC_RPS, name, v, ex);
        /* Kafka-style offsets: {"topic":{"partition":offset}}; a plain
         * number (file or socket sources) is one unnamed partition. */
        const sl_jval *end = sl_jval_get(s, "endOffset");
        if (end && end->type == SL_JNUM) {
            const char *ex2[] = {"source", desc, "topic", "", "partition", "", NULL};
            sample(r, F_SRC_OFFSET, name, end->num, ex2);
        }
        for (size_t t = 0; end && end->type == SL_JOBJ && t < end->n; t++) {
            const sl_jval *parts = end->items[t];
            for (size_t k = 0; parts->type == SL_JOBJ && k < parts->n; k++) {
                if (parts->items[k]->type != SL_JNUM)
                    continue;
                const char *ex2[] = {"source", desc, "topic", end->keys[t],
                                     "partition", parts->keys[k], NULL};
                sample(r, F_SRC_OFFSET, name, parts->items[k]->num, ex2);
            }
        }
    }

    const sl_jval *sink = sl_jval_get(p, "sink");
    if (sink && num_at(sink, "numOutputRows", &v)) {
        const char *ex[] = {"sink", sl_jval_get_str(sink, "description", "sink"), NULL};
        sample(r, F_SINK_ROWS, name, v, ex);
    }
}

static void render_process(sl_buf *all);

sl_status sl_http_metrics_render(const char *json, size_t len, char **out, sl_error *err)
{
    *out = NULL;
    sl_jdoc *doc = NULL;
    sl_status st = sl_jdoc_parse(json, len, &doc, err);
    if (st != SL_OK) {
        sl_err_prefix(err, "provider JSON");
        return st;
    }
    const sl_jval *qs = sl_jval_get(doc->root, "queries");
    if (!qs || qs->type != SL_JARR) {
        sl_jdoc_free(doc);
        return sl_err(err, SL_ERR_FORMAT, "provider JSON has no \"queries\" array");
    }
    render r;
    for (int f = 0; f < N_FAMILIES; f++)
        sl_buf_init(&r.fam[f]);
    for (size_t i = 0; i < qs->n; i++)
        if (qs->items[i]->type == SL_JOBJ)
            render_query(&r, qs->items[i]);

    sl_buf all;
    sl_buf_init(&all);
    int oom = 0;
    for (int f = 0; f < N_FAMILIES; f++) {
        oom |= r.fam[f].oom;
        if (r.fam[f].len == 0)
            continue;
        sl_buf_printf(&all, "# HELP %s %s\n# TYPE %s %s\n", FAMILIES[f].name, FAMILIES[f].help,
                      FAMILIES[f].name, FAMILIES[f].type);
        sl_buf_append(&all, r.fam[f].data, r.fam[f].len);
    }
    render_process(&all);
    for (int f = 0; f < N_FAMILIES; f++)
        sl_buf_fini(&r.fam[f]);
    sl_jdoc_free(doc);
    char *text = oom ? NULL : sl_buf_take(&all);
    sl_buf_fini(&all);
    if (!text)
        return sl_err_oom(err);
    *out = text;
    return SL_OK;
}

/* ---- the process's live heap -------------------------------------------- */

#if defined(__SANITIZE_ADDRESS__)
#define SL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SL_ASAN 1
#endif
#endif
#ifdef SL_ASAN
/* <sanitizer/allocator_interface.h>, declared here so that no header of one
 * compiler's runtime is needed. */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

/* Bytes the process's allocator has handed out and not had back: what a
 * leak makes grow, unlike RSS, which also holds the allocator's caches
 * (and, under AddressSanitizer, its quarantine of freed blocks). */
size_t sl_http_live_heap_bytes(const char **allocator)
{
#ifdef SL_ASAN
    *allocator = "asan";
    return __sanitizer_get_current_allocated_bytes();
#else
    /* glibc: every arena's blocks in use plus the mmap'ed ones. */
    struct mallinfo2 mi = mallinfo2();
    *allocator = "glibc";
    return mi.uordblks + mi.hblkhd;
#endif
}

/* Families of the process rather than of a query, after the queries'. */
static void render_process(sl_buf *all)
{
    const char *allocator;
    size_t live = sl_http_live_heap_bytes(&allocator);
    sl_buf_puts(all, "# HELP sluice_process_heap_live_bytes Bytes allocated and not yet freed "
                     "(the allocator's count: a leak makes it grow, RSS also holds freed memory "
                     "kept for reuse)\n# TYPE sluice_process_heap_live_bytes gauge\n");
    sl_buf_printf(all, "sluice_process_heap_live_bytes{allocator=\"%s\"} %zu\n", allocator, live);
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int sl_http_iso8601_parse(const char *s, double *out_seconds)
{
    int y, mo, d, h, mi, se;
    if (!s || strlen(s) < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') ||
        s[13] != ':' || s[16] != ':' || digits(s, 4, &y) || digits(s + 5, 2, &mo) ||
        digits(s + 8, 2, &d) || digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) ||
        digits(s + 17, 2, &se) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
        se > 60)
        return -1;
    const char *p = s + 19;
    double frac = 0, scale = 0.1;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return -1;
        for (; *p >= '0' && *p <= '9'; p++, scale /= 10)
            frac += (*p - '0') * scale;
    }
    if (*p == 'Z')
        p++;
    if (*p)
        return -1;
    /* Days from civil (proleptic Gregorian). */
    int yy = y - (mo <= 2);
    long era = (yy >= 0 ? yy : yy - 399) / 400;
    long yoe = yy - era * 400;
    long doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    long days = era * 146097 + doe - 719468;
    *out_seconds = (double)days * 86400.0 + h * 3600.0 + mi * 60.0 + se + frac;
    return 0;
}
