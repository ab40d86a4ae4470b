/* Inside the state store: the backend table that kv.c dispatches through,
 * and the byte-keyed hash table that is both the memory backend and the
 * set of keys a version changed. */
#ifndef SL_STATE_KV_INT_H
#define SL_STATE_KV_INT_H

#include "state/kv.h"

typedef struct sl_kv_backend {
    const char *name;
    sl_status (*put)(void *impl, const void *k, size_t kl, const void *v, size_t vl,
                     sl_error *err);
    /* *out_found; on found, value appended to out (already reset) */
    sl_status (*get)(void *impl, const void *k, size_t kl, sl_buf *out, bool *out_found,
                     sl_error *err);
    sl_status (*del)(void *impl, const void *k, size_t kl, sl_error *err);
    sl_status (*clear)(void *impl, sl_error *err);
    int64_t (*count)(const void *impl);
    sl_status (*iter_new)(void *impl, void **out_it, sl_error *err);
    bool (*iter_next)(void *it, const void **k, size_t *kl, const void **v, size_t *vl);
    void (*iter_free)(void *it);
    void (*free)(void *impl);
    /* Optional (NULL when the backend snapshots as bytes): writes a
     * directory snapshot into `path`, which must not exist yet. */
    sl_status (*export_dir)(void *impl, const char *path, sl_error *err);
    /* Optional: replaces the content with a directory snapshot. */
    sl_status (*import_dir)(void *impl, const char *path, sl_error *err);
} sl_kv_backend;

/* ---- the hash table ----------------------------------------------------- */

typedef struct sl_kv_hash sl_kv_hash;

sl_kv_hash *sl_kv_hash_new(void);
void sl_kv_hash_free(sl_kv_hash *h);
/* 0, or -1 on OOM (table unchanged). */
int sl_kv_hash_put(sl_kv_hash *h, const void *k, size_t kl, const void *v, size_t vl);
/* Borrowed value or NULL. */
const void *sl_kv_hash_get(const sl_kv_hash *h, const void *k, size_t kl, size_t *out_vl);
/* 1 when removed, 0 when absent. */
int sl_kv_hash_del(sl_kv_hash *h, const void *k, size_t kl);
void sl_kv_hash_clear(sl_kv_hash *h);
int64_t sl_kv_hash_count(const sl_kv_hash *h);

typedef struct sl_kv_hash_iter {
    const sl_kv_hash *h;
    size_t bucket;
    const void *ent;
} sl_kv_hash_iter;
void sl_kv_hash_iter_init(sl_kv_hash_iter *it, const sl_kv_hash *h);
bool sl_kv_hash_iter_next(sl_kv_hash_iter *it, const void **k, size_t *kl, const void **v,
                          size_t *vl);

extern const sl_kv_backend sl_kv_mem_backend;
void *sl_kv_mem_open(sl_error *err);
/* NULL with err filled when RocksDB is unavailable or fails to open. */
extern const sl_kv_backend sl_kv_rocksdb_backend;
void *sl_kv_rocksdb_open(const char *path, sl_error *err);
/* Calls fn for every pair of a RocksDB directory snapshot (read through a
 * private copy in $TMPDIR or /tmp, the snapshot itself stays untouched):
 * how a store of another backend restores one. */
typedef sl_status (*sl_kv_pair_fn)(void *ctx, const void *k, size_t kl, const void *v,
                                   size_t vl, sl_error *err);
sl_status sl_kv_rocksdb_scan_dir(const char *dir, sl_kv_pair_fn fn, void *ctx, sl_error *err);

/* For the working store (ostore.c), which writes a RocksDB store's
 * database directly: the backend's handle, its database (which a restore
 * replaces: ask again after one) and its exact key count. */
void *sl_kv_impl(sl_kv *kv);
struct rocksdb_t *sl_kv_rocksdb_db(void *impl);
void sl_kv_rocksdb_count_add(void *impl, int64_t d);

#endif
