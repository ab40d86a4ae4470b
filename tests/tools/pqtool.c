/* pqtool: a test helper around sluice's Parquet code, for the script tests
 * that compare it with DuckDB.
 *
 *   pqtool dump FILE [LEN]     the flat reader's rows as JSON lines: first
 *                              {"schema":[[name,TYPE],…]}, then one array
 *                              per row (TIMESTAMP as µs, DATE as days,
 *                              DOUBLE as %.17g, NaN/±Infinity as strings)
 *   pqtool records FILE        the nested reader's document as JSON
 *   pqtool gen OUT ROWS CODEC DICT RG_ROWS SEED [DICT_MAX]
 *                              writes a file of every sluice type with NULLs
 *                              from a seeded generator and prints the
 *                              generator's rows (not read back from the
 *                              file) in the dump format
 *   pqtool bench OUT ROWS      writes then reads ROWS rows of the reference's
 *                              prediction schema, prints throughput
 *   pqtool sink DIR BATCHES ROWS MAX_ROWS [partitionBy]
 *                              drives the parquet sink: BATCHES batches of
 *                              ROWS rows (seq BIGINT, s STRING, d DOUBLE,
 *                              ts TIMESTAMP, part STRING), every third batch
 *                              replayed after an uncommitted attempt (a
 *                              crash); prints the generator's rows */
