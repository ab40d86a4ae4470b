/* The keyed state store: one randomized test, run against both backends,
 * checks every operation against a plain reference map written here; then
 * versions, deltas, snapshots and checkpoint round trips, across backends. */
#include "test.h"
#include "core/buf.h"
#include "core/mem.h"
#include "core/status.h"
#include "state/ckpt_file.h"
#include "state/ckpt_log.h"
#include "state/kv.h"

#include <dirent.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <unistd.h>

/* ---- the reference: an unsorted array of pairs --------------------------- */

typedef struct pair {
    unsigned char k[16], v[64];
    size_t kl, vl;
} pair;

typedef struct ref {
    pair *items;
    size_t n, cap;
} ref;

static pair *ref_find(ref *r, const void *k, size_t kl)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->items[i].kl == kl && !memcmp(r->items[i].k, k, kl)) return &r->items[i];
    return NULL;
}

static void ref_put(ref *r, const void *k, size_t kl, const void *v, size_t vl)
{
    pair *p = ref_find(r, k, kl);
    if (!p) {
        if (r->n == r->cap) {
            r->cap = r->cap ? r->cap * 2 : 64;
            r->items = realloc(r->items, r->cap * sizeof(pair));
        }
        p = &r->items[r->n++];
        memcpy(p->k, k, kl);
        p->kl = kl;
    }
    memcpy(p->v, v, vl);
    p->vl = vl;
}

static void ref_del(ref *r, const void *k, size_t kl)
{
    pair *p = ref_find(r, k, kl);
    if (p) *p = r->items[--r->n];
}

static ref ref_copy(const ref *r)
{
    ref c = {malloc((r->n + 1) * sizeof(pair)), r->n, r->n + 1};
    memcpy(c.items, r->items, r->n * sizeof(pair));
    return c;
}

/* The store holds exactly the reference's pairs: count, every get, and one
 * iteration that visits each pair once. */
static int same_content(sl_kv *kv, ref *r)
{
    sl_error err = {0};
    if (sl_kv_count(kv) != (int64_t)r->n) {
        fprintf(stderr, "  count %" PRId64 " vs %zu\n", sl_kv_count(kv), r->n);
        return 0;
    }
    sl_buf val;
    sl_buf_init(&val);
    int ok = 1;
    for (size_t i = 0; i < r->n && ok; i++) {
        bool found;
        if (sl_kv_get(kv, r->items[i].k, r->items[i].kl, &val, &found, &err) != SL_OK ||
            !found || val.len != r->items[i].vl ||
            (val.len && memcmp(val.data, r->items[i].v, val.len)))
            ok = 0;
    }
    sl_buf_fini(&val);
    char *seen = calloc(r->n + 1, 1);
    sl_kv_iter *it;
    if (ok && sl_kv_iter_new(kv, &it, &err) == SL_OK) {
        const void *k, *v;
        size_t kl, vl, visits = 0;
        while (sl_kv_iter_next(it, &k, &kl, &v, &vl)) {
            pair *p = ref_find(r, k, kl);
            if (!p || p->vl != vl || memcmp(p->v, v, vl) || seen[p - r->items]) ok = 0;
            else seen[p - r->items] = 1;
            visits++;
        }
        if (visits != r->n) ok = 0;
        sl_kv_iter_free(it);
    } else {
        ok = 0;
    }
    free(seen);
    return ok;
}

static uint64_t rng_state;
static uint32_t rnd(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng_state >> 33);
}

static void rand_key(unsigned char *k, size_t *kl)
{
    /* A small key space so puts overwrite and deletes hit; lengths 0..8
     * and zero bytes included. */
    uint32_t id = rnd() % 300;
    *kl = id % 9;
    for (size_t i = 0; i < *kl; i++) k[i] = (unsigned char)((id * (i + 7)) >> (i % 3));
}

static char *scratch(const char *tag)
{
    char *t = malloc(128);
    snprintf(t, 128, "/tmp/sl_kv_%s_%d_XXXXXX", tag, (int)getpid());
    return mkdtemp(t);
}

static void rmrf(const char *p)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", p);
    if (system(cmd) != 0) fprintf(stderr, "  rm -rf failed\n");
}

