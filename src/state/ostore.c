/* The RocksDB working store of one operator (ostore.h).  The database is
 * the one of a RocksDB sl_kv (kv_rocksdb.c), which keeps the key count and
 * knows how to snapshot into and restore from directory snapshots; this
 * file adds the event-time key layout, the write batch and the delta of
 * the open version, built as the changes are made (no pass over the state
 * to find them). */
#include "state/ostore.h"
#include "state/kv_int.h"
#include "core/mem.h"
#include "core/status.h"

#include <inttypes.h>
#include <rocksdb/c.h>
#include <string.h>

/* A delta file's header: magic (4), format (1), two varints (10 each). */
#define HEADER_ROOM 25
#define MARKER_VALUE "sluice-ordered-1"

struct sl_ostore {
    sl_kv *kv;
    void *rdb;                  /* the kv's RocksDB backend */
    rocksdb_writebatch_t *wb;   /* changes not yet in the database */
    rocksdb_readoptions_t *ropts;
    rocksdb_writeoptions_t *wopts;
    sl_buf delta;               /* HEADER_ROOM, then this version's entries */
    int64_t n_delta;
    sl_buf key;                 /* scratch: one stored key */
    bool force_snapshot;        /* the chain on disk is in the plain layout */
    int keyed;                  /* SL_OSTORE_KEYED*: every record also under SL_OSTORE_INDEX */
};

static const unsigned char marker_key[SL_OSTORE_ORDER_LEN] = {0};

void sl_ostore_key(sl_buf *out, int64_t order, const void *key, size_t kl)
{
    uint64_t u = (uint64_t)order ^ (UINT64_C(1) << 63);
    unsigned char be[8];
    for (int i = 0; i < 8; i++) be[i] = (unsigned char)(u >> (56 - 8 * i));
    sl_buf_append(out, be, 8);
    sl_buf_append(out, key, kl);
}

/* Appends the index key of record key `key`: SL_OSTORE_INDEX, then the key
 * (SL_OSTORE_KEYED_AFTER8: the key without its first 8 bytes, then those). */
static void index_key(const sl_ostore *o, sl_buf *out, const void *key, size_t kl)
{
    if (o->keyed != SL_OSTORE_KEYED_AFTER8 || kl < 8) {
        sl_ostore_key(out, SL_OSTORE_INDEX, key, kl);
        return;
    }
    sl_ostore_key(out, SL_OSTORE_INDEX, (const char *)key + 8, kl - 8);
    sl_buf_append(out, key, 8);
}

static int64_t key_order(const void *k)
{
    const unsigned char *p = k;
    uint64_t u = 0;
    for (int i = 0; i < 8; i++) u = (u << 8) | p[i];
    return (int64_t)(u ^ (UINT64_C(1) << 63));
}

static sl_status rerr(sl_error *err, const char *what, char *msg)
{
    sl_status st = sl_err(err, SL_ERR_STATE, "rocksdb working state: %s failed: %s", what,
                          msg ? msg : "unknown error");
    rocksdb_free(msg);
    return st;
}

static void reset_delta(sl_ostore *o)
{
    static const char room[HEADER_ROOM];
    sl_buf_reset(&o->delta);
    sl_buf_append(&o->delta, room, sizeof room);
    o->n_delta = 0;
}

bool sl_ostore_key_is_index(const void *k, size_t kl)
{
    return kl > SL_OSTORE_ORDER_LEN && key_order(k) == SL_OSTORE_INDEX;
}

sl_status sl_ostore_open(sl_kv *kv, int keyed, sl_ostore **out, sl_error *err)
{
    *out = NULL;
    if (strcmp(sl_kv_backend_name(kv), "rocksdb"))
        return sl_err(err, SL_ERR_INTERNAL, "working state needs a rocksdb store");
    sl_ostore *o = sl_calloc(1, sizeof *o);
    if (!o) return sl_err_oom(err);
    o->kv = kv;
    o->keyed = keyed;
    o->rdb = sl_kv_impl(kv);
    o->wb = rocksdb_writebatch_create();
    o->ropts = rocksdb_readoptions_create();
    o->wopts = rocksdb_writeoptions_create();
    rocksdb_writeoptions_disable_WAL(o->wopts, 1);
    sl_buf_init(&o->delta);
    sl_buf_init(&o->key);
    reset_delta(o);
    if (o->delta.oom) { sl_ostore_free(o); return sl_err_oom(err); }
    *out = o;
    return SL_OK;
}

