/* connector = 'nexmark': the Nexmark generator (nexmark_gen.h) as an
 * in-process source, for the benchmark queries in bench/nexmark/.
 *
 * sluice has no nested struct type, so instead of Flink's one `datagen`
 * table of events with person/auction/bid struct fields, each CREATE SOURCE
 * picks one table with `table` = 'person' | 'auction' | 'bid' and declares
 * any subset of that table's columns by Flink's names (case-insensitive).
 * Every source walks the same event sequence, so a person source and a bid
 * source in one script join as Flink's views over the one stream do.
 *
 * Options:
 *   table                 person | auction | bid (required)
 *   events                total events to generate (of all kinds); unset or
 *                         0 = unbounded
 *   events.per.second     event-time rate (default 10000, Flink's
 *                         firstEventRate): event i is at base + i / rate
 *   base.time             event time of event 0, ms since the epoch (default
 *                         Beam's 2015-07-15T00:00:00Z)
 *   maxEventsPerTrigger   events (of all kinds) per micro-batch (default 1000000)
 *   rate.limited          true: release events on the wall clock at
 *                         events.per.second, as a live feed; false (default):
 *                         as fast as the query consumes them
 * Offsets are {"event": N}, the count of events consumed; a batch (a, b] is
 * events a .. b-1 and replays identically. */
#include "io/connector.h"
#include "io/nexmark_gen.h"
#include "core/mem.h"
#include "core/status.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

typedef struct nexmark_src {
    sl_nexmark_config cfg;
    sl_nexmark_kind kind;
    int64_t events;           /* 0: unbounded */
    int64_t per_trigger;
    bool rate_limited;
    int64_t wall_start_us;    /* first plan, for rate.limited */
    bool done;                /* bounded, and every event has been read */
    int n_proj;
    int *proj;                /* declared column j = table column proj[j] */
    /* The declared columns some query reads (sl_source.used, set by the
     * driver after open; all without it): only they are generated, the
     * others come out as NULL columns, so a query that never reads `extra`
     * does not pay for its padding. use_decl[k] is a declared column,
     * use_proj[k] its table column. */
    bool use_ready;
    int n_use;
    int *use_decl, *use_proj;
    sl_col *nulls[SL_TYPE_STRING + 8]; /* per type: NULLs of the last chunk's length */
    sl_batch *spare;          /* the last batch, emptied, when nothing downstream kept it */
} nexmark_src;

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static sl_status nx_open(sl_source *src, sl_error *err)
{
    const char *table = sl_options_get(&src->opts, "table");
    int kind = sl_nexmark_kind_parse(table);
    if (kind < 0)
        return sl_err(err, SL_ERR_CONFIG,
                      "option 'table' must be 'person', 'auction' or 'bid' (got %s%s%s)",
                      table ? "'" : "", table ? table : "nothing", table ? "'" : "");
    nexmark_src *nx = sl_calloc(1, sizeof *nx);
    if (!nx) return sl_err_oom(err);
    src->impl = nx;
    nx->kind = (sl_nexmark_kind)kind;
    sl_nexmark_config_default(&nx->cfg);
    sl_status st;
    int64_t base = 0;
    if ((st = sl_options_get_i64(&src->opts, "events", 0, &nx->events, err)) ||
        (st = sl_options_get_f64(&src->opts, "events.per.second", 10000,
                                 &nx->cfg.events_per_second, err)) ||
        (st = sl_options_get_i64(&src->opts, "base.time", SL_NEXMARK_BASE_TIME_MS, &base, err)) ||
        (st = sl_options_get_i64(&src->opts, "maxEventsPerTrigger", 1000000, &nx->per_trigger,
                                 err)) ||
        (st = sl_options_get_bool(&src->opts, "rate.limited", false, &nx->rate_limited, err)))
        return st;
    nx->cfg.base_time_ms = base;
    if (nx->events < 0) return sl_err(err, SL_ERR_CONFIG, "option 'events' must be >= 0");
    if (!(nx->cfg.events_per_second > 0))
        return sl_err(err, SL_ERR_CONFIG, "option 'events.per.second' must be > 0");
    if (nx->per_trigger <= 0)
        return sl_err(err, SL_ERR_CONFIG, "option 'maxEventsPerTrigger' must be > 0");

    nx->n_proj = src->schema->n;
    nx->proj = sl_calloc((size_t)(nx->n_proj ? nx->n_proj : 1), sizeof *nx->proj);
    if (!nx->proj) return sl_err_oom(err);
    int ncols = sl_nexmark_table_ncols(nx->kind);
    for (int j = 0; j < nx->n_proj; j++) {
        const sl_field *f = &src->schema->fields[j];
        int c = 0;
        while (c < ncols && strcasecmp(sl_nexmark_col_name(nx->kind, c), f->name) != 0) c++;
        if (c == ncols) {
            char names[256] = "";
            for (int k = 0; k < ncols; k++) {
                if (k) strncat(names, ", ", sizeof names - strlen(names) - 1);
                strncat(names, sl_nexmark_col_name(nx->kind, k), sizeof names - strlen(names) - 1);
            }
            return sl_err(err, SL_ERR_CONFIG, "nexmark table '%s' has no column '%s' (it has: %s)",
                          table, f->name, names);
        }
        if (sl_nexmark_col_type(nx->kind, c) != f->type)
            return sl_err(err, SL_ERR_CONFIG, "nexmark column '%s' is %s, declared as %s",
                          f->name, sl_type_name(sl_nexmark_col_type(nx->kind, c)),
                          sl_type_name(f->type));
        nx->proj[j] = c;
    }
    return SL_OK;
}

