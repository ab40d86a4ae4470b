/* JSON reader and writer: schema mapping, type rules, modes, arrays, corrupt
 * records, escapes, and hostile input that must not crash. */
#include "test.h"

#include "core/mem.h"
#include "core/status.h"
#include "format/format.h"

#include <math.h>
#include <stdlib.h>

typedef struct fx {
    sl_schema *s;
    sl_format *f;
    sl_batch *b;
    sl_error err;
} fx;

static int fx_open(fx *x, const char *fmt, const char *mode, int n, const char **names,
                   const sl_type *types)
{
    memset(x, 0, sizeof *x);
    x->s = sl_schema_new(n);
    for (int i = 0; i < n; i++) sl_schema_set(x->s, i, names[i], types[i]);
    sl_options o;
    sl_options_init(&o);
    if (mode) sl_options_set(&o, "mode", mode);
    int rc = sl_format_new(fmt, x->s, NULL, &o, &x->f, &x->err);
    sl_options_fini(&o);
    x->b = sl_batch_new_builder(x->s);
    return rc;
}

static void fx_close(fx *x)
{
    sl_format_free(x->f);
    sl_batch_unref(x->b);
    sl_schema_free(x->s);
}

static sl_status feed(fx *x, const char *rec, int64_t *rows)
{
    int64_t r = 0;
    sl_status st = sl_format_parse(x->f, rec, strlen(rec), x->b, &r, &x->err);
    if (rows) *rows = r;
    return st;
}

static const char *str_at(const sl_col *c, int64_t i, char *buf)
{
    size_t n;
    const char *s = sl_col_str(c, i, &n);
    memcpy(buf, s, n);
    buf[n] = 0;
    return buf;
}

static const char *lec_names[] = {"name", "surname", "amount", "delta_t", "flag"};
static const sl_type lec_types[] = {SL_TYPE_STRING, SL_TYPE_STRING, SL_TYPE_DOUBLE,
                                    SL_TYPE_DOUBLE, SL_TYPE_INT};

TEST(json_lecture_record)
{
    fx x;
    REQUIRE(fx_open(&x, "json", NULL, 5, lec_names, lec_types) == SL_OK);
    int64_t rows;
    CHECK(feed(&x, "{\"name\": \"Alice\", \"surname\": \"Johnson\", \"amount\": 975.38, "
                   "\"delta_t\": 0.12, \"flag\": 0}", &rows) == SL_OK);
    CHECK_INT(rows, 1);
    /* other key order, case-insensitive key, unknown keys, missing key */
    CHECK(feed(&x, "{\"FLAG\": 1, \"extra\": {\"a\": [1,2,{\"b\":null}]}, \"name\": \"Bob\","
                   " \"amount\": 1e3}", &rows) == SL_OK);
    REQUIRE(sl_batch_seal(x.b) == 0);
    CHECK_INT(x.b->n_rows, 2);
    char buf[64];
    CHECK_STR(str_at(x.b->cols[0], 0, buf), "Alice");
    CHECK_STR(str_at(x.b->cols[1], 0, buf), "Johnson");
    CHECK(sl_col_f64(x.b->cols[2])[0] == 975.38);
    CHECK(sl_col_f64(x.b->cols[3])[0] == 0.12);
    CHECK_INT(sl_col_i32(x.b->cols[4])[0], 0);
    CHECK_STR(str_at(x.b->cols[0], 1, buf), "Bob");
    CHECK(sl_col_is_null(x.b->cols[1], 1));
    CHECK(sl_col_f64(x.b->cols[2])[1] == 1000.0);
    CHECK(sl_col_is_null(x.b->cols[3], 1));
    CHECK_INT(sl_col_i32(x.b->cols[4])[1], 1);
    CHECK_INT(sl_format_get_stats(x.f)->malformed, 0);
    fx_close(&x);
}

