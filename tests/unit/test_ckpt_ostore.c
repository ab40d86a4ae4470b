/* The RocksDB working store (state/ostore.h): records come back ordered by
 * their event time as numbers (negative times before positive ones, the
 * sign bit flipped in the key), scans honour both bounds, lookups need the
 * right order (or the by-key index of a keyed store), deletes and counts
 * are exact, logged-only changes reach the delta but not the database, and
 * a checkpoint (snapshot, then a delta) restores into a fresh store with
 * the same records.  Runs in a child process: RocksDB's threads would not
 * survive a later test's fork (test_ckpt_agg.c). */
#include "test.h"
#include "core/buf.h"
#include "core/status.h"
#include "state/ckpt_log.h"
#include "state/kv.h"
#include "state/ostore.h"

#include <inttypes.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct seen {
    int64_t order[32];
    char key[32][16];
    int n;
} seen;

static sl_status collect(void *ctx, int64_t order, const void *key, size_t kl, const void *val,
                         size_t vl, sl_error *err)
{
    seen *s = ctx;
    int64_t vo;
    memcpy(&vo, val, 8);
    if (s->n < 32 && vo == order && kl < 16) {
        s->order[s->n] = order;
        memcpy(s->key[s->n], key, kl);
        s->key[s->n][kl] = 0;
        s->n++;
    } else {
        s->n = 1000; /* a value that does not start with its order, or too many */
    }
    return SL_OK;
}

static void val_of(int64_t order, const char *tail, char *out, size_t *len)
{
    memcpy(out, &order, 8);
    strcpy(out + 8, tail);
    *len = 8 + strlen(tail);
}

static sl_status put(sl_ostore *o, int64_t order, const char *key, bool is_new, sl_error *err)
{
    char v[64];
    size_t vl;
    val_of(order, "state", v, &vl);
    return sl_ostore_put(o, key, strlen(key), v, vl, is_new, err);
}

static seen scan(sl_ostore *o, int64_t lo, int64_t hi)
{
    seen s = {.n = 0};
    sl_error err = {0};
    if (sl_ostore_scan(o, lo, hi, collect, &s, &err) != SL_OK) s.n = -1;
    return s;
}

static sl_status open_store(const char *dir, const char *name, int keyed, sl_kv **kv, sl_ostore **o,
                            sl_error *err)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    sl_kv_opts ko = {.backend = "rocksdb", .path = path};
    sl_status st = sl_kv_open(&ko, kv, err);
    if (!st) st = sl_ostore_open(*kv, keyed, o, err);
    sl_ckpt_state_chain none = {0, NULL, -1};
    if (!st) st = sl_ostore_restore(*o, &none, err);
    return st;
}