/* Parses {"event": N}; NULL (before the first batch) is 0. */
static int parse_offset(const char *json, int64_t *out)
{
    *out = 0;
    if (!json) return 0;
    const char *p = strstr(json, "\"event\"");
    if (!p) return -1;
    p = strchr(p + 7, ':');
    if (!p) return -1;
    char *end;
    long long v = strtoll(p + 1, &end, 10);
    if (end == p + 1 || v < 0) return -1;
    *out = v;
    return 0;
}

static sl_status nx_plan(sl_source *src, const char *start, char **out_end, sl_error *err)
{
    nexmark_src *nx = src->impl;
    *out_end = NULL;
    int64_t from;
    if (parse_offset(start, &from))
        return sl_err(err, SL_ERR_CHECKPOINT, "bad nexmark offset %s", start);
    int64_t end = from + nx->per_trigger;
    if (nx->events > 0 && end > nx->events) end = nx->events;
    if (nx->rate_limited) {
        if (!nx->wall_start_us) nx->wall_start_us = now_us();
        double elapsed_s = (double)(now_us() - nx->wall_start_us) / 1e6;
        int64_t due = (int64_t)(elapsed_s * nx->cfg.events_per_second);
        if (end > due) end = due;
    }
    if (nx->events > 0 && from >= nx->events) nx->done = true;
    if (end <= from) return SL_OK;
    char buf[48];
    snprintf(buf, sizeof buf, "{\"event\":%" PRId64 "}", end);
    *out_end = sl_strdup(buf);
    return *out_end ? SL_OK : sl_err_oom(err);
}

/* A batch to build the next chunk in: the spare one if there is one (its
 * buffers already hold a chunk, so a run allocates and page-faults its
 * column memory once instead of once per chunk), else a new one. */
static sl_batch *new_builder(const sl_source *src)
{
    nexmark_src *nx = src->impl;
    if (nx->spare) {
        sl_batch *b = nx->spare;
        nx->spare = NULL;
        return b;
    }
    sl_batch *b = sl_batch_new(nx->n_use);
    if (!b) return NULL;
    for (int k = 0; k < nx->n_use; k++)
        if (!(b->cols[k] = sl_col_new(src->schema->fields[nx->use_decl[k]].type))) {
            sl_batch_unref(b);
            return NULL;
        }
    return b;
}

