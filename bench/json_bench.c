/* Benchmark (a) of issue 2: JSON -> columns throughput.
 *
 * Generates, with a fixed seed, two in-memory JSON-lines workloads — the
 * lecture's transactions ({"name", "surname", "amount", "delta_t", "flag"})
 * and the reference notebook's bureau messages (a JSON array of 1-4 objects
 * with the 26 string fields of its bureau schema plus ts) — then measures on
 * the same bytes:
 *   (i)   a plain memchr line split: the floor any line parser pays;
 *   (ii)  simdjson On-Demand parsing every field of every line (the
 *         reference, json_simdjson.cpp);
 *   (iii) sluice's schema-directed parser appending into columns, in batches
 *         of 65536 rows as a source would.
 * Each is run several times and the best run is reported, in MB/s and rows/s,
 * with sluice's ratios to both references.  Usage:
 *   json_bench [lecture_lines [bureau_lines [repeats]]] */
#include "core/column.h"
#include "core/status.h"
#include "format/format.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int sj_parse_lines(const char *buf, const size_t *starts, const size_t *lens, size_t n,
                   size_t buf_cap, uint64_t *out_rows, uint64_t *checksum);

#define PAD 64

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    /* xorshift64*: fixed seed, so every run sees the same bytes */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}
static int rndi(int n) { return (int)(rnd() % (uint64_t)n); }

typedef struct text {
    char *p;
    size_t len, cap;
} text;