void sl_ostore_free(sl_ostore *o)
{
    if (!o) return;
    rocksdb_writebatch_destroy(o->wb);
    rocksdb_readoptions_destroy(o->ropts);
    rocksdb_writeoptions_destroy(o->wopts);
    sl_buf_fini(&o->delta);
    sl_buf_fini(&o->key);
    sl_free(o);
}

/* A put of a stored key into the write batch and/or the delta. */
static sl_status put_to(sl_ostore *o, const void *k, size_t kl, const void *v, size_t vl, bool db,
                        bool log, sl_error *err)
{
    if (db) rocksdb_writebatch_put(o->wb, k, kl, v, vl);
    if (!log) return SL_OK;
    sl_buf_putc(&o->delta, 1);
    sl_buf_put_varint(&o->delta, kl);
    sl_buf_append(&o->delta, k, kl);
    sl_buf_put_varint(&o->delta, vl);
    sl_buf_append(&o->delta, v, vl);
    o->n_delta++;
    return o->delta.oom ? sl_err_oom(err) : SL_OK;
}

static sl_status raw_put(sl_ostore *o, const void *k, size_t kl, const void *v, size_t vl,
                         sl_error *err)
{
    return put_to(o, k, kl, v, vl, true, true, err);
}

static bool has_marker(sl_ostore *o, sl_error *err, sl_status *st)
{
    char *msg = NULL;
    rocksdb_pinnableslice_t *ps =
        rocksdb_get_pinned(sl_kv_rocksdb_db(o->rdb), o->ropts, (const char *)marker_key,
                           sizeof marker_key, &msg);
    *st = msg ? rerr(err, "get", msg) : SL_OK;
    if (!ps) return false;
    rocksdb_pinnableslice_destroy(ps);
    return true;
}

/* Rewrites every record of a plain-layout store under its ordered key. */
static sl_status convert(sl_ostore *o, sl_error *err)
{
    rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
    rocksdb_iterator_t *it = rocksdb_create_iterator(sl_kv_rocksdb_db(o->rdb), o->ropts);
    sl_status st = SL_OK;
    for (rocksdb_iter_seek_to_first(it); rocksdb_iter_valid(it) && !st; rocksdb_iter_next(it)) {
        size_t kl, vl;
        const char *k = rocksdb_iter_key(it, &kl), *v = rocksdb_iter_value(it, &vl);
        if (vl < 8 || kl == 0) {
            st = sl_err(err, SL_ERR_CHECKPOINT,
                        "state record of %zu bytes has no event time to order it by", vl);
            break;
        }
        int64_t order;
        memcpy(&order, v, 8);
        sl_buf_reset(&o->key);
        sl_ostore_key(&o->key, order, k, kl);
        if (o->key.oom) { st = sl_err_oom(err); break; }
        rocksdb_writebatch_delete(wb, k, kl);
        rocksdb_writebatch_put(wb, o->key.data, o->key.len, v, vl);
        if (o->keyed) {
            sl_buf_reset(&o->key);
            index_key(o, &o->key, k, kl);
            if (o->key.oom) { st = sl_err_oom(err); break; }
            rocksdb_writebatch_put(wb, o->key.data, o->key.len, v, vl);
            sl_kv_rocksdb_count_add(o->rdb, 1);
        }
    }
    char *msg = NULL;
    rocksdb_iter_get_error(it, &msg);
    rocksdb_iter_destroy(it);
    if (msg && !st) st = rerr(err, "read", msg);
    else rocksdb_free(msg);
    if (!st) {
        rocksdb_write(sl_kv_rocksdb_db(o->rdb), o->wopts, wb, &msg);
        if (msg) st = rerr(err, "write", msg);
    }
    rocksdb_writebatch_destroy(wb);
    return st;
}

