/* Allocation fault injection over a whole short stream, SQLite's
 * exprfault habit: a script that parses, plans and runs a windowed
 * aggregation over a file source for a few micro-batches, through the
 * public API only, is run once with allocation number k failing, for
 * k = 1, 2, … until a run no longer reaches the fault.  Every run must end
 * in SL_OK with the right rows or in a clean error (SL_ERR_NOMEM, or
 * another code whose message says so), never in a crash; under ASan the
 * leak checker runs after every k, so a leak names its k.
 *
 * The expected output was worked out by hand (10 s tumbling windows, 5 s
 * watermark delay, append mode): batch 1 (01 a, 02 b, 12 a) closes nothing
 * (watermark 7); batch 2 (25 a) moves the watermark to 20 and closes
 * [0,10) for a and b and [10,20) for a; batch 3 (45 b) moves it to 40 and
 * closes [20,30) for a.
 *
 * A third loop reads CSV files and writes a Parquet sink with a checkpoint
 * (CSV parsing, Parquet writing, the sink's manifest and the checkpoint's
 * commit under every k).  Its output is read back through the Parquet file
 * source after each run, and a run that failed is restarted once without a
 * fault from the checkpoint it left: the restart must succeed and the sink
 * then hold every expected row exactly once (b|20|B, c|30|C, d|40|D from the
 * three files written below).
 *
 * SL_FAULTS_STRIDE (environment) tests every n-th k only, for quick local
 * runs (the suite tests them all); SL_FAULTS_ONLY=k runs that one k in the
 * test's own process, for a debugger. */
#include "test.h"
#include "sluice.h"
#include "core/mem.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Present only in a sanitizer build: 0 when no leak since the last call. */
int __lsan_do_recoverable_leak_check(void) __attribute__((weak));

typedef struct fault_rows {
    char text[16][96];
    int n;
} fault_rows;

static int collect(const sl_batch *b, const char *const *names, int64_t batch_id, void *opaque)
{
    fault_rows *r = opaque;
    for (int64_t i = 0; i < sl_batch_num_rows(b); i++) {
        if (r->n == 16) return 1;
        char *t = r->text[r->n++];
        size_t used = 0;
        for (int c = 0; c < sl_batch_num_columns(b) && used < 90; c++) {
            if (c) t[used++] = '|';
            used += sl_batch_cell_text(b, c, i, t + used, 96 - used) ;
            if (used > 95) used = 95;
        }
        t[used] = 0;
    }
    return 0;
}

static int cmp_row(const void *a, const void *b) { return strcmp(a, b); }

static void write_file(const char *dir, const char *name, const char *text)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    if (f) { fputs(text, f); fclose(f); }
}

/* One whole run; returns its status and fills rows. */
static sl_status run_once(const char *sql, fault_rows *rows, char *msg, size_t msg_len)
{
    memset(rows, 0, sizeof *rows);
    sl_error *err = sl_error_new();   /* may be NULL under a fault */
    sl_engine *eng = NULL;
    sl_status s = sl_engine_new(NULL, &eng, err);
    if (!s) s = sl_engine_register_sink(eng, "faults", collect, rows, err);
    if (!s) s = sl_engine_exec(eng, sql, "faults.sql", err);
    if (!s) s = sl_engine_start(eng, err);
    for (int step = 0; !s && step < 20; step++) {
        int ran = 0, done = 0;
        s = sl_engine_step(eng, &ran, &done, err);
        if (done) break;
    }
    snprintf(msg, msg_len, "%s", err ? sl_error_message(err) : "(no error object)");
    sl_engine_free(eng);
    sl_error_free(err);
    return s;
}

enum {
    FAULT_OK = 10,          /* the run succeeded with the right rows */
    FAULT_CLEAN_ERROR,      /* it failed with an out-of-memory error */
    FAULT_NOT_REACHED,      /* allocation k never happened: loop done */
    FAULT_WRONG_ROWS,
    FAULT_UNCLEAN_ERROR,
    FAULT_LEAK,
    FAULT_LEAK_LAST,        /* not reached, but leaked */
    FAULT_BAD_RESTART,      /* the unfaulted restart after a failure went wrong */
};

static bool fault_check_leaks = true;

static int rows_ok(fault_rows *rows);