TEST(json_type_rules)
{
    const char *names[] = {"s", "i", "b", "t", "ok", "d"};
    const sl_type types[] = {SL_TYPE_STRING, SL_TYPE_INT, SL_TYPE_BIGINT, SL_TYPE_TIMESTAMP,
                             SL_TYPE_BOOLEAN, SL_TYPE_DATE};
    fx x;
    REQUIRE(fx_open(&x, "json", NULL, 6, names, types) == SL_OK);
    /* numbers in strings cast to the declared type; a number for a STRING
     * is its text; nested values in a STRING field are their JSON text */
    CHECK(feed(&x, "{\"s\": 12.50, \"i\": \"42\", \"b\": \"-7\", \"t\": \"2022-10-13 21:58:18\","
                   " \"ok\": true, \"d\": \"2022-10-13\"}", NULL) == SL_OK);
    CHECK(feed(&x, "{\"s\": {\"k\": [1, \"x\"]}, \"i\": -2147483648, \"b\": 9223372036854775807,"
                   " \"t\": 1665698298, \"ok\": false}", NULL) == SL_OK);
    CHECK(feed(&x, "{\"s\": \"a\\\"b\\\\c\\n\\u00e9\\ud83d\\ude00\", \"i\": null}", NULL) == SL_OK);
    REQUIRE(sl_batch_seal(x.b) == 0);
    REQUIRE(x.b->n_rows == 3);
    char buf[64];
    CHECK_STR(str_at(x.b->cols[0], 0, buf), "12.50");
    CHECK_INT(sl_col_i32(x.b->cols[1])[0], 42);
    CHECK_INT(sl_col_i64(x.b->cols[2])[0], -7);
    CHECK_INT(sl_col_i64(x.b->cols[3])[0], 1665698298LL * 1000000);
    CHECK(sl_col_bool(x.b->cols[4], 0));
    CHECK_INT(sl_col_i32(x.b->cols[5])[0], 19278);
    CHECK_STR(str_at(x.b->cols[0], 1, buf), "{\"k\": [1, \"x\"]}");
    CHECK_INT(sl_col_i32(x.b->cols[1])[1], INT32_MIN);
    CHECK_INT(sl_col_i64(x.b->cols[2])[1], INT64_MAX);
    CHECK_INT(sl_col_i64(x.b->cols[3])[1], 1665698298LL * 1000000);
    CHECK(!sl_col_bool(x.b->cols[4], 1));
    CHECK_STR(str_at(x.b->cols[0], 2, buf), "a\"b\\c\n\xc3\xa9\xf0\x9f\x98\x80");
    CHECK(sl_col_is_null(x.b->cols[1], 2));
    CHECK_INT(sl_format_get_stats(x.f)->malformed, 0);
    fx_close(&x);
}

TEST(json_permissive_corrupt)
{
    const char *names[] = {"a", "b", "_corrupt_record"};
    const sl_type types[] = {SL_TYPE_INT, SL_TYPE_STRING, SL_TYPE_STRING};
    fx x;
    REQUIRE(fx_open(&x, "json", NULL, 3, names, types) == SL_OK);
    int64_t rows;
    CHECK(feed(&x, "{\"a\": 1, \"b\": \"x\"}", &rows) == SL_OK && rows == 1);
    CHECK(feed(&x, "{\"a\": 1, \"b\": ", &rows) == SL_OK && rows == 1);      /* truncated */
    CHECK(feed(&x, "{\"a\": \"abc\", \"b\": \"kept\"}", &rows) == SL_OK && rows == 1); /* wrong type */
    CHECK(feed(&x, "{\"a\": 1.5}", &rows) == SL_OK && rows == 1);    /* float for INT */
    CHECK(feed(&x, "42", &rows) == SL_OK && rows == 1);
    CHECK(feed(&x, "   ", &rows) == SL_OK && rows == 0);             /* blank: skipped */
    CHECK(feed(&x, "{\"a\": 3} trailing", &rows) == SL_OK && rows == 1);
    REQUIRE(sl_batch_seal(x.b) == 0);
    REQUIRE(x.b->n_rows == 6);
    char buf[64];
    CHECK(sl_col_is_null(x.b->cols[2], 0));
    CHECK(sl_col_is_null(x.b->cols[0], 1) && sl_col_is_null(x.b->cols[1], 1));
    CHECK_STR(str_at(x.b->cols[2], 1, buf), "{\"a\": 1, \"b\": ");
    CHECK(sl_col_is_null(x.b->cols[0], 2));
    CHECK_STR(str_at(x.b->cols[1], 2, buf), "kept"); /* fields that parsed are kept */
    CHECK_STR(str_at(x.b->cols[2], 2, buf), "{\"a\": \"abc\", \"b\": \"kept\"}");
    CHECK(sl_col_is_null(x.b->cols[0], 3));
    CHECK_STR(str_at(x.b->cols[2], 4, buf), "42");
    CHECK_STR(str_at(x.b->cols[2], 5, buf), "{\"a\": 3} trailing");
    const sl_format_stats *st = sl_format_get_stats(x.f);
    CHECK_INT(st->records, 6);
    CHECK_INT(st->malformed, 5);
    CHECK_INT(st->dropped, 0);
    CHECK_INT(st->rows, 6);
    fx_close(&x);
}

