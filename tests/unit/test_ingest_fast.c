/* The ingest fast paths against the general code they shortcut:
 *  - sl_text_to_timestamp's fixed-shape path ("yyyy-MM-dd HH:mm:ss[.f]",
 *    'T', 'Z') must accept, refuse and convert exactly as the general
 *    parser does for the same instant written with a "+00:00" offset
 *    (which the fast path never takes);
 *  - the file source's block reader must split lines as getline did: a
 *    line longer than the read block, CRLF endings, blank lines, a last
 *    line without its newline;
 *  - a builder batch is refilled only when the plan kept no reference to
 *    it (a kept batch's rows must not change under it);
 *  - sl_f64_to_text's integer-arithmetic digits must be those of the
 *    printf/strtod search it replaces for common magnitudes (kept here as
 *    the reference). */
#include "test.h"
#include "core/buf.h"
#include "core/column.h"
#include "core/mem.h"
#include "core/status.h"
#include "core/textconv.h"
#include "format/format.h"
#include "io/connector.h"

#include <math.h>
#include <stdlib.h>
#include <unistd.h>

static uint64_t rnd(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

TEST(ingest_timestamp_fast_path_matches_general)
{
    uint64_t seed = 7;
    int fast_ok = 0, refused = 0;
    for (int t = 0; t < 200000; t++) {
        char s[64], g[80];
        /* fields mostly in range, sometimes out of it (month 0/13, day 31
         * of a short month, 29 Feb of non-leap years, hour 24, second 60) */
        int y = (int)(rnd(&seed) % 10000), mo = (int)(rnd(&seed) % 14), d = (int)(rnd(&seed) % 33);
        int hh = (int)(rnd(&seed) % 26), mi = (int)(rnd(&seed) % 61), ss = (int)(rnd(&seed) % 61);
        if (rnd(&seed) % 4) { mo = 1 + mo % 12; d = 1 + d % 28; hh %= 24; mi %= 60; ss %= 60; }
        if (rnd(&seed) % 8 == 0) { mo = 2; d = 29; }
        int n = snprintf(s, sizeof s, "%04d-%02d-%02d%c%02d:%02d:%02d", y, mo, d,
                         rnd(&seed) % 2 ? ' ' : 'T', hh, mi, ss);
        int fd = (int)(rnd(&seed) % 11) - 1; /* fraction digits: none, ".", 1-9 */
        if (fd >= 0) {
            s[n++] = '.';
            for (int k = 0; k < fd; k++) s[n++] = (char)('0' + rnd(&seed) % 10);
        }
        s[n] = 0;
        snprintf(g, sizeof g, "%s+00:00", s);
        if (rnd(&seed) % 3 == 0) { s[n++] = 'Z'; s[n] = 0; }
        int64_t a = 0, b = 0;
        bool ra = sl_text_to_timestamp(s, strlen(s), &a), rb = sl_text_to_timestamp(g, strlen(g), &b);
        if (ra != rb || (ra && a != b)) {
            fprintf(stderr, "  '%s' -> %d %lld, '%s' -> %d %lld\n", s, ra, (long long)a, g, rb, (long long)b);
            CHECK(0);
            return;
        }
        fast_ok += ra;
        refused += !ra;
    }
    /* both outcomes were exercised */
    CHECK(fast_ok > 100000);
    CHECK(refused > 10000);
    int64_t us;
    CHECK(sl_text_to_timestamp("2024-02-29 23:59:59.999999", 26, &us) && us == 1709251199999999LL);
    CHECK(!sl_text_to_timestamp("2023-02-29 00:00:00", 19, &us));
    CHECK(sl_text_to_timestamp(" 2024-01-01T00:00:00.5Z ", 24, &us) && us == 1704067200500000LL);
}

/* ---- the file source's line splitting ----------------------------------- */

typedef struct collected {
    sl_buf text;     /* every value, '|'-terminated */
    int64_t rows;
    sl_batch *kept;  /* the first batch, kept past its emit */
    sl_buf kept_text;
} collected;

static void values(const sl_batch *b, sl_buf *out)
{
    for (int64_t i = 0; i < b->n_rows; i++) {
        size_t n;
        const char *s = sl_col_str(b->cols[0], i, &n);
        sl_buf_append(out, s, n);
        sl_buf_putc(out, '|');
    }
}

static sl_status collect(void *ctx, sl_batch *b, sl_error *err)
{
    collected *c = ctx;
    values(b, &c->text);
    c->rows += b->n_rows;
    if (!c->kept) {
        c->kept = sl_batch_ref(b);
        values(b, &c->kept_text);
    }
    return SL_OK;
}

static void read_dir(int *sl_test_failed, const char *dir, collected *c)
{
    sl_error err = {0};
    sl_schema *sch = sl_schema_new(1);
    sl_options o;
    sl_options_init(&o);
    sl_source *src = NULL;
    char *end = NULL;
    if (!sch || sl_schema_set(sch, 0, "value", SL_TYPE_STRING) || sl_options_set(&o, "connector", "file") ||
        sl_options_set(&o, "path", dir)) {
        CHECK(0);
    } else if (sl_source_new("s", sch, &o, true, &src, &err) || src->ops->plan(src, NULL, &end, &err) ||
               src->ops->read(src, NULL, end, collect, c, &err)) {
        fprintf(stderr, "  %s\n", err.msg);
        CHECK(0);
    }
    sl_free(end);
    sl_source_free(src);
    sl_options_fini(&o);
    sl_schema_free(sch);
}

TEST(ingest_file_lines_split_like_getline)
{
    char dir[] = "/tmp/sluice-ingest-XXXXXX";
    REQUIRE(mkdtemp(dir));
    char path[512];
    snprintf(path, sizeof path, "%s/a.txt", dir);
    FILE *f = fopen(path, "wb");
    REQUIRE(f);
    /* 40,000 short lines (over two batches), a 3 MB line (over the 1 MB
     * read block), CRLF, blank lines, and a last line without '\n' */
    sl_buf want;
    sl_buf_init(&want);
    for (int i = 0; i < 40000; i++) {
        fprintf(f, "line %d%s\n", i, i % 7 == 0 ? "\r" : "");
        if (i % 1000 == 0) fputs("\n\r\n", f);
        sl_buf_printf(&want, "line %d|", i);
    }
    size_t big = 3u << 20;
    char *long_line = malloc(big);
    REQUIRE(long_line);
    for (size_t i = 0; i < big; i++) long_line[i] = (char)('a' + i % 26);
    fwrite(long_line, 1, big, f);
    fputs("\r\n\n", f);
    sl_buf_append(&want, long_line, big);
    sl_buf_putc(&want, '|');
    fputs("last", f);
    sl_buf_append(&want, "last|", 5);
    fclose(f);

    collected c = {0};
    sl_buf_init(&c.text);
    sl_buf_init(&c.kept_text);
    read_dir(sl_test_failed, dir, &c);
    CHECK_INT(c.rows, 40002);
    CHECK(c.text.len == want.len && !memcmp(c.text.data, want.data, want.len));
    /* the batch kept by the consumer still holds its own rows */
    REQUIRE(c.kept);
    sl_buf again;
    sl_buf_init(&again);
    values(c.kept, &again);
    CHECK(again.len == c.kept_text.len && !memcmp(again.data, c.kept_text.data, again.len));
    CHECK_INT(c.kept->n_rows, SL_BATCH_ROWS);
    sl_buf_fini(&again);
    sl_batch_unref(c.kept);
    sl_buf_fini(&c.text);
    sl_buf_fini(&c.kept_text);
    sl_buf_fini(&want);
    free(long_line);
    unlink(path);
    rmdir(dir);
}

/* ---- doubles to text ------------------------------------------------------ */

/* The printf/strtod search (15, 16, then 17 digits; every length for a
 * subnormal), as textconv.c does it outside the fast path, rendered as
 * Java's Double.toString. */
static void ref_f64_text(double v, char *buf)
{
    if (v == 0 || isnan(v) || isinf(v)) { sl_f64_to_text(v, buf); return; }
    char *p = buf;
    if (signbit(v)) { *p++ = '-'; v = -v; }
    char tmp[40], dg[24];
    int nd = 0, e = 0;
    for (int prec = v < 2.2250738585072014e-308 ? 1 : 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*e", prec - 1, v);
        if (prec == 17 || strtod(tmp, NULL) == v) {
            char *q = tmp;
            for (; *q && *q != 'e'; q++)
                if (*q >= '0' && *q <= '9') dg[nd++] = *q;
            e = atoi(q + 1);
            while (nd > 1 && dg[nd - 1] == '0') nd--;
            break;
        }
    }
    if (v >= 1e-3 && v < 1e7) {
        if (e >= 0) {
            for (int k = 0; k <= e; k++) *p++ = k < nd ? dg[k] : '0';
            *p++ = '.';
            if (nd > e + 1) for (int k = e + 1; k < nd; k++) *p++ = dg[k];
            else *p++ = '0';
        } else {
            *p++ = '0';
            *p++ = '.';
            for (int k = 0; k < -e - 1; k++) *p++ = '0';
            for (int k = 0; k < nd; k++) *p++ = dg[k];
        }
        *p = 0;
        return;
    }
    *p++ = dg[0];
    *p++ = '.';
    if (nd > 1) for (int k = 1; k < nd; k++) *p++ = dg[k];
    else *p++ = '0';
    sprintf(p, "E%d", e);
}

static int f64_case(int *sl_test_failed, double v)
{
    char got[SL_TEXT_MAX], want[SL_TEXT_MAX];
    sl_f64_to_text(v, got);
    ref_f64_text(v, want);
    if (strcmp(got, want)) {
        fprintf(stderr, "  %a: got %s, want %s\n", v, got, want);
        CHECK(0);
        return 1;
    }
    return 0;
}

TEST(ingest_f64_to_text_matches_printf_search)
{
    uint64_t seed = 11;
    int bad = 0;
    static const double fixed[] = {1e-5, 9.999999999999999e-6, 1e-3, 0.1, 0.2, 0.30000000000000004, 1.0, 2.0,
                                   3.0, 0.5, 100.0, 969.02, 1e7, 9999999.999999998, 1e15, 999999999999999.9,
                                   123456789012345.6, 4.35, 2.675, 1.0000000000000002, 0.9999999999999999,
                                   5e-324, 1.7976931348623157e308, 2.2250738585072014e-308, 1e22, 1e23};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0] && bad < 10; i++) {
        bad += f64_case(sl_test_failed, fixed[i]);
        bad += f64_case(sl_test_failed, -fixed[i]);
    }
    for (int t = 0; t < 300000 && bad < 10; t++) {
        uint64_t r = rnd(&seed);
        double v;
        switch (t % 4) {
        case 0: /* any bit pattern of the fast path's range and around it */
            v = ldexp(1.0 + (double)(r >> 12) / 4503599627370496.0, (int)(r % 70) - 20);
            break;
        case 1: /* short decimals, as a CSV holds them */
            v = (double)(int64_t)(r % 100000000) / pow(10, (double)((r >> 40) % 9));
            break;
        case 2: /* means of such values */
            v = (double)(int64_t)(r % 1000000007) / (double)(1 + (r >> 35) % 9999);
            break;
        default: /* any finite double */
            memcpy(&v, &r, sizeof v);
            if (isnan(v) || isinf(v)) v = 1.5;
            break;
        }
        bad += f64_case(sl_test_failed, v);
    }
    CHECK(bad == 0);
}