/* What a run needs: the input directory, a directory under which each run
 * gets a fresh checkpoint (NULL: no checkpoint), and which workload. */
typedef struct fault_setup {
    const char *in;
    const char *ck_root;
    bool parquet; /* CSV files -> Parquet sink (ck_root set), else the windowed aggregation */
} fault_setup;

static void build_sql(const fault_setup *fs, long k, char *sql, size_t sql_len)
{
    if (fs->parquet) {
        snprintf(sql, sql_len,
                 "SET 'progress' = 'false';\n"
                 "CREATE SOURCE c (k STRING, v INT)\n"
                 "WITH (connector = 'file', path = '%s', format = 'csv', maxFilesPerTrigger = '1');\n"
                 "CREATE SINK pq WITH (connector = 'parquet', path = '%s/pq-%ld',\n"
                 "  checkpointLocation = '%s/ck-%ld') AS\n"
                 "SELECT k, v * 10 AS v10, upper(k) AS u FROM c WHERE v > 1;\n",
                 fs->in, fs->ck_root, k, fs->ck_root, k);
        return;
    }
    char ck[700] = "";
    if (fs->ck_root) snprintf(ck, sizeof ck, ", checkpointLocation = '%s/ck-%ld'", fs->ck_root, k);
    snprintf(sql, sql_len,
             "SET 'progress' = 'false';\n"
             "CREATE SOURCE ev (k STRING, ts TIMESTAMP,\n"
             "  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)\n"
             "WITH (connector = 'file', path = '%s', format = 'json', maxFilesPerTrigger = '1');\n"
             "CREATE SINK out WITH (connector = 'callback', name = 'faults', 'output.mode' = 'append'%s) AS\n"
             "SELECT k, window_start, window_end, count(*) AS n\n"
             "FROM ev GROUP BY window(ts, '10 seconds'), k;\n",
             fs->in, ck);
}

static void remove_ck(const fault_setup *fs, long k)
{
    if (!fs->ck_root) return;
    char cmd[800];
    snprintf(cmd, sizeof cmd, "rm -rf '%s/ck-%ld' '%s/pq-%ld'", fs->ck_root, k, fs->ck_root, k);
    if (system(cmd) != 0) fprintf(stderr, "  could not remove %s/ck-%ld\n", fs->ck_root, k);
}

static const char *const expected_pq[] = {"b|20|B", "c|30|C", "d|40|D"};

/* The Parquet sink's output read back (no fault armed): exactly the
 * expected rows, each once. */
static int parquet_ok(const fault_setup *fs, long k)
{
    char sql[1536], msg[512];
    snprintf(sql, sizeof sql,
             "SET 'progress' = 'false';\n"
             "CREATE SOURCE p (k STRING, v10 INT, u STRING)\n"
             "WITH (connector = 'file', format = 'parquet', path = '%s/pq-%ld');\n"
             "CREATE SINK out WITH (connector = 'callback', name = 'faults', 'output.mode' = 'append') AS\n"
             "SELECT k, v10, u FROM p;\n",
             fs->ck_root, k);
    fault_rows rows;
    sl_status s = run_once(sql, &rows, msg, sizeof msg);
    qsort(rows.text, (size_t)rows.n, sizeof rows.text[0], cmp_row);
    int ok = s == SL_OK && rows.n == 3;
    for (int i = 0; ok && i < 3; i++) ok = !strcmp(rows.text[i], expected_pq[i]);
    if (!ok) {
        fprintf(stderr, "  k=%ld: reading the Parquet output back: status %s: %s\n", k, sl_status_name(s), msg);
        for (int i = 0; i < rows.n; i++) fprintf(stderr, "  k=%ld: got row %s\n", k, rows.text[i]);
    }
    return ok;
}

static int result_ok(const fault_setup *fs, long k, fault_rows *rows)
{
    return fs->parquet ? parquet_ok(fs, k) : rows_ok(rows);
}