TEST(json_dropmalformed_failfast)
{
    const char *names[] = {"a", "b"};
    const sl_type types[] = {SL_TYPE_INT, SL_TYPE_STRING};
    fx x;
    REQUIRE(fx_open(&x, "json", "DROPMALFORMED", 2, names, types) == SL_OK);
    int64_t rows;
    CHECK(feed(&x, "{\"a\": 1, \"b\": \"x\"}", &rows) == SL_OK && rows == 1);
    CHECK(feed(&x, "{\"a\": \"zz\", \"b\": \"y\"}", &rows) == SL_OK && rows == 0);
    CHECK(feed(&x, "[{\"a\": 2}, {\"a\": \"bad\"}]", &rows) == SL_OK && rows == 0);
    CHECK(feed(&x, "{\"a\": 3, \"b\": \"z\"}", &rows) == SL_OK && rows == 1);
    REQUIRE(sl_batch_seal(x.b) == 0);
    CHECK_INT(x.b->n_rows, 2);
    CHECK_INT(sl_col_i32(x.b->cols[0])[1], 3);
    char buf[16];
    CHECK_STR(str_at(x.b->cols[1], 1, buf), "z");
    CHECK_INT(sl_format_get_stats(x.f)->dropped, 2);
    fx_close(&x);

    REQUIRE(fx_open(&x, "json", "failfast", 2, names, types) == SL_OK);
    CHECK(feed(&x, "{\"a\": 1}", &rows) == SL_OK);
    CHECK(feed(&x, "{\"a\": [}", &rows) == SL_ERR_FORMAT);
    CHECK(strstr(x.err.msg, "FAILFAST") != NULL);
    REQUIRE(sl_batch_seal(x.b) == 0);
    CHECK_INT(x.b->n_rows, 1);
    fx_close(&x);

    sl_format *f;
    sl_options o;
    sl_options_init(&o);
    sl_options_set(&o, "mode", "sometimes");
    sl_error err;
    sl_schema *s1 = sl_schema_new(1);
    sl_schema_set(s1, 0, "a", SL_TYPE_INT);
    CHECK(sl_format_new("json", s1, NULL, &o, &f, &err) == SL_ERR_CONFIG);
    sl_schema_free(s1);
    sl_options_fini(&o);
}

TEST(json_top_level_array)
{
    const char *names[] = {"ID", "ts"};
    const sl_type types[] = {SL_TYPE_STRING, SL_TYPE_TIMESTAMP};
    fx x;
    REQUIRE(fx_open(&x, "json", NULL, 2, names, types) == SL_OK);
    int64_t rows;
    CHECK(feed(&x, "[{\"ID\": \"1\", \"ts\": \"2022-10-13T21:58:18Z\"}, {\"ID\": \"2\"},"
                   " {\"id\": \"3\"}]", &rows) == SL_OK);
    CHECK_INT(rows, 3);
    CHECK(feed(&x, "[]", &rows) == SL_OK && rows == 0);
    REQUIRE(sl_batch_seal(x.b) == 0);
    char buf[16];
    CHECK_STR(str_at(x.b->cols[0], 2, buf), "3");
    CHECK(sl_col_is_null(x.b->cols[1], 1));
    fx_close(&x);
}