sl_status sl_ostore_restore(sl_ostore *o, const sl_ckpt_state_chain *chain, sl_error *err)
{
    rocksdb_writebatch_clear(o->wb);
    reset_delta(o);
    sl_status st = sl_kv_restore(o->kv, chain, err);
    if (st) return st;
    bool marked = has_marker(o, err, &st);
    if (st || marked) return st;
    /* A plain-layout state (or none): convert it, mark the store, and
     * write the next version whole so that no later delta lands on top of
     * plain-layout files. */
    if (sl_kv_count(o->kv) > 0) {
        if ((st = convert(o, err))) return st;
        o->force_snapshot = true;
    }
    if ((st = raw_put(o, marker_key, sizeof marker_key, MARKER_VALUE, strlen(MARKER_VALUE), err)))
        return st;
    sl_kv_rocksdb_count_add(o->rdb, 1);
    return sl_ostore_flush(o, err);
}

sl_status sl_ostore_get_by_key(sl_ostore *o, const void *key, size_t kl, sl_buf *val, bool *found,
                               sl_error *err)
{
    if (o->keyed != SL_OSTORE_KEYED)
        return sl_err(err, SL_ERR_INTERNAL, "working state: a lookup by key in a store without its index");
    return sl_ostore_get(o, SL_OSTORE_INDEX, key, kl, val, found, err);
}

sl_status sl_ostore_get(sl_ostore *o, int64_t order, const void *key, size_t kl, sl_buf *val,
                        bool *found, sl_error *err)
{
    sl_buf_reset(val);
    sl_buf_reset(&o->key);
    sl_ostore_key(&o->key, order, key, kl);
    if (o->key.oom) return sl_err_oom(err);
    char *msg = NULL;
    rocksdb_pinnableslice_t *ps = rocksdb_get_pinned(sl_kv_rocksdb_db(o->rdb), o->ropts,
                                                     o->key.data, o->key.len, &msg);
    if (msg) return rerr(err, "get", msg);
    *found = ps != NULL;
    if (!ps) return SL_OK;
    size_t vl;
    const char *v = rocksdb_pinnableslice_value(ps, &vl);
    sl_buf_append(val, v, vl);
    rocksdb_pinnableslice_destroy(ps);
    return val->oom ? sl_err_oom(err) : SL_OK;
}

static sl_status record_put(sl_ostore *o, const void *key, size_t kl, const void *val, size_t vl,
                            bool is_new, bool db, bool log, sl_error *err)
{
    if (vl < 8 || kl == 0)
        return sl_err(err, SL_ERR_INTERNAL, "working state: a record needs a key and an event time");
    int64_t order;
    memcpy(&order, val, 8);
    sl_buf_reset(&o->key);
    sl_ostore_key(&o->key, order, key, kl);
    if (o->key.oom) return sl_err_oom(err);
    sl_status st = put_to(o, o->key.data, o->key.len, val, vl, db, log, err);
    if (!st && o->keyed) {
        sl_buf_reset(&o->key);
        index_key(o, &o->key, key, kl);
        st = o->key.oom ? sl_err_oom(err) : put_to(o, o->key.data, o->key.len, val, vl, db, log, err);
    }
    if (!st && db && is_new) sl_kv_rocksdb_count_add(o->rdb, o->keyed ? 2 : 1);
    return st;
}

sl_status sl_ostore_put(sl_ostore *o, const void *key, size_t kl, const void *val, size_t vl,
                        bool is_new, sl_error *err)
{
    return record_put(o, key, kl, val, vl, is_new, true, true, err);
}

sl_status sl_ostore_log_put(sl_ostore *o, const void *key, size_t kl, const void *val, size_t vl,
                            sl_error *err)
{
    return record_put(o, key, kl, val, vl, false, false, true, err);
}

sl_status sl_ostore_store_put(sl_ostore *o, const void *key, size_t kl, const void *val, size_t vl,
                              bool is_new, sl_error *err)
{
    return record_put(o, key, kl, val, vl, is_new, true, false, err);
}