/* The child's side of one k. */
static int fault_child(const fault_setup *fs, long k)
{
    fault_rows rows;
    char msg[512];
    char sql[2048];
    build_sql(fs, k, sql, sizeof sql);
    sl_mem_fault_arm(k, 0);
    sl_status s = run_once(sql, &rows, msg, sizeof msg);
    long hits = sl_mem_fault_hits();
    sl_mem_fault_arm(0, 0);
    int code;
    if (getenv("SL_FAULTS_ONLY"))
        fprintf(stderr, "  k=%ld: %ld failed allocation(s), status %s: %s\n", k, hits, sl_status_name(s), msg);
    if (k == 0 && (s != SL_OK || !result_ok(fs, k, &rows))) {
        fprintf(stderr, "  unfaulted run: status %s: %s\n", sl_status_name(s), msg);
        for (int i = 0; i < rows.n; i++) fprintf(stderr, "  got row %s\n", rows.text[i]);
    }
    if (hits == 0) code = s == SL_OK && result_ok(fs, k, &rows) ? FAULT_NOT_REACHED : FAULT_WRONG_ROWS;
    else if (s == SL_OK) code = result_ok(fs, k, &rows) ? FAULT_OK : FAULT_WRONG_ROWS;
    /* An allocation failed, so the error must say so. */
    else if (s == SL_ERR_NOMEM || strstr(msg, "out of memory")) {
        code = FAULT_CLEAN_ERROR;
        if (fs->parquet) {
            /* What the failed run left (checkpoint, sink files, manifests)
             * must let a restart finish the job, every row exactly once. */
            sl_status s2 = run_once(sql, &rows, msg, sizeof msg);
            if (s2 != SL_OK) fprintf(stderr, "  k=%ld: the restart failed: status %s: %s\n", k, sl_status_name(s2), msg);
            if (s2 != SL_OK || !parquet_ok(fs, k)) code = FAULT_BAD_RESTART;
        }
    } else {
        fprintf(stderr, "  k=%ld: status %s: %s\n", k, sl_status_name(s), msg);
        code = FAULT_UNCLEAN_ERROR;
    }
    /* Only when the unfaulted run did not leak: a child inherits what its
     * parent leaked, and the checker would report that for every k. */
    if (fault_check_leaks && __lsan_do_recoverable_leak_check && __lsan_do_recoverable_leak_check())
        code = code == FAULT_NOT_REACHED ? FAULT_LEAK_LAST : FAULT_LEAK;
    fflush(NULL);
    return code;
}

static const char *const expected[] = {
    "a|2024-01-01 00:00:00|2024-01-01 00:00:10|1",
    "a|2024-01-01 00:00:10|2024-01-01 00:00:20|1",
    "a|2024-01-01 00:00:20|2024-01-01 00:00:30|1",
    "b|2024-01-01 00:00:00|2024-01-01 00:00:10|1",
};

static int rows_ok(fault_rows *rows)
{
    qsort(rows->text, (size_t)rows->n, sizeof rows->text[0], cmp_row);
    if (rows->n != 4) return 0;
    for (int i = 0; i < 4; i++)
        if (strcmp(rows->text[i], expected[i])) return 0;
    return 1;
}

/* Fails allocation k = 1, 2, … of whole runs until one completes without
 * reaching k. */