/* Drops the emitted batch, or keeps it emptied as the spare when the batch
 * and every column are referenced by this source alone (sl_batch_recycle) —
 * downstream operators that keep data take a reference (or copy), so then
 * nothing can see the buffers being overwritten. */
static void keep_spare(nexmark_src *nx, sl_batch *b)
{
    if (!nx->spare && sl_batch_recycle(b)) nx->spare = b;
    else sl_batch_unref(b);
}

/* nx->use_*: the columns to generate (see nexmark_src). */
static int setup_use(sl_source *src)
{
    nexmark_src *nx = src->impl;
    nx->use_decl = sl_calloc((size_t)(nx->n_proj ? nx->n_proj : 1), sizeof *nx->use_decl);
    nx->use_proj = sl_calloc((size_t)(nx->n_proj ? nx->n_proj : 1), sizeof *nx->use_proj);
    if (!nx->use_decl || !nx->use_proj) return -1;
    nx->n_use = 0;
    for (int j = 0; j < nx->n_proj; j++) {
        if (src->used && !src->used[j]) continue;
        nx->use_decl[nx->n_use] = j;
        nx->use_proj[nx->n_use++] = nx->proj[j];
    }
    nx->use_ready = true;
    return 0;
}

/* The declared columns of a chunk: the generated ones of b, NULLs for the
 * rest (one shared column per type, as nothing modifies a batch's columns). */
static sl_batch *widen(sl_source *src, sl_batch *b)
{
    nexmark_src *nx = src->impl;
    sl_batch *full = sl_batch_new(nx->n_proj);
    if (!full) return NULL;
    full->n_rows = b->n_rows;
    for (int j = 0, k = 0; j < nx->n_proj; j++) {
        if (k < nx->n_use && nx->use_decl[k] == j) { full->cols[j] = sl_col_ref(b->cols[k++]); continue; }
        sl_type t = src->schema->fields[j].type;
        sl_col **nc = &nx->nulls[t];
        if (!*nc || (*nc)->len != b->n_rows) {
            sl_col_unref(*nc);
            *nc = sl_col_new_nulls(t, b->n_rows);
        }
        if (!*nc) { sl_batch_unref(full); return NULL; }
        full->cols[j] = sl_col_ref(*nc);
    }
    return full;
}

static sl_status nx_read(sl_source *src, const char *start, const char *end,
                         sl_emit_fn emit, void *ctx, sl_error *err)
{
    nexmark_src *nx = src->impl;
    if (!nx->use_ready && setup_use(src)) return sl_err_oom(err);
    int64_t from, to;
    if (parse_offset(start, &from) || parse_offset(end, &to))
        return sl_err(err, SL_ERR_CHECKPOINT, "bad nexmark offsets %s .. %s",
                      start ? start : "(start)", end ? end : "(none)");
    /* Events per chunk such that one chunk never yields more than
     * SL_BATCH_ROWS rows of this table, whatever its alignment. */
    int total = nx->cfg.person_proportion + nx->cfg.auction_proportion + nx->cfg.bid_proportion;
    int prop = nx->kind == SL_NEXMARK_PERSON    ? nx->cfg.person_proportion
               : nx->kind == SL_NEXMARK_AUCTION ? nx->cfg.auction_proportion
                                                : nx->cfg.bid_proportion;
    int64_t chunk = ((int64_t)SL_BATCH_ROWS / prop - 1) * total;
    for (int64_t a = from; a < to; a += chunk) {
        int64_t b_end = a + chunk < to ? a + chunk : to;
        sl_batch *b = new_builder(src);
        if (!b || sl_nexmark_append(&nx->cfg, nx->kind, a, b_end, b, nx->use_proj, nx->n_use)) {
            sl_batch_unref(b);
            return sl_err_oom(err);
        }
        /* With no column to generate the row count comes from the kinds. */
        int64_t rows = 0;
        if (nx->n_use == 0) {
            for (int64_t i = a; i < b_end; i++) rows += sl_nexmark_kind_of(&nx->cfg, i) == nx->kind;
            b->n_rows = rows;
        } else if (sl_batch_seal(b)) {
            sl_batch_unref(b);
            return sl_err(err, SL_ERR_INTERNAL, "nexmark: ragged batch");
        }
        rows = b->n_rows;
        sl_status st = SL_OK;
        if (rows > 0) {
            src->stats.rows += rows;
            if (nx->n_use == nx->n_proj) {
                st = emit(ctx, b, err);
            } else {
                sl_batch *full = widen(src, b);
                st = full ? emit(ctx, full, err) : sl_err_oom(err);
                sl_batch_unref(full);
            }
        }
        keep_spare(nx, b);
        if (st) return st;
    }
    if (nx->events > 0 && to >= nx->events) nx->done = true;
    return SL_OK;
}