static void put(text *t, const char *s, size_t n)
{
    if (t->len + n + PAD > t->cap) {
        t->cap = (t->len + n + PAD) * 2;
        t->p = realloc(t->p, t->cap);
        if (!t->p) { perror("realloc"); exit(1); }
    }
    memcpy(t->p + t->len, s, n);
    t->len += n;
}
static void puts_(text *t, const char *s) { put(t, s, strlen(s)); }
static void printf_(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void printf_(text *t, const char *fmt, ...)
{
    char b[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b, sizeof b, fmt, ap);
    va_end(ap);
    put(t, b, (size_t)n);
}

static const char *first_names[] = {"Alice", "Bob", "Carol", "Dave", "Eve", "Frank", "Grace",
                                    "Heidi", "Ivan", "Judy", "Mallory", "Niaj", "Olivia",
                                    "Peggy", "Rupert", "Sybil", "Trent", "Victor", "Walter"};
static const char *surnames[] = {"Johnson", "Smith", "Williams", "Brown", "Jones", "Garcia",
                                 "Miller", "Davis", "Rodriguez", "Martinez", "Wilson",
                                 "Anderson", "Taylor", "Thomas", "Moore", "Jackson"};
#define NELEM(a) ((int)(sizeof(a) / sizeof(a)[0]))

static void gen_lecture(text *t, int n)
{
    for (int i = 0; i < n; i++) {
        printf_(t, "{\"name\": \"%s\", \"surname\": \"%s\", \"amount\": %d.%02d, "
                   "\"delta_t\": %d.%02d, \"flag\": %d}\n",
                first_names[rndi(NELEM(first_names))], surnames[rndi(NELEM(surnames))],
                rndi(1000), rndi(100), rndi(3), rndi(100), rndi(10) == 0);
    }
}

static const char *bureau_fields[] = {
    "ID", "SELF-INDICATOR", "MATCH-TYPE", "ACCT-TYPE", "CONTRIBUTOR-TYPE", "DATE-REPORTED",
    "OWNERSHIP-IND", "ACCOUNT-STATUS", "DISBURSED-DT", "CLOSE-DT", "LAST-PAYMENT-DATE",
    "CREDIT-LIMIT/SANC AMT", "DISBURSED-AMT/HIGH CREDIT", "INSTALLMENT-AMT", "CURRENT-BAL",
    "INSTALLMENT-FREQUENCY", "OVERDUE-AMT", "WRITE-OFF-AMT", "ASSET_CLASS",
    "REPORTED DATE - HIST", "DPD - HIST", "CUR BAL - HIST", "AMT OVERDUE - HIST",
    "AMT PAID - HIST", "TENURE"};

static void date_str(char *b)
{
    sprintf(b, "%02d-%02d-%04d", 1 + rndi(28), 1 + rndi(12), 2005 + rndi(15));
}

static void amount_str(char *b)
{
    /* the bureau file writes amounts with Indian digit grouping */
    int lakh = rndi(50), th = rndi(100), rest = rndi(1000);
    if (lakh) sprintf(b, "%d,%02d,%03d", lakh, th, rest);
    else sprintf(b, "%d,%03d", th + 1, rest);
}

static void hist_str(char *b, int kind)
{
    int n = 3 + rndi(10);
    char *p = b;
    for (int k = 0; k < n; k++) {
        if (kind == 0) p += sprintf(p, "%04d%02d%02d,", 2019 - k / 12, 12 - k % 12, 28);
        else if (kind == 1) p += sprintf(p, "%03d", rndi(20) ? 0 : rndi(90));
        else p += sprintf(p, "%d,", rndi(500000));
    }
    *p = 0;
}

static void gen_bureau(text *t, int n, int id0)
{
    static const char *acct[] = {"Gold Loan", "Tractor Loan", "Auto Loan", "Credit Card",
                                 "Business Loan General", "Housing Loan", "Personal Loan",
                                 "Two-Wheeler Loan", "Consumer Loan"};
    static const char *status[] = {"Active", "Closed", "Delinquent", "Written Off"};
    static const char *contrib[] = {"NBF", "PRB", "MFI", "NAB", "COP"};
    static const char *freq[] = {"Monthly", "Quarterly", "Weekly", "Bi-Monthly", ""};
    for (int i = 0; i < n; i++) {
        int objs = 1 + rndi(4);
        puts_(t, "[");
        for (int o = 0; o < objs; o++) {
            char v[25][160];
            sprintf(v[0], "%d", id0 + i);
            sprintf(v[1], "%s", rndi(2) ? "true" : "false");
            sprintf(v[2], "%s", rndi(4) ? "PRIMARY" : "SECONDARY");
            sprintf(v[3], "%s", acct[rndi(NELEM(acct))]);
            sprintf(v[4], "%s", contrib[rndi(NELEM(contrib))]);
            date_str(v[5]);
            sprintf(v[6], "%s", rndi(5) ? "Individual" : "Joint");
            sprintf(v[7], "%s", status[rndi(NELEM(status))]);
            date_str(v[8]);
            if (rndi(2)) date_str(v[9]); else v[9][0] = 0;
            date_str(v[10]);
            amount_str(v[11]);
            amount_str(v[12]);
            amount_str(v[13]);
            amount_str(v[14]);
            sprintf(v[15], "%s", freq[rndi(NELEM(freq))]);
            sprintf(v[16], "%d", rndi(4) ? 0 : rndi(20000));
            sprintf(v[17], "%d", rndi(20) ? 0 : rndi(50000));
            sprintf(v[18], "%s", rndi(6) ? "Standard" : "Sub Standard");
            hist_str(v[19], 0);
            hist_str(v[20], 1);
            hist_str(v[21], 2);
            hist_str(v[22], 2);
            hist_str(v[23], 2);
            sprintf(v[24], "%d", 6 + rndi(60));
            if (o) puts_(t, ", ");
            puts_(t, "{");
            for (int f = 0; f < 25; f++) printf_(t, "\"%s\": \"%s\", ", bureau_fields[f], v[f]);
            printf_(t, "\"ts\": \"2022-10-%02d %02d:%02d:%02d\"}", 1 + rndi(28), rndi(24),
                    rndi(60), rndi(60));
        }
        puts_(t, "]\n");
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct lines {
    size_t *start, *len;
    size_t n;
} lines;

static double bench_split(const text *t, lines *ln)
{
    double t0 = now_s();
    size_t n = 0, pos = 0;
    while (pos < t->len) {
        const char *e = memchr(t->p + pos, '\n', t->len - pos);
        size_t end = e ? (size_t)(e - t->p) : t->len;
        ln->start[n] = pos;
        ln->len[n] = end - pos;
        n++;
        pos = end + 1;
    }
    ln->n = n;
    return now_s() - t0;
}

static double bench_simdjson(const text *t, const lines *ln, uint64_t *rows)
{
    uint64_t sum;
    double t0 = now_s();
    if (sj_parse_lines(t->p, ln->start, ln->len, ln->n, t->cap, rows, &sum)) {
        fprintf(stderr, "simdjson failed\n");
        exit(1);
    }
    return now_s() - t0;
}

static double bench_sluice(const text *t, const lines *ln, const sl_schema *s, uint64_t *rows)
{
    sl_format *f;
    sl_error err;
    if (sl_format_new("json", s, NULL, NULL, &f, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        exit(1);
    }
    double t0 = now_s();
    sl_batch *b = sl_batch_new_builder(s);
    uint64_t total = 0;
    int64_t in_batch = 0;
    for (size_t i = 0; i < ln->n; i++) {
        int64_t r;
        if (sl_format_parse(f, t->p + ln->start[i], ln->len[i], b, &r, &err)) {
            fprintf(stderr, "%s\n", err.msg);
            exit(1);
        }
        in_batch += r;
        if (in_batch >= 65536) {
            total += (uint64_t)in_batch;
            sl_batch_seal(b);
            sl_batch_unref(b);
            b = sl_batch_new_builder(s);
            in_batch = 0;
        }
    }
    total += (uint64_t)in_batch;
    sl_batch_seal(b);
    sl_batch_unref(b);
    double dt = now_s() - t0;
    if (sl_format_get_stats(f)->malformed) {
        fprintf(stderr, "sluice: %lld malformed records\n",
                (long long)sl_format_get_stats(f)->malformed);
        exit(1);
    }
    sl_format_free(f);
    *rows = total;
    return dt;
}

static void run(const char *label, const text *t, const sl_schema *s, int repeats)
{
    lines ln = {0};
    size_t maxl = 1;
    for (size_t k = 0; k < t->len; k++) maxl += t->p[k] == '\n';
    ln.start = malloc(maxl * sizeof *ln.start);
    ln.len = malloc(maxl * sizeof *ln.len);
    double best_split = 1e30, best_sj = 1e30, best_sl = 1e30;
    uint64_t rows_sj = 0, rows_sl = 0;
    for (int r = 0; r < repeats; r++) {
        double d = bench_split(t, &ln);
        if (d < best_split) best_split = d;
        d = bench_simdjson(t, &ln, &rows_sj);
        if (d < best_sj) best_sj = d;
        d = bench_sluice(t, &ln, s, &rows_sl);
        if (d < best_sl) best_sl = d;
    }
    if (rows_sj != rows_sl) {
        fprintf(stderr, "%s: row counts differ: simdjson %llu, sluice %llu\n", label,
                (unsigned long long)rows_sj, (unsigned long long)rows_sl);
        exit(1);
    }
    double mb = (double)t->len / 1e6;
    printf("%s: %.1f MB, %zu lines, %llu rows (best of %d)\n", label, mb, ln.n,
           (unsigned long long)rows_sl, repeats);
    printf("  %-28s %9.0f MB/s %12.0f lines/s\n", "memchr line split (floor)", mb / best_split,
           (double)ln.n / best_split);
    printf("  %-28s %9.0f MB/s %12.0f rows/s\n", "simdjson ondemand, all fields", mb / best_sj,
           (double)rows_sj / best_sj);
    printf("  %-28s %9.0f MB/s %12.0f rows/s\n", "sluice JSON -> columns", mb / best_sl,
           (double)rows_sl / best_sl);
    printf("  sluice / simdjson time: %.2fx   sluice / memchr time: %.1fx\n", best_sl / best_sj,
           best_sl / best_split);
    free(ln.start);
    free(ln.len);
}

int main(int argc, char **argv)
{
    int n_lec = argc > 1 ? atoi(argv[1]) : 1000000;
    int n_bur = argc > 2 ? atoi(argv[2]) : 40000;
    int repeats = argc > 3 ? atoi(argv[3]) : 3;

    text lec = {0}, bur = {0};
    gen_lecture(&lec, n_lec);
    gen_bureau(&bur, n_bur, 100000);
    memset(lec.p + lec.len, 0, PAD);
    memset(bur.p + bur.len, 0, PAD);

    sl_schema *ls = sl_schema_new(5);
    sl_schema_set(ls, 0, "name", SL_TYPE_STRING);
    sl_schema_set(ls, 1, "surname", SL_TYPE_STRING);
    sl_schema_set(ls, 2, "amount", SL_TYPE_DOUBLE);
    sl_schema_set(ls, 3, "delta_t", SL_TYPE_DOUBLE);
    sl_schema_set(ls, 4, "flag", SL_TYPE_INT);
    sl_schema *bs = sl_schema_new(26);
    for (int f = 0; f < 25; f++) sl_schema_set(bs, f, bureau_fields[f], SL_TYPE_STRING);
    sl_schema_set(bs, 25, "ts", SL_TYPE_TIMESTAMP);

    printf("JSON -> columns, one core, fixed seed\n");
    run("lecture records", &lec, ls, repeats);
    run("bureau records (arrays of objects)", &bur, bs, repeats);
    sl_schema_free(ls);
    sl_schema_free(bs);
    free(lec.p);
    free(bur.p);
    return 0;
}
