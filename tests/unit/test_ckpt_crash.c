/* The checkpoint protocol under SIGKILL, end to end at the storage layer.
 *
 * A miniature driver runs a stateful pipeline — a running sum per key over a
 * fixed input of 600 events, 10 per batch — with everything a real query
 * uses from src/state: offsets before the batch, a file sink with manifests,
 * operator state in the kv store (snapshots every 4 versions, deltas
 * between), commits after, retention of 3 batches.  Each batch emits, per
 * key it touched, "batch,key,sum".  A child process runs the driver and is
 * killed with SIGKILL — at a random step of a checkpoint write (the step
 * hook) or at a random instant — over and over, restarting from the
 * checkpoint each time, until it completes.  The committed output (the
 * files the manifests list, in order) must then equal, line for line, what
 * an uninterrupted computation gives, computed here independently with
 * plain arrays. */
#include "test.h"
#include "core/buf.h"
#include "core/status.h"
#include "state/ckpt_file.h"
#include "state/ckpt_log.h"
#include "state/kv.h"
#include "state/manifest.h"

#include <dirent.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

enum { N_EVENTS = 600, PER_BATCH = 10, N_KEYS = 13 };

static int event_key(int i) { return (i * 7 + i / 5) % N_KEYS; }
static int64_t event_val(int i) { return (int64_t)i * 3 + 1; }

static int kill_countdown;
static void step_kill(const char *step, const char *path)
{
    if (kill_countdown > 0 && --kill_countdown == 0) kill(getpid(), SIGKILL);
}

