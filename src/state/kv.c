/* The state store's backend-independent layer: dispatch to a backend, the
 * record of keys each version changed, and the snapshot/delta byte format
 * shared by every backend:
 *
 *     snapshot: "SKVS" u8(1) varint(version+1) varint(count)
 *               { varint(klen) key varint(vlen) value } * count
 *     delta:    "SKVD" u8(1) varint(version+1) varint(count)
 *               { u8(1 put | 2 delete) varint(klen) key [varint(vlen) value] } * count
 *
 * (varints are LEB128).  The bytes are stored inside checksummed checkpoint
 * files, but are still parsed defensively: they are outside input. */
#include "state/kv_int.h"
#include "state/ckpt_log.h"
#include "core/mem.h"
#include "core/status.h"

#include <inttypes.h>
#include <string.h>
#include <strings.h>

struct sl_kv {
    const sl_kv_backend *be;
    void *impl;
    sl_kv_hash *dirty;    /* keys put or deleted since the last commit */
    int64_t version;      /* last committed, -1 before any */
    int64_t open_version; /* begun and not committed, -1 when none */
};

struct sl_kv_iter {
    const sl_kv_backend *be;
    void *it;
};

sl_status sl_kv_open(const sl_kv_opts *opts, sl_kv **out_kv, sl_error *err)
{
    *out_kv = NULL;
    const char *name = opts && opts->backend ? opts->backend : "memory";
    const sl_kv_backend *be;
    if (!strcasecmp(name, "memory") || !strcasecmp(name, "hdfs") /* Spark's name */)
        be = &sl_kv_mem_backend;
    else if (!strcasecmp(name, "rocksdb"))
        be = &sl_kv_rocksdb_backend;
    else
        return sl_err(err, SL_ERR_CONFIG,
                      "unknown state.backend '%s' (expected 'memory' or 'rocksdb')", name);
    sl_kv *kv = sl_calloc(1, sizeof *kv);
    if (!kv) return sl_err_oom(err);
    kv->be = be;
    kv->version = kv->open_version = -1;
    kv->dirty = sl_kv_hash_new();
    if (!kv->dirty) { sl_free(kv); return sl_err_oom(err); }
    kv->impl = be == &sl_kv_mem_backend ? sl_kv_mem_open(err)
                                        : sl_kv_rocksdb_open(opts ? opts->path : NULL, err);
    if (!kv->impl) {
        sl_kv_hash_free(kv->dirty);
        sl_free(kv);
        return err ? err->code : SL_ERR_STATE;
    }
    *out_kv = kv;
    return SL_OK;
}

sl_status sl_kv_open_options(const sl_options *o, const char *path, sl_kv **out_kv,
                             sl_error *err)
{
    sl_kv_opts opts = {.backend = o ? sl_options_get(o, "state.backend") : NULL, .path = path};
    return sl_kv_open(&opts, out_kv, err);
}

void sl_kv_free(sl_kv *kv)
{
    if (!kv) return;
    kv->be->free(kv->impl);
    sl_kv_hash_free(kv->dirty);
    sl_free(kv);
}

const char *sl_kv_backend_name(const sl_kv *kv) { return kv->be->name; }

/* The key goes into the change record before the store changes, so that a
 * failure leaves both as they were and no change escapes the next delta. */
static sl_status mark_dirty(sl_kv *kv, const void *k, size_t kl, sl_error *err)
{
    if (sl_kv_hash_get(kv->dirty, k, kl, NULL)) return SL_OK;
    return sl_kv_hash_put(kv->dirty, k, kl, NULL, 0) == 0 ? SL_OK : sl_err_oom(err);
}

sl_status sl_kv_put(sl_kv *kv, const void *key, size_t key_len, const void *val,
                    size_t val_len, sl_error *err)
{
    sl_status st = mark_dirty(kv, key, key_len, err);
    if (st != SL_OK) return st;
    return kv->be->put(kv->impl, key, key_len, val, val_len, err);
}