static void ostore_behaviour(int *sl_test_failed)
{
    char dir[] = "/tmp/sl_ostore_XXXXXX";
    REQUIRE(mkdtemp(dir));
    sl_error err = {0};
    sl_kv *kv = NULL;
    sl_ostore *o = NULL;
    REQUIRE(open_store(dir, "db", false, &kv, &o, &err) == SL_OK);

    /* orders as numbers, not as bytes: negatives first */
    const int64_t orders[] = {1000000000000, -5000000000000, 0, -1, 1, INT64_MAX - 1, 1};
    const char *keys[] = {"e", "a", "c", "b", "d2", "f", "d1"};
    for (int i = 0; i < 7; i++) CHECK(put(o, orders[i], keys[i], true, &err) == SL_OK);
    CHECK(sl_ostore_flush(o, &err) == SL_OK);
    CHECK_INT(sl_ostore_count(o), 7);
    seen s = scan(o, INT64_MIN, INT64_MAX);
    REQUIRE(s.n == 7);
    const char *want[] = {"a", "b", "c", "d1", "d2", "e", "f"};
    for (int i = 0; i < 7; i++) {
        CHECK(strcmp(s.key[i], want[i]) == 0);
        if (i) CHECK(s.order[i - 1] <= s.order[i]);
    }
    /* bounds are inclusive on both ends */
    s = scan(o, INT64_MIN, 0);
    CHECK(s.n == 3 && !strcmp(s.key[2], "c"));
    s = scan(o, 1, 1000000000000);
    CHECK(s.n == 3 && !strcmp(s.key[0], "d1") && !strcmp(s.key[2], "e"));
    s = scan(o, 2, 999999999999);
    CHECK(s.n == 0);

    /* a lookup needs the record's order */
    sl_buf v;
    sl_buf_init(&v);
    bool found = false;
    CHECK(sl_ostore_get(o, -1, "b", 1, &v, &found, &err) == SL_OK && found && v.len == 13);
    CHECK(sl_ostore_get(o, 0, "b", 1, &v, &found, &err) == SL_OK && !found);

    /* delete: gone from scans and the count */
    CHECK(sl_ostore_del(o, 0, "c", 1, &err) == SL_OK);
    CHECK(sl_ostore_flush(o, &err) == SL_OK);
    CHECK_INT(sl_ostore_count(o), 6);
    s = scan(o, INT64_MIN, 0);
    CHECK(s.n == 2);

    /* logged only: in the delta, not the database, until written back */
    char val[64];
    size_t vl;
    val_of(7, "logged", val, &vl);
    CHECK(sl_ostore_log_put(o, "g", 1, val, vl, &err) == SL_OK);
    CHECK(sl_ostore_flush(o, &err) == SL_OK);
    CHECK(sl_ostore_get(o, 7, "g", 1, &v, &found, &err) == SL_OK && !found);

    /* version 0: a snapshot (the log has none), written back first as an
     * operator does before a snapshot */
    char ckdir[600];
    snprintf(ckdir, sizeof ckdir, "%s/ck", dir);
    sl_ckpt_log_opts lo = {.fingerprint = "ostore", .snapshot_interval = 10, .min_batches_to_retain = 100};
    sl_ckpt_log *log = NULL;
    REQUIRE(sl_ckpt_log_open(ckdir, &lo, &log, &err) == SL_OK);
    CHECK(sl_ostore_snapshot_due(o, log, "op", 0));
    CHECK(sl_ostore_store_put(o, "g", 1, val, vl, true, &err) == SL_OK);
    CHECK(sl_ostore_checkpoint(o, log, "op", 0, &err) == SL_OK);
    CHECK(sl_ostore_get(o, 7, "g", 1, &v, &found, &err) == SL_OK && found);
    /* version 1: a delta with one put, one delete and one logged update */
    CHECK(!sl_ostore_snapshot_due(o, log, "op", 1));
    CHECK(put(o, -7, "h", true, &err) == SL_OK);
    CHECK(sl_ostore_del(o, -1, "b", 1, &err) == SL_OK);
    val_of(7, "newer", val, &vl);
    CHECK(sl_ostore_log_put(o, "g", 1, val, vl, &err) == SL_OK);
    CHECK(sl_ostore_checkpoint(o, log, "op", 1, &err) == SL_OK);

    /* a fresh store restored from the chain: a, d1, d2, e, f, g (newer), h */
    sl_kv *kv2 = NULL;
    sl_ostore *o2 = NULL;
    REQUIRE(open_store(dir, "db2", false, &kv2, &o2, &err) == SL_OK);
    sl_ckpt_state_chain ch;
    REQUIRE(sl_ckpt_log_load_state(log, "op", 1, &ch, &err) == SL_OK);
    CHECK(ch.n == 2 && ch.parts[0].dir != NULL);
    CHECK(sl_ostore_restore(o2, &ch, &err) == SL_OK);
    sl_ckpt_state_chain_fini(&ch);
    CHECK_INT(sl_ostore_count(o2), 7);
    s = scan(o2, INT64_MIN, INT64_MAX);
    const char *want2[] = {"a", "h", "d1", "d2", "g", "e", "f"};
    CHECK(s.n == 7);
    for (int i = 0; i < 7 && i < s.n; i++) CHECK(strcmp(s.key[i], want2[i]) == 0);
    CHECK(sl_ostore_get(o2, 7, "g", 1, &v, &found, &err) == SL_OK && found && v.len == 13 &&
          !memcmp(v.data + 8, "newer", 5));

    /* keyed: found by key alone; the index stays out of scans and counts */
    sl_kv *kv3 = NULL;
    sl_ostore *o3 = NULL;
    REQUIRE(open_store(dir, "db3", true, &kv3, &o3, &err) == SL_OK);
    CHECK(put(o3, 42, "x", true, &err) == SL_OK);
    CHECK(put(o3, INT64_MAX, "y", true, &err) == SL_OK);
    CHECK(sl_ostore_flush(o3, &err) == SL_OK);
    CHECK_INT(sl_ostore_count(o3), 2);
    CHECK(sl_ostore_get_by_key(o3, "x", 1, &v, &found, &err) == SL_OK && found);
    int64_t got = 0;
    if (found) memcpy(&got, v.data, 8);
    CHECK(got == 42);
    s = scan(o3, INT64_MIN, INT64_MAX);
    CHECK(s.n == 2);
    CHECK(sl_ostore_del(o3, 42, "x", 1, &err) == SL_OK);
    CHECK(sl_ostore_flush(o3, &err) == SL_OK);
    CHECK(sl_ostore_get_by_key(o3, "x", 1, &v, &found, &err) == SL_OK && !found);
    CHECK_INT(sl_ostore_count(o3), 1);
    CHECK(sl_ostore_get_by_key(o, "a", 1, &v, &found, &err) == SL_ERR_INTERNAL); /* not keyed */

    /* keyed: every record whose key starts with a prefix (the join's
     * probe), in key order, each with its own order; deleted ones not */
    CHECK(put(o3, 5, "jk1b", true, &err) == SL_OK);
    CHECK(put(o3, 3, "jk1a", true, &err) == SL_OK);
    CHECK(put(o3, -7, "jk2a", true, &err) == SL_OK);
    CHECK(put(o3, 9, "jk1c", true, &err) == SL_OK);
    CHECK(sl_ostore_flush(o3, &err) == SL_OK);
    CHECK(sl_ostore_del(o3, 9, "jk1c", 4, &err) == SL_OK);
    CHECK(sl_ostore_flush(o3, &err) == SL_OK);
    s = (seen){.n = 0};
    CHECK(sl_ostore_scan_prefix(o3, "jk1", 3, collect, &s, &err) == SL_OK);
    CHECK(s.n == 2 && !strcmp(s.key[0], "jk1a") && s.order[0] == 3 && !strcmp(s.key[1], "jk1b") && s.order[1] == 5);
    s = (seen){.n = 0};
    CHECK(sl_ostore_scan_prefix(o3, "jk", 2, collect, &s, &err) == SL_OK);
    CHECK(s.n == 3 && !strcmp(s.key[2], "jk2a") && s.order[2] == -7);
    s = (seen){.n = 0};
    CHECK(sl_ostore_scan_prefix(o3, "jk3", 3, collect, &s, &err) == SL_OK && s.n == 0);
    CHECK(sl_ostore_scan_prefix(o, "a", 1, collect, &s, &err) == SL_ERR_INTERNAL); /* not keyed */

    /* SL_OSTORE_KEYED_AFTER8 (session windows: key = start + group key):
     * the index key is the record key without its first 8 bytes, then
     * those, so a group key's records are found by prefix; scans by order
     * see the record keys as they are */
    sl_kv *kv4 = NULL;
    sl_ostore *o4 = NULL;
    REQUIRE(open_store(dir, "db4", SL_OSTORE_KEYED_AFTER8, &kv4, &o4, &err) == SL_OK);
    CHECK(put(o4, 5, "start001kA", true, &err) == SL_OK);
    CHECK(put(o4, 3, "start002kA", true, &err) == SL_OK);
    CHECK(put(o4, 9, "start001kB", true, &err) == SL_OK);
    CHECK(sl_ostore_flush(o4, &err) == SL_OK);
    CHECK_INT(sl_ostore_count(o4), 3);
    s = (seen){.n = 0};
    CHECK(sl_ostore_scan_prefix(o4, "kA", 2, collect, &s, &err) == SL_OK);
    CHECK(s.n == 2 && !strcmp(s.key[0], "kAstart001") && s.order[0] == 5 && !strcmp(s.key[1], "kAstart002") &&
          s.order[1] == 3);
    s = scan(o4, INT64_MIN, INT64_MAX);
    CHECK(s.n == 3 && !strcmp(s.key[0], "start002kA") && !strcmp(s.key[1], "start001kA") &&
          !strcmp(s.key[2], "start001kB"));
    CHECK(sl_ostore_del(o4, 5, "start001kA", 10, &err) == SL_OK);
    CHECK(sl_ostore_flush(o4, &err) == SL_OK);
    s = (seen){.n = 0};
    CHECK(sl_ostore_scan_prefix(o4, "kA", 2, collect, &s, &err) == SL_OK);
    CHECK(s.n == 1 && !strcmp(s.key[0], "kAstart002"));
    CHECK_INT(sl_ostore_count(o4), 2);
    CHECK(sl_ostore_get_by_key(o4, "start002kA", 10, &v, &found, &err) == SL_ERR_INTERNAL);
    sl_ostore_free(o4);
    sl_kv_free(kv4);

    sl_buf_fini(&v);
    sl_ostore_free(o);
    sl_ostore_free(o2);
    sl_ostore_free(o3);
    sl_kv_free(kv);
    sl_kv_free(kv2);
    sl_kv_free(kv3);
    sl_ckpt_log_free(log);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd)) {}
}

TEST(ckpt_ostore_behaviour)
{
    fflush(NULL);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        int failed = 0;
        ostore_behaviour(&failed);
        fflush(NULL);
        _exit(failed);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}