/* ---- integers and timestamps to text ----------------------------------- */

TEST(ingest_int_and_timestamp_text_match_printf)
{
    uint64_t seed = 13;
    char got[SL_TEXT_MAX], want[SL_TEXT_MAX];
    static const int64_t ints[] = {0, 1, -1, 9, 10, -10, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        CHECK_INT(sl_i64_to_text(ints[i], got), snprintf(want, sizeof want, "%lld", (long long)ints[i]));
        CHECK_STR(got, want);
    }
    int bad = 0;
    for (int t = 0; t < 200000 && bad < 5; t++) {
        int64_t v = (int64_t)rnd(&seed) >> (rnd(&seed) % 64);
        sl_i64_to_text(v, got);
        snprintf(want, sizeof want, "%lld", (long long)v);
        if (strcmp(got, want)) { fprintf(stderr, "  %s != %s\n", got, want); bad++; }
        /* timestamps from year -300 to 12000, whole seconds, ms and us */
        int64_t us = (int64_t)(rnd(&seed) % 385000000000ULL) * 1000000 - 71000000000LL * 1000000;
        int kind = (int)(rnd(&seed) % 3);
        if (kind == 1) us += (int64_t)(rnd(&seed) % 1000) * 1000;
        if (kind == 2) us += (int64_t)(rnd(&seed) % 1000000);
        /* the reference: the civil fields printed with snprintf */
        int64_t secs = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000), frac = us - secs * 1000000;
        int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400), sod = secs - days * 86400;
        int64_t y;
        unsigned mo, d;
        sl_civil_from_days(days, &y, &mo, &d);
        char base[48], fr[24] = "", want2[SL_TEXT_MAX + 48];
        snprintf(base, sizeof base, "%04lld-%02u-%02u %02u:%02u:%02u", (long long)y, mo, d, (unsigned)(sod / 3600),
                 (unsigned)(sod / 60 % 60), (unsigned)(sod % 60));
        if (frac) {
            snprintf(fr, sizeof fr, ".%06lld", (long long)frac);
            size_t k = strlen(fr);
            while (fr[k - 1] == '0') fr[--k] = 0;
        }
        snprintf(want2, sizeof want2, "%s%s", base, fr);
        sl_timestamp_to_text(us, got);
        if (strcmp(got, want2)) { fprintf(stderr, "  %lld: %s != %s\n", (long long)us, got, want2); bad++; }
        snprintf(base, sizeof base, "%04lld-%02u-%02uT%02u:%02u:%02u", (long long)y, mo, d, (unsigned)(sod / 3600),
                 (unsigned)(sod / 60 % 60), (unsigned)(sod % 60));
        snprintf(want2, sizeof want2, "%s.%03lldZ", base, (long long)(frac / 1000));
        sl_timestamp_to_iso(us, got);
        if (strcmp(got, want2)) { fprintf(stderr, "  %lld: %s != %s\n", (long long)us, got, want2); bad++; }
    }
    CHECK(bad == 0);
}