sl_status sl_kv_get(sl_kv *kv, const void *key, size_t key_len, sl_buf *out_val,
                    bool *out_found, sl_error *err)
{
    sl_buf_reset(out_val);
    return kv->be->get(kv->impl, key, key_len, out_val, out_found, err);
}

sl_status sl_kv_delete(sl_kv *kv, const void *key, size_t key_len, sl_error *err)
{
    sl_status st = mark_dirty(kv, key, key_len, err);
    if (st != SL_OK) return st;
    return kv->be->del(kv->impl, key, key_len, err);
}

int64_t sl_kv_count(const sl_kv *kv) { return kv->be->count(kv->impl); }

sl_status sl_kv_iter_new(sl_kv *kv, sl_kv_iter **out_it, sl_error *err)
{
    *out_it = NULL;
    sl_kv_iter *it = sl_malloc(sizeof *it);
    if (!it) return sl_err_oom(err);
    it->be = kv->be;
    sl_status st = kv->be->iter_new(kv->impl, &it->it, err);
    if (st != SL_OK) { sl_free(it); return st; }
    *out_it = it;
    return SL_OK;
}

bool sl_kv_iter_next(sl_kv_iter *it, const void **key, size_t *key_len, const void **val,
                     size_t *val_len)
{
    return it->be->iter_next(it->it, key, key_len, val, val_len);
}

void sl_kv_iter_free(sl_kv_iter *it)
{
    if (!it) return;
    it->be->iter_free(it->it);
    sl_free(it);
}

/* ---- encoding ----------------------------------------------------------- */

typedef struct reader {
    const unsigned char *p, *e;
    bool bad;
} reader;

static uint64_t get_varint(reader *r)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->e) break;
        unsigned char c = *r->p++;
        v |= (uint64_t)(c & 0x7F) << shift;
        if (!(c & 0x80)) return v;
    }
    r->bad = true;
    return 0;
}

static const unsigned char *get_bytes(reader *r, uint64_t n)
{
    if (r->bad || n > (uint64_t)(r->e - r->p)) {
        r->bad = true;
        return NULL;
    }
    const unsigned char *s = r->p;
    r->p += n;
    return s;
}

static void put_header(sl_buf *b, const char *magic, int64_t version, uint64_t count)
{
    sl_buf_append(b, magic, 4);
    sl_buf_putc(b, 1);
    sl_buf_put_varint(b, (uint64_t)(version + 1));
    sl_buf_put_varint(b, count);
}

static bool get_header(reader *r, const char *magic, int64_t *version, uint64_t *count)
{
    const unsigned char *m = get_bytes(r, 5);
    if (!m || memcmp(m, magic, 4) != 0 || m[4] != 1) return false;
    uint64_t v = get_varint(r);
    *count = get_varint(r);
    if (r->bad || v > (uint64_t)INT64_MAX) return false;
    *version = (int64_t)v - 1;
    return true;
}

sl_status sl_kv_begin(sl_kv *kv, int64_t version, sl_error *err)
{
    if (kv->open_version >= 0)
        return sl_err(err, SL_ERR_INTERNAL, "state store: version %" PRId64
                      " begun while %" PRId64 " is open", version, kv->open_version);
    if (version <= kv->version)
        return sl_err(err, SL_ERR_INTERNAL, "state store: version %" PRId64
                      " does not follow committed version %" PRId64, version, kv->version);
    kv->open_version = version;
    return SL_OK;
}

sl_status sl_kv_commit(sl_kv *kv, sl_buf *out_delta, sl_error *err)
{
    int64_t v = kv->open_version >= 0 ? kv->open_version : kv->version + 1;
    if (out_delta) {
        sl_buf val;
        sl_buf_init(&val);
        put_header(out_delta, "SKVD", v, (uint64_t)sl_kv_hash_count(kv->dirty));
        sl_kv_hash_iter it;
        sl_kv_hash_iter_init(&it, kv->dirty);
        const void *k, *dv;
        size_t kl, dvl;
        while (sl_kv_hash_iter_next(&it, &k, &kl, &dv, &dvl)) {
            bool found;
            sl_status st = sl_kv_get(kv, k, kl, &val, &found, err);
            if (st != SL_OK) { sl_buf_fini(&val); return st; }
            sl_buf_putc(out_delta, found ? 1 : 2);
            sl_buf_put_varint(out_delta, kl);
            sl_buf_append(out_delta, k, kl);
            if (found) {
                sl_buf_put_varint(out_delta, val.len);
                sl_buf_append(out_delta, val.data, val.len);
            }
        }
        sl_buf_fini(&val);
        if (out_delta->oom) return sl_err_oom(err);
    }
    sl_kv_hash_clear(kv->dirty);
    kv->version = v;
    kv->open_version = -1;
    return SL_OK;
}