TEST(json_hostile_input)
{
    const char *names[] = {"a", "s"};
    const sl_type types[] = {SL_TYPE_BIGINT, SL_TYPE_STRING};
    fx x;
    REQUIRE(fx_open(&x, "json", NULL, 2, names, types) == SL_OK);
    /* deep nesting: capped, malformed, no stack overflow */
    size_t deep = 200000;
    char *d = malloc(deep * 2 + 16);
    REQUIRE(d);
    strcpy(d, "{\"s\":");
    size_t k = 5;
    for (size_t i = 0; i < deep; i++) d[k++] = '[';
    for (size_t i = 0; i < deep; i++) d[k++] = ']';
    d[k++] = '}';
    d[k] = 0;
    int64_t rows;
    CHECK(feed(&x, d, &rows) == SL_OK && rows == 1);
    free(d);
    CHECK(feed(&x, "{\"a\": 123456789012345678901234567890}", &rows) == SL_OK);
    CHECK_INT(sl_format_get_stats(x.f)->malformed, 2); /* deep nesting, huge BIGINT */
    CHECK(feed(&x, "{\"s\": \"\\ud800\"}", &rows) == SL_OK);  /* lone surrogate */
    CHECK(feed(&x, "{\"s\": \"\\u12\"}", &rows) == SL_OK);
    CHECK(feed(&x, "{\"s\": \"abc", &rows) == SL_OK);
    CHECK(feed(&x, "{\"s\": \"a\\", &rows) == SL_OK);
    /* NUL bytes inside the record */
    const char nul[] = "{\"s\": \"a\0b\"}";
    CHECK(sl_format_parse(x.f, nul, sizeof nul - 1, x.b, &rows, &x.err) == SL_OK);
    /* every prefix of a valid record */
    const char *full = "[{\"a\": -12, \"s\": \"x\\u00e9\\n\", \"z\": [1, {\"q\": true}]}]";
    for (size_t n = 0; n <= strlen(full); n++)
        CHECK(sl_format_parse(x.f, full, n, x.b, &rows, &x.err) == SL_OK);
    REQUIRE(sl_batch_seal(x.b) == 0);
    /* the last, complete prefix parsed */
    char buf[16];
    CHECK_INT(sl_col_i64(x.b->cols[0])[x.b->n_rows - 1], -12);
    CHECK_STR(str_at(x.b->cols[1], x.b->n_rows - 1, buf), "x\xc3\xa9\n");
    CHECK_STR(str_at(x.b->cols[1], 2, buf), "\xef\xbf\xbd");
    fx_close(&x);
}

TEST(json_writer)
{
    const char *names[] = {"name", "amount", "n", "ts", "ok", "d", "gone"};
    const sl_type types[] = {SL_TYPE_STRING, SL_TYPE_DOUBLE, SL_TYPE_BIGINT, SL_TYPE_TIMESTAMP,
                             SL_TYPE_BOOLEAN, SL_TYPE_DATE, SL_TYPE_INT};
    fx x;
    REQUIRE(fx_open(&x, "json", NULL, 7, names, types) == SL_OK);
    CHECK(feed(&x, "{\"name\": \"A\\\"l\", \"amount\": 975.38, \"n\": 3, \"ts\": "
                   "\"2022-10-13 21:58:18\", \"ok\": true, \"d\": \"2022-10-13\"}", NULL) == SL_OK);
    REQUIRE(sl_batch_seal(x.b) == 0);
    sl_buf out;
    sl_buf_init(&out);
    sl_format_json_row(x.b, x.s, 0, &out);
    CHECK_STR(out.data, "{\"name\":\"A\\\"l\",\"amount\":975.38,\"n\":3,\"ts\":"
                        "\"2022-10-13T21:58:18.000Z\",\"ok\":true,\"d\":\"2022-10-13\"}");
    sl_buf_fini(&out);
    fx_close(&x);
}

TEST(json_oom_every_allocation)
{
    /* Fails each allocation of a parse in turn: each ends in a clean error
     * (or success) and the batch stays consistent. */
    const char *names[] = {"a", "s", "_corrupt_record"};
    const sl_type types[] = {SL_TYPE_INT, SL_TYPE_STRING, SL_TYPE_STRING};
    for (long n = 1; n < 40; n++) {
        fx x;
        REQUIRE(fx_open(&x, "json", NULL, 3, names, types) == SL_OK);
        sl_mem_fault_arm(n, 1);
        sl_status a = feed(&x, "[{\"a\": 1, \"s\": \"h\\u00e9llo\"}, {\"a\": 2}]", NULL);
        sl_status b = feed(&x, "{\"a\": \"bad\"}", NULL);
        sl_mem_fault_arm(0, 0);
        CHECK(a == SL_OK || a == SL_ERR_NOMEM);
        CHECK(b == SL_OK || b == SL_ERR_NOMEM);
        CHECK(sl_batch_seal(x.b) == 0);
        fx_close(&x);
    }
}

