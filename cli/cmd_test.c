/* `sluice test`: runs SQL logic tests (.slt) and streaming scenarios
 * (.scn) through the public API, and prints "N passed, N failed".
 *
 * Both formats are records separated by blank lines ('#' starts a comment):
 *
 *   data NAME            the lines below go to file ${DATA}/NAME (a fresh
 *                        directory per test file); NAME may have a dir/
 *   statement ok         SQL that must succeed (kept for later records)
 *   statement error TEXT SQL that must fail with TEXT in the message
 *   query [nosort]       a SELECT run over the declared tables and sources
 *   ----                 until they are exhausted; the rows below, cells
 *   rows…                separated by one space (sorted unless nosort)
 *
 * and, for scenarios, after the statements (which create sinks with
 * connector = 'callback' and name = 'out'):
 *
 *   batch FILE           the lines below are written as the new file FILE
 *   lines…               under ${DATA}; the engine then steps until no
 *   ----                 batch runs (no-data batches included), and the
 *   rows…                rows every 'out' sink received must be these
 *
 * Scenarios never sleep: time is the engine's step, and event time comes
 * from the data. */
#include "cli.h"
#include "sluice.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct rows {
    char **v;
    size_t n, cap;
} rows;

static void rows_add(rows *r, const char *s)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->v = realloc(r->v, r->cap * sizeof *r->v);
        if (!r->v) { perror("sluice test"); exit(1); }
    }
    r->v[r->n++] = strdup(s);
}

static void rows_clear(rows *r)
{
    for (size_t i = 0; i < r->n; i++) free(r->v[i]);
    r->n = 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int collect(const sl_batch *b, const char *const *names, int64_t batch_id, void *opaque)
{
    rows *r = opaque;
    char cell[4096], line[16384];
    for (int64_t i = 0; i < sl_batch_num_rows(b); i++) {
        size_t n = 0;
        line[0] = 0;
        for (int c = 0; c < sl_batch_num_columns(b); c++) {
            sl_batch_cell_text(b, c, i, cell, sizeof cell);
            n += (size_t)snprintf(line + n, sizeof line - n, "%s%s", c ? " " : "", cell);
            if (n >= sizeof line) n = sizeof line - 1;
        }
        rows_add(r, line);
    }
    return 0;
}

typedef struct runner {
    const char *path;
    char data_dir[256];
    char *script;         /* accumulated statements */
    size_t script_len;
    int passed, failed;
    sl_engine *eng;       /* scenario engine, started at the first batch */
    rows got;
} runner;

static void fail(runner *t, int line, const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "FAIL %s:%d: ", t->path, line);
    fprintf(stderr, fmt, a ? a : "", b ? b : "");
    fputc('\n', stderr);
    t->failed++;
}

static void script_add(runner *t, const char *sql)
{
    size_t n = strlen(sql);
    t->script = realloc(t->script, t->script_len + n + 3);
    if (!t->script) { perror("sluice test"); exit(1); }
    memcpy(t->script + t->script_len, sql, n);
    t->script_len += n;
    t->script[t->script_len++] = '\n';
    t->script[t->script_len] = 0;
}

static sl_engine *make_engine(runner *t, const char *extra, rows *out, sl_error *err)
{
    sl_config *conf = sl_config_new();
    sl_config_set(conf, "var.DATA", t->data_dir, err);
    sl_config_set(conf, "progress", "false", err);
    sl_engine *eng = NULL;
    sl_status st = sl_engine_new(conf, &eng, err);
    sl_config_free(conf);
    if (st) return NULL;
    if (sl_engine_register_sink(eng, "out", collect, out, err) ||
        (t->script && sl_engine_exec(eng, t->script, t->path, err)) ||
        (extra && sl_engine_exec(eng, extra, t->path, err))) {
        sl_engine_free(eng);
        return NULL;
    }
    return eng;
}

static int mkdirs(const char *path)
{
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') { *p = 0; mkdir(tmp, 0755); *p = '/'; }
    return mkdir(tmp, 0755) && errno != EEXIST ? -1 : 0;
}