static void raw_del(sl_ostore *o, int64_t order, const void *key, size_t kl, bool db, bool log)
{
    sl_buf_reset(&o->key);
    if (order == SL_OSTORE_INDEX) index_key(o, &o->key, key, kl);
    else sl_ostore_key(&o->key, order, key, kl);
    if (o->key.oom) return;
    if (db) {
        rocksdb_writebatch_delete(o->wb, o->key.data, o->key.len);
        sl_kv_rocksdb_count_add(o->rdb, -1);
    }
    if (!log) return;
    sl_buf_putc(&o->delta, 2);
    sl_buf_put_varint(&o->delta, o->key.len);
    sl_buf_append(&o->delta, o->key.data, o->key.len);
    o->n_delta++;
}

sl_status sl_ostore_del(sl_ostore *o, int64_t order, const void *key, size_t kl, sl_error *err)
{
    raw_del(o, order, key, kl, true, true);
    if (o->keyed) raw_del(o, SL_OSTORE_INDEX, key, kl, true, true);
    return o->key.oom || o->delta.oom ? sl_err_oom(err) : SL_OK;
}

sl_status sl_ostore_log_del(sl_ostore *o, int64_t order, const void *key, size_t kl, sl_error *err)
{
    raw_del(o, order, key, kl, false, true);
    if (o->keyed) raw_del(o, SL_OSTORE_INDEX, key, kl, false, true);
    return o->key.oom || o->delta.oom ? sl_err_oom(err) : SL_OK;
}

sl_status sl_ostore_store_del(sl_ostore *o, int64_t order, const void *key, size_t kl, sl_error *err)
{
    raw_del(o, order, key, kl, true, false);
    if (o->keyed) raw_del(o, SL_OSTORE_INDEX, key, kl, true, false);
    return o->key.oom ? sl_err_oom(err) : SL_OK;
}

void sl_ostore_force_snapshot(sl_ostore *o) { o->force_snapshot = true; }

bool sl_ostore_snapshot_due(const sl_ostore *o, sl_ckpt_log *log, const char *op_id, int64_t version)
{
    return o->force_snapshot || sl_ckpt_log_state_wants_snapshot(log, op_id, version);
}

sl_status sl_ostore_flush(sl_ostore *o, sl_error *err)
{
    if (rocksdb_writebatch_count(o->wb) == 0) return SL_OK;
    char *msg = NULL;
    rocksdb_write(sl_kv_rocksdb_db(o->rdb), o->wopts, o->wb, &msg);
    if (msg) return rerr(err, "write", msg);
    rocksdb_writebatch_clear(o->wb);
    return SL_OK;
}

sl_status sl_ostore_scan(sl_ostore *o, int64_t order_min, int64_t order_max, sl_ostore_fn fn,
                         void *ctx, sl_error *err)
{
    /* From order_min (and past the marker and the by-key index) to an upper
     * bound RocksDB knows, so that neither end walks over the tombstones of
     * records deleted before. */
    if (order_min <= SL_OSTORE_INDEX) order_min = SL_OSTORE_INDEX + 1;
    if (order_min > order_max) return SL_OK;
    unsigned char lo[SL_OSTORE_ORDER_LEN], hi[SL_OSTORE_ORDER_LEN];
    sl_buf b;
    sl_buf_init(&b);
    sl_ostore_key(&b, order_min, "", 0);
    if (order_max < INT64_MAX) sl_ostore_key(&b, order_max + 1, "", 0);
    if (b.oom) { sl_buf_fini(&b); return sl_err_oom(err); }
    memcpy(lo, b.data, sizeof lo);
    if (order_max < INT64_MAX) memcpy(hi, b.data + sizeof lo, sizeof hi);
    sl_buf_fini(&b);
    rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
    if (order_max < INT64_MAX) rocksdb_readoptions_set_iterate_upper_bound(ro, (const char *)hi, sizeof hi);
    rocksdb_iterator_t *it = rocksdb_create_iterator(sl_kv_rocksdb_db(o->rdb), ro);
    sl_status st = SL_OK;
    for (rocksdb_iter_seek(it, (const char *)lo, sizeof lo); rocksdb_iter_valid(it) && !st;
         rocksdb_iter_next(it)) {
        size_t kl, vl;
        const char *k = rocksdb_iter_key(it, &kl), *v = rocksdb_iter_value(it, &vl);
        if (kl <= SL_OSTORE_ORDER_LEN) continue;
        int64_t order = key_order(k);
        if (order > order_max) break;
        st = fn(ctx, order, k + SL_OSTORE_ORDER_LEN, kl - SL_OSTORE_ORDER_LEN, v, vl, err);
    }
    char *msg = NULL;
    rocksdb_iter_get_error(it, &msg);
    rocksdb_iter_destroy(it);
    rocksdb_readoptions_destroy(ro);
    if (msg && !st) st = rerr(err, "read", msg);
    else rocksdb_free(msg);
    return st;
}