static sl_kv *open_backend(const char *backend, const char *dir, const char *sub)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, sub);
    sl_kv_opts o = {.backend = backend, .path = path};
    sl_kv *kv = NULL;
    sl_error err = {0};
    if (sl_kv_open(&o, &kv, &err) != SL_OK) fprintf(stderr, "  open %s: %s\n", backend, err.msg);
    return kv;
}

/* The shared behaviour test.  Runs 20 versions of 100 random operations;
 * each version is checkpointed (snapshots every 4, deltas between); at the
 * end every version is restored from the checkpoint into a store of the
 * other backend and compared with the reference as it was then. */
static void kv_behaviour(int *sl_test_failed, const char *backend, const char *other)
{
    char *dir = scratch(backend);
    REQUIRE(dir);
    sl_error err = {0};
    sl_kv *kv = open_backend(backend, dir, "work");
    REQUIRE(kv);
    CHECK_STR(sl_kv_backend_name(kv), backend);
    char ck[256];
    snprintf(ck, sizeof ck, "%s/ckpt", dir);
    sl_ckpt_log_opts lo = {.fingerprint = "kvtest", .snapshot_interval = 4,
                           .min_batches_to_retain = 1000};
    sl_ckpt_log *log;
    REQUIRE(sl_ckpt_log_open(ck, &lo, &log, &err) == SL_OK);

    enum { VERSIONS = 20, OPS = 100 };
    ref r = {0}, at[VERSIONS];
    rng_state = 42;
    sl_buf val;
    sl_buf_init(&val);
    int mismatches = 0;
    for (int v = 0; v < VERSIONS; v++) {
        REQUIRE(sl_kv_begin(kv, v, &err) == SL_OK);
        for (int i = 0; i < OPS; i++) {
            unsigned char k[16], vb[64];
            size_t kl, vl;
            rand_key(k, &kl);
            uint32_t op = rnd() % 10;
            if (op < 6) {
                vl = rnd() % 64;
                for (size_t j = 0; j < vl; j++) vb[j] = (unsigned char)rnd();
                CHECK(sl_kv_put(kv, k, kl, vb, vl, &err) == SL_OK);
                ref_put(&r, k, kl, vb, vl);
            } else if (op < 8) {
                CHECK(sl_kv_delete(kv, k, kl, &err) == SL_OK);
                ref_del(&r, k, kl);
            } else {
                bool found;
                CHECK(sl_kv_get(kv, k, kl, &val, &found, &err) == SL_OK);
                pair *p = ref_find(&r, k, kl);
                if (found != (p != NULL) ||
                    (p && (val.len != p->vl || (p->vl && memcmp(val.data, p->v, p->vl)))))
                    mismatches++;
            }
        }
        CHECK(sl_kv_checkpoint(kv, log, "op1", &err) == SL_OK);
        CHECK_INT(sl_kv_version(kv), v);
        CHECK(same_content(kv, &r));
        at[v] = ref_copy(&r);
    }
    CHECK_INT(mismatches, 0);
    /* Versions must go forward. */
    CHECK(sl_kv_begin(kv, 3, &err) == SL_ERR_INTERNAL);

    /* Snapshot bytes round-trip into the other backend. */
    sl_buf snap;
    sl_buf_init(&snap);
    REQUIRE(sl_kv_snapshot(kv, &snap, &err) == SL_OK);
    sl_kv *kv2 = open_backend(other, dir, "work2");
    REQUIRE(kv2);
    CHECK(sl_kv_load(kv2, snap.data, snap.len, &err) == SL_OK);
    CHECK_INT(sl_kv_version(kv2), VERSIONS - 1);
    CHECK(same_content(kv2, &r));
    /* Every truncation of a snapshot is refused. */
    int accepted = 0;
    for (size_t n = 0; n < snap.len; n += 1 + snap.len / 200)
        accepted += sl_kv_load(kv2, snap.data, n, &err) == SL_OK;
    CHECK_INT(accepted, 0);
    CHECK(err.code == SL_ERR_CHECKPOINT);
    CHECK(same_content(kv2, &r)); /* refused bytes leave the store alone */
    sl_buf_fini(&snap);

    /* Every version restores from the checkpoint, in both backends. */
    for (int v = 0; v < VERSIONS; v++) {
        sl_ckpt_state_chain ch;
        REQUIRE(sl_ckpt_log_load_state(log, "op1", v, &ch, &err) == SL_OK);
        CHECK(ch.n == v % 4 + 1);
        CHECK(sl_kv_restore(kv2, &ch, &err) == SL_OK);
        CHECK_INT(sl_kv_version(kv2), v);
        if (!same_content(kv2, &at[v])) {
            fprintf(stderr, "  %s: version %d restored wrong\n", other, v);
            CHECK(0);
        }
        CHECK(sl_kv_restore(kv, &ch, &err) == SL_OK);
        CHECK(same_content(kv, &at[v]));
        sl_ckpt_state_chain_fini(&ch);
    }
    /* Snapshot form: RocksDB checkpoints as directories, memory as bytes. */
    bool rdb = !strcmp(backend, "rocksdb");
    for (int v = 0; v < VERSIONS; v += 4) {
        char p[400];
        snprintf(p, sizeof p, "%s/state/op1/%d.snapdir/_sluice_files", ck, v);
        CHECK(sl_ckpt_file_exists(p) == rdb);
        snprintf(p, sizeof p, "%s/state/op1/%d.snapshot", ck, v);
        CHECK(sl_ckpt_file_exists(p) == !rdb);
    }
    if (rdb) {
        /* A damaged directory snapshot is refused, naming the file. */
        char sd[400], victim[700] = "";
        snprintf(sd, sizeof sd, "%s/state/op1/16.snapdir", ck);
        DIR *d = opendir(sd);
        REQUIRE(d);
        struct dirent *de;
        while ((de = readdir(d)) != NULL)
            if (strstr(de->d_name, ".sst")) snprintf(victim, sizeof victim, "%s/%s", sd, de->d_name);
        closedir(d);
        REQUIRE(victim[0]);
        struct stat stt;
        REQUIRE(stat(victim, &stt) == 0);
        /* Break the hard link first: the live database shares the inode. */
        char cmd[3000];
        snprintf(cmd, sizeof cmd, "cp '%s' '%s.x' && mv '%s.x' '%s'", victim, victim, victim, victim);
        REQUIRE(system(cmd) == 0);
        REQUIRE(truncate(victim, stt.st_size - 1) == 0);
        sl_ckpt_state_chain ch;
        CHECK(sl_ckpt_log_load_state(log, "op1", 17, &ch, &err) == SL_ERR_CHECKPOINT);
        CHECK(strstr(err.msg, victim) != NULL);
        sl_ckpt_state_chain_fini(&ch);
    }

    /* An empty chain restores an empty store. */
    sl_ckpt_state_chain empty = {0, NULL, -1};
    CHECK(sl_kv_restore(kv, &empty, &err) == SL_OK);
    CHECK_INT(sl_kv_count(kv), 0);
    CHECK_INT(sl_kv_version(kv), -1);

    for (int v = 0; v < VERSIONS; v++) free(at[v].items);
    free(r.items);
    sl_buf_fini(&val);
    sl_kv_free(kv);
    sl_kv_free(kv2);
    sl_ckpt_log_free(log);
    rmrf(dir);
    free(dir);
}

