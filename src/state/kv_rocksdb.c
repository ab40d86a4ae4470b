/* The RocksDB state backend ('state.backend' = 'rocksdb'), for operator
 * state larger than memory.  RocksDB works in a scratch directory that is
 * wiped at open: durability comes from sluice's checkpoint (snapshot and
 * delta files written through kv.c), not from RocksDB's own log, so the
 * write-ahead log is off and a crash simply rebuilds the scratch database
 * from the checkpoint.  Snapshots are RocksDB checkpoints — SST files
 * hard-linked (or copied across file systems) into
 * state/<op>/<v>.snapdir/ — so a snapshot costs a memtable flush, not a
 * pass over the whole state; deltas stay small byte files.  RocksDB allocates with its own allocator; those
 * allocations are outside the fault simulator's reach. */
#include "state/kv_int.h"
#include "state/ckpt_file.h"
#include "core/mem.h"
#include "core/status.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <rocksdb/c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define COUNT_FILE "SLUICE_COUNT"

typedef struct rdb {
    rocksdb_t *db;
    rocksdb_options_t *opts;
    rocksdb_writeoptions_t *wopts;
    rocksdb_readoptions_t *ropts;
    char *path;
    int64_t n; /* exact key count, kept here: RocksDB only estimates it */
    rocksdb_block_based_table_options_t *bbo;
} rdb;

typedef struct rdb_iter {
    rocksdb_iterator_t *it;
    bool started;
} rdb_iter;

static sl_status rdb_err(sl_error *err, const char *what, const rdb *r, char *msg)
{
    sl_status st = sl_err(err, SL_ERR_STATE, "rocksdb state store %s: %s failed: %s",
                          r->path, what, msg ? msg : "unknown error");
    rocksdb_free(msg);
    return st;
}

static bool exists(rdb *r, const void *k, size_t kl, sl_error *err, sl_status *st)
{
    char *msg = NULL;
    rocksdb_pinnableslice_t *ps = rocksdb_get_pinned(r->db, r->ropts, k, kl, &msg);
    if (msg) { *st = rdb_err(err, "get", r, msg); return false; }
    *st = SL_OK;
    if (!ps) return false;
    rocksdb_pinnableslice_destroy(ps);
    return true;
}

static sl_status r_put(void *impl, const void *k, size_t kl, const void *v, size_t vl,
                       sl_error *err)
{
    rdb *r = impl;
    sl_status st;
    bool had = exists(r, k, kl, err, &st);
    if (st != SL_OK) return st;
    char *msg = NULL;
    rocksdb_put(r->db, r->wopts, k, kl, v, vl, &msg);
    if (msg) return rdb_err(err, "put", r, msg);
    if (!had) r->n++;
    return SL_OK;
}

static sl_status r_get(void *impl, const void *k, size_t kl, sl_buf *out, bool *out_found,
                       sl_error *err)
{
    rdb *r = impl;
    char *msg = NULL;
    rocksdb_pinnableslice_t *ps = rocksdb_get_pinned(r->db, r->ropts, k, kl, &msg);
    if (msg) return rdb_err(err, "get", r, msg);
    *out_found = ps != NULL;
    if (!ps) return SL_OK;
    size_t vl;
    const char *v = rocksdb_pinnableslice_value(ps, &vl);
    sl_buf_append(out, v, vl);
    rocksdb_pinnableslice_destroy(ps);
    return out->oom ? sl_err_oom(err) : SL_OK;
}

static sl_status r_del(void *impl, const void *k, size_t kl, sl_error *err)
{
    rdb *r = impl;
    sl_status st;
    bool had = exists(r, k, kl, err, &st);
    if (st != SL_OK || !had) return st;
    char *msg = NULL;
    rocksdb_delete(r->db, r->wopts, k, kl, &msg);
    if (msg) return rdb_err(err, "delete", r, msg);
    r->n--;
    return SL_OK;
}