#include "format/parquet.h"
#include "io/connector.h"
#include "core/buf.h"
#include "core/mem.h"
#include "core/status.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static void put_double(sl_buf *b, double d)
{
    if (isnan(d)) sl_buf_puts(b, "\"NaN\"");
    else if (isinf(d)) sl_buf_puts(b, d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    else sl_buf_printf(b, "%.17g", d);
}

static void put_value(sl_buf *b, const sl_col *col, int64_t i)
{
    if (sl_col_is_null(col, i)) { sl_buf_puts(b, "null"); return; }
    switch (col->type) {
    case SL_TYPE_BOOLEAN: sl_buf_puts(b, sl_col_bool(col, i) ? "true" : "false"); break;
    case SL_TYPE_INT: case SL_TYPE_DATE: sl_buf_printf(b, "%" PRId32, sl_col_i32(col)[i]); break;
    /* 64-bit integers as strings: JSON readers (node) would round them */
    case SL_TYPE_BIGINT: case SL_TYPE_TIMESTAMP: sl_buf_printf(b, "\"%" PRId64 "\"", sl_col_i64(col)[i]); break;
    case SL_TYPE_DOUBLE: put_double(b, sl_col_f64(col)[i]); break;
    case SL_TYPE_STRING: {
        size_t n;
        const char *s = sl_col_str(col, i, &n);
        sl_buf_json_str(b, s, n);
        break;
    }
    default: sl_buf_puts(b, "null");
    }
}

static void print_schema(const sl_schema *s)
{
    sl_buf b;
    sl_buf_init(&b);
    sl_buf_puts(&b, "{\"schema\":[");
    for (int i = 0; i < s->n; i++) {
        if (i) sl_buf_putc(&b, ',');
        sl_buf_putc(&b, '[');
        sl_buf_json_str(&b, s->fields[i].name, strlen(s->fields[i].name));
        sl_buf_printf(&b, ",\"%s\"]", sl_type_name(s->fields[i].type));
    }
    sl_buf_puts(&b, "]}\n");
    fwrite(b.data, 1, b.len, stdout);
    sl_buf_fini(&b);
}

static void print_rows(const sl_batch *bt)
{
    sl_buf b;
    sl_buf_init(&b);
    for (int64_t r = 0; r < bt->n_rows; r++) {
        sl_buf_putc(&b, '[');
        for (int c = 0; c < bt->n_cols; c++) {
            if (c) sl_buf_putc(&b, ',');
            put_value(&b, bt->cols[c], r);
        }
        sl_buf_puts(&b, "]\n");
    }
    fwrite(b.data ? b.data : "", 1, b.len, stdout);
    sl_buf_fini(&b);
}

static int dump(const char *path, int64_t len)
{
    sl_error *err = sl_error_new();
    sl_pq_file *f;
    if (sl_pq_open(path, len, &f, err)) {
        fprintf(stderr, "pqtool: %s\n", sl_error_message(err));
        sl_error_free(err);
        return 1;
    }
    print_schema(sl_pq_schema(f));
    int rc = 0;
    for (;;) {
        sl_batch *b;
        if (sl_pq_read_batch(f, 4096, &b, err)) {
            fprintf(stderr, "pqtool: %s\n", sl_error_message(err));
            rc = 1;
            break;
        }
        if (!b) break;
        print_rows(b);
        sl_batch_unref(b);
    }
    sl_pq_close(f);
    sl_error_free(err);
    return rc;
}

static void put_json(sl_buf *b, const sl_jval *v)
{
    switch (v->type) {
    case SL_JNULL: sl_buf_puts(b, "null"); break;
    case SL_JBOOL: sl_buf_puts(b, v->b ? "true" : "false"); break;
    case SL_JNUM:
        if (v->is_int) sl_buf_printf(b, "%" PRId64, v->i);
        else put_double(b, v->num);
        break;
    case SL_JSTR: sl_buf_json_str(b, v->str, v->str_len); break;
    case SL_JARR:
        sl_buf_putc(b, '[');
        for (size_t i = 0; i < v->n; i++) {
            if (i) sl_buf_putc(b, ',');
            put_json(b, v->items[i]);
        }
        sl_buf_putc(b, ']');
        break;
    case SL_JOBJ:
        sl_buf_putc(b, '{');
        for (size_t i = 0; i < v->n; i++) {
            if (i) sl_buf_putc(b, ',');
            sl_buf_json_str(b, v->keys[i], strlen(v->keys[i]));
            sl_buf_putc(b, ':');
            put_json(b, v->items[i]);
        }
        sl_buf_putc(b, '}');
        break;
    }
}

static int records(const char *path)
{
    sl_error *err = sl_error_new();
    sl_jdoc *doc;
    if (sl_pq_read_records(path, &doc, err)) {
        fprintf(stderr, "pqtool: %s\n", sl_error_message(err));
        sl_error_free(err);
        return 1;
    }
    sl_buf b;
    sl_buf_init(&b);
    put_json(&b, doc->root);
    sl_buf_putc(&b, '\n');
    fwrite(b.data, 1, b.len, stdout);
    sl_buf_fini(&b);
    sl_jdoc_free(doc);
    sl_error_free(err);
    return 0;
}

/* ---- gen ---------------------------------------------------------------- */

static uint64_t rng;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static const char *words[] = {"alpha", "beta", "gamma", "Ünïcödé ✓", "quote\"and\\back", "", "tab\there",
                              "Maharashtra", "Tamil Nadu", "Karnataka"};

static int gen(int argc, char **argv)
{
    if (argc < 8) { fprintf(stderr, "usage: pqtool gen OUT ROWS CODEC DICT RG_ROWS SEED [DICT_MAX]\n"); return 2; }
    const char *out = argv[2];
    int64_t rows = atoll(argv[3]);
    sl_pq_write_opts o;
    sl_pq_write_opts_init(&o);
    int codec = sl_pq_codec_parse(argv[4]);
    if (codec < 0) { fprintf(stderr, "bad codec\n"); return 2; }
    o.codec = (sl_pq_codec)codec;
    o.dictionary = atoi(argv[5]) != 0;
    o.row_group_rows = atoll(argv[6]);
    o.page_rows = o.row_group_rows > 3 ? o.row_group_rows / 3 : 1;
    rng = (uint64_t)atoll(argv[7]) * 2654435761u + 1;
    if (argc > 8) o.dict_max_bytes = atoll(argv[8]);
    static const char *names[] = {"b", "i", "l", "d", "s", "ts", "dt", "Top-up Month"};
    static const sl_type types[] = {SL_TYPE_BOOLEAN, SL_TYPE_INT, SL_TYPE_BIGINT, SL_TYPE_DOUBLE,
                                    SL_TYPE_STRING, SL_TYPE_TIMESTAMP, SL_TYPE_DATE, SL_TYPE_STRING};
    int nc = 8;
    sl_schema *s = sl_schema_new(nc);
    for (int i = 0; i < nc; i++) sl_schema_set(s, i, names[i], types[i]);
    sl_error *err = sl_error_new();
    sl_pq_writer *w;
    if (sl_pq_writer_open(out, s, &o, &w, err)) { fprintf(stderr, "%s\n", sl_error_message(err)); return 1; }
    print_schema(s);
    int64_t done = 0;
    while (done < rows) {
        int64_t n = rows - done < 1000 ? rows - done : 1000;   /* several appends per row group */
        sl_batch *b = sl_batch_new_builder(s);
        for (int64_t r = 0; r < n; r++) {
            for (int c = 0; c < nc; c++) {
                sl_col *col = b->cols[c];
                if (next() % 10 == 0 || c == nc - 1 ? (c == nc - 1 ? next() % 2 == 0 : 1) : 0) {
                    sl_col_append_null(col);
                    continue;
                }
                uint64_t x = next();
                switch (types[c]) {
                case SL_TYPE_BOOLEAN: sl_col_append_bool(col, x & 1); break;
                case SL_TYPE_INT: sl_col_append_i32(col, (int32_t)(x % 2000001) - 1000000); break;
                case SL_TYPE_BIGINT: sl_col_append_i64(col, (int64_t)x >> (x % 40)); break;
                case SL_TYPE_DOUBLE: sl_col_append_f64(col, ((double)(int64_t)(x % 2000000) - 1e6) / 1024.0 * (x % 7 ? 1 : 1e-9)); break;
                case SL_TYPE_STRING: {
                    char tmp[64];
                    if (x % 3 == 0) {
                        int k = snprintf(tmp, sizeof tmp, "id-%" PRIu64, x % 100000);
                        sl_col_append_str(col, tmp, (size_t)k);
                    } else {
                        const char *wd = words[x % (sizeof words / sizeof *words)];
                        sl_col_append_str(col, wd, strlen(wd));
                    }
                    break;
                }
                case SL_TYPE_TIMESTAMP: sl_col_append_i64(col, INT64_C(1700000000000000) + (int64_t)(x % INT64_C(100000000000000)) - INT64_C(50000000000000)); break;
                case SL_TYPE_DATE: sl_col_append_i32(col, (int32_t)(x % 40000) - 10000); break;
                default: break;
                }
            }
        }
        sl_batch_seal(b);
        print_rows(b);
        if (sl_pq_writer_append(w, b, err)) { fprintf(stderr, "%s\n", sl_error_message(err)); return 1; }
        sl_batch_unref(b);
        done += n;
    }
    if (sl_pq_writer_close(w, false, NULL, NULL, err)) { fprintf(stderr, "%s\n", sl_error_message(err)); return 1; }
    sl_schema_free(s);
    sl_error_free(err);
    return 0;
}

/* ---- bench -------------------------------------------------------------- */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int bench(int argc, char **argv)
{
    if (argc < 4) return 2;
    const char *out = argv[2];
    int64_t rows = atoll(argv[3]);
    const char *codec = argc > 4 ? argv[4] : "snappy";
    static const char *names[] = {"ID", "window_start", "window_end", "ts", "prediction", "Top-up_Month"};
    static const sl_type types[] = {SL_TYPE_STRING, SL_TYPE_TIMESTAMP, SL_TYPE_TIMESTAMP, SL_TYPE_TIMESTAMP,
                                    SL_TYPE_DOUBLE, SL_TYPE_STRING};
    static const char *months[] = {"> 6 Months", "Next Month", "3 Months", "4 Months", "5 Months", "6 Months"};
    sl_schema *s = sl_schema_new(6);
    for (int i = 0; i < 6; i++) sl_schema_set(s, i, names[i], types[i]);
    /* build the batches first: the clock measures the writer only */
    int64_t per = 16384, nb = (rows + per - 1) / per;
    sl_batch **bs = calloc((size_t)nb, sizeof *bs);
    rng = 42;
    int64_t r = 0;
    for (int64_t k = 0; k < nb; k++) {
        int64_t n = rows - r < per ? rows - r : per;
        sl_batch *b = sl_batch_new_builder(s);
        for (int64_t j = 0; j < n; j++, r++) {
            char id[32];
            int len = snprintf(id, sizeof id, "ID%07" PRId64, (r * 7919) % 1000000);
            sl_col_append_str(b->cols[0], id, (size_t)len);
            int64_t ts = INT64_C(1700000000000000) + r * 1000;
            int64_t ws = ts - ts % 30000000;
            sl_col_append_i64(b->cols[1], ws);
            sl_col_append_i64(b->cols[2], ws + 30000000);
            sl_col_append_i64(b->cols[3], ts);
            sl_col_append_f64(b->cols[4], (double)(next() & 1));
            const char *m = months[next() % 6];
            sl_col_append_str(b->cols[5], m, strlen(m));
        }
        sl_batch_seal(b);
        bs[k] = b;
    }
    sl_error *err = sl_error_new();
    sl_pq_write_opts o;
    sl_pq_write_opts_init(&o);
    o.codec = (sl_pq_codec)sl_pq_codec_parse(codec);
    double t0 = now();
    sl_pq_writer *w;
    if (sl_pq_writer_open(out, s, &o, &w, err)) { fprintf(stderr, "%s\n", sl_error_message(err)); return 1; }
    for (int64_t k = 0; k < nb; k++)
        if (sl_pq_writer_append(w, bs[k], err)) { fprintf(stderr, "%s\n", sl_error_message(err)); return 1; }
    int64_t bytes = 0;
    if (sl_pq_writer_close(w, false, &bytes, NULL, err)) { fprintf(stderr, "%s\n", sl_error_message(err)); return 1; }
    double t1 = now();
    for (int64_t k = 0; k < nb; k++) sl_batch_unref(bs[k]);
    free(bs);
    sl_pq_file *f;
    int64_t got = 0;
    double t2 = now();
    if (sl_pq_open(out, -1, &f, err)) { fprintf(stderr, "%s\n", sl_error_message(err)); return 1; }
    for (;;) {
        sl_batch *b;
        if (sl_pq_read_batch(f, 16384, &b, err)) { fprintf(stderr, "%s\n", sl_error_message(err)); return 1; }
        if (!b) break;
        got += b->n_rows;
        sl_batch_unref(b);
    }
    sl_pq_close(f);
    double t3 = now();
    if (got != rows) { fprintf(stderr, "read %" PRId64 " rows of %" PRId64 "\n", got, rows); return 1; }
    printf("sluice write: %" PRId64 " rows, %.1f MB file, %.3f s, %.0f rows/s, %.1f MB/s\n", rows,
           bytes / 1e6, t1 - t0, rows / (t1 - t0), bytes / 1e6 / (t1 - t0));
    printf("sluice read:  %" PRId64 " rows, %.1f MB file, %.3f s, %.0f rows/s, %.1f MB/s\n", rows,
           bytes / 1e6, t3 - t2, rows / (t3 - t2), bytes / 1e6 / (t3 - t2));
    sl_schema_free(s);
    sl_error_free(err);
    return 0;
}

extern const sl_sink_ops sl_parquet_sink_ops;

static int sink(int argc, char **argv)
{
    if (argc < 6) return 2;
    const char *dir = argv[2];
    int nb = atoi(argv[3]);
    int64_t rows = atoll(argv[4]);
    static const char *names[] = {"seq", "s", "d", "ts", "part"};
    static const sl_type types[] = {SL_TYPE_BIGINT, SL_TYPE_STRING, SL_TYPE_DOUBLE, SL_TYPE_TIMESTAMP,
                                    SL_TYPE_STRING};
    static const char *parts[] = {"a", "b/c", "d=e"};
    sl_schema *s = sl_schema_new(5);
    for (int i = 0; i < 5; i++) sl_schema_set(s, i, names[i], types[i]);
    sl_error *err = sl_error_new();
    print_schema(s);
    int64_t seq = 0;
    rng = 99;
    sl_sink *snk = NULL;
    for (int id = 0; id < nb; id++) {
        sl_batch *b = sl_batch_new_builder(s);
        for (int64_t r = 0; r < rows; r++, seq++) {
            char tmp[32];
            sl_col_append_i64(b->cols[0], seq);
            if (next() % 7 == 0) sl_col_append_null(b->cols[1]);
            else sl_col_append_str(b->cols[1], tmp, (size_t)snprintf(tmp, sizeof tmp, "s%" PRIu64, next() % 50));
            sl_col_append_f64(b->cols[2], (double)(next() % 1000) / 8);
            sl_col_append_i64(b->cols[3], INT64_C(1700000000000000) + seq * 1000);
            if (next() % 9 == 0) sl_col_append_null(b->cols[4]);
            else { const char *p = parts[next() % 3]; sl_col_append_str(b->cols[4], p, strlen(p)); }
        }
        sl_batch_seal(b);
        for (int attempt = 0; attempt < (id % 3 == 2 ? 2 : 1); attempt++) {
            if (!snk) {
                snk = calloc(1, sizeof *snk);
                snk->ops = &sl_parquet_sink_ops;
                snk->schema = s;
                sl_options_init(&snk->opts);
                sl_options_set(&snk->opts, "path", dir);
                sl_options_set(&snk->opts, "file.maxRows", argv[5]);
                if (argc > 6) sl_options_set(&snk->opts, "partitionBy", argv[6]);
                if (snk->ops->open(snk, err)) { fprintf(stderr, "%s\n", sl_error_message(err)); return 1; }
            }
            if (snk->ops->begin(snk, id, err) || snk->ops->write(snk, b, err)) {
                fprintf(stderr, "%s\n", sl_error_message(err));
                return 1;
            }
            if (id % 3 == 2 && attempt == 0) {
                /* crash: the sink goes away without committing */
                snk->ops->close(snk);
                sl_options_fini(&snk->opts);
                free(snk);
                snk = NULL;
                continue;
            }
            if (snk->ops->commit(snk, id, err)) { fprintf(stderr, "%s\n", sl_error_message(err)); return 1; }
        }
        print_rows(b);
        sl_batch_unref(b);
    }
    snk->ops->close(snk);
    sl_options_fini(&snk->opts);
    free(snk);
    sl_schema_free(s);
    sl_error_free(err);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "sink")) return sink(argc, argv);
    if (argc >= 3 && !strcmp(argv[1], "dump")) return dump(argv[2], argc > 3 ? atoll(argv[3]) : -1);
    if (argc >= 3 && !strcmp(argv[1], "records")) return records(argv[2]);
    if (argc >= 2 && !strcmp(argv[1], "gen")) return gen(argc, argv);
    if (argc >= 2 && !strcmp(argv[1], "bench")) return bench(argc, argv);
    fprintf(stderr, "usage: pqtool dump FILE [LEN] | records FILE | gen … | bench OUT ROWS [CODEC]\n");
    return 2;
}