/* ---- CSV field splitting ------------------------------------------------- */

/* Random records of 5 fields — plain or quoted (with separators, doubled
 * quotes, escaped quotes inside), of 0 to 40 bytes so records cross the
 * splitter's 16-byte blocks at every offset, some ending in CR — must come
 * back as the fields they were made of (an empty unquoted field is NULL). */
TEST(ingest_csv_split_matches_generated_fields)
{
    enum { NF = 5 };
    sl_error err = {0};
    sl_schema *sch = sl_schema_new(NF);
    REQUIRE(sch);
    for (int c = 0; c < NF; c++) {
        char name[16];
        snprintf(name, sizeof name, "c%d", c);
        REQUIRE(!sl_schema_set(sch, c, name, SL_TYPE_STRING));
    }
    sl_options o;
    sl_options_init(&o);
    sl_options_set(&o, "header", "false");
    sl_format *f = NULL;
    REQUIRE(!sl_format_new("csv", sch, NULL, &o, &f, &err));
    sl_batch *b = sl_batch_new_builder(sch);
    REQUIRE(b);
    uint64_t seed = 17;
    static const char alpha[] = "abcxyz0123456789 ;.-_";
    int bad = 0;
    for (int t = 0; t < 20000 && bad < 5; t++) {
        char rec[512], want[NF][128];
        bool isnull[NF];
        size_t n = 0;
        for (int c = 0; c < NF; c++) {
            if (c) rec[n++] = ',';
            size_t len = rnd(&seed) % 41, k = 0;
            bool quoted = rnd(&seed) % 5 == 0;
            if (quoted) rec[n++] = '"';
            for (size_t i = 0; i < len; i++) {
                char ch = alpha[rnd(&seed) % (sizeof alpha - 1)];
                if (quoted && rnd(&seed) % 8 == 0) ch = rnd(&seed) % 2 ? ',' : '"';
                if (quoted && ch == '"') {
                    bool esc = rnd(&seed) % 2;
                    rec[n++] = esc ? '\\' : '"'; /* \" or "" */
                    rec[n++] = '"';
                } else {
                    rec[n++] = ch;
                }
                want[c][k++] = ch;
            }
            if (quoted) rec[n++] = '"';
            want[c][k] = 0;
            isnull[c] = !quoted && len == 0;
        }
        if (rnd(&seed) % 4 == 0) rec[n++] = '\r';
        int64_t rows = 0;
        if (sl_format_parse(f, rec, n, b, &rows, &err) || rows != 1) {
            fprintf(stderr, "  record %.*s: not one row (%s)\n", (int)n, rec, err.msg);
            bad++;
            continue;
        }
        int64_t r = b->cols[0]->len - 1;
        for (int c = 0; c < NF; c++) {
            size_t gl = 0;
            const char *g = sl_col_is_null(b->cols[c], r) ? NULL : sl_col_str(b->cols[c], r, &gl);
            bool ok = isnull[c] ? g == NULL : (g && gl == strlen(want[c]) && !memcmp(g, want[c], gl));
            if (!ok) {
                fprintf(stderr, "  record %.*s field %d: got %.*s, want %s\n", (int)n, rec, c, (int)gl,
                        g ? g : "NULL", isnull[c] ? "NULL" : want[c]);
                bad++;
            }
        }
        if (b->cols[0]->len >= 4096) { sl_batch_unref(b); b = sl_batch_new_builder(sch); REQUIRE(b); }
    }
    CHECK(bad == 0);
    sl_batch_unref(b);
    sl_format_free(f);
    sl_options_fini(&o);
    sl_schema_free(sch);
}