static void fault_loop(int *sl_test_failed, bool with_ckpt, bool parquet)
{
    char dir[] = "/tmp/sluice-faults-XXXXXX";
    REQUIRE(mkdtemp(dir));
    char in[600];
    snprintf(in, sizeof in, "%s/in", dir);
    REQUIRE(mkdir(in, 0700) == 0);
    if (parquet) {
        write_file(in, "001.csv", "k,v\na,1\nb,2\n");
        write_file(in, "002.csv", "k,v\nc,3\n");
        write_file(in, "003.csv", "k,v\nd,4\ne,0\n");
    } else {
        write_file(in, "001.json",
                   "{\"k\": \"a\", \"ts\": \"2024-01-01 00:00:01\"}\n"
                   "{\"k\": \"b\", \"ts\": \"2024-01-01 00:00:02\"}\n"
                   "{\"k\": \"a\", \"ts\": \"2024-01-01 00:00:12\"}\n");
        write_file(in, "002.json", "{\"k\": \"a\", \"ts\": \"2024-01-01 00:00:25\"}\n");
        write_file(in, "003.json", "{\"k\": \"b\", \"ts\": \"2024-01-01 00:00:45\"}\n");
    }
    fault_setup fs = {in, with_ckpt || parquet ? dir : NULL, parquet};
    /* The unfaulted run goes in a child too, so this process never runs
     * the engine and the children inherit no leak from it. */
    fflush(NULL);
    pid_t pid0 = fork();
    REQUIRE(pid0 >= 0);
    if (pid0 == 0) _exit(fault_child(&fs, 0));
    int ws0 = 0;
    REQUIRE(waitpid(pid0, &ws0, 0) == pid0);
    remove_ck(&fs, 0);
    int code0 = WIFEXITED(ws0) ? WEXITSTATUS(ws0) : -1;
    if (code0 == FAULT_LEAK_LAST) {
        /* Every k would report the same leak: say it once. */
        fprintf(stderr, "  the unfaulted run leaks (report above); the loop runs without leak checks\n");
        *sl_test_failed = 1;
        fault_check_leaks = false;
    } else if (code0 != FAULT_NOT_REACHED) {
        fprintf(stderr, "  the unfaulted run failed (code %d)\n", code0);
    }
    REQUIRE(code0 == FAULT_NOT_REACHED || code0 == FAULT_LEAK_LAST);

    long stride = getenv("SL_FAULTS_STRIDE") ? atol(getenv("SL_FAULTS_STRIDE")) : 1;
    if (stride < 1) stride = 1;
    long k = 0, n_err = 0, n_ok = 0, n_bad = 0;
    bool only = getenv("SL_FAULTS_ONLY") != NULL;
    if (only) {
        /* One k, in this process: for a debugger or a backtrace. */
        k = atol(getenv("SL_FAULTS_ONLY"));
        int code = fault_child(&fs, k);
        remove_ck(&fs, k);
        fprintf(stderr, "  k=%ld: code %d\n", k, code);
        CHECK(code == FAULT_OK || code == FAULT_CLEAN_ERROR || code == FAULT_NOT_REACHED);
    }
    fflush(NULL);
    for (k = 1; !only && k < 2000000; k += stride) {
        /* Each k runs in a child, so a crash is reported with its k and
         * the loop goes on to find the next problem. */
        pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) _exit(fault_child(&fs, k));
        int ws = 0;
        REQUIRE(waitpid(pid, &ws, 0) == pid);
        remove_ck(&fs, k);
        int code = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
        if (code == FAULT_NOT_REACHED) break;
        if (code == FAULT_LEAK_LAST) {
            fprintf(stderr, "  k=%ld: the run completed and leaked (report above)\n", k);
            *sl_test_failed = 1;
            n_bad++;
            break;
        }
        if (code == FAULT_CLEAN_ERROR) n_err++;
        else if (code == FAULT_OK) n_ok++;
        else {
            if (n_bad++ < 20) {
                if (WIFSIGNALED(ws)) fprintf(stderr, "  k=%ld: crashed (signal %d)\n", k, WTERMSIG(ws));
                else fprintf(stderr, "  k=%ld: %s\n", k,
                             code == FAULT_WRONG_ROWS ? "succeeded with wrong rows" :
                             code == FAULT_LEAK ? "leaked (report above)" :
                             code == FAULT_UNCLEAN_ERROR ? "an error that does not say out of memory" :
                             code == FAULT_BAD_RESTART ? "failed cleanly, but the restart from its checkpoint did not give every row once" :
                             "the child failed (sanitizer report above)");
            }
            *sl_test_failed = 1;
        }
    }
    if (!only)
        fprintf(stderr, "  fault injection%s: allocations 1..%ld failed in turn (stride %ld): %ld clean errors%s, "
                    "%ld successes, %ld failures\n",
                parquet ? ", CSV to Parquet with a checkpoint" : with_ckpt ? " with a checkpoint" : "", k - 1, stride,
                n_err, parquet ? " (each restarted to the exact output)" : "", n_ok, n_bad);
    CHECK(only || k > 100);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
}

TEST(faults_windowed_agg_every_allocation)
{
    fault_loop(sl_test_failed, false, false);
}

/* The same with a checkpoint: offsets, commits, state snapshots and the
 * metadata file are written under every k too. */
TEST(faults_windowed_agg_checkpoint_every_allocation)
{
    fault_loop(sl_test_failed, true, false);
}

/* CSV files to a Parquet sink with a checkpoint; every failed run is
 * restarted and the output read back (see the top of the file). */
TEST(faults_csv_to_parquet_every_allocation)
{
    fault_loop(sl_test_failed, true, true);
}