TEST(kv_memory_behaviour) { kv_behaviour(sl_test_failed, "memory", "rocksdb"); }
TEST(kv_rocksdb_behaviour) { kv_behaviour(sl_test_failed, "rocksdb", "memory"); }

TEST(kv_delta_contents)
{
    sl_error err = {0};
    sl_kv *kv;
    REQUIRE(sl_kv_open(NULL, &kv, &err) == SL_OK);
    CHECK_STR(sl_kv_backend_name(kv), "memory");
    sl_buf d;
    sl_buf_init(&d);
    REQUIRE(sl_kv_put(kv, "a", 1, "1", 1, &err) == SL_OK);
    REQUIRE(sl_kv_put(kv, "b", 1, "2", 1, &err) == SL_OK);
    REQUIRE(sl_kv_commit(kv, &d, &err) == SL_OK);
    CHECK_INT(sl_kv_version(kv), 0);
    sl_buf_reset(&d);
    /* Put then delete of a new key, overwrite, delete: the delta carries
     * final states only: "c" deleted, "a" = "9", "b" deleted. */
    REQUIRE(sl_kv_begin(kv, 5, &err) == SL_OK);
    REQUIRE(sl_kv_put(kv, "c", 1, "x", 1, &err) == SL_OK);
    REQUIRE(sl_kv_delete(kv, "c", 1, &err) == SL_OK);
    REQUIRE(sl_kv_put(kv, "a", 1, "9", 1, &err) == SL_OK);
    REQUIRE(sl_kv_delete(kv, "b", 1, &err) == SL_OK);
    REQUIRE(sl_kv_commit(kv, &d, &err) == SL_OK);
    CHECK_INT(sl_kv_version(kv), 5);
    /* Apply to a store holding the version-0 content. */
    sl_kv *kv2;
    REQUIRE(sl_kv_open(NULL, &kv2, &err) == SL_OK);
    REQUIRE(sl_kv_put(kv2, "a", 1, "1", 1, &err) == SL_OK);
    REQUIRE(sl_kv_put(kv2, "b", 1, "2", 1, &err) == SL_OK);
    REQUIRE(sl_kv_put(kv2, "c", 1, "old", 3, &err) == SL_OK);
    REQUIRE(sl_kv_apply_delta(kv2, d.data, d.len, &err) == SL_OK);
    CHECK_INT(sl_kv_version(kv2), 5);
    CHECK_INT(sl_kv_count(kv2), 1);
    sl_buf v;
    sl_buf_init(&v);
    bool found;
    REQUIRE(sl_kv_get(kv2, "a", 1, &v, &found, &err) == SL_OK);
    CHECK(found && v.len == 1 && v.data[0] == '9');
    /* Garbage is refused. */
    CHECK(sl_kv_apply_delta(kv2, "SKVD\1\7\1\3", 8, &err) == SL_ERR_CHECKPOINT);
    CHECK(sl_kv_load(kv2, d.data, d.len, &err) == SL_ERR_CHECKPOINT); /* a delta is not a snapshot */
    sl_buf_fini(&v);
    sl_buf_fini(&d);
    sl_kv_free(kv);
    sl_kv_free(kv2);

    sl_kv_opts bad = {.backend = "cassandra"};
    CHECK(sl_kv_open(&bad, &kv, &err) == SL_ERR_CONFIG);
    CHECK(strstr(err.msg, "cassandra") != NULL);
    sl_options o;
    sl_options_init(&o);
    sl_options_set(&o, "State.Backend", "RocksDB");
    char *dir = scratch("opt");
    REQUIRE(dir);
    CHECK(sl_kv_open_options(&o, dir, &kv, &err) == SL_OK);
    if (kv) CHECK_STR(sl_kv_backend_name(kv), "rocksdb");
    sl_kv_free(kv);
    sl_options_fini(&o);
    rmrf(dir);
    free(dir);
}

TEST(kv_memory_alloc_faults)
{
    /* Failing each allocation of a put/commit sequence in turn ends in a
     * clean error; and the store and its deltas stay consistent: a failed
     * put changes nothing, so the next delta still describes the store. */
    sl_error err = {0};
    for (long k = 1; k < 200; k++) {
        sl_kv *kv = NULL;
        sl_buf d;
        sl_buf_init(&d);
        sl_mem_fault_arm(k, 0);
        sl_status st = sl_kv_open(NULL, &kv, &err);
        int done = 0;
        for (int i = 0; st == SL_OK && i < 40; i++) {
            char key[16];
            snprintf(key, sizeof key, "k%d", i);
            st = sl_kv_put(kv, key, strlen(key), key, strlen(key), &err);
            done += st == SL_OK;
        }
        if (st == SL_OK) st = sl_kv_commit(kv, &d, &err);
        long hits = sl_mem_fault_hits();
        sl_mem_fault_arm(0, 0);
        if (st != SL_OK) CHECK(err.code == SL_ERR_NOMEM);
        if (kv && st != SL_OK) CHECK_INT(sl_kv_count(kv), done);
        sl_kv_free(kv);
        sl_buf_fini(&d);
        if (!hits) break;
    }
}