static int cmp_int(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

/* One run of the driver until the input ends; returns 0 when it did. */
static int driver_run(const char *root, const char *backend)
{
    char ck[256], out[256], work[256];
    snprintf(ck, sizeof ck, "%s/ckpt", root);
    snprintf(out, sizeof out, "%s/out", root);
    snprintf(work, sizeof work, "%s/kvwork", root);
    sl_error err = {0};
    sl_ckpt_log_opts lo = {.fingerprint = "sum-by-key v1",
                           .plan_json = "{\"sources\":[\"gen\"],\"operators\":[{\"id\":\"sum0\",\"keys\":[\"k\"]}]}",
                           .min_batches_to_retain = 3, .snapshot_interval = 4};
    sl_ckpt_log *log;
    sl_manifest *m;
    sl_kv *kv;
    sl_kv_opts ko = {.backend = backend, .path = work};
    if (sl_ckpt_log_open(ck, &lo, &log, &err) != SL_OK) goto fail;
    if (sl_manifest_open(out, 0, &m, &err) != SL_OK) goto fail;
    if (sl_kv_open(&ko, &kv, &err) != SL_OK) goto fail;

    sl_ckpt_recovery rec;
    if (sl_ckpt_log_recover(log, &rec, &err) != SL_OK) goto fail;
    int64_t start_off = 0;
    if (rec.last_committed >= 0) {
        sl_ckpt_state_chain ch;
        if (sl_ckpt_log_load_state(log, "sum0", rec.last_committed, &ch, &err) != SL_OK) goto fail;
        sl_status st = sl_kv_restore(kv, &ch, &err);
        sl_ckpt_state_chain_fini(&ch);
        if (st != SL_OK) goto fail;
        start_off = strtoll(sl_ckpt_offsets_get(&rec.start, "gen"), NULL, 10);
    }
    for (int64_t b = rec.next_batch;; b++) {
        int64_t end_off;
        if (b == rec.next_batch && rec.rerun) {
            end_off = strtoll(sl_ckpt_offsets_get(&rec.offsets, "gen"), NULL, 10);
        } else {
            end_off = start_off + PER_BATCH < N_EVENTS ? start_off + PER_BATCH : N_EVENTS;
            if (end_off == start_off) break; /* input exhausted */
            sl_ckpt_offsets off;
            sl_ckpt_offsets_init(&off);
            off.batch_id = b;
            char j[32];
            snprintf(j, sizeof j, "%" PRId64, end_off);
            sl_ckpt_offsets_add(&off, "gen", j);
            sl_status st = sl_ckpt_log_write_offsets(log, &off, &err);
            sl_ckpt_offsets_fini(&off);
            if (st != SL_OK) goto fail;
        }
        /* Run: update the sums, remember which keys changed. */
        if (sl_kv_begin(kv, b, &err) != SL_OK) goto fail;
        int touched[N_KEYS], n_touched = 0;
        for (int64_t i = start_off; i < end_off; i++) {
            int k = event_key((int)i);
            sl_buf v;
            sl_buf_init(&v);
            bool found;
            if (sl_kv_get(kv, &k, sizeof k, &v, &found, &err) != SL_OK) goto fail;
            int64_t sum = 0;
            if (found) memcpy(&sum, v.data, sizeof sum);
            sl_buf_fini(&v);
            sum += event_val((int)i);
            if (sl_kv_put(kv, &k, sizeof k, &sum, sizeof sum, &err) != SL_OK) goto fail;
            int seen = 0;
            for (int t = 0; t < n_touched; t++) seen |= touched[t] == k;
            if (!seen) touched[n_touched++] = k;
        }
        qsort(touched, (size_t)n_touched, sizeof(int), cmp_int);
        /* Sink: write the part file, then commit it in the manifest —
         * unless this re-run batch is already committed there. */
        if (b > sl_manifest_last_batch(m)) {
            char name[64], path[400];
            snprintf(name, sizeof name, "part-%05" PRId64 ".csv", b);
            snprintf(path, sizeof path, "%s/%s", out, name);
            FILE *f = fopen(path, "w");
            if (!f) goto fail;
            for (int t = 0; t < n_touched; t++) {
                sl_buf v;
                sl_buf_init(&v);
                bool found;
                int64_t sum = 0;
                if (sl_kv_get(kv, &touched[t], sizeof(int), &v, &found, &err) != SL_OK) goto fail;
                memcpy(&sum, v.data, sizeof sum);
                sl_buf_fini(&v);
                fprintf(f, "%" PRId64 ",%d,%" PRId64 "\n", b, touched[t], sum);
            }
            if (fclose(f) != 0) goto fail;
            const char *names[1] = {name};
            if (sl_manifest_commit(m, b, names, 1, &err) != SL_OK) goto fail;
        }
        if (sl_kv_checkpoint(kv, log, "sum0", &err) != SL_OK) goto fail;
        if (sl_ckpt_log_write_commit(log, b, 0, &err) != SL_OK) goto fail;
        if (sl_ckpt_log_purge(log, b, &err) != SL_OK) goto fail;
        start_off = end_off;
    }
    sl_ckpt_recovery_fini(&rec);
    sl_kv_free(kv);
    sl_manifest_free(m);
    sl_ckpt_log_free(log);
    return 0;
fail:
    fprintf(stderr, "  driver: %s\n", err.msg);
    return 1;
}

/* What an uninterrupted run commits, computed with plain arrays. */
static char *expected_output(void)
{
    sl_buf b;
    sl_buf_init(&b);
    int64_t sums[N_KEYS] = {0};
    for (int batch = 0; batch * PER_BATCH < N_EVENTS; batch++) {
        int touched[N_KEYS] = {0};
        for (int i = batch * PER_BATCH; i < (batch + 1) * PER_BATCH && i < N_EVENTS; i++) {
            sums[event_key(i)] += event_val(i);
            touched[event_key(i)] = 1;
        }
        for (int k = 0; k < N_KEYS; k++)
            if (touched[k]) sl_buf_printf(&b, "%d,%d,%" PRId64 "\n", batch, k, sums[k]);
    }
    return sl_buf_take(&b);
}

static char *committed_output(const char *root)
{
    char out[256];
    snprintf(out, sizeof out, "%s/out", root);
    sl_manifest_files f;
    bool exists;
    sl_error err = {0};
    if (sl_manifest_read(out, &f, &exists, &err) != SL_OK) return NULL;
    sl_buf b;
    sl_buf_init(&b);
    for (size_t i = 0; i < f.n; i++) {
        char p[512];
        snprintf(p, sizeof p, "%s/%s", out, f.paths[i]);
        FILE *fp = fopen(p, "r");
        if (!fp) { sl_buf_puts(&b, "(missing file)\n"); continue; }
        char line[256];
        while (fgets(line, sizeof line, fp)) sl_buf_puts(&b, line);
        fclose(fp);
    }
    sl_manifest_files_fini(&f);
    return sl_buf_take(&b);
}

static void crash_pipeline(int *sl_test_failed, const char *backend, unsigned seed)
{
    char tmpl[] = "/tmp/sl_ckpt_crash_XXXXXX";
    char *root = mkdtemp(tmpl);
    REQUIRE(root);
    srand(seed);
    int kills = 0, runs = 0, done = 0;
    while (!done && runs < 200) {
        runs++;
        /* Until 40 kills: a random checkpoint step (1..60 write steps is
         * up to 3 batches) or, every third run, a random instant. */
        int mode = kills >= 40 ? 0 : (runs % 3 == 0 ? 2 : 1);
        int countdown = 1 + rand() % 60;
        unsigned delay = (unsigned)(rand() % 20000);
        pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            if (mode == 1) {
                kill_countdown = countdown;
                sl_ckpt_file_set_step_fn(step_kill);
            }
            _exit(driver_run(root, backend));
        }
        if (mode == 2) {
            usleep(delay); /* picks the instant; results are awaited below */
            kill(pid, SIGKILL);
        }
        int status;
        waitpid(pid, &status, 0);
        if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) kills++;
        else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) done = 1;
        else { CHECK(0); break; }
    }
    CHECK(done);
    CHECK(kills >= 10);
    char *want = expected_output(), *got = committed_output(root);
    REQUIRE(want && got);
    CHECK(strcmp(want, got) == 0);
    if (strcmp(want, got) != 0)
        fprintf(stderr, "  %s: committed output differs (%zu vs %zu bytes)\n", backend,
                strlen(got), strlen(want));
    if (getenv("SL_TEST_VERBOSE"))
        fprintf(stderr, "  %s: %d runs, %d kills, %zu output bytes\n", backend, runs, kills,
                strlen(got));
    /* Retention held under the kills: the state directory keeps the newest
     * snapshot at or below the oldest retained batch and what follows. */
    int last = (N_EVENTS + PER_BATCH - 1) / PER_BATCH - 1, oldest = last - 3 + 1;
    int base = oldest - oldest % 4;
    char sdir[300];
    snprintf(sdir, sizeof sdir, "%s/ckpt/state/sum0", root);
    DIR *d = opendir(sdir);
    int entries = 0;
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) entries += de->d_name[0] != '.';
    if (d) closedir(d);
    CHECK_INT(entries, last - base + 1);
    free(want);
    free(got);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0) CHECK(0);
}

TEST(ckpt_crash_pipeline_memory) { crash_pipeline(sl_test_failed, "memory", 7); }
TEST(ckpt_crash_pipeline_rocksdb) { crash_pipeline(sl_test_failed, "rocksdb", 11); }