static void nx_commit(sl_source *src, const char *end) { (void)src; (void)end; }

static bool nx_exhausted(sl_source *src)
{
    nexmark_src *nx = src->impl;
    return nx->done;
}

static void nx_close(sl_source *src)
{
    nexmark_src *nx = src->impl;
    if (!nx) return;
    sl_free(nx->proj);
    sl_free(nx->use_decl);
    sl_free(nx->use_proj);
    for (size_t t = 0; t < sizeof nx->nulls / sizeof nx->nulls[0]; t++) sl_col_unref(nx->nulls[t]);
    sl_batch_unref(nx->spare);
    sl_free(nx);
    src->impl = NULL;
}

const sl_source_ops sl_nexmark_source_ops = {
    .connector = "nexmark",
    .open = nx_open,
    .plan = nx_plan,
    .read = nx_read,
    .commit = nx_commit,
    .exhausted = nx_exhausted,
    .close = nx_close,
};

/* ---- sluice gen nexmark: JSON lines files --------------------------------- */

#include "core/buf.h"

#include <errno.h>
#include <sys/stat.h>

/* "yyyy-MM-dd HH:mm:ss.SSS" (UTC), Flink's TIMESTAMP(3) text. */
static void put_ts(sl_buf *b, int64_t ms)
{
    int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    int msec = (int)(ms - secs * 1000);
    time_t t = (time_t)secs;
    struct tm tm;
    gmtime_r(&t, &tm);
    sl_buf_printf(b, "\"%04d-%02d-%02d %02d:%02d:%02d.%03d\"", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, msec);
}

static void put_str(sl_buf *b, const char *key, sl_nexmark_str s)
{
    sl_buf_printf(b, ",\"%s\":", key);
    sl_buf_json_str(b, s.p, (size_t)s.len);
}

static void event_json(sl_buf *b, const sl_nexmark_event *ev)
{
    switch (ev->kind) {
    case SL_NEXMARK_PERSON:
        sl_buf_printf(b, "{\"id\":%" PRId64, ev->u.person.id);
        put_str(b, "name", ev->u.person.name);
        put_str(b, "emailAddress", ev->u.person.email);
        put_str(b, "creditCard", ev->u.person.credit_card);
        put_str(b, "city", ev->u.person.city);
        put_str(b, "state", ev->u.person.state);
        sl_buf_puts(b, ",\"dateTime\":");
        put_ts(b, ev->date_time_ms);
        put_str(b, "extra", ev->u.person.extra);
        break;
    case SL_NEXMARK_AUCTION:
        sl_buf_printf(b, "{\"id\":%" PRId64, ev->u.auction.id);
        put_str(b, "itemName", ev->u.auction.item_name);
        put_str(b, "description", ev->u.auction.description);
        sl_buf_printf(b, ",\"initialBid\":%" PRId64 ",\"reserve\":%" PRId64 ",\"dateTime\":",
                      ev->u.auction.initial_bid, ev->u.auction.reserve);
        put_ts(b, ev->date_time_ms);
        sl_buf_puts(b, ",\"expires\":");
        put_ts(b, ev->u.auction.expires_ms);
        sl_buf_printf(b, ",\"seller\":%" PRId64 ",\"category\":%" PRId64, ev->u.auction.seller,
                      ev->u.auction.category);
        put_str(b, "extra", ev->u.auction.extra);
        break;
    default:
        sl_buf_printf(b, "{\"auction\":%" PRId64 ",\"bidder\":%" PRId64 ",\"price\":%" PRId64,
                      ev->u.bid.auction, ev->u.bid.bidder, ev->u.bid.price);
        put_str(b, "channel", ev->u.bid.channel);
        put_str(b, "url", ev->u.bid.url);
        sl_buf_puts(b, ",\"dateTime\":");
        put_ts(b, ev->date_time_ms);
        put_str(b, "extra", ev->u.bid.extra);
        break;
    }
    sl_buf_puts(b, "}\n");
}