TEST(json_many_batches_and_fuzz)
{
    /* Several batches through one parser (the second and later are sized
     * from the first), every value checked against what was generated. */
    const char *names[] = {"k", "v", "x"};
    const sl_type types[] = {SL_TYPE_BIGINT, SL_TYPE_STRING, SL_TYPE_DOUBLE};
    sl_schema *s = sl_schema_new(3);
    for (int i = 0; i < 3; i++) sl_schema_set(s, i, names[i], types[i]);
    sl_format *f;
    sl_error err;
    REQUIRE(sl_format_new("json", s, NULL, NULL, &f, &err) == SL_OK);
    char rec[128], want[64];
    int bad = 0;
    for (int batch = 0; batch < 3; batch++) {
        sl_batch *b = sl_batch_new_builder(s);
        int n = 3000 + batch * 1000;
        for (int i = 0; i < n; i++) {
            int len = snprintf(rec, sizeof rec, "{\"x\": %d.%d, \"v\": \"s%0*d\", \"k\": %d}",
                               i, i % 10, 1 + i % 9, i, -i);
            int64_t rows;
            if (sl_format_parse(f, rec, (size_t)len, b, &rows, &err) || rows != 1) bad++;
        }
        REQUIRE(sl_batch_seal(b) == 0);
        CHECK_INT(b->n_rows, n);
        for (int i = 0; i < n; i++) {
            size_t l;
            const char *v = sl_col_str(b->cols[1], i, &l);
            int wl = snprintf(want, sizeof want, "s%0*d", 1 + i % 9, i);
            if (l != (size_t)wl || memcmp(v, want, l)) bad++;
            if (sl_col_i64(b->cols[0])[i] != -i) bad++;
            if (sl_col_f64(b->cols[2])[i] != i + (i % 10) / 10.0) bad++;
        }
        sl_batch_unref(b);
    }
    CHECK_INT(bad, 0);

    /* Mutated and truncated records: never a crash, and the batch's rows
     * always equal the rows reported. */
    const char *seeds[] = {
        "{\"k\": 12, \"v\": \"a\\u00e9\\\"b\", \"x\": -1.5e3, \"n\": {\"a\": [1, 2, {}]}}",
        "[{\"k\": 1}, {\"v\": \"x\"}, {\"x\": 2.25}]",
        "{\"V\": [\"nested\", {\"q\": null}], \"k\": \"77\", \"x\": \"3.5\"}"};
    uint64_t r = 42;
    sl_batch *b = sl_batch_new_builder(s);
    int64_t total = 0;
    for (int it = 0; it < 30000; it++) {
        const char *seed = seeds[it % 3];
        size_t n = strlen(seed);
        char buf[256];
        memcpy(buf, seed, n);
        r = r * 6364136223846793005ULL + 1442695040888963407ULL;
        int muts = (int)(r >> 60) % 4;
        for (int m = 0; m < muts; m++) {
            r = r * 6364136223846793005ULL + 1442695040888963407ULL;
            size_t pos = (size_t)(r >> 33) % n;
            static const char alphabet[] = "{}[]\",:\\u0e.-+ tfn\0x9";
            buf[pos] = alphabet[(r >> 20) % (sizeof alphabet - 1)];
        }
        if ((r >> 12) % 5 == 0) n = (size_t)(r >> 40) % (n + 1);
        int64_t rows = 0;
        CHECK(sl_format_parse(f, buf, n, b, &rows, &err) == SL_OK);
        total += rows;
    }
    REQUIRE(sl_batch_seal(b) == 0);
    CHECK_INT(b->n_rows, total);
    sl_batch_unref(b);
    sl_format_free(f);
    sl_schema_free(s);
}

TEST(json_non_numeric_numbers)
{
    const char *names[] = {"d"};
    const sl_type types[] = {SL_TYPE_DOUBLE};
    fx x;
    REQUIRE(fx_open(&x, "json", NULL, 1, names, types) == SL_OK);
    CHECK(feed(&x, "{\"d\": NaN}", NULL) == SL_OK);
    CHECK(feed(&x, "{\"d\": -Infinity}", NULL) == SL_OK);
    CHECK(feed(&x, "{\"d\": Infinity}", NULL) == SL_OK);
    CHECK(feed(&x, "{\"d\": \"1e3\"}", NULL) == SL_OK);
    CHECK(feed(&x, "{\"d\": -0.000123456789012345678}", NULL) == SL_OK);
    REQUIRE(sl_batch_seal(x.b) == 0);
    CHECK_INT(sl_format_get_stats(x.f)->malformed, 0);
    const double *d = sl_col_f64(x.b->cols[0]);
    CHECK(d[0] != d[0]);
    CHECK(isinf(d[1]) && d[1] < 0);
    CHECK(isinf(d[2]) && d[2] > 0);
    CHECK(d[3] == 1000.0);
    CHECK(d[4] == -0.000123456789012345678);
    sl_buf out;
    sl_buf_init(&out);
    sl_format_json_row(x.b, x.s, 0, &out);
    CHECK_STR(out.data, "{\"d\":\"NaN\"}");
    sl_buf_fini(&out);
    fx_close(&x);
}