int64_t sl_kv_version(const sl_kv *kv) { return kv->version; }

sl_status sl_kv_snapshot(sl_kv *kv, sl_buf *out, sl_error *err)
{
    put_header(out, "SKVS", kv->version, (uint64_t)sl_kv_count(kv));
    sl_kv_iter *it;
    sl_status st = sl_kv_iter_new(kv, &it, err);
    if (st != SL_OK) return st;
    const void *k, *v;
    size_t kl, vl;
    while (sl_kv_iter_next(it, &k, &kl, &v, &vl)) {
        sl_buf_put_varint(out, kl);
        sl_buf_append(out, k, kl);
        sl_buf_put_varint(out, vl);
        sl_buf_append(out, v, vl);
    }
    sl_kv_iter_free(it);
    return out->oom ? sl_err_oom(err) : SL_OK;
}

static sl_status malformed(sl_error *err, const char *what)
{
    return sl_err(err, SL_ERR_CHECKPOINT, "state %s is malformed", what);
}

/* Walks the entries without applying them, so that malformed bytes are
 * refused before the store is touched. */
static bool entries_valid(reader r, uint64_t count, bool delta)
{
    for (uint64_t i = 0; i < count && !r.bad; i++) {
        bool put = true;
        if (delta) {
            const unsigned char *op = get_bytes(&r, 1);
            if (!op || (*op != 1 && *op != 2)) return false;
            put = *op == 1;
        }
        get_bytes(&r, get_varint(&r));
        if (put) get_bytes(&r, get_varint(&r));
    }
    return !r.bad && r.p == r.e;
}

sl_status sl_kv_load(sl_kv *kv, const void *data, size_t len, sl_error *err)
{
    reader r = {data, (const unsigned char *)data + len, false};
    int64_t version;
    uint64_t count;
    if (!get_header(&r, "SKVS", &version, &count)) return malformed(err, "snapshot header");
    if (!entries_valid(r, count, false)) return malformed(err, "snapshot");
    sl_status st = kv->be->clear(kv->impl, err);
    if (st != SL_OK) return st;
    for (uint64_t i = 0; i < count; i++) {
        uint64_t kl = get_varint(&r);
        const unsigned char *k = get_bytes(&r, kl);
        uint64_t vl = get_varint(&r);
        const unsigned char *v = get_bytes(&r, vl);
        if (r.bad) return malformed(err, "snapshot");
        if ((st = kv->be->put(kv->impl, k, kl, v, vl, err)) != SL_OK) return st;
    }
    if (r.p != r.e) return malformed(err, "snapshot (trailing bytes)");
    sl_kv_hash_clear(kv->dirty);
    kv->version = version;
    kv->open_version = -1;
    return SL_OK;
}

sl_status sl_kv_apply_delta(sl_kv *kv, const void *data, size_t len, sl_error *err)
{
    reader r = {data, (const unsigned char *)data + len, false};
    int64_t version;
    uint64_t count;
    if (!get_header(&r, "SKVD", &version, &count)) return malformed(err, "delta header");
    if (!entries_valid(r, count, true)) return malformed(err, "delta");
    sl_status st;
    for (uint64_t i = 0; i < count; i++) {
        const unsigned char *op = get_bytes(&r, 1);
        uint64_t kl = get_varint(&r);
        const unsigned char *k = get_bytes(&r, kl);
        if (r.bad || (*op != 1 && *op != 2)) return malformed(err, "delta");
        if (*op == 1) {
            uint64_t vl = get_varint(&r);
            const unsigned char *v = get_bytes(&r, vl);
            if (r.bad) return malformed(err, "delta");
            st = kv->be->put(kv->impl, k, kl, v, vl, err);
        } else {
            st = kv->be->del(kv->impl, k, kl, err);
        }
        if (st != SL_OK) return st;
    }
    if (r.p != r.e) return malformed(err, "delta (trailing bytes)");
    sl_kv_hash_clear(kv->dirty);
    kv->version = version;
    kv->open_version = -1;
    return SL_OK;
}