static void write_file(runner *t, const char *name, const char *body)
{
    char path[1024], tmp[1100], dir[1024];
    snprintf(path, sizeof path, "%s/%s", t->data_dir, name);
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) { *slash = 0; mkdirs(dir); }
    /* Write then rename, so a running file source never sees half a file;
     * the dot name keeps the temporary file hidden from it. */
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, slash ? slash + 1 : name);
    FILE *f = fopen(tmp, "w");
    if (!f || fputs(body, f) < 0 || fclose(f) || rename(tmp, path)) {
        fprintf(stderr, "sluice test: cannot write %s\n", path);
        exit(1);
    }
}

static void compare(runner *t, int line, rows *got, rows *want, int sorted)
{
    if (sorted) {
        if (got->n) qsort(got->v, got->n, sizeof *got->v, cmp_str);
        if (want->n) qsort(want->v, want->n, sizeof *want->v, cmp_str);
    }
    size_t n = got->n > want->n ? got->n : want->n;
    for (size_t i = 0; i < n; i++) {
        const char *g = i < got->n ? got->v[i] : "(no row)", *w = i < want->n ? want->v[i] : "(no row)";
        if (strcmp(g, w)) {
            char msg[64];
            snprintf(msg, sizeof msg, "row %zu: ", i + 1);
            fprintf(stderr, "FAIL %s:%d: %sgot \"%s\", expected \"%s\" (%zu rows, expected %zu)\n", t->path, line, msg,
                    g, w, got->n, want->n);
            t->failed++;
            return;
        }
    }
    t->passed++;
}

/* Reads the next record: its header line, body lines up to "----" (or the
 * blank line), and result lines after "----". Returns 0 at the end. */
typedef struct record {
    int line;
    char header[1024];
    char *body;
    rows result;
    int has_result;
} record;

static int next_record(FILE *f, int *lineno, record *r)
{
    char buf[65536];
    free(r->body);
    r->body = NULL;
    rows_clear(&r->result);
    r->has_result = 0;
    size_t body_len = 0;
    int state = 0; /* 0 before header, 1 body, 2 result */
    while (fgets(buf, sizeof buf, f)) {
        (*lineno)++;
        size_t n = strlen(buf);
        while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) buf[--n] = 0;
        if (state == 0) {
            if (n == 0 || buf[0] == '#') continue;
            snprintf(r->header, sizeof r->header, "%.1000s", buf);
            r->line = *lineno;
            state = 1;
            r->body = calloc(1, 1);
            continue;
        }
        if (n == 0) break;
        if (state == 1 && !strcmp(buf, "----")) { state = 2; r->has_result = 1; continue; }
        if (state == 1) {
            r->body = realloc(r->body, body_len + n + 2);
            memcpy(r->body + body_len, buf, n);
            body_len += n;
            r->body[body_len++] = '\n';
            r->body[body_len] = 0;
        } else {
            rows_add(&r->result, buf);
        }
    }
    return state != 0;
}

static void run_query(runner *t, record *r, int sorted)
{
    rows got = {0};
    sl_error *err = sl_error_new();
    size_t n = strlen(r->body) + 200;
    char *sql = malloc(n);
    char *body = r->body;
    size_t bl = strlen(body);
    while (bl && (body[bl - 1] == '\n' || body[bl - 1] == ';' || body[bl - 1] == ' ')) body[--bl] = 0;
    snprintf(sql, n, "CREATE SINK __query WITH (connector = 'callback', name = 'out', trigger = 'availableNow', "
                     "'output.mode' = 'complete') AS %s;", body);
    sl_engine *eng = make_engine(t, NULL, &got, err);
    sl_status st = eng ? sl_engine_exec(eng, sql, t->path, err) : sl_error_code(err);
    if (!st && eng) {
        /* complete mode needs an aggregation; fall back to append */
        st = sl_engine_run(eng, err);
    }
    if (st && strstr(sl_error_message(err), "Complete output mode not supported")) {
        sl_engine_free(eng);
        rows_clear(&got);
        char *p = strstr(sql, "'complete'");
        memcpy(p, "'append'  ", 10);
        eng = make_engine(t, NULL, &got, err);
        st = eng ? sl_engine_exec(eng, sql, t->path, err) : sl_error_code(err);
        if (!st) st = sl_engine_run(eng, err);
    }
    if (st) fail(t, r->line, "query failed: %s%s", sl_error_message(err), "");
    else compare(t, r->line, &got, &r->result, sorted);
    sl_engine_free(eng);
    free(sql);
    rows_clear(&got);
    free(got.v);
    sl_error_free(err);
}