sl_status sl_ostore_scan_prefix(sl_ostore *o, const void *prefix, size_t pl, sl_ostore_fn fn,
                                void *ctx, sl_error *err)
{
    if (!o->keyed) return sl_err(err, SL_ERR_INTERNAL, "working state: a scan by key in a store without its index");
    sl_buf lo; /* not o->key: fn may change the store's pending writes */
    sl_buf_init(&lo);
    sl_ostore_key(&lo, SL_OSTORE_INDEX, prefix, pl);
    if (lo.oom) { sl_buf_fini(&lo); return sl_err_oom(err); }
    rocksdb_iterator_t *it = rocksdb_create_iterator(sl_kv_rocksdb_db(o->rdb), o->ropts);
    sl_status st = SL_OK;
    for (rocksdb_iter_seek(it, lo.data, lo.len); rocksdb_iter_valid(it) && !st; rocksdb_iter_next(it)) {
        size_t kl, vl;
        const char *k = rocksdb_iter_key(it, &kl), *v = rocksdb_iter_value(it, &vl);
        if (kl < lo.len || memcmp(k, lo.data, lo.len)) break;
        int64_t order;
        if (vl < 8) { st = sl_err(err, SL_ERR_CHECKPOINT, "working state: a record has no event time"); break; }
        memcpy(&order, v, 8);
        st = fn(ctx, order, k + SL_OSTORE_ORDER_LEN, kl - SL_OSTORE_ORDER_LEN, v, vl, err);
    }
    char *msg = NULL;
    rocksdb_iter_get_error(it, &msg);
    rocksdb_iter_destroy(it);
    sl_buf_fini(&lo);
    if (msg && !st) st = rerr(err, "read", msg);
    else rocksdb_free(msg);
    return st;
}

int64_t sl_ostore_count(const sl_ostore *o)
{
    int64_t n = (sl_kv_count(o->kv) - 1) / (o->keyed ? 2 : 1); /* the marker, the index */
    return n < 0 ? 0 : n;
}

sl_status sl_ostore_checkpoint(sl_ostore *o, sl_ckpt_log *log, const char *op_id,
                               int64_t version, sl_error *err)
{
    sl_status st = sl_ostore_flush(o, err);
    if (st) return st;
    bool snap = sl_ostore_snapshot_due(o, log, op_id, version);
    if ((st = sl_kv_begin(o->kv, version, err))) return st;
    if (snap) {
        /* The kv has no changes of its own (they went around it), so its
         * checkpoint is the directory snapshot alone. */
        st = sl_kv_checkpoint_snapshot(o->kv, log, op_id, err);
    } else {
        sl_buf hdr;
        sl_buf_init(&hdr);
        sl_buf_append(&hdr, "SKVD", 4);
        sl_buf_putc(&hdr, 1);
        sl_buf_put_varint(&hdr, (uint64_t)(version + 1));
        sl_buf_put_varint(&hdr, (uint64_t)o->n_delta);
        if (hdr.oom || o->delta.oom) {
            st = sl_err_oom(err);
        } else {
            char *at = o->delta.data + HEADER_ROOM - hdr.len;
            memcpy(at, hdr.data, hdr.len);
            st = sl_kv_commit(o->kv, NULL, err);
            if (!st)
                st = sl_ckpt_log_write_state(log, op_id, version, false, at,
                                             o->delta.len - (HEADER_ROOM - hdr.len), err);
        }
        sl_buf_fini(&hdr);
    }
    if (!st) {
        o->force_snapshot = false;
        reset_delta(o);
    }
    return st;
}