static sl_status r_reopen(rdb *r, sl_error *err)
{
    char *msg = NULL;
    if (r->db) rocksdb_close(r->db);
    r->db = NULL;
    rocksdb_destroy_db(r->opts, r->path, &msg);
    if (msg) return rdb_err(err, "wipe", r, msg);
    r->db = rocksdb_open(r->opts, r->path, &msg);
    if (msg || !r->db) return rdb_err(err, "open", r, msg);
    r->n = 0;
    return SL_OK;
}

static sl_status r_clear(void *impl, sl_error *err)
{
    /* Deleting every key in one write batch: reopening the database would
     * be cheaper for huge state but costs tens of milliseconds even when
     * empty, and restores (the only clears) mostly meet small stores. */
    rdb *r = impl;
    rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
    rocksdb_iterator_t *it = rocksdb_create_iterator(r->db, r->ropts);
    for (rocksdb_iter_seek_to_first(it); rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
        size_t kl;
        const char *k = rocksdb_iter_key(it, &kl);
        rocksdb_writebatch_delete(wb, k, kl);
    }
    char *msg = NULL;
    rocksdb_iter_get_error(it, &msg);
    rocksdb_iter_destroy(it);
    if (!msg) rocksdb_write(r->db, r->wopts, wb, &msg);
    rocksdb_writebatch_destroy(wb);
    if (msg) return rdb_err(err, "clear", r, msg);
    r->n = 0;
    return SL_OK;
}

static int64_t r_count(const void *impl) { return ((const rdb *)impl)->n; }

static sl_status r_iter_new(void *impl, void **out_it, sl_error *err)
{
    rdb *r = impl;
    rdb_iter *it = sl_calloc(1, sizeof *it);
    if (!it) return sl_err_oom(err);
    it->it = rocksdb_create_iterator(r->db, r->ropts);
    rocksdb_iter_seek_to_first(it->it);
    *out_it = it;
    return SL_OK;
}

static bool r_iter_next(void *p, const void **k, size_t *kl, const void **v, size_t *vl)
{
    rdb_iter *it = p;
    if (it->started) rocksdb_iter_next(it->it);
    it->started = true;
    if (!rocksdb_iter_valid(it->it)) return false;
    *k = rocksdb_iter_key(it->it, kl);
    *v = rocksdb_iter_value(it->it, vl);
    return true;
}

static void r_iter_free(void *p)
{
    rdb_iter *it = p;
    if (!it) return;
    rocksdb_iter_destroy(it->it);
    sl_free(it);
}

static void r_free(void *impl)
{
    rdb *r = impl;
    if (!r) return;
    if (r->db) rocksdb_close(r->db);
    if (r->opts) {
        char *msg = NULL;
        rocksdb_destroy_db(r->opts, r->path, &msg); /* scratch: leave nothing */
        rocksdb_free(msg);
        rocksdb_options_destroy(r->opts);
    }
    if (r->bbo) rocksdb_block_based_options_destroy(r->bbo);
    if (r->wopts) rocksdb_writeoptions_destroy(r->wopts);
    if (r->ropts) rocksdb_readoptions_destroy(r->ropts);
    sl_free(r->path);
    sl_free(r);
}

/* ---- directory snapshots ------------------------------------------------ */

static sl_status r_export(void *impl, const char *path, sl_error *err)
{
    rdb *r = impl;
    char *msg = NULL;
    /* The write-ahead log is off, so the memtable must reach SST files
     * before the checkpoint links them. */
    rocksdb_flushoptions_t *fo = rocksdb_flushoptions_create();
    rocksdb_flushoptions_set_wait(fo, 1);
    rocksdb_flush(r->db, fo, &msg);
    rocksdb_flushoptions_destroy(fo);
    if (msg) return rdb_err(err, "flush", r, msg);
    rocksdb_checkpoint_t *cp = rocksdb_checkpoint_object_create(r->db, &msg);
    if (msg) return rdb_err(err, "checkpoint", r, msg);
    rocksdb_checkpoint_create(cp, path, 0, &msg);
    rocksdb_checkpoint_object_destroy(cp);
    if (msg) return rdb_err(err, "checkpoint", r, msg);
    /* RocksDB only estimates its key count; ours travels with the files. */
    size_t n = strlen(path) + sizeof COUNT_FILE + 2;
    char *cpath = sl_malloc(n);
    if (!cpath) return sl_err_oom(err);
    snprintf(cpath, n, "%s/%s", path, COUNT_FILE);
    FILE *f = fopen(cpath, "w");
    sl_status st = SL_OK;
    if (!f || fprintf(f, "%" PRId64 "\n", r->n) < 0 || fclose(f) != 0)
        st = sl_err(err, SL_ERR_IO, "checkpoint: cannot write %s: %s", cpath, strerror(errno));
    sl_free(cpath);
    return st;
}