static void run_statement(runner *t, record *r)
{
    sl_error *err = sl_error_new();
    rows dummy = {0};
    sl_engine *eng = make_engine(t, NULL, &dummy, err);
    sl_status st = eng ? sl_engine_exec(eng, r->body, t->path, err) : sl_error_code(err);
    const char *want_err = !strncmp(r->header, "statement error", 15) ? r->header + 15 : NULL;
    while (want_err && *want_err == ' ') want_err++;
    if (want_err) {
        if (!st) fail(t, r->line, "expected an error containing \"%s\", but the statement succeeded%s", want_err, "");
        else if (*want_err && !strstr(sl_error_message(err), want_err))
            fail(t, r->line, "expected an error containing \"%s\", got: %s", want_err, sl_error_message(err));
        else t->passed++;
    } else {
        if (st) fail(t, r->line, "statement failed: %s%s", sl_error_message(err), "");
        else { t->passed++; script_add(t, r->body); }
    }
    sl_engine_free(eng);
    sl_error_free(err);
}

static void run_batch(runner *t, record *r, int sorted)
{
    sl_error *err = sl_error_new();
    const char *name = r->header + 5;
    while (*name == ' ') name++;
    if (*name) write_file(t, name, r->body);
    if (!t->eng) {
        t->eng = make_engine(t, NULL, &t->got, err);
        if (!t->eng || sl_engine_start(t->eng, err)) {
            fail(t, r->line, "cannot start the scenario: %s%s", sl_error_message(err), "");
            sl_engine_free(t->eng);
            t->eng = NULL;
            sl_error_free(err);
            return;
        }
    }
    rows_clear(&t->got);
    int ran = 1, done = 0, steps = 0;
    sl_status st = SL_OK;
    while (ran && !done && !st && steps++ < 1000) st = sl_engine_step(t->eng, &ran, &done, err);
    if (st) fail(t, r->line, "batch failed: %s%s", sl_error_message(err), "");
    else compare(t, r->line, &t->got, &r->result, sorted);
    sl_error_free(err);
}

static void run_file(runner *t)
{
    FILE *f = fopen(t->path, "r");
    if (!f) { fprintf(stderr, "FAIL %s: cannot open: %s\n", t->path, strerror(errno)); t->failed++; return; }
    snprintf(t->data_dir, sizeof t->data_dir, "/tmp/sluice-test-XXXXXX");
    if (!mkdtemp(t->data_dir)) { fprintf(stderr, "sluice test: mkdtemp failed\n"); exit(1); }
    record r = {0};
    int lineno = 0;
    while (next_record(f, &lineno, &r)) {
        int nosort = strstr(r.header, "nosort") != NULL;
        if (!strncmp(r.header, "data ", 5)) {
            write_file(t, r.header + 5, r.body);
        } else if (!strncmp(r.header, "statement", 9)) {
            run_statement(t, &r);
        } else if (!strncmp(r.header, "query", 5)) {
            run_query(t, &r, !nosort);
        } else if (!strncmp(r.header, "batch", 5)) {
            run_batch(t, &r, !nosort);
        } else {
            fail(t, r.line, "unknown record \"%s\"%s", r.header, "");
        }
    }
    free(r.body);
    rows_clear(&r.result);
    free(r.result.v);
    fclose(f);
    sl_engine_free(t->eng);
    t->eng = NULL;
    rows_clear(&t->got);
    free(t->got.v);
    t->got.v = NULL;
    t->got.cap = 0;
    free(t->script);
    t->script = NULL;
    t->script_len = 0;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->data_dir);
    if (system(cmd)) { /* best effort */ }
}

int cmd_test(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help")) {
        fprintf(argc < 2 ? stderr : stdout, "usage: sluice test FILE.slt|FILE.scn…\n"
                                            "Runs SQL logic tests and streaming scenarios; prints N passed, N failed.\n");
        return argc < 2 ? 2 : 0;
    }
    int passed = 0, failed = 0;
    for (int i = 1; i < argc; i++) {
        runner t = {.path = argv[i]};
        run_file(&t);
        passed += t.passed;
        failed += t.failed;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