/* ---- checkpoint glue ---------------------------------------------------- */

static sl_status checkpoint(sl_kv *kv, sl_ckpt_log *log, const char *op_id, bool force_snap,
                            sl_error *err)
{
    int64_t v = kv->open_version >= 0 ? kv->open_version : kv->version + 1;
    bool snap = force_snap || sl_ckpt_log_state_wants_snapshot(log, op_id, v);
    if (snap && kv->be->export_dir) {
        char *tmp;
        sl_status st = sl_kv_commit(kv, NULL, err);
        if (st == SL_OK && (st = sl_ckpt_log_state_dir_begin(log, op_id, v, &tmp, err)) == SL_OK) {
            if ((st = kv->be->export_dir(kv->impl, tmp, err)) != SL_OK ||
                (st = sl_ckpt_log_state_dir_commit(log, op_id, v, tmp, err)) != SL_OK)
                sl_ckpt_log_state_dir_abort(tmp);
            sl_free(tmp);
        }
        return st;
    }
    sl_buf b;
    sl_buf_init(&b);
    sl_status st = sl_kv_commit(kv, snap ? NULL : &b, err);
    if (st == SL_OK && snap) st = sl_kv_snapshot(kv, &b, err);
    if (st == SL_OK) st = sl_ckpt_log_write_state(log, op_id, v, snap, b.data, b.len, err);
    sl_buf_fini(&b);
    return st;
}

sl_status sl_kv_checkpoint(sl_kv *kv, sl_ckpt_log *log, const char *op_id, sl_error *err)
{
    return checkpoint(kv, log, op_id, false, err);
}

sl_status sl_kv_checkpoint_snapshot(sl_kv *kv, sl_ckpt_log *log, const char *op_id, sl_error *err)
{
    return checkpoint(kv, log, op_id, true, err);
}

void *sl_kv_impl(sl_kv *kv) { return kv->impl; }

static sl_status put_pair(void *ctx, const void *k, size_t kl, const void *v, size_t vl,
                          sl_error *err)
{
    sl_kv *kv = ctx;
    return kv->be->put(kv->impl, k, kl, v, vl, err);
}

sl_status sl_kv_restore(sl_kv *kv, const sl_ckpt_state_chain *chain, sl_error *err)
{
    sl_status st = kv->be->clear(kv->impl, err);
    if (st != SL_OK) return st;
    sl_kv_hash_clear(kv->dirty);
    kv->version = -1;
    kv->open_version = -1;
    for (int i = 0; i < chain->n; i++) {
        const sl_ckpt_state_part *part = &chain->parts[i];
        if (part->dir) {
            st = kv->be->import_dir ? kv->be->import_dir(kv->impl, part->dir, err)
                                    : sl_kv_rocksdb_scan_dir(part->dir, put_pair, kv, err);
            if (st == SL_OK) kv->version = part->version;
        } else {
            st = part->snapshot ? sl_kv_load(kv, part->data, part->len, err)
                                : sl_kv_apply_delta(kv, part->data, part->len, err);
        }
        if (st != SL_OK) {
            sl_err_prefix(err, "state version %" PRId64, part->version);
            return st;
        }
        if (kv->version != part->version) {
            return sl_err(err, SL_ERR_CHECKPOINT,
                          "state file for version %" PRId64 " holds version %" PRId64,
                          part->version, kv->version);
        }
    }
    kv->version = chain->n ? chain->version : -1;
    return SL_OK;
}