static int copy_file(const char *from, const char *to)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0) return -1;
    int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) { close(in); return -1; }
    char buf[65536];
    ssize_t got;
    int rc = 0;
    while ((got = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)got) != got) { rc = -1; break; }
    if (got < 0) rc = -1;
    close(in);
    if (close(out) != 0) rc = -1;
    return rc;
}

/* Puts the files of a directory snapshot into the scratch directory: SST
 * files are immutable, so hard links suffice; the small metadata files
 * that RocksDB may rewrite are copied so the snapshot is never touched. */
static sl_status fill_scratch(rdb *r, const char *src, int64_t *out_count, sl_error *err)
{
    DIR *d = opendir(src);
    if (!d) return sl_err(err, SL_ERR_CHECKPOINT, "cannot open state snapshot %s: %s", src,
                          strerror(errno));
    struct dirent *de;
    sl_status st = SL_OK;
    *out_count = -1;
    while (st == SL_OK && (de = readdir(d)) != NULL) {
        const char *name = de->d_name;
        if (name[0] == '.' || !strcmp(name, "_sluice_files")) continue;
        size_t n = strlen(src) + strlen(r->path) + strlen(name) + 4;
        char *from = sl_malloc(n), *to = sl_malloc(n);
        if (!from || !to) {
            st = sl_err_oom(err);
        } else {
            snprintf(from, n, "%s/%s", src, name);
            snprintf(to, n, "%s/%s", r->path, name);
            if (!strcmp(name, COUNT_FILE)) {
                FILE *f = fopen(from, "r");
                long long c = -1;
                if (!f || fscanf(f, "%lld", &c) != 1 || c < 0)
                    st = sl_err(err, SL_ERR_CHECKPOINT, "state snapshot %s: bad %s", src, COUNT_FILE);
                if (f) fclose(f);
                *out_count = c;
            } else {
                size_t nl = strlen(name);
                bool sst = nl > 4 && !strcmp(name + nl - 4, ".sst");
                if ((!sst || link(from, to) != 0) && copy_file(from, to) != 0)
                    st = sl_err(err, SL_ERR_IO, "cannot copy state file %s to %s: %s", from, to,
                                strerror(errno));
            }
        }
        sl_free(from);
        sl_free(to);
    }
    closedir(d);
    if (st == SL_OK && *out_count < 0)
        st = sl_err(err, SL_ERR_CHECKPOINT, "state snapshot %s lacks %s", src, COUNT_FILE);
    return st;
}

static sl_status r_import(void *impl, const char *src, sl_error *err)
{
    rdb *r = impl;
    char *msg = NULL;
    if (r->db) rocksdb_close(r->db);
    r->db = NULL;
    rocksdb_destroy_db(r->opts, r->path, &msg);
    if (msg) return rdb_err(err, "wipe", r, msg);
    sl_status st = sl_ckpt_mkdirs(r->path, err);
    int64_t count = 0;
    if (st == SL_OK) st = fill_scratch(r, src, &count, err);
    if (st != SL_OK) {
        /* Leave an empty, usable store behind. */
        sl_error ignore;
        r_reopen(r, &ignore);
        return st;
    }
    rocksdb_options_set_create_if_missing(r->opts, 0);
    r->db = rocksdb_open(r->opts, r->path, &msg);
    rocksdb_options_set_create_if_missing(r->opts, 1);
    if (msg || !r->db) {
        sl_status e = sl_err(err, SL_ERR_CHECKPOINT, "state snapshot %s does not open: %s", src,
                             msg ? msg : "unknown error");
        rocksdb_free(msg);
        sl_error ignore;
        r_reopen(r, &ignore);
        return e;
    }
    r->n = count;
    return SL_OK;
}