SL_EXPORT sl_status sl_nexmark_write_json(const char *out_dir, int64_t n_events,
                                          double events_per_second, int64_t out_counts[3],
                                          sl_error *err)
{
    static const char *const names[3] = {"person.json", "auction.json", "bid.json"};
    if (!out_dir || n_events < 0)
        return sl_err(err, SL_ERR_CONFIG, "nexmark: an output directory and events >= 0 are needed");
    if (mkdir(out_dir, 0777) != 0 && errno != EEXIST)
        return sl_err(err, SL_ERR_IO, "cannot create %s: %s", out_dir, strerror(errno));
    sl_nexmark_config cfg;
    sl_nexmark_config_default(&cfg);
    if (events_per_second > 0) cfg.events_per_second = events_per_second;

    FILE *f[3] = {NULL, NULL, NULL};
    sl_buf b[3];
    int64_t counts[3] = {0, 0, 0};
    sl_status st = SL_OK;
    sl_nexmark_event *ev = sl_malloc(sizeof *ev);
    for (int k = 0; k < 3; k++) sl_buf_init(&b[k]);
    if (!ev) {
        st = sl_err_oom(err);
        goto done;
    }
    for (int k = 0; k < 3; k++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", out_dir, names[k]);
        if (!(f[k] = fopen(path, "w"))) {
            st = sl_err(err, SL_ERR_IO, "cannot write %s: %s", path, strerror(errno));
            goto done;
        }
    }
    for (int64_t i = 0; i < n_events; i++) {
        sl_nexmark_event_gen(&cfg, i, ev);
        sl_buf *bk = &b[ev->kind];
        event_json(bk, ev);
        counts[ev->kind]++;
        if (bk->oom) {
            st = sl_err_oom(err);
            goto done;
        }
        if (bk->len >= (1 << 20)) {
            if (fwrite(bk->data, 1, bk->len, f[ev->kind]) != bk->len) {
                st = sl_err(err, SL_ERR_IO, "write to %s/%s failed", out_dir, names[ev->kind]);
                goto done;
            }
            sl_buf_reset(bk);
        }
    }
    for (int k = 0; k < 3; k++) {
        if (b[k].oom) {
            st = sl_err_oom(err);
            goto done;
        }
        if ((b[k].len && fwrite(b[k].data, 1, b[k].len, f[k]) != b[k].len) || fflush(f[k])) {
            st = sl_err(err, SL_ERR_IO, "write to %s/%s failed", out_dir, names[k]);
            goto done;
        }
    }
done:
    for (int k = 0; k < 3; k++) {
        if (f[k] && fclose(f[k]) != 0 && st == SL_OK)
            st = sl_err(err, SL_ERR_IO, "closing %s/%s failed", out_dir, names[k]);
        sl_buf_fini(&b[k]);
    }
    sl_free(ev);
    if (st == SL_OK && out_counts)
        for (int k = 0; k < 3; k++) out_counts[k] = counts[k];
    return st;
}