rocksdb_t *sl_kv_rocksdb_db(void *impl) { return ((rdb *)impl)->db; }
void sl_kv_rocksdb_count_add(void *impl, int64_t d) { ((rdb *)impl)->n += d; }

const sl_kv_backend sl_kv_rocksdb_backend = {
    "rocksdb", r_put, r_get, r_del, r_clear, r_count,
    r_iter_new, r_iter_next, r_iter_free, r_free, r_export, r_import,
};

sl_status sl_kv_rocksdb_scan_dir(const char *dir, sl_kv_pair_fn fn, void *ctx, sl_error *err)
{
    const char *tmpdir = getenv("TMPDIR");
    char tmpl[512];
    snprintf(tmpl, sizeof tmpl, "%s/sluice-state-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (!mkdtemp(tmpl))
        return sl_err(err, SL_ERR_IO, "cannot create a scratch directory %s: %s", tmpl,
                      strerror(errno));
    rdb *r = sl_kv_rocksdb_open(tmpl, err);
    sl_status st = r ? r_import(r, dir, err) : (err ? err->code : SL_ERR_STATE);
    if (st == SL_OK) {
        rocksdb_iterator_t *it = rocksdb_create_iterator(r->db, r->ropts);
        for (rocksdb_iter_seek_to_first(it); st == SL_OK && rocksdb_iter_valid(it);
             rocksdb_iter_next(it)) {
            size_t kl, vl;
            const char *k = rocksdb_iter_key(it, &kl), *v = rocksdb_iter_value(it, &vl);
            st = fn(ctx, k, kl, v, vl, err);
        }
        char *msg = NULL;
        rocksdb_iter_get_error(it, &msg);
        rocksdb_iter_destroy(it);
        if (msg && st == SL_OK) st = rdb_err(err, "read", r, msg);
        else rocksdb_free(msg);
    }
    r_free(r);
    rmdir(tmpl);
    return st;
}

void *sl_kv_rocksdb_open(const char *path, sl_error *err)
{
    if (!path || !*path) {
        sl_err(err, SL_ERR_CONFIG, "state.backend 'rocksdb' needs a working directory");
        return NULL;
    }
    if (sl_ckpt_mkdirs(path, err) != SL_OK) return NULL;
    rdb *r = sl_calloc(1, sizeof *r);
    if (!r || !(r->path = sl_strdup(path))) {
        sl_free(r);
        sl_err_oom(err);
        return NULL;
    }
    r->opts = rocksdb_options_create();
    rocksdb_options_set_create_if_missing(r->opts, 1);
    /* Bounded memory (state larger than memory is the point): 16 MB
     * memtables, at most two; RocksDB's default 8 MB block cache; a bloom
     * filter so that looking up a key that is not there (a new group)
     * rarely reads a block. */
    rocksdb_options_set_write_buffer_size(r->opts, 16 << 20);
    rocksdb_options_set_max_write_buffer_number(r->opts, 2);
    r->bbo = rocksdb_block_based_options_create();
    rocksdb_block_based_options_set_filter_policy(r->bbo, rocksdb_filterpolicy_create_bloom(10));
    rocksdb_options_set_block_based_table_factory(r->opts, r->bbo);
    r->wopts = rocksdb_writeoptions_create();
    rocksdb_writeoptions_disable_WAL(r->wopts, 1);
    r->ropts = rocksdb_readoptions_create();
    if (r_reopen(r, err) != SL_OK) {
        r_free(r);
        return NULL;
    }
    return r;
}
